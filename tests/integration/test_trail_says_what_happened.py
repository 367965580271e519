"""The trail says what happened, checked against what the emulator delivered: a dry run claims no
MessageId and reads `would publish`; every ops notice (refused, failed) is on the trail with its
MessageId; a refused run names the input it refused by ETag and SHA-256; a notebook run by hand with
papermill, its state on S3, is listed by `audit` and the site as sent outside a recorded run, and so is
the notice it sends ops of a missing report."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re

import pytest
from helpers import ROOT, audit_rows, clean_env, drain, papermill_by_hand, run_cli, subscribe_queue
from helpers import counts_report as report
from helpers import params_file as write_params

from backlog_alerts.io import emulator
from backlog_alerts.io.emulator import published_messages

pytestmark = pytest.mark.integration
OUTSIDE = "outside a recorded run"


def audit(*args, env):
    result = run_cli(["audit", *args], env)
    assert result.returncode == 0, result.stderr
    return result.stdout


def claimed_ids(data):
    """Every MessageId the trail claims was sent: alerts, ops notices, sends outside recorded runs."""
    ids = {a["message_id"] for run in data["runs"] for a in run["alerts"] if a["message_id"]}
    ids |= {n["message_id"] for run in data["runs"] for n in run["ops_notices"] if n["message_id"]}
    ids |= {n["message_id"] for n in data["ops_notices_outside_runs"]}
    return ids | {s["message_id"] for s in data["sent_outside_runs"]}


def test_a_dry_run_claims_nothing_and_a_notebook_run_by_hand_is_listed_outside_a_recorded_run(
    aws_endpoint, sns, sqs, tmp_path
):
    env = emulator.emulator_environ(aws_endpoint, clean_env())
    out = tmp_path / "out"
    params = write_params(tmp_path, output_dir=str(out))  # the state on S3 (the emulator's)
    assert run_cli(["run", "--params", str(params)], env).returncode == 0
    dry = write_params(
        tmp_path, "dry.yaml", output_dir=str(out), dry_run=True, report_uri=report(tmp_path, "2019-03")
    )
    dry_result = run_cli(["run", "--params", str(dry)], env)
    assert dry_result.returncode == 0, dry_result.stderr
    dry_id = sorted(p.name for p in out.iterdir() if p.is_dir())[-1]

    # A notebook run by hand, with papermill: it sends for real, and leaves no run folder.
    arns = {t["TopicArn"].rsplit(":", 1)[1]: t["TopicArn"] for t in sns.list_topics()["Topics"]}
    inbox = subscribe_queue(sqs, sns, arns["streets_notifications"], "streets-inbox")
    by_hand = tmp_path / "by-hand.ipynb"
    papermill_by_hand(
        str(ROOT / "notebooks" / "03_alert_check.ipynb"),
        str(by_hand),
        parameters={"report_uri": report(tmp_path, "2019-04", pothole=190), "params_file": str(params)},
        cwd=str(ROOT / "notebooks"),
        progress_bar=False,
    )
    (heard,) = drain(sqs, inbox)
    # Run by hand again, on a report that is not there: only ops are told, and only the state logs it.
    ops_inbox = subscribe_queue(sqs, sns, arns["backlog_alerts_ops"], "ops-inbox")
    papermill_by_hand(
        str(ROOT / "notebooks" / "03_alert_check.ipynb"),
        str(tmp_path / "missing-by-hand.ipynb"),
        parameters={"report_uri": str(tmp_path / "nowhere" / "final_report.csv"), "params_file": str(params)},
        cwd=str(ROOT / "notebooks"),
        progress_bar=False,
    )
    (told,) = drain(sqs, ops_inbox)

    no_emulator = run_cli(["audit", "--params", str(params)], clean_env())
    assert no_emulator.returncode == 2 and "is in the emulator (target: local)" in no_emulator.stderr
    data = json.loads(audit("--params", str(params), "--format", "json", env=env))
    (dry_record,) = [r for r in data["runs"] if r["run_id"] == dry_id]
    assert dry_record["dry_run"] is True and dry_record["totals"]["published"] == 0
    assert {(a["action"], a["message_id"]) for a in dry_record["alerts"]} == {("would publish", None)}
    outside = data["sent_outside_runs"]
    assert heard["MessageId"] in {s["message_id"] for s in outside}
    assert {s["recorded"] for s in outside} == {OUTSIDE}
    assert data["state_read"] == {
        "uri": "s3://backlog-alerts-demo-state/alert_state.json",
        "error": "",
        "not_read": [],
    }
    (notice,) = data["ops_notices_outside_runs"]
    assert (notice["kind"], notice["topic"], notice["message_id"], notice["recorded"]) == (
        "report missing",
        arns["backlog_alerts_ops"],
        told["MessageId"],
        OUTSIDE,
    )
    delivered = {m["message_id"] for m in published_messages(aws_endpoint)}
    # Every message the emulator delivered is on the trail with its MessageId, and nothing else is.
    assert claimed_ids(data) == delivered

    rows = list(
        csv.DictReader(
            io.StringIO(audit("--params", str(params), "--format", "csv", "--per", "alert", env=env))
        )
    )
    dry_rows = [r for r in rows if r["run_id"] == dry_id]
    assert {(r["action"], r["dry_run"], r["message_id"]) for r in dry_rows} == {("would publish", "True", "")}
    assert heard["MessageId"] in {r["message_id"] for r in rows if r["status"] == OUTSIDE}
    table = audit("--params", str(params), env=env)
    (dry_line,) = [row for row in audit_rows(table) if row.startswith(dry_id)]
    assert "succeeded*" in dry_line and re.search(r"potholes=\d+ would publish", dry_line)
    assert "* dry run: nothing was changed or sent" in table
    flat = " ".join(table.split())
    assert f"sent {OUTSIDE}" in flat and heard["MessageId"] in flat and told["MessageId"] in flat
    notices = csv.DictReader(
        io.StringIO(audit("--params", str(params), "--format", "csv", "--per", "notice", env=env))
    )
    assert (OUTSIDE, "report missing", told["MessageId"]) in {
        (r["status"], r["kind"], r["message_id"]) for r in notices
    }

    # Without --params: the state the newest manifest names, on S3, read with the caller's AWS.
    plain = json.loads(audit("--output-dir", str(out), "--format", "json", env=env))
    assert heard["MessageId"] in {s["message_id"] for s in plain["sent_outside_runs"]}

    site = tmp_path / "site"
    shown = run_cli(["report", "--params", str(params), "--to", str(site)], env)
    assert shown.returncode == 0, shown.stderr
    index = re.sub(r"<[^>]+>", "", (site / "index.html").read_text())  # as read, across <wbr> breaks
    assert f"Sent {OUTSIDE}" in index and heard["MessageId"] in index and told["MessageId"] in index
    page = (site / dry_id / "index.html").read_text()
    assert "potholes: dry run: would publish" in page and "not sent (dry run)" in page


def test_a_refused_run_records_the_input_it_refused_and_the_notice_ops_got(
    aws_endpoint, sns, sqs, s3, tmp_path
):
    env = emulator.emulator_environ(aws_endpoint, clean_env())
    out = tmp_path / "out"
    params = write_params(tmp_path, output_dir=str(out))
    assert run_cli(["run", "--params", str(params)], env).returncode == 0
    ops_arn = next(
        t["TopicArn"] for t in sns.list_topics()["Topics"] if t["TopicArn"].endswith(":backlog_alerts_ops")
    )
    inbox = subscribe_queue(sqs, sns, ops_arn, "ops-inbox")

    bad = b"Name,Email,Phone,Department\nAna Ortiz,not-an-email,,streets\n"
    s3.put_object(Bucket="backlog-alerts-demo-contacts", Key="typed-by-hand.csv", Body=bad)
    etag = s3.head_object(Bucket="backlog-alerts-demo-contacts", Key="typed-by-hand.csv")["ETag"].strip('"')
    strict = write_params(
        tmp_path,
        "strict.yaml",
        output_dir=str(out),
        on_invalid_row="fail",
        contacts_uri="s3://backlog-alerts-demo-contacts/typed-by-hand.csv",
    )
    refused = run_cli(["run", "--params", str(strict)], env)
    assert refused.returncode == 2, refused.stderr
    (notice,) = drain(sqs, inbox)
    folder = sorted(p for p in out.iterdir() if p.is_dir())[-1]
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["refused_input"] == {
        "input": "contacts",
        "uri": "s3://backlog-alerts-demo-contacts/typed-by-hand.csv",
        "etag": etag,
        "sha256": hashlib.sha256(bad).hexdigest(),
    }
    (told,) = manifest["ops_notices"]
    assert (told["kind"], told["topic"], told["message_id"]) == ("refusal", ops_arn, notice["MessageId"])
    assert told["sent_at"]

    data = json.loads(audit("--output-dir", str(out), "--format", "json", env=env))
    (record,) = [r for r in data["runs"] if r["run_id"] == folder.name]
    assert record["refused_input"]["sha256"] == hashlib.sha256(bad).hexdigest()
    assert record["inputs"]["contacts"]["etag"] == etag
    assert [n["message_id"] for n in record["ops_notices"]] == [notice["MessageId"]]
    notices = list(
        csv.DictReader(
            io.StringIO(audit("--output-dir", str(out), "--format", "csv", "--per", "notice", env=env))
        )
    )
    assert (notices[-1]["run_id"], notices[-1]["kind"], notices[-1]["message_id"]) == (
        folder.name,
        "refusal",
        notice["MessageId"],
    )
    table = " ".join(audit("--output-dir", str(out), env=env).split())  # details unwrapped
    assert (
        f"refusal:{notice['MessageId']}" in table
        and f"SHA-256 {hashlib.sha256(bad).hexdigest()[:12]}" in table
    )
    assert run_cli(["report", "--output-dir", str(out), "--to", str(tmp_path / "site")], env).returncode == 0
    page = re.sub(r"<[^>]+>", "", (tmp_path / "site" / folder.name / "index.html").read_text())
    assert hashlib.sha256(bad).hexdigest() in page and notice["MessageId"] in page

    # Another deployment's topics (a state of its own, a trail of its own): refused, and ops not told on
    # a topic that is not this deployment's; the manifest says so.
    other_out = tmp_path / "other-out"
    other = write_params(
        tmp_path / "other", output_dir=str(other_out), state_uri=str(tmp_path / "other" / "state.json")
    )
    assert run_cli(["run", "--params", str(other)], env).returncode == 2
    (folder,) = [p for p in other_out.iterdir() if p.is_dir()]
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["refused_input"]["input"] == "alert state and topics"
    assert manifest["inputs"]["contacts"]["sha256"] and manifest["inputs"]["report"]["sha256"]
    (told,) = manifest["ops_notices"]
    assert told["message_id"] == "" and "another deployment's" in told["outcome"]
    assert drain(sqs, inbox) == []
