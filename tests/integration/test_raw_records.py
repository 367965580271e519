"""Raw request records (a real San Diego export) through a whole run and from S3, on a moto server;
the expected backlog is counted by the test with the csv module (not with the code under test)."""

from __future__ import annotations

import pytest
from helpers import GID_2021, expected_backlog

from backlog_alerts.alerting.backlog import RequestSettings
from backlog_alerts.alerting.report import load_report


@pytest.mark.integration
def test_a_run_on_raw_records_alerts_on_the_open_backlog(real_file, aws_endpoint, tmp_path):
    from helpers import clean_env, params_file, run_cli

    from backlog_alerts.io.emulator import emulator_environ

    path = real_file(GID_2021)
    expected = expected_backlog(path)
    params = params_file(tmp_path, report_kind="requests", report_uri=str(path), report_period="2021-04")
    result = run_cli(
        ["run", "--params", str(params), "--output-dir", str(tmp_path / "out")],
        emulator_environ(aws_endpoint, clean_env()),
    )
    assert result.returncode == 0, result.stderr
    assert f"potholes: Pothole {expected['Pothole']} > 100 (warning) -> streets, publish" in result.stdout
    assert (
        f"illegal_dumping: Illegal Dumping {expected['Illegal Dumping']} > 30 (warning) -> trash, publish"
        in result.stdout
    )


@pytest.mark.integration
def test_raw_records_on_s3_are_read_with_their_etag(real_file, s3):
    path = real_file(GID_2021)
    s3.create_bucket(Bucket="gid-raw")
    s3.put_object(Bucket="gid-raw", Key="2021/apr/requests.csv", Body=path.read_bytes())
    report = load_report("s3://gid-raw/2021/apr/requests.csv", "us-east-1", requests=RequestSettings())
    assert report.period == "2021-04" and report.etag
    assert {k: v for k, v in report.counts.items() if v} == expected_backlog(path)
    missing = load_report("s3://gid-raw/2021/may/requests.csv", "us-east-1", requests=RequestSettings())
    assert missing.status == "missing"
