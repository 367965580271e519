"""A run uses exactly the inputs its pre-run check read: a private copy, fingerprinted, read by the notebooks."""

from dataclasses import asdict

import pytest

from backlog_alerts.alerting.backlog import RequestSettings, open_backlog
from backlog_alerts.alerting.report import load_report
from backlog_alerts.io.sources import Pin, SourceError, pin_input, read_source


def test_the_notebooks_read_the_checked_copy_whatever_happens_to_the_file(tmp_path):
    report = tmp_path / "2019" / "03" / "final_report.csv"
    report.parent.mkdir(parents=True)
    report.write_text("service_name,count\nPothole,163\n")
    copies = tmp_path / "copies"
    copies.mkdir()
    pin = pin_input(str(report), copies)
    assert (copies / "1-final_report.csv").stat().st_mode & 0o777 == 0o600
    pins = {str(report): asdict(pin)}
    report.write_text("service_name,count\nPothole,40\n")  # replaced after the check
    checked = load_report(str(report), pins=pins)
    assert checked.counts == {"Pothole": 163} and checked.sha256 == pin.sha256
    assert read_source(str(report)).text.endswith("40\n"), "without the pins: the file as it is now"


def test_without_its_copy_a_replaced_file_is_refused_by_name(tmp_path):
    contacts = tmp_path / "contacts.csv"
    contacts.write_text("Name,Email,Phone,Department\n")
    copies = tmp_path / "copies"
    copies.mkdir()
    pin = pin_input(str(contacts), copies)
    (copies / "1-contacts.csv").unlink()  # a notebook run again by hand, after the run removed its copies
    pins = {str(contacts): asdict(pin)}
    assert read_source(str(contacts), pins=pins).sha256 == pin.sha256  # unchanged: read again, same bytes
    contacts.write_text("Name,Email,Phone,Department\nAna,a@example.gov,,streets\n")
    with pytest.raises(SourceError, match=rf"^{contacts}: replaced since the pre-run check read it"):
        read_source(str(contacts), pins=pins)


def test_raw_request_records_are_counted_from_the_copy(tmp_path):
    records = tmp_path / "requests.csv"
    records.write_text("service_request_id,service_name,status\n1,Pothole,Open\n2,Pothole,Closed\n")
    copies = tmp_path / "copies"
    copies.mkdir()
    pin = pin_input(str(records), copies)
    records.write_text("service_request_id,service_name,status\n")
    backlog = open_backlog(
        str(records), RequestSettings(), pin=Pin.of({str(records): asdict(pin)}, str(records))
    )
    assert backlog.per_service() == {"Pothole": 1} and backlog.version["sha256"] == pin.sha256
