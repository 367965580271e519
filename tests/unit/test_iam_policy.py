"""`backlog-alerts iam-policy` names each resource of the deployment exactly, and deploy/iam-policy.json is
what it prints for params/production.example.yaml.

tests/integration/test_iam_operations.py checks that the policy allows every call a run makes and
grants nothing the calls do not use.
"""

from __future__ import annotations

import json
import re

import pytest
import yaml
from helpers import ROOT, iam_policy
from hypothesis import given
from hypothesis import strategies as st

from backlog_alerts.run.cli import main
from backlog_alerts.run.iam_policy import UNSCOPED, literal, policy_for, policy_warnings, report_prefix
from backlog_alerts.run.model import Params

ACCOUNT = "123456789012"  # the account deploy/iam-policy.json names
UNSCOPED_ACTIONS = {action for _, actions in UNSCOPED for action in actions}


def resources(statement: dict) -> list[str]:
    found = statement["Resource"]
    return [found] if isinstance(found, str) else found


def by_sid(policy: dict) -> dict[str, dict]:
    return {s["Sid"]: s for s in policy["Statement"]}


def test_the_deployed_policy_is_what_the_command_prints_for_the_production_example(capsys):
    params = str(ROOT / "params" / "production.example.yaml")
    assert main(["iam-policy", "--params", params, "--account-id", ACCOUNT]) == 0
    assert capsys.readouterr().out == (ROOT / "deploy" / "iam-policy.json").read_text()


def test_only_actions_iam_cannot_scope_are_granted_on_every_resource():
    for statement in iam_policy()["Statement"]:
        assert re.fullmatch(r"[A-Za-z0-9]+", statement["Sid"])  # IAM's rule for a Sid
        if resources(statement) == ["*"]:
            assert set(statement["Action"]) <= UNSCOPED_ACTIONS, statement["Sid"]
        else:
            assert not set(statement["Action"]) & UNSCOPED_ACTIONS, statement["Sid"]
            assert all(
                r.startswith(("arn:aws:s3:::", f"arn:aws:sns:us-west-2:{ACCOUNT}:"))
                for r in resources(statement)
            )


departments = st.dictionaries(
    st.from_regex(r"[a-z][a-z0-9]{0,11}", fullmatch=True).filter(lambda d: d != "ops"),
    st.just("Dept"),
    min_size=1,
    max_size=4,
)


@given(departments=departments, namespace=st.sampled_from(["", "sd", "city-2"]))
def test_topics_and_their_subscriptions_are_named_exactly(departments, namespace):
    rule = {
        "name": "r",
        "service_name": "Pothole",
        "department": min(departments),
        "threshold": 1,
        "severity": "warning",
    }
    params = Params.model_validate(
        {"departments": departments, "namespace": namespace, "rules": [rule], "region": "eu-west-1"}
    )
    statements = by_sid(policy_for(params, ACCOUNT, "outputs"))
    prefix = f"{namespace}_" if namespace else ""
    topics = sorted(f"arn:aws:sns:eu-west-1:{ACCOUNT}:{prefix}{d}_notifications" for d in departments)
    assert statements["DepartmentTopics"]["Resource"] == topics
    assert statements["SubscriptionsOfTheDepartmentTopics"]["Resource"] == [f"{t}:*" for t in topics]
    assert statements["OpsTopic"]["Resource"] == f"arn:aws:sns:eu-west-1:{ACCOUNT}:{prefix}backlog_alerts_ops"
    sns = [r for s in statements.values() for r in resources(s) if r.startswith("arn:aws:sns")]
    assert set(sns) == {*topics, *(f"{t}:*" for t in topics), statements["OpsTopic"]["Resource"]}


@pytest.mark.parametrize(
    ("key", "prefix"),
    [
        ("2019/feb/final_report.csv", ""),  # the period is the top folder: the whole bucket
        ("monthly/report-2019-02.csv", "monthly/report-"),
        ("city/311/2019_03/final.csv", "city/311/"),
        ("latest/final_report.csv", "latest/final_report.csv"),  # no period: the same key every month
    ],
)
def test_the_reports_prefix_is_the_key_above_the_period(key, prefix):
    assert report_prefix(key) == prefix


