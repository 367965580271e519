"""A dry run changes nothing: `backlog-alerts run` with `dry_run: true` leaves the emulator's whole state
as it found it, whatever that state is, and still shows what a run would change.

The state compared is everything moto holds (its `/moto-api/data.json` dump of every backend: topics,
subscriptions, SMS settings, messages published, queues, buckets and objects), plus what that dump
leaves out, read through the API: every topic's attributes and tags, every subscription's attributes,
every S3 object's SHA-256. The alert state lives in the emulator (the demo's `state_uri`), so it is
compared too. The run folder a dry run writes under `--output-dir` (a temporary folder here) is its
own trail, not compared.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import urllib.request
from pathlib import Path

import boto3
import pytest
import yaml
from helpers import ROOT, clean_env, only_run_folder, run_cli
from helpers import counts_report as report

from backlog_alerts.io import emulator
from backlog_alerts.io.demo import DEMO_STATE_URI, demo_bytes, seed_demo
from backlog_alerts.sync.topics import ensure_topics
from backlog_alerts.trail.executed import read_facts

pytestmark = pytest.mark.integration
DERIVED = "AWS/S3"  # moto's CloudWatch computes these metrics from the buckets when it is first asked


def whole_state(endpoint: str) -> dict:
    """Everything the emulator holds, as described above. A backend that holds nothing is left out (moto
    lists one only once it has been called), and so are the metrics moto derives from S3."""
    with urllib.request.urlopen(f"{endpoint}/moto-api/data.json", timeout=30) as response:
        dump = json.load(response)
    if "cloudwatch" in dump:
        metrics = dump["cloudwatch"].get("MetricDatum", [])
        dump["cloudwatch"]["MetricDatum"] = [m for m in metrics if m.get("namespace") != DERIVED]
    state: dict = {name: tables for name, tables in dump.items() if any(tables.values())}
    sns, s3 = boto3.client("sns"), boto3.client("s3")
    for page in sns.get_paginator("list_topics").paginate():
        for topic in page["Topics"]:
            arn = topic["TopicArn"]
            state[f"topic {arn}"] = {
                "attributes": sns.get_topic_attributes(TopicArn=arn)["Attributes"],
                "tags": sns.list_tags_for_resource(ResourceArn=arn)["Tags"],
            }
    for page in sns.get_paginator("list_subscriptions").paginate():
        for sub in page["Subscriptions"]:
            arn = sub["SubscriptionArn"]
            attributes = (
                {}
                if arn == "PendingConfirmation"
                else sns.get_subscription_attributes(SubscriptionArn=arn)["Attributes"]
            )
            state[f"subscription {arn} {sub['Endpoint']}"] = attributes
    for bucket in s3.list_buckets()["Buckets"]:
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket["Name"]):
            for obj in page.get("Contents", []):
                body = s3.get_object(Bucket=bucket["Name"], Key=obj["Key"])["Body"].read()
                state[f"s3://{bucket['Name']}/{obj['Key']}"] = hashlib.sha256(body).hexdigest()
    return state


def differences(before, after, path: str = "") -> list[str]:
    """Where two states differ, one line each, so that a failure says what the dry run changed."""
    if isinstance(before, dict) and isinstance(after, dict):
        return [
            line
            for key in sorted(set(before) | set(after), key=str)
            for line in differences(before.get(key), after.get(key), f"{path}/{key}")
        ]
    if isinstance(before, list) and isinstance(after, list) and len(before) == len(after):
        return [
            line
            for i, pair in enumerate(zip(before, after, strict=True))
            for line in differences(*pair, f"{path}[{i}]")
        ]
    return [] if before == after else [f"{path}: {str(before)[:200]} -> {str(after)[:200]}"]


def params(tmp_path: Path, name: str, **changes) -> Path:
    """params/local.yaml with changes, its run folders under tmp_path/out."""
    settings = yaml.safe_load((ROOT / "params" / "local.yaml").read_text())
    settings.update(output_dir=str(tmp_path / "out" / name), **changes)
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(settings))
    return path


def run(aws_endpoint: str, params_path: Path) -> subprocess.CompletedProcess:
    result = run_cli(
        ["run", "--params", str(params_path)], emulator.emulator_environ(aws_endpoint, clean_env())
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def dry_run_changes_nothing(aws_endpoint: str, tmp_path: Path, **changes) -> tuple[str, dict[str, dict]]:
    """A dry run with these params, the emulator's whole state compared before and after: its summary,
    and the facts each notebook recorded."""
    path = params(tmp_path, "dry", dry_run=True, **changes)
    before = whole_state(aws_endpoint)
    result = run(aws_endpoint, path)
    changed = differences(before, whole_state(aws_endpoint))
    assert not changed, "the dry run changed the emulator:\n" + "\n".join(changed)
    folder = only_run_folder(tmp_path / "out" / "dry")
    facts = {nb.stem: read_facts(nb) for nb in sorted(folder.glob("0*.ipynb"))}
    return result.stdout, facts


def test_on_a_fresh_account_nothing_is_created_and_the_plan_is_shown(aws_endpoint, s3, tmp_path):
    seed_demo(s3)  # the inputs only: no topic, no subscription, no alert state yet
    summary, facts = dry_run_changes_nothing(aws_endpoint, tmp_path)
    plan = facts["01_topic_setup"]["topic_plan"]
    created = {row["topic"] for row in plan if row["change"] == "create topic"}
    assert created == {"trash_notifications", "streets_notifications", "backlog_alerts_ops"}
    assert all(not topic["arn"] and not topic["created"] for topic in facts["01_topic_setup"]["topics"])
    for notebook in ("02_subscription_sync", "03_alert_check"):  # planned against, not failed
        assert "streets_notifications" in json.dumps(facts[notebook]["planned_topics"])
    assert "topics: 3 (dry run: 3 would be created, 0 would change; nothing was changed)" in summary
    assert "subscriptions: 10 added" in summary and "(dry run: planned, not applied)" in summary
    assert "alerts: 0 message(s) published (dry run); rules: 2 would publish" in summary


def test_an_existing_deployment_asking_for_other_names_tags_key_and_a_department_is_only_shown_them(
    aws_endpoint, tmp_path
):
    run(aws_endpoint, params(tmp_path, "first"))
    summary, facts = dry_run_changes_nothing(
        aws_endpoint,
        tmp_path,
        departments={"trash": "Trash and Recycling", "streets": "Streets", "parks": "Parks"},
        topic_tags={"app": "backlog-alerts", "cost-center": "311"},
        kms_master_key_id="alias/aws/sns",
        rules=[
            {
                "name": "potholes",
                "service_name": "Pothole",
                "department": "parks",
                "threshold": 10,
                "severity": "warning",
            },
        ],
    )
    rows = {(r["topic"], r["change"]): (r["now"], r["wanted"]) for r in facts["01_topic_setup"]["topic_plan"]}
    assert rows[("trash_notifications", "set DisplayName")] == ("Trash", "Trash and Recycling")
    assert rows[("streets_notifications", "set KmsMasterKeyId")] == ("", "alias/aws/sns")
    assert rows[("streets_notifications", "tag cost-center")] == ("", "311")
    assert ("parks_notifications", "create topic") in rows
    assert ("streets_notifications", "set DisplayName") not in rows, "only what differs is planned"
    assert "topics: 4 (dry run: 1 would be created, 3 would change; nothing was changed)" in summary
    assert "-> parks, would publish (dry run)" in summary


def test_changed_contacts_and_a_report_that_would_alert_change_nothing(aws_endpoint, tmp_path):
    run(aws_endpoint, params(tmp_path, "first"))
    contacts = tmp_path / "contacts.csv"  # one director gone, one new
    *kept, _ = demo_bytes("contacts.csv").decode().strip().splitlines()
    contacts.write_text("\n".join([*kept, "Ana Ortiz,ana.ortiz@example.gov,+16195550123,streets"]) + "\n")
    summary, facts = dry_run_changes_nothing(
        aws_endpoint, tmp_path, contacts_uri=str(contacts), report_uri=report(tmp_path, "2019-03", 250, 60)
    )
    planned = {c["action"] for c in facts["02_subscription_sync"]["planned_changes"]}
    assert {"add", "remove"} <= planned
    assert "rules: 2 would publish" in summary and "2019-03" in summary


def test_a_missing_report_tells_nobody(aws_endpoint, tmp_path):
    run(aws_endpoint, params(tmp_path, "first"))
    summary, facts = dry_run_changes_nothing(
        aws_endpoint, tmp_path, report_uri="s3://backlog-alerts-demo-reports/2019/jun/final_report.csv"
    )
    assert facts["03_alert_check"]["report_notice"]["action"] == "dry run"


def test_a_version_1_state_is_converted_in_memory_only(aws_endpoint, sns, s3, tmp_path):
    seed_demo(s3)
    ensure_topics(sns, {"trash": "Trash", "streets": "Streets"}, ops_topic="backlog_alerts_ops")
    old = {
        "version": 1,
        "rules": {
            "potholes": {"status": "firing", "count": 163, "report_key": "2019-01", "message_id": "m-old"}
        },
        "latest_period": "2019-01",
    }
    bucket, key = DEMO_STATE_URI.removeprefix("s3://").split("/", 1)
    s3.put_object(Bucket=bucket, Key=key, Body=json.dumps(old).encode())
    summary, facts = dry_run_changes_nothing(aws_endpoint, tmp_path)
    assert facts["03_alert_check"]["ledger"]["not_converted"] == []
    assert "rules: 2 would publish" in summary


def test_the_aws_cli_sees_the_same_account_before_and_after(aws_endpoint, s3, tmp_path):
    """As a user would check it: `aws sns` and `aws s3` listings, before and after a first dry run."""
    seed_demo(s3)
    env = emulator.emulator_environ(aws_endpoint, clean_env())

    def aws(*args: str) -> str:
        return subprocess.run(["aws", *args], env=env, capture_output=True, text=True, check=True).stdout

    buckets = ("backlog-alerts-demo-contacts", "backlog-alerts-demo-reports", "backlog-alerts-demo-state")
    commands = [("sns", "list-topics"), ("sns", "list-subscriptions"), ("s3api", "list-buckets")]
    commands += [("s3", "ls", "--recursive", f"s3://{bucket}/") for bucket in buckets]
    try:
        before = [aws(*command) for command in commands]
    except FileNotFoundError:
        pytest.skip("the AWS CLI is not installed")
    run(aws_endpoint, params(tmp_path, "dry", dry_run=True))
    assert [aws(*command) for command in commands] == before
