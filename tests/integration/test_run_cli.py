"""`backlog-alerts run` end to end, as a user runs it, checked through the emulator's real state."""

import json
import socket
import subprocess
import sys
from urllib.parse import urlparse

import nbformat
import pytest
from faults.aws_faults import spec
from faults.trials import with_faults
from helpers import (
    CLI,
    ROOT,
    clean_env,
    demo_rows,
    drain,
    only_run_folder,
    params_file,
    run_cli,
    subscribe_queue,
)

from backlog_alerts.io.demo import demo_bytes
from backlog_alerts.io.emulator import emulator_environ
from backlog_alerts.run.plan import NOTEBOOKS
from backlog_alerts.sync.topics import ensure_topics
from backlog_alerts.trail.executed import read_facts

pytestmark = pytest.mark.integration


def all_subscriptions(sns):
    pages = sns.get_paginator("list_subscriptions").paginate()
    return [s for page in pages for s in page["Subscriptions"]]


def test_run_creates_topics_subscriptions_and_delivers_alerts_once(aws_endpoint, sns, sqs, tmp_path):
    env = emulator_environ(aws_endpoint, clean_env())
    # The test's own queues listen on the department topics, as a director's inbox would.
    topics = {t.department: t.arn for t in ensure_topics(sns, {"trash": "", "streets": ""})}
    queues = {d: subscribe_queue(sqs, sns, arn, f"inbox-{d}") for d, arn in topics.items()}

    first = run_cli(["run", "--output-dir", str(tmp_path / "out")], env)
    assert first.returncode == 0, first.stderr
    assert (
        "subscriptions: 10 added, 0 removed, 0 removals held, 0 filter updates, 0 unchanged, 0 pending, 0 rows rejected, 0 invalid emails or phones dropped"
        in first.stdout
    )

    names = sorted(t["TopicArn"].rsplit(":", 1)[1] for t in sns.list_topics()["Topics"])
    assert names == ["backlog_alerts_ops", "streets_notifications", "trash_notifications"]
    people = [s for s in all_subscriptions(sns) if s["Protocol"] in ("email", "sms")]
    expected = sorted(
        (topics[row["Department"]], protocol, row[column])
        for row in demo_rows("contacts.csv")
        for protocol, column in (("email", "Email"), ("sms", "Phone"))
    )
    assert sorted((s["TopicArn"], s["Protocol"], s["Endpoint"]) for s in people) == expected

    counts = {row["service_name"]: int(row["count"]) for row in demo_rows("final_report.csv")}
    for department, service, threshold in (("streets", "Pothole", 100), ("trash", "Illegal Dumping", 30)):
        assert counts[service] > threshold, "the demo report must make both default rules fire"
        (body,) = drain(sqs, queues[department])  # deleted: a slow second run must not see it again
        assert body["Subject"] == f"[WARNING] {service} backlog {counts[service]} > {threshold}"
        assert f"{service}: {counts[service]} open requests, threshold > {threshold}" in body["Message"]

    folder = only_run_folder(tmp_path / "out")
    for name in NOTEBOOKS:
        notebook = nbformat.read(str(folder / name), as_version=4)
        injected = [c for c in notebook.cells if "injected-parameters" in c.metadata.get("tags", [])]
        assert len(injected) == 1 and f'run_id = "{folder.name}"' in injected[0].source
    alerts = read_facts(folder / "03_alert_check.ipynb")["alerts"]
    assert [(a["rule"], a["fired"], bool(a["message_id"])) for a in alerts] == [
        ("potholes", True, True),
        ("illegal_dumping", True, True),
    ]

    second = run_cli(["run", "--output-dir", str(tmp_path / "out")], env)
    assert second.returncode == 0, second.stderr
    assert "topics: 3 (0 created)" in second.stdout
    assert "alerts: 0 message(s) published; rules: 2 suppressed" in second.stdout
    assert all("Messages" not in sqs.receive_message(QueueUrl=q) for q in queues.values())
    assert (
        "subscriptions: 0 added, 0 removed, 0 removals held, 0 filter updates, 10 unchanged, 0 pending"
        in second.stdout
    )
    assert len(sns.list_topics()["Topics"]) == 3
    assert sorted(s["SubscriptionArn"] for s in all_subscriptions(sns) if s["Protocol"] != "sqs") == sorted(
        s["SubscriptionArn"] for s in people
    )