def test_a_report_key_naming_no_period_is_granted_alone_and_one_naming_a_period_by_prefix():
    for uri, granted in (
        ("s3://r/latest/final_report.csv", "arn:aws:s3:::r/latest/final_report.csv"),
        ("s3://r/monthly/2019-02.csv", "arn:aws:s3:::r/monthly/*"),
    ):
        params = Params.model_validate({"report_uri": uri})
        assert by_sid(policy_for(params, ACCOUNT, "outputs"))["ReadEachMonthsReport"]["Resource"] == granted


def test_a_state_of_its_own_is_granted_with_its_lock_and_one_under_the_trail_through_the_trail():
    apart = Params.model_validate({"state_uri": "s3://state/city/alert_state.json"})
    statements = by_sid(policy_for(apart, ACCOUNT, "s3://trail/runs"))
    assert statements["AlertState"]["Resource"] == "arn:aws:s3:::state/city/alert_state.json"
    assert statements["AlertState"]["Action"] == ["s3:GetObject", "s3:PutObject"]
    assert statements["AlertStateLock"]["Resource"] == "arn:aws:s3:::state/city/alert_state.json.lock"
    assert statements["TrailRunFoldersLockAndRetention"]["Resource"] == "arn:aws:s3:::trail/runs/*"
    listed = statements["ListBucketSoAMissingObjectIsNotFoundNotForbidden"]["Resource"]
    assert listed == ["arn:aws:s3:::backlog-alerts-demo-reports", "arn:aws:s3:::state", "arn:aws:s3:::trail"]

    beside = Params.model_validate({"state_uri": "s3://trail/runs/alert_state.json"})
    statements = by_sid(policy_for(beside, ACCOUNT, "s3://trail/runs"))
    assert "AlertState" not in statements and "AlertStateLock" not in statements


def test_nothing_local_is_granted_on_s3():
    params = Params.model_validate(
        {"contacts_uri": "contacts.csv", "report_uri": "2019/mar/report.csv", "state_uri": "state/a.json"}
    )
    assert not [
        r for s in policy_for(params, ACCOUNT, "outputs")["Statement"] for r in resources(s) if ":s3:" in r
    ]


def test_a_key_is_named_literally_and_a_region_in_its_own_partition():
    assert literal("odd*name?$.csv") == "odd${*}name${?}${$}.csv"
    params = Params.model_validate({"region": "cn-north-1"})
    topics = by_sid(policy_for(params, ACCOUNT, "outputs"))["DepartmentTopics"]["Resource"]
    assert all(t.startswith(f"arn:aws-cn:sns:cn-north-1:{ACCOUNT}:") for t in topics)


def test_an_account_id_that_is_not_twelve_digits_is_refused(capsys):
    params = str(ROOT / "params" / "production.example.yaml")
    assert main(["iam-policy", "--params", params, "--account-id", "12345"]) == 2
    assert "not an AWS account id" in capsys.readouterr().err


KEY_ID = "1234abcd-12ab-34cd-56ef-1234567890ab"
KEY_ARN = f"arn:aws:kms:us-west-2:{ACCOUNT}:key/{KEY_ID}"


@pytest.mark.parametrize(
    ("key", "resource", "alias"),
    [
        (KEY_ARN, KEY_ARN, None),  # a key ARN: as given
        (
            f"arn:aws:kms:eu-west-1:111122223333:key/{KEY_ID}",
            f"arn:aws:kms:eu-west-1:111122223333:key/{KEY_ID}",
            None,
        ),
        (KEY_ID, KEY_ARN, None),  # a key id: that key in the params' region and this account
        ("alias/city-alerts", f"arn:aws:kms:us-west-2:{ACCOUNT}:key/*", "alias/city-alerts"),
        (
            "arn:aws:kms:eu-west-1:111122223333:alias/city-alerts",
            "arn:aws:kms:eu-west-1:111122223333:key/*",
            "alias/city-alerts",
        ),
    ],
)
def test_publishing_to_encrypted_topics_is_granted_on_their_key(key, resource, alias):
    params = Params.model_validate({"kms_master_key_id": key, "region": "us-west-2"})
    statements = [
        s for s in policy_for(params, ACCOUNT, "outputs")["Statement"] if s["Sid"].startswith("Publish")
    ]
    (statement,) = statements
    assert statement["Action"] == ["kms:Decrypt", "kms:GenerateDataKey*"]
    assert statement["Resource"] == resource
    if alias:  # an alias is no resource for these actions: the keys that carry it, by a condition
        assert statement["Condition"] == {"ForAnyValue:StringEquals": {"kms:ResourceAliases": alias}}
    else:
        assert "Condition" not in statement


