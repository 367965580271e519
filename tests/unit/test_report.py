import pytest
from helpers import text_source

from backlog_alerts.alerting.report import count_for, parse_counts
from backlog_alerts.io.sources import SourceError, read_source


def test_counts_are_read_per_service_with_names_trimmed():
    counts = parse_counts(text_source("service_name, count\n Pothole , 163\nIllegal Dumping,47\n"))
    assert counts == {"Pothole": 163, "Illegal Dumping": 47}


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("Pothole,12.5\n", r"row 2, count: '12.5' is not a whole number"),
        ("Pothole,-3\n", r"row 2, count: '-3' is not a whole number"),
        ("Pothole,\n", r"row 2, count: '' is not a whole number"),
        ("Pothole,1\nPothole,2\n", r"row 3, service_name: 'Pothole' listed twice"),
        (",4\n", r"row 2, service_name: empty"),
    ],
)
def test_bad_rows_are_named(body, expected):
    with pytest.raises(SourceError, match=expected):
        parse_counts(text_source("service_name,count\n" + body, "r.csv"))


def test_the_first_row_at_fault_is_named_when_several_rows_are_bad():
    body = "Pothole,3\nGraffiti,x\npothole,4\n,5\n"
    with pytest.raises(SourceError, match=r"row 3, count: 'x' is not a whole number"):
        parse_counts(text_source("service_name,count\n" + body, "r.csv"))


def test_a_case_twin_is_found_among_100k_services_and_named_with_its_first_spelling():
    """Each service was once compared with every earlier one: 13 minutes for 100,000 rows."""
    rows = "".join(f"Service {i},{i % 50}\n" for i in range(100_000))
    with pytest.raises(SourceError) as caught:
        parse_counts(text_source("service_name,count\n" + rows + "SERVICE 77,1\n", "r.csv"))
    assert str(caught.value) == (
        "r.csv: row 100002, service_name: 'SERVICE 77' differs from 'Service 77' only by case: which one is meant?"
    )
    counts = parse_counts(text_source("service_name,count\n" + rows, "r.csv"))
    assert len(counts) == 100_000 and counts["Service 99999"] == 99_999 % 50


def test_header_only_report_has_no_rows():
    with pytest.raises(SourceError, match="no rows"):
        parse_counts(text_source("service_name,count\n"))


def test_missing_service_suggests_near_misses():
    with pytest.raises(SourceError, match=r"'Potholes' is not in the report \(did you mean 'Pothole'\?\)"):
        count_for({"Pothole": 3}, "Potholes", "r.csv")


def test_real_aggregate_with_other_count_column_is_refused(real_file):
    path = real_file("gid_agg/agg_service_backlog__AlanBuildsAI.csv")
    with pytest.raises(SourceError, match=r"missing column\(s\) count \(found: 'service_name'"):
        parse_counts(read_source(str(path)))


def test_real_aggregate_reads_with_its_own_count_column(real_file):
    path = real_file("gid_agg/agg_service_backlog__AlanBuildsAI.csv")
    counts = parse_counts(read_source(str(path)), count_column="active_records")
    # Figures from the file's provenance notes, not from the code under test.
    assert counts["Pothole"] == 332 and counts["Illegal Dumping"] == 768
    assert len(counts) == 40


def test_real_nyc_report_repeats_services_and_is_refused(real_file):
    path = real_file("other_cities/nyc_311-complaints__somaiyahhafeez.csv")
    with pytest.raises(SourceError, match="listed twice"):
        parse_counts(read_source(str(path)), service_column="Complaint Type")


def test_real_file_with_bom_has_clean_header(real_file):
    path = real_file("gid_meta/get_it_done_requests_dictionary_datasd__melissamonroe.csv")
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    with pytest.raises(SourceError, match=r"missing column\(s\) service_name, count \(found: 'field',"):
        parse_counts(read_source(str(path)))