def test_failing_notebook_stops_the_run_and_keeps_its_copy(aws_endpoint, sns, sqs, tmp_path):
    env = emulator_environ(aws_endpoint, clean_env())
    (ops,) = ensure_topics(sns, {}, ops_topic="backlog_alerts_ops")
    ops_inbox = subscribe_queue(sqs, sns, ops.arn, "ops-inbox")
    refused = {"operation": "Publish", "match": "streets_notifications", "kind": "access_denied"}
    params = params_file(tmp_path, output_dir=str(tmp_path / "out"))
    result = run_cli(["run", "--params", str(params)], with_faults(env, spec(permanent=[refused])))
    assert result.returncode == 1
    folder = only_run_folder(tmp_path / "out")
    failed_copy = folder / "03_alert_check.ipynb"
    (line,) = result.stderr.strip().splitlines()[-1:]
    assert line.startswith(
        "error: 03_alert_check.ipynb failed: PublishError: 1 alert(s) not sent, e.g. rule potholes"
    )
    assert str(failed_copy) in line
    notebook = nbformat.read(str(failed_copy), as_version=4)
    assert any(o.output_type == "error" for c in notebook.cells for o in c.get("outputs", []))
    (notice,) = [json.loads(m["Body"]) for m in sqs.receive_message(QueueUrl=ops_inbox)["Messages"]]
    assert notice["Subject"] == "[OPS] backlog-alerts run failed at 03_alert_check"
    assert folder.name in notice["Message"] and "not sent: AuthorizationError" in notice["Message"]
    assert str(failed_copy) in notice["Message"]


def test_a_failed_sync_does_not_silence_the_alert_check(aws_endpoint, sns, sqs, tmp_path):
    env = emulator_environ(aws_endpoint, clean_env())
    topics = {t.department: t.arn for t in ensure_topics(sns, {"trash": "", "streets": ""})}
    inbox = subscribe_queue(sqs, sns, topics["streets"], "inbox-streets")  # an existing subscriber
    refused = {"operation": "Subscribe", "match": "", "kind": "access_denied"}
    result = run_cli(
        ["run", "--output-dir", str(tmp_path / "out")], with_faults(env, spec(permanent=[refused]))
    )
    assert result.returncode == 1
    assert (
        "02_subscription_sync.ipynb failed: SyncApplyError: 10 subscription change(s) failed" in result.stderr
    )
    assert "alerts: 2 message(s) published" in result.stdout
    (alert,) = drain(sqs, inbox)
    assert alert["Subject"] == "[WARNING] Pothole backlog 163 > 100"
    manifest = json.loads((only_run_folder(tmp_path / "out") / "manifest.json").read_text())
    assert (manifest["status"], manifest["failed_notebook"]) == ("failed", "02_subscription_sync.ipynb")
    assert [n["status"] for n in manifest["notebooks"]] == ["succeeded", "failed", "succeeded"]


def test_a_failed_topic_setup_runs_no_sync_and_the_alert_check_says_why_it_cannot_send(
    aws_endpoint, tmp_path
):
    env = emulator_environ(aws_endpoint, clean_env())
    refused = {"operation": "CreateTopic", "match": "", "kind": "access_denied"}
    result = run_cli(
        ["run", "--output-dir", str(tmp_path / "out")], with_faults(env, spec(permanent=[refused]))
    )
    assert result.returncode == 1
    folder = only_run_folder(tmp_path / "out")
    assert not (folder / "02_subscription_sync.ipynb").exists()
    manifest = json.loads((folder / "manifest.json").read_text())
    assert [n["status"] for n in manifest["notebooks"]] == ["failed", "not run", "failed"]
    assert "03_alert_check.ipynb failed: TopicError: SNS topic(s)" in result.stderr


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"report_uri": "REPORT"}, "REPORT: row 2, count: 'lots' is not a whole number >= 0"),
        (
            {"contacts_uri": "s3://backlog-alerts-demo-contacts/gone.csv"},
            "s3://backlog-alerts-demo-contacts/gone.csv: cannot read: no such object",
        ),
    ],
)
def test_a_bad_input_stops_the_run_before_any_change_to_aws(aws_endpoint, sns, tmp_path, change, expected):
    report = tmp_path / "report.csv"
    report.write_text("service_name,count\nPothole,lots\nIllegal Dumping,40\n")
    change = {k: v.replace("REPORT", str(report)) for k, v in change.items()}
    params = params_file(tmp_path, **change)
    result = run_cli(
        ["run", "--params", str(params), "--output-dir", str(tmp_path / "out")],
        emulator_environ(aws_endpoint, clean_env()),
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [f"error: {expected.replace('REPORT', str(report))}"]
    assert sns.list_topics()["Topics"] == []  # not even the topics: the inputs are read first
    folder = only_run_folder(tmp_path / "out")  # the refused run is on the trail, and nothing more
    assert sorted(p.name for p in folder.iterdir()) == ["manifest.json", "record.json"]
    assert json.loads((folder / "manifest.json").read_text())["status"] == "refused"


def test_unknown_params_key_is_refused_before_anything_runs(tmp_path):
    params = params_file(tmp_path, treshold=5)
    result = run_cli(["run", "--params", str(params), "--output-dir", str(tmp_path / "out")], clean_env())
    assert result.returncode == 2
    assert f"{params}: unknown parameter(s) treshold" in result.stderr
    assert not (tmp_path / "out").exists()


def test_without_aws_endpoint_the_run_brings_its_own_emulator(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "backlog_alerts", "run", "--output-dir", str(tmp_path / "out")],
        env=clean_env(),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr
    assert "without encryption" not in result.stderr  # ipykernel's warning about TCP, once per notebook
    assert "KeyboardInterrupt" not in result.stderr  # a kernel interrupted to be shut down (1 run in 5)
    endpoint = next(line for line in result.stdout.splitlines() if "embedded moto server at" in line)
    url = urlparse(endpoint.rsplit(" ", 1)[1])
    assert url.hostname == "127.0.0.1"
    assert (
        "published to streets_notifications: Subject '[WARNING] Pothole backlog 163 > 100'" in result.stdout
    )
    assert (
        "published to trash_notifications: Subject '[WARNING] Illegal Dumping backlog 47 > 30'"
        in result.stdout
    )
    assert "  sms: WARNING: Pothole backlog 163 > 100. Details by email." in result.stdout
    with pytest.raises(OSError), socket.create_connection((url.hostname, url.port), timeout=2):
        pass  # the emulator is gone with the run


def test_papermill_runs_a_notebook_alone_with_overrides(aws_endpoint, sns, tmp_path):
    ensure_topics(sns, {"trash": "", "streets": ""}, ops_topic="backlog_alerts_ops")
    report = ROOT / "outputs" / f"quiet-report-{tmp_path.name}.csv"
    report.write_text("service_name,count\nPothole,100\nIllegal Dumping,3\n")
    try:
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "papermill",
                "notebooks/03_alert_check.ipynb",
                str(tmp_path / "out.ipynb"),
                "-p",
                "report_uri",
                f"outputs/{report.name}",
                "-p",
                "state_uri",
                str(tmp_path / "state.json"),
                "--no-progress-bar",
            ],
            env=emulator_environ(aws_endpoint, clean_env()),
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=600,
        )
    finally:
        report.unlink()
    assert result.returncode == 0, result.stderr
    alerts = read_facts(tmp_path / "out.ipynb")["alerts"]
    assert [(a["count"], a["fired"], a["action"], a["message_id"]) for a in alerts] == [
        (100, False, "quiet", ""),
        (3, False, "quiet", ""),
    ]


