"""The policy `backlog-alerts iam-policy` prints for a deployment allows every AWS call its runs make,
each on the resource it acts on, and grants no action on a resource that no call used.

The calls are recorded by a botocore hook in every process of real runs (target: aws, pointed at the
emulator; tests/faults/aws_faults.py records each call's IAM action, resource ARN and condition keys),
across runs that make every kind of change: topics created by the first run, tagged and given attributes, subscriptions
added to and removed from both department topics, a filter policy updated on each, alerts published
on both, one refused by SNS and told to the ops topic, the alert state and its lock written in their own
bucket, the audit trail and its lock on S3, and an old run folder deleted by retention. The inputs'
pinned copies are files in the run's private local folder, never on S3: they need no permission.

The IAM evaluator is moto's (`moto.iam.access_control.IAMPolicy`): Allow statements whose Action and
Resource match with `*` wildcards. Its limits (no `?`, no conditions evaluated as AWS does) cannot
matter here: the policy is checked to hold only Allow statements of Action and Resource. (Only a KMS key
named by its alias brings a Condition, and the emulator's SNS never asks KMS: the KMS statement is
tested in tests/unit/test_iam_policy.py; these params name no key.)
"""

from __future__ import annotations

import json

import boto3
import pytest
import yaml
from faults.aws_faults import read_log, spec
from faults.trials import run, with_faults
from helpers import ROOT, clean_env
from moto.iam.access_control import IAMPolicy, PermissionResult

from backlog_alerts.io import emulator
from backlog_alerts.io.demo import demo_bytes, seed_demo
from backlog_alerts.run.cli import main

pytestmark = pytest.mark.integration

REPORTS, STATE = "backlog-alerts-demo-reports", "backlog-alerts-demo-state"  # params/local.yaml's buckets
# Dana is the only one with a phone, so the first runs ask SNS about her number alone
# (CheckIfPhoneNumberIsOptedOut); the last, once Marcus has given his, reads the opt-out list.
CONTACTS = """Name,Email,Phone,Department,Alerts
Dana Whitfield,dana.whitfield@example.gov,+16195550101,trash,all
Ana Soto,ana.soto@example.gov,,trash,critical
Priya Raman,priya.raman@example.gov,,streets,critical
Marcus Lee,marcus.lee@example.gov,,streets,all
Lena Ortiz,lena.ortiz@example.gov,,streets,all
"""
# The first run makes the topics with every director on "all", and the numbers of two people who
# have left. The next run reads CONTACTS: a filter is set for Ana and Priya, the numbers of those who
# left are removed (one in three: under the guard), Dana's phone and Marcus are subscribed.
BEFORE = """Name,Email,Phone,Department,Alerts
Dana Whitfield,dana.whitfield@example.gov,,trash,all
Ana Soto,ana.soto@example.gov,,trash,all
Ray Left,,+16195550198,trash,all
Priya Raman,priya.raman@example.gov,,streets,all
Lena Ortiz,lena.ortiz@example.gov,,streets,all
Sam Left,,+16195550199,streets,all
"""
# Granted, yet no call of these runs can use it, and why.
UNUSED_BY_DESIGN = {
    ("sns:ListSMSSandboxPhoneNumbers", "*"): "asked only of an account in the SMS sandbox, which moto lacks",
    (
        "s3:ListBucket",
        f"arn:aws:s3:::{REPORTS}",
    ): "a report not there yet reads as missing (404), not forbidden",
    (
        "s3:ListBucket",
        f"arn:aws:s3:::{STATE}",
    ): "an alert state (or lock) not there yet reads as absent (404)",
}


def allows(policy: dict, action: str, resource: str) -> bool:
    return IAMPolicy(json.dumps(policy)).is_action_permitted(action, resource) == PermissionResult.PERMITTED