def test_a_re_export_with_other_line_ends_and_row_order_is_about_the_same_facts(tmp_path):
    """Without a period a verdict is about the count itself: a daily re-export must not page again."""
    from backlog_alerts.alerting.evaluation import evaluate
    from backlog_alerts.alerting.report import load_report
    from backlog_alerts.alerting.rules import parse_rules

    rules = parse_rules(
        [{"name": "p", "service_name": "Pothole", "department": "streets", "threshold": 100}], ["streets"]
    )
    first, again = tmp_path / "a.csv", tmp_path / "b.csv"
    first.write_bytes(b"service_name,count\nPothole,163\nIllegal Dumping,47\n")
    again.write_bytes(b"\xef\xbb\xbfservice_name,count\r\nIllegal Dumping,48\r\nPothole , 163\r\n")
    a, b = load_report(str(first)), load_report(str(again))
    assert a.period == b.period == "" and a.sha256 != b.sha256  # two files, kept apart in the record
    keys = [evaluate(rules, r.counts, r.uri, "error", r.period)[0].period for r in (a, b)]
    assert keys == ["count:163", "count:163"]  # ... and the same facts for the pothole rule
    assert evaluate(rules, a.counts, a.uri, "error", "2019-02")[0].period == "2019-02"


def test_an_expected_period_with_no_period_to_compare_stops_before_anything_is_read(tmp_path):
    """Once the lateness check was skipped and the report alerted as current."""
    from backlog_alerts.alerting.report import load_report

    path = tmp_path / "final" / "latest_report.csv"
    path.parent.mkdir()
    path.write_text("service_name,count\nPothole,163\n")
    with pytest.raises(SourceError) as caught:
        load_report(str(path), expected_period="2019-03")
    assert str(caught.value) == (
        f"{path}: expected_period is 2019-03, but this report's period is unknown: set report_period, "
        "or put the period in the key (e.g. 2019/feb/final_report.csv)"
    )
    assert load_report(str(path), period="2019-03", expected_period="2019-03").status == "ok"


def test_a_period_that_has_not_come_yet_is_refused(tmp_path):
    """A typo such as 2091 for 2019 would alert, then make every real report stale after it."""
    from backlog_alerts.alerting.report import load_report

    path = tmp_path / "2091" / "04" / "final_report.csv"
    path.parent.mkdir(parents=True)
    path.write_text("service_name,count\nPothole,163\n")
    with pytest.raises(
        SourceError, match=r"2091/04/final_report.csv: covers 2091-04, a month that has not come yet"
    ):
        load_report(str(path))
    with pytest.raises(SourceError, match=r"report_period is 2999-12, a month that has not come yet"):
        load_report(str(tmp_path / "r.csv"), period="2999-12")
    with pytest.raises(SourceError, match=r"expected_period is 2999-12, a month that has not come yet"):
        load_report(str(tmp_path / "2019-03.csv"), expected_period="2999-12")


def test_only_the_watched_services_counts_are_recorded():
    """300,000 services once made an executed notebook of tens of MB, saved after every cell."""
    from backlog_alerts.alerting.report import watched_counts
    from backlog_alerts.alerting.rules import parse_rules

    rules = parse_rules([{"name": "p", "service_name": "Pothole", "department": "s", "threshold": 1}], ["s"])
    counts = {"Graffiti": 3, "Pothole": 163, **{f"Service {i}": i for i in range(1000)}}
    assert watched_counts(counts, rules) == [{"service_name": "Pothole", "count": 163}]


def test_a_report_saved_by_excel_for_mac_with_cr_line_ends_is_read(tmp_path):
    """'CSV (Macintosh)' ends lines with CR alone: once a raw csv.Error and exit 1."""
    from backlog_alerts.alerting.report import load_report

    path = tmp_path / "2019" / "03" / "report.csv"
    path.parent.mkdir(parents=True)
    path.write_bytes(b"service_name,count\rPothole,163\rIllegal Dumping,47\r")
    assert load_report(str(path)).counts == {"Pothole": 163, "Illegal Dumping": 47}
