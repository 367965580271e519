"""Which month a report covers: the key's forms, the params' precedence, contradictions refused."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from backlog_alerts.alerting.period import MONTHS, decide_period, mentions, unread_hint
from backlog_alerts.io.locations import name_part
from backlog_alerts.io.sources import SourceError


@pytest.mark.parametrize(
    ("uri", "period"),
    [
        ("s3://gid-reports/2019/feb/final_report.csv", "2019-02"),
        ("s3://gid-reports/2019/mar/", "2019-03"),
        ("s3://gid-reports/2019/february/final_report.csv", "2019-02"),
        ("reports/2019-03.csv", "2019-03"),
        ("reports/2019_3/report.csv", "2019-03"),
        ("s3://reports-2018/2019/10/final_report.csv", "2019-10"),  # the bucket's name is not the key
        ("s3://city-201801/monthly/201903/report.csv", "2019-03"),
        ("monthly/201903/report.csv", "2019-03"),
        ("exports/03-2019/report.csv", "2019-03"),
        ("exports/3-2019.csv", "2019-03"),
        ("feb-2019/final_report.csv", "2019-02"),
        ("mar-2019.csv", "2019-03"),
        ("exports/March 2019/report.csv", "2019-03"),
        ("exports/September_2019/report.csv", "2019-09"),
        ("exports/MAR2019.csv", "2019-03"),
        ("exports/report_2019-03-01.csv", "2019-03"),  # a date counts as its month
        ("exports/311_counts_03-31-2019.csv", "2019-03"),  # month first: only one way is a date
        ("exports/311_counts_31.03.2019.csv", "2019-03"),  # day first
        ("exports/March 31, 2019.csv", "2019-03"),
        ("exports/31-Mar-2019/report.csv", "2019-03"),
        ("exports/05-05-2019.csv", "2019-05"),  # both ways the same month
        ("s3://city/reports2019/mar/final.csv", "2019-03"),  # a year after letters
        ("exports/20190301/report.csv", "2019-03"),
        ("backups/2019/feb/feb-2019.csv", "2019-02"),  # named twice, the same month
        ("https://data.city.gov/311/2019-04/report.csv?token=2020-01", "2019-04"),  # not the query
        ("2019/mayor/report.csv", ""),  # a word that starts like a month is not one
        ("/srv/dec/2019/report.csv", ""),  # a month name first must share its folder with the year
        ("final/latest_report.csv", ""),
        ("exports/2019-13/report.csv", ""),  # no thirteenth month
        ("exports/report-v2-201913.csv", ""),
        ("exports/doctor_2019.csv", ""),  # `oct` inside a word
        ("FY2019/mar/report.csv", ""),  # a fiscal year is not a calendar year
    ],
)
def test_the_period_is_read_from_the_key(uri, period):
    assert decide_period(uri) == period


@pytest.mark.parametrize(
    ("uri", "named"),
    [
        ("2019/feb/report_2019-03-01.csv", "2019-02 ('2019/feb'), 2019-03 ('2019-03-01')"),
        ("s3://b/2019/03/report_2019-04.csv", "2019-03 ('2019/03'), 2019-04 ('2019-04')"),
    ],
)
def test_two_periods_in_one_key_are_refused_naming_both(uri, named):
    with pytest.raises(SourceError) as caught:
        decide_period(uri)
    assert str(caught.value) == (
        f"{uri}: the key names more than one period: {named}; set report_period to the one this report covers"
    )
    first = named.split(" ")[0]
    assert decide_period(uri, first) == first, "report_period chooses among the key's periods"


@pytest.mark.parametrize(
    ("uri", "readings"),
    [("311_counts_01-06-2020.csv", "2020-01 or 2020-06"), ("report_12-05-2019.csv", "2019-05 or 2019-12")],
)
def test_a_date_that_reads_two_ways_is_refused_unless_report_period_picks_one(uri, readings):
    """US exports name files month-first (01-06-2020 is January 6); others day-first (June 1)."""
    with pytest.raises(SourceError) as caught:
        decide_period(uri)
    assert str(caught.value) == (
        f"{uri}: '{uri.rsplit('_', 1)[1][:-4]}' reads as {readings} (a date written month first or day first); "
        "set report_period to the month this report covers"
    )
    first = readings.split(" or ")[0]
    assert decide_period(uri, first) == first
    with pytest.raises(SourceError):
        decide_period(uri, "2019-07")


@pytest.mark.parametrize(
    ("uri", "named"),
    [("FY2019/mar/report.csv", "'2019', 'mar'"), ("exports/Mar19.csv", "'Mar'"), ("latest/report.csv", "")],
)
def test_a_key_that_looks_dated_but_names_no_period_says_why(uri, named):
    hint = unread_hint(uri)
    assert (f"the key mentions {named} but in no form read as a period" in hint) if named else hint == ""


def test_report_period_against_the_key_is_refused_naming_both():
    with pytest.raises(SourceError) as caught:
        decide_period("s3://b/2019/mar/final_report.csv", "2019-04")
    assert str(caught.value) == (
        "s3://b/2019/mar/final_report.csv: report_period is 2019-04, but the key names 2019-03 ('2019/mar'): "
        "fix one of them (a report_period left in the params file from another month?)"
    )
    assert decide_period("s3://b/2019/mar/final_report.csv", "2019-03") == "2019-03"
    assert decide_period("s3://b/latest/final_report.csv", "2019-04") == "2019-04", "a key without one"


@pytest.mark.parametrize("given_period", ["2999-12", "2091-04"])
def test_a_month_that_has_not_come_yet_is_refused_from_the_params_or_the_key(given_period):
    with pytest.raises(SourceError, match=f"report_period is {given_period}, a month that has not come yet"):
        decide_period("latest.csv", given_period)
    year, month = given_period.split("-")
    if year.startswith("20"):  # a year of the 2000s in a key (2999 there is no year we read)
        with pytest.raises(SourceError, match=f"covers {given_period}, a month that has not come yet"):
            decide_period(f"s3://b/{year}/{month}/r.csv")


def test_a_local_path_is_read_from_the_project_root(tmp_path, monkeypatch):
    project = tmp_path / "city-2018-01"
    for folder in ("notebooks", "params", "data/2019/03"):
        (project / folder).mkdir(parents=True)
    assert name_part(str(project / "data/2019/03/r.csv")) == "data/2019/03/r.csv"
    assert decide_period(str(project / "data/2019/03/r.csv")) == "2019-03"
    assert decide_period(f"file://{project}/data/2019/03/r.csv") == "2019-03"


forms = st.sampled_from(
    [
        "{y}/{mon}/",
        "{y}/{m}/",
        "{y}-{m}",
        "{y}{m}",
        "{m}-{y}",
        "{mon}-{y}",
        "{Month} {y}",
        "{Month}_{y}",
        "{y}-{m}-15",
        "{m}-28-{y}",
        "28.{m}.{y}",
        "{Month} 28, {y}",
        "28-{mon}-{y}",
    ]
)


@given(
    year=st.integers(1990, 2025),
    month=st.integers(1, 12),
    form=forms,
    prefix=st.sampled_from(["s3://bucket-2017/", "s3://b/reports/", "exports/"]),
)
def test_every_form_reads_back_its_month(year, month, form, prefix):
    name = MONTHS[month - 1]
    full = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
            "October", "November", "December"][month - 1]  # fmt: skip
    key = form.format(y=year, m=f"{month:02d}", mon=name, Month=full)
    uri = f"{prefix}{key}{'' if key.endswith('/') else '/'}report.csv"
    assert [m.period for m in mentions(uri)] == [f"{year}-{month:02d}"]
    assert decide_period(uri) == f"{year}-{month:02d}"