def test_no_kms_key_grants_nothing_on_kms_and_only_an_alias_statement_has_a_condition():
    plain = policy_for(Params.model_validate({}), ACCOUNT, "outputs")["Statement"]
    assert not [s for s in plain if any(a.startswith("kms:") for a in s["Action"])]
    aliased = Params.model_validate({"kms_master_key_id": "alias/city-alerts"})
    conditioned = [s["Sid"] for s in policy_for(aliased, ACCOUNT, "outputs")["Statement"] if "Condition" in s]
    assert conditioned == ["PublishToTopicsEncryptedWithTheKeyOfThisAlias"]


def test_output_dir_moves_the_trail_as_run_output_dir_does_and_leaves_the_state_where_it_was(capsys):
    params = str(ROOT / "params" / "production.example.yaml")
    command = [
        "iam-policy",
        "--params",
        params,
        "--account-id",
        ACCOUNT,
        "--output-dir",
        "s3://elsewhere/runs/",
    ]
    assert main(command) == 0
    statements = by_sid(json.loads(capsys.readouterr().out))
    assert statements["TrailRunFoldersLockAndRetention"]["Resource"] == "arn:aws:s3:::elsewhere/runs/*"
    # the state stays beside the params' own output_dir, as a run with that --output-dir keeps it
    assert statements["AlertState"]["Resource"] == "arn:aws:s3:::gid-audit/backlog-alerts/alert_state.json"
    assert (
        "arn:aws:s3:::elsewhere" in statements["ListBucketSoAMissingObjectIsNotFoundNotForbidden"]["Resource"]
    )
    assert main([*command[:-1], "outputs"]) == 0  # a local folder: no trail on S3 to grant
    assert "TrailRunFoldersLockAndRetention" not in by_sid(json.loads(capsys.readouterr().out))


def test_the_production_example_prints_its_policy_without_a_warning(capsys):
    params = str(ROOT / "params" / "production.example.yaml")
    assert main(["iam-policy", "--params", params, "--account-id", ACCOUNT]) == 0
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize(
    ("changes", "warning"),
    [
        ({"target": "local"}, "target: local"),
        ({"contacts_uri": "s3://gid-audit/backlog-alerts/contacts.csv"}, "contacts_uri s3://gid-audit/"),
        ({"report_uri": "s3://gid-audit/backlog-alerts/2019/feb/r.csv"}, "report_uri s3://gid-audit/"),
        ({"report_uri": "s3://gid-reports/latest/final_report.csv"}, "names no period"),
    ],
)
def test_a_doubtful_deployment_is_warned_of_on_stderr_and_the_policy_stays_clean_json(
    tmp_path, capsys, changes, warning
):
    params = yaml.safe_load((ROOT / "params" / "production.example.yaml").read_text())
    params_file = tmp_path / "params.yaml"
    params_file.write_text(yaml.safe_dump({**params, **changes}))
    assert main(["iam-policy", "--params", str(params_file), "--account-id", ACCOUNT]) == 0
    out, err = capsys.readouterr()
    assert json.loads(out)["Statement"]
    (line,) = err.splitlines()
    assert line.startswith("warning: ") and warning in line


def test_an_input_beside_the_trail_but_not_under_it_is_no_warning():
    params = Params.model_validate(
        {
            "target": "aws",
            "contacts_uri": "s3://trail/runs-old/contacts.csv",
            "report_uri": "s3://trail/2019/feb/r.csv",
        }
    )
    assert policy_warnings(params, "s3://trail/runs") == []
    assert len(policy_warnings(params, "s3://trail")) == 2  # the whole bucket is the trail's
