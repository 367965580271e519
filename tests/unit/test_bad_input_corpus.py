"""The bad-input corpus under tests/corpus/: each file gets its one-line error or its listed rows
(tests/integration/test_bad_input_runs.py gives each to a run and checks that AWS is left untouched)."""

from __future__ import annotations

import pytest
from helpers import corpus

from backlog_alerts.alerting.report import parse_counts
from backlog_alerts.io.sources import SourceError, read_source
from backlog_alerts.run.params import (
    ParamsError,
    load_params,
)
from backlog_alerts.sync.contacts import ContactsError, parse_contacts

DEPARTMENTS = ["trash", "streets"]


def ids(entries):
    return [path.name for path, _ in entries]


CONTACTS, REPORTS, PARAMS = corpus("contacts"), corpus("reports"), corpus("params")


def test_the_corpus_is_as_large_as_promised():
    assert (len(CONTACTS), len(REPORTS), len(PARAMS)) >= (20, 15, 10)


@pytest.mark.parametrize(("path", "expected"), CONTACTS, ids=ids(CONTACTS))
def test_each_bad_contacts_file_gets_its_error_or_its_listed_rows(path, expected):
    if "error" in expected:
        with pytest.raises(SourceError) as caught:
            parse_contacts(read_source(str(path)), DEPARTMENTS)
        assert str(caught.value) == expected["error"].replace("{file}", str(path))
        return
    listed = parse_contacts(read_source(str(path)), DEPARTMENTS)
    assert [str(p) for p in listed.problems] == expected["problems"]
    with pytest.raises(ContactsError):  # on_invalid_row: fail turns any listed row into a stop
        parse_contacts(read_source(str(path)), DEPARTMENTS, on_invalid_row="fail")


@pytest.mark.parametrize(("path", "expected"), REPORTS, ids=ids(REPORTS))
def test_each_bad_report_gets_its_error(path, expected):
    with pytest.raises(SourceError) as caught:
        parse_counts(read_source(str(path)))
    assert str(caught.value) == expected["error"].replace("{file}", str(path))


@pytest.mark.parametrize(("path", "expected"), PARAMS, ids=ids(PARAMS))
def test_each_bad_params_file_gets_its_error(path, expected):
    with pytest.raises(ParamsError) as caught:
        load_params(path)
    assert str(caught.value) == expected["error"].replace("{file}", str(path))
    assert "\n" not in str(caught.value)


def test_a_contacts_file_of_100k_rows_is_refused_as_the_wrong_file(tmp_path):
    path = tmp_path / "contacts.csv"
    row = "Dana Whitfield,dana.whitfield@example.gov,+16195550101,trash\n"
    path.write_text("Name,Email,Phone,Department\n" + row * 100_000)
    with pytest.raises(SourceError) as caught:
        parse_contacts(read_source(str(path)), DEPARTMENTS)
    assert str(caught.value) == (
        f"{path}: 100000 rows, more than max_contacts (5000): is this the contacts file? Raise max_contacts if it is"
    )
