"""The least-privilege IAM policy in deploy/iam-policy.json allows exactly the AWS operations a full run makes.

The operations are counted with a botocore event hook in every process of real runs (target: aws,
pointed at the emulator, with an s3:// audit trail and retention), across a scenario that needs every
kind of change: topics created, subscriptions added, one removed, one filter policy updated, alerts
published, a failure notice to the ops topic, the alert state and the audit trail on S3.
"""

from __future__ import annotations

import boto3
import pytest
import yaml
from faults.aws_faults import read_log, spec
from faults.trials import run, with_faults
from helpers import ROOT, clean_env, iam_policy

from backlog_alerts.io.demo import demo_bytes, seed_demo
from backlog_alerts.io.emulator import emulator_environ

pytestmark = pytest.mark.integration

# botocore operation -> the IAM action that authorizes it, where the names differ.
S3_ACTIONS = {"ListObjectsV2": "ListBucket", "HeadObject": "GetObject", "DeleteObjects": "DeleteObject"}
CLOUDWATCH_OPERATIONS = {"GetMetricStatistics"}
S3_OPERATIONS = {"GetObject", "PutObject", "HeadObject", "ListObjectsV2", "DeleteObject", "DeleteObjects"}
CONTACTS = """Name,Email,Phone,Department,Alerts
Dana Whitfield,dana.whitfield@example.gov,+16195550101,trash,all
Priya Raman,priya.raman@example.gov,+16195550103,streets,critical
"""


def allowed_actions(policy: dict) -> set[str]:
    actions = set()
    for statement in policy["Statement"]:
        assert statement["Effect"] == "Allow" and "*" not in "".join(statement["Action"])
        actions.update(statement["Action"])
    return actions


def test_a_full_run_calls_exactly_the_operations_the_policy_allows(aws_endpoint, tmp_path):
    env = emulator_environ(aws_endpoint, clean_env())
    s3, sns = boto3.client("s3", region_name="us-east-1"), boto3.client("sns", region_name="us-east-1")
    seed_demo(s3)
    s3.put_object(Bucket="backlog-alerts-demo-contacts", Key="contacts.csv", Body=CONTACTS.encode())
    s3.create_bucket(Bucket="audit-trail")
    # Before the run: Priya subscribed without a filter (to be updated), and a director who has left.
    arn = sns.create_topic(Name="streets_notifications")["TopicArn"]
    for protocol, endpoint in (
        ("sms", "+16195550103"),
        ("email", "priya.raman@example.gov"),
        ("sms", "+16195550199"),
    ):
        sns.subscribe(TopicArn=arn, Protocol=protocol, Endpoint=endpoint)
    params = yaml.safe_load((ROOT / "params" / "local.yaml").read_text())
    params.update(target="aws", output_dir="s3://audit-trail/backlog-alerts", keep_runs=1)
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(params))
    log = tmp_path / "calls.jsonl"
    counted = with_faults(env, spec(log=str(log)))  # no faults: the hook only records each call
    refused = {"operation": "Publish", "match": "trash_notifications", "kind": "access_denied"}

    assert run(counted, "--params", str(tmp_path / "params.yaml")).returncode == 0
    failing = with_faults(env, spec(log=str(log), permanent=[refused]))
    march = tmp_path / "2019" / "03" / "final_report.csv"  # February's counts again, as March's report
    march.parent.mkdir(parents=True)
    march.write_bytes(demo_bytes("final_report.csv"))
    params["report_uri"] = str(march)  # a new period: alerts again, one refused -> ops notice
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(params))
    assert run(failing, "--params", str(tmp_path / "params.yaml")).returncode == 1

    called = set()
    for call in read_log(str(log)):
        service = (
            "s3"
            if call["operation"] in S3_OPERATIONS
            else "cloudwatch"
            if call["operation"] in CLOUDWATCH_OPERATIONS
            else "sns"
        )
        called.add(f"{service}:{S3_ACTIONS.get(call['operation'], call['operation'])}")
    # Asking about one number at a time replaces the opt-out list when the topics published to hold a
    # single SMS number (tests/integration/test_recipients.py counts both); these topics hold several.
    # The sandbox's verified numbers are listed only in the SMS sandbox, which moto does not implement.
    unused = {"sns:CheckIfPhoneNumberIsOptedOut", "sns:ListSMSSandboxPhoneNumbers"}
    assert called == allowed_actions(iam_policy()) - unused