def grants(policy: dict) -> list[tuple[str, str]]:
    """Every (action, resource pattern) the policy allows, refusing anything the evaluator might misread."""
    pairs = []
    for statement in policy["Statement"]:
        assert set(statement) == {"Sid", "Effect", "Action", "Resource"} and statement["Effect"] == "Allow"
        resources = statement["Resource"]
        for resource in [resources] if isinstance(resources, str) else resources:
            assert "?" not in resource and "${" not in resource, resource
            pairs += [(action, resource) for action in statement["Action"]]
    return pairs


def only(action: str, resource: str) -> dict:
    """A policy granting one action on one resource pattern."""
    return {"Statement": [{"Effect": "Allow", "Action": action, "Resource": resource}]}


def generated_policy(endpoint: str, params_file: str, capsys: pytest.CaptureFixture[str]) -> dict:
    """`backlog-alerts iam-policy` without --account-id: the account comes from STS (the emulator's)."""
    with emulator.patched_environ(emulator.emulator_environ(endpoint, clean_env())):
        assert main(["iam-policy", "--params", params_file]) == 0
    return json.loads(capsys.readouterr().out)


def test_the_generated_policy_allows_every_call_of_the_runs_and_nothing_they_do_not_use(
    aws_endpoint, tmp_path, capsys
):
    env = emulator.emulator_environ(aws_endpoint, clean_env())
    s3 = boto3.client("s3", region_name="us-east-1")
    seed_demo(s3)
    s3.put_object(Bucket=REPORTS, Key="2019/mar/final_report.csv", Body=demo_bytes("final_report.csv"))
    s3.create_bucket(Bucket="audit-trail")
    s3.put_object(Bucket="backlog-alerts-demo-contacts", Key="contacts.csv", Body=BEFORE.encode())
    params = yaml.safe_load((ROOT / "params" / "local.yaml").read_text())
    params.update(target="aws", output_dir="s3://audit-trail/backlog-alerts", keep_runs=1)
    assert params["state_uri"] == f"s3://{STATE}/alert_state.json"  # a bucket of its own
    params_file = tmp_path / "params.yaml"
    params_file.write_text(yaml.safe_dump(params))
    policy = generated_policy(aws_endpoint, str(params_file), capsys)

    log = tmp_path / "calls.jsonl"
    assert run(with_faults(env, spec(log=str(log))), "--params", str(params_file)).returncode == 0
    s3.put_object(Bucket="backlog-alerts-demo-contacts", Key="contacts.csv", Body=CONTACTS.encode())
    assert run(with_faults(env, spec(log=str(log))), "--params", str(params_file)).returncode == 0
    params["report_uri"] = f"s3://{REPORTS}/2019/mar/final_report.csv"  # a new month: alerts again
    params_file.write_text(yaml.safe_dump(params))
    refused = {"operation": "Publish", "match": "trash_notifications", "kind": "access_denied"}
    failing = with_faults(env, spec(log=str(log), permanent=[refused]))  # -> a notice to the ops topic
    assert run(failing, "--params", str(params_file)).returncode == 1
    # Succeeds (the refused alert goes out) and keeps only its own folder and the failed one.
    with_phone = CONTACTS.replace("marcus.lee@example.gov,,", "marcus.lee@example.gov,+16195550104,")
    s3.put_object(Bucket="backlog-alerts-demo-contacts", Key="contacts.csv", Body=with_phone.encode())
    assert run(with_faults(env, spec(log=str(log))), "--params", str(params_file)).returncode == 0

    calls = [(r["action"], r["resource"]) for c in read_log(str(log)) for r in c["iam"]]
    denied = sorted({call for call in calls if not allows(policy, *call)})
    assert not denied, f"the policy refuses calls the runs make: {denied}"
    unused = [
        grant
        for grant in grants(policy)
        if grant not in UNUSED_BY_DESIGN and not any(allows(only(*grant), *call) for call in calls)
    ]
    assert not unused, f"the policy grants what no call of the runs used: {unused}"
    first_folder = min(r for a, r in calls if a == "s3:PutObject" and r.endswith("/manifest.json"))
    assert ("s3:DeleteObject", first_folder) in calls  # retention removed the first run's folder
