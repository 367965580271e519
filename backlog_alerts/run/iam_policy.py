"""`backlog-alerts iam-policy`: the least-privilege IAM policy of one deployment, from its params file.

Invariant: the policy names each resource the job acts on exactly (its topics by ARN, their
subscriptions as `<topic ARN>:*`, its S3 objects and prefixes, the topics' KMS key by ARN), and keeps
"*" only for actions IAM cannot scope, each in a statement whose Sid says why. A KMS key named by its
alias is the one exception: its statement grants on the keys of the region and account that carry the
alias (a Condition on `kms:ResourceAliases`), the only statement with a Condition.
tests/integration/test_iam_operations.py runs the job with every kind of change and checks that this
policy allows each AWS call it made and grants no action on a resource that no call used (the few
that cannot be exercised are named there, with why).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from backlog_alerts.alerting.period import mentions
from backlog_alerts.errors import EXIT_OK, BacklogAlertsError, SourceError
from backlog_alerts.io import aws, locations
from backlog_alerts.run.model import Params
from backlog_alerts.run.plan import plan_run
from backlog_alerts.sync.topics import topic_name
from backlog_alerts.trail.lock import state_lock_uri

ACCOUNT = re.compile(r"\d{12}")
# Actions whose IAM resource is the account, not a topic: each statement's Sid says which call needs it.
UNSCOPED = (
    ("ListTopicsTakesNoResourceFindsTopicsByName", ["sns:ListTopics"]),
    (
        "SmsOptOutsSandboxAndSpendLimitAreAccountWide",
        [
            "sns:CheckIfPhoneNumberIsOptedOut",
            "sns:GetSMSAttributes",
            "sns:GetSMSSandboxAccountStatus",
            "sns:ListPhoneNumbersOptedOut",
            "sns:ListSMSSandboxPhoneNumbers",
        ],
    ),
    ("SmsMonthToDateSpendMetricTakesNoResource", ["cloudwatch:GetMetricStatistics"]),
)
TOPIC_ACTIONS = [
    "sns:CreateTopic",
    "sns:GetTopicAttributes",
    "sns:ListTagsForResource",
    "sns:Publish",
    "sns:SetTopicAttributes",
    "sns:TagResource",
]
DEPARTMENT_TOPIC_ACTIONS = sorted([*TOPIC_ACTIONS, "sns:ListSubscriptionsByTopic", "sns:Subscribe"])
SUBSCRIPTION_ACTIONS = ["sns:GetSubscriptionAttributes", "sns:SetSubscriptionAttributes", "sns:Unsubscribe"]
# What SNS asks KMS for, as the publisher, when it stores a message in a topic encrypted with a key.
KMS_PUBLISH_ACTIONS = ["kms:Decrypt", "kms:GenerateDataKey*"]
KMS_ALIAS = re.compile(
    r"(?:arn:(?P<partition>[^:]+):kms:(?P<region>[^:]+):(?P<account>\d{12}):)?(?P<alias>alias/.+)"
)


class AccountError(BacklogAlertsError):
    """No account id to name in the ARNs: none given, and the credentials cannot say whose they are."""


def partition(region: str) -> str:
    """The ARN partition of a region: aws, aws-cn (China) or aws-us-gov (GovCloud)."""
    return "aws-cn" if region.startswith("cn-") else "aws-us-gov" if region.startswith("us-gov-") else "aws"


def literal(text: str) -> str:
    """A key as IAM reads it literally: `*`, `?` and `$` in it are policy variables, not wildcards."""
    return re.sub(r"[*?$]", lambda m: "${" + m[0] + "}", text)


def s3_arn(region: str, bucket: str, key: str | None = None, *, prefix: bool = False) -> str:
    """A bucket's ARN, an object's (`key`), or every object under a key prefix (`prefix`)."""
    base = f"arn:{partition(region)}:s3:::{bucket}"
    return base if key is None else f"{base}/{literal(key)}{'*' if prefix else ''}"


def on_s3(location: str) -> locations.Place | None:
    """The bucket and key of an S3 location; None for a local path or an http(s):// input (neither
    needs an IAM permission)."""
    try:
        where = locations.place(location)
    except SourceError:
        return None
    return where if where.on_s3 else None


def report_prefix(key: str) -> str:
    """The report's key up to the first period it names (`2019/feb/final_report.csv` -> "", so the
    whole bucket; `monthly/report-2019-02.csv` -> `monthly/report-`): where next month's report will
    be. A key naming no period is the report every month: the key itself."""
    found = mentions(f"s3://bucket/{key}")
    return key if not found else key[: key.index(found[0].text)]


def _statement(sid: str, actions: list[str], resources: list[str] | str) -> dict[str, Any]:
    return {"Sid": sid, "Effect": "Allow", "Action": actions, "Resource": resources}


def _kms_statement(key: str, region: str, account: str) -> dict[str, Any]:
    """The publisher's use of the topics' KMS key (`kms_master_key_id`): on that key's ARN when the param
    names the key (its ARN, or its id in this region and account); an alias (`alias/x` or its ARN) is no
    resource for these actions, so then on the keys of that region and account that carry the alias."""
    if named := KMS_ALIAS.fullmatch(key):
        keys = f"arn:{named['partition'] or partition(region)}:kms:{named['region'] or region}:"
        keys += f"{named['account'] or account}:key/*"
        statement = _statement("PublishToTopicsEncryptedWithTheKeyOfThisAlias", KMS_PUBLISH_ACTIONS, keys)
        condition = {"ForAnyValue:StringEquals": {"kms:ResourceAliases": named["alias"]}}
        return {**statement, "Condition": condition}
    arn = key if key.startswith("arn:") else f"arn:{partition(region)}:kms:{region}:{account}:key/{key}"
    return _statement("PublishToTopicsEncryptedWithThisKey", KMS_PUBLISH_ACTIONS, arn)


def _s3_statements(params: Params, output_location: str) -> list[dict[str, Any]]:
    """The contacts object, the reports' prefix, the trail's prefix, the alert state and its lock
    (when not under the trail's), and s3:ListBucket on each bucket where an object may be absent."""
    region, statements, listed = params.region, [], []
    if contacts := on_s3(params.contacts_uri):
        arn = s3_arn(region, contacts.bucket, contacts.key)
        statements.append(_statement("ReadTheContactsFile", ["s3:GetObject"], arn))
    if report := on_s3(params.report_uri):
        prefix = report_prefix(report.key)
        arn = s3_arn(region, report.bucket, prefix, prefix=prefix != report.key)
        statements.append(_statement("ReadEachMonthsReport", ["s3:GetObject"], arn))
        listed.append(report.bucket)
    trail = ""
    if output := on_s3(output_location):
        prefix = output.key.strip("/")
        trail = s3_arn(region, output.bucket, f"{prefix}/" if prefix else "", prefix=True)
        actions = ["s3:DeleteObject", "s3:GetObject", "s3:PutObject"]
        statements.append(_statement("TrailRunFoldersLockAndRetention", actions, trail))
        listed.append(output.bucket)
    if state_place := on_s3(params.state_uri):
        bucket, key = state_place.bucket, state_place.key
        state, lock = s3_arn(region, bucket, key), s3_arn(region, bucket, state_lock_uri(key))
        if not (trail and state.startswith(trail[:-1]) and lock.startswith(trail[:-1])):
            statements.append(_statement("AlertState", ["s3:GetObject", "s3:PutObject"], state))
            actions = ["s3:DeleteObject", "s3:GetObject", "s3:PutObject"]
            statements.append(_statement("AlertStateLock", actions, lock))
        listed.append(bucket)
    if listed:
        buckets = sorted({s3_arn(region, b) for b in listed})
        statements.append(
            _statement("ListBucketSoAMissingObjectIsNotFoundNotForbidden", ["s3:ListBucket"], buckets)
        )
    return statements


def policy_for(params: Params, account: str, output_location: str) -> dict[str, Any]:
    """The policy document for the deployment these (planned) params describe, in `account`."""
    topic = f"arn:{partition(params.region)}:sns:{params.region}:{account}:{{}}".format
    departments = sorted(topic(topic_name(d, params.namespace)) for d in params.departments)
    statements = [_statement(sid, actions, "*") for sid, actions in UNSCOPED]
    statements.append(_statement("DepartmentTopics", DEPARTMENT_TOPIC_ACTIONS, departments))
    if params.ops_topic_name:
        statements.append(_statement("OpsTopic", TOPIC_ACTIONS, topic(params.ops_topic_name)))
    subscriptions = [f"{arn}:*" for arn in departments]
    statements.append(_statement("SubscriptionsOfTheDepartmentTopics", SUBSCRIPTION_ACTIONS, subscriptions))
    if params.kms_master_key_id:
        statements.append(_kms_statement(params.kms_master_key_id, params.region, account))
    statements += _s3_statements(params, output_location)
    return {"Version": "2012-10-17", "Statement": statements}


def _under(place: locations.Place, trail: locations.Place) -> bool:
    """Whether an S3 object lies where the trail's grant (`<output_dir>/*`) reaches."""
    prefix = trail.key.strip("/")
    return place.bucket == trail.bucket and place.key.startswith(f"{prefix}/" if prefix else "")


def policy_warnings(params: Params, output_location: str) -> list[str]:
    """What makes this policy wrong for the deployment, or riskier than it looks: said on stderr, so the
    policy on stdout stays valid JSON."""
    found = []
    if params.target == "local":
        found.append(
            "these params have target: local (the emulator): the policy is for real AWS; make it from the "
            "params the job runs with against AWS"
        )
    trail = on_s3(output_location)
    for name, uri in (("contacts_uri", params.contacts_uri), ("report_uri", params.report_uri)):
        if trail and (place := on_s3(uri)) and _under(place, trail):
            found.append(
                f"{name} {uri} lies under the trail {output_location}, where the policy lets the job "
                "put and delete objects: a run could overwrite or delete its own input; keep inputs elsewhere"
            )
    if (report := on_s3(params.report_uri)) and report_prefix(report.key) == report.key:
        found.append(
            f"report_uri {params.report_uri} names no period (2019/feb, 2019-02): only that object is "
            f"granted, so `backtest` over reports_uri ({params.reports_uri or 'unset'}) would be denied"
        )
    return found


def caller_account(region: str) -> str:
    """The account of the credentials in use (STS GetCallerIdentity, the standard credential chain)."""
    try:
        return str(aws.client("sts", region).get_caller_identity()["Account"])
    except aws.CALL_ERRORS as err:
        raise AccountError(
            f"cannot ask STS which account these credentials belong to ({err}); pass --account-id"
        ) from err


def print_policy(
    params_path: str | Path,
    account_id: str | None,
    say: Callable[[str], None],
    warn: Callable[[str], None],
    output_dir: str | None = None,
) -> int:
    """Print the policy of the deployment `params_path` describes, as JSON, and `warn` of what makes it
    doubtful; `output_dir` means what it means to `run --output-dir` (the run folders go there; the state
    stays where the params put it)."""
    plan = plan_run(params_path, output_dir)
    for warning in policy_warnings(plan.params, plan.location):
        warn(f"warning: {warning}")
    account = account_id or caller_account(plan.params.region)
    if not ACCOUNT.fullmatch(account):
        raise AccountError(f"{account!r} is not an AWS account id (12 digits)")
    say(json.dumps(policy_for(plan.params, account, plan.location), indent=2))
    return EXIT_OK