def test_emulator_command_serves_seeded_demo_until_interrupted():
    import signal

    import boto3

    process = subprocess.Popen(
        [*CLI, "emulator"],
        env=clean_env(),
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
        stdin=subprocess.DEVNULL,
    )
    try:
        exports = {}
        for line in process.stdout:
            if line.strip().startswith("export "):
                name, value = line.strip().removeprefix("export ").split("=", 1)
                exports[name] = value
            if line.startswith("Ctrl-C"):
                break
        assert urlparse(exports["AWS_ENDPOINT_URL"]).hostname == "127.0.0.1"
        s3 = boto3.client(
            "s3",
            endpoint_url=exports["AWS_ENDPOINT_URL"],
            region_name="us-east-1",
            aws_access_key_id=exports["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=exports["AWS_SECRET_ACCESS_KEY"],
        )
        body = s3.get_object(Bucket="backlog-alerts-demo-contacts", Key="contacts.csv")["Body"].read()
        assert body == demo_bytes("contacts.csv")
    finally:
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=30) == 0


def test_lab_starts_jupyter_with_the_emulator_seeded():
    result = run_cli(["lab", "--", "--version"], clean_env())
    assert result.returncode == 0, result.stderr
    assert "AWS emulator at http://127.0.0.1:" in result.stdout


def test_bad_retry_settings_are_refused_before_anything_runs(tmp_path):
    params = params_file(tmp_path, aws_retry_mode="eager")
    result = run_cli(["run", "--params", str(params), "--output-dir", str(tmp_path / "out")], clean_env())
    assert result.returncode == 2
    assert (
        f"{params}: aws_retry_mode: Input should be 'standard' or 'adaptive' (got 'eager')" in result.stderr
    )
    assert not (tmp_path / "out").exists()


def test_json_log_format_writes_one_json_object_per_line(aws_endpoint, tmp_path):
    env = emulator_environ(aws_endpoint, clean_env())
    result = run_cli(["run", "--output-dir", str(tmp_path / "out"), "--log-format", "json"], env)
    assert result.returncode == 0, result.stderr
    out = [json.loads(line) for line in result.stdout.splitlines()]
    err = [json.loads(line) for line in result.stderr.splitlines()]  # the kernels' warnings too
    assert {r["level"] for r in out} == {"info"} and {r["level"] for r in err} <= {"warning"}
    assert out[-1]["message"] == "run succeeded" and out[-1]["exit_code"] == 0
    assert out[-1]["run_id"] == only_run_folder(tmp_path / "out").name
    assert any(r["message"].startswith("alerts: 2 message(s) published") for r in out)

    bad = run_cli(["run", "--params", str(params_file(tmp_path, dry_run="no")), "--log-format", "json"], env)
    (record,) = [json.loads(line) for line in bad.stderr.splitlines()]
    assert bad.returncode == 2 and record["level"] == "error" and record["exit_code"] == 2
    assert record["message"].endswith("dry_run: Input should be a valid boolean (got 'no')")
