"""Open backlog from raw request records, checked on the real San Diego files against counts the
test computes itself with the csv module (not with the code under test)."""

from __future__ import annotations

import pytest
from helpers import GID_2021, csv_rows, expected_backlog

from backlog_alerts.alerting.backlog import RequestSettings, open_backlog
from backlog_alerts.alerting.evaluation import evaluate
from backlog_alerts.alerting.report import load_report, request_settings
from backlog_alerts.alerting.rules import parse_rules
from backlog_alerts.io.sources import SourceError

GID_2018 = [
    "gid_raw/data2018_for_adam__ryanluuwas__7ee27fa.csv",
    "gid_raw/data2018_for_adam__ryanluuwas__850cc57.csv",
]
RULES = [
    {"name": "potholes", "service_name": "Pothole", "department": "streets", "threshold": 100},
    {"name": "illegal_dumping", "service_name": "Illegal Dumping", "department": "trash", "threshold": 30},
]


def test_the_open_backlog_of_the_real_2021_file(real_file):
    path = real_file(GID_2021)
    backlog = open_backlog(str(path), RequestSettings())
    assert backlog.counts == expected_backlog(path)
    assert backlog.counts["Pothole"] > 100 and backlog.counts["Illegal Dumping"] > 30
    with_children = open_backlog(str(path), RequestSettings(include_duplicates=True))
    assert with_children.counts == expected_backlog(path, children=True)
    open_records = sum(r["status"] in ("In Process", "New") for r in csv_rows(path))  # about 6,000
    assert sum(with_children.counts.values()) + with_children.unnamed == open_records
    assert backlog.summary()["case_variants"] == ["OTHER/Other"]  # reported, not merged
    assert "Drain Maintenance" in backlog.seen and "Drain Maintenance " not in backlog.seen  # trimmed


def test_min_age_and_other_closed_statuses(real_file):
    path = real_file(GID_2021)
    older = open_backlog(str(path), RequestSettings(min_age_days=7))
    assert older.counts == expected_backlog(path, min_age=7)
    only_closed = open_backlog(str(path), RequestSettings(closed_statuses=("Closed",)))
    assert only_closed.counts == expected_backlog(path, closed=("closed",))


@pytest.mark.parametrize("name", GID_2018)
def test_the_2018_samples_are_all_closed_and_alert_nothing(real_file, name):
    path = real_file(name)
    report = load_report(str(path), requests=request_settings("requests", ["Closed", "Referred"], 0, False))
    assert report.counts["Pothole"] == 0 and set(report.counts.values()) == {0}
    decisions = evaluate(parse_rules(RULES, ["streets", "trash"]), report.counts, report.uri, "error")
    assert [d.fired for d in decisions] == [False, False]


def test_a_file_without_a_status_column_is_refused(tmp_path):
    path = tmp_path / "requests.csv"
    path.write_text("service_request_id,service_name\n1,Pothole\n")
    with pytest.raises(
        SourceError, match=r"requests.csv: missing column 'status', which raw request records need"
    ):
        open_backlog(str(path), RequestSettings())


def test_a_local_export_is_identified_by_size_and_time_not_rehashed(real_file):
    path = real_file(GID_2021)
    report = load_report(str(path), requests=RequestSettings())
    assert report.backlog["bytes"] == str(path.stat().st_size) and report.sha256 == ""
    assert report.backlog["duplicates_left_out"] == sum(
        1 for r in csv_rows(path) if r["status"] in ("In Process", "New") and r["service_request_parent_id"]
    )
