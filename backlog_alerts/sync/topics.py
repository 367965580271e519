"""One SNS topic per department, created idempotently and found again by name."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from backlog_alerts.ascii_text import topic_display_name
from backlog_alerts.errors import BacklogAlertsError

TOPIC_SUFFIX = "_notifications"
OPS = "ops"  # the key of the data engineer's topic among the department topics


class TopicError(BacklogAlertsError, RuntimeError):
    """A topic that should exist does not, or a department name that cannot become a topic name."""


@dataclass(frozen=True)
class Topic:
    """A department's topic as SNS knows it."""

    department: str
    name: str
    arn: str
    created: bool = False


def check_topic_name(name: str) -> str:
    """SNS topic names: 1-256 ASCII letters, digits, `-` and `_`."""
    if not name or len(name) > 256 or not all(ch.isascii() and (ch.isalnum() or ch in "-_") for ch in name):
        raise TopicError(f"{name!r} cannot name an SNS topic (use a-z, 0-9, -, _)")
    return name


DISPLAY_NAME_LIMIT = 100  # SNS's limit for a topic's DisplayName


def check_display_name(department: str, name: str) -> str:
    """The DisplayName SNS will store (ASCII), refused here if SNS would refuse it."""
    folded = topic_display_name(name)
    if len(folded) > DISPLAY_NAME_LIMIT:
        raise TopicError(
            f"departments.{department}: the DisplayName is {len(folded)} characters (SNS allows "
            f"{DISPLAY_NAME_LIMIT})"
        )
    return folded


def topic_name(department: str, namespace: str = "") -> str:
    """`trash` -> `trash_notifications`; in namespace `sd`, `sd_trash_notifications`."""
    if not department or department == OPS:
        raise TopicError(f"department {department!r} cannot be used (empty, or reserved for the ops topic)")
    return check_topic_name(f"{namespace + '_' if namespace else ''}{department}{TOPIC_SUFFIX}")


def ops_topic_name(ops_topic: str, namespace: str = "") -> str:
    """The ops topic's name in a namespace (`sd_backlog_alerts_ops`); "" when there is none."""
    return check_topic_name(f"{namespace}_{ops_topic}") if ops_topic and namespace else ops_topic


def topic_names(departments: list[str], ops_topic: str = "", namespace: str = "") -> dict[str, str]:
    """Each department's topic name (and the ops topic's, as `ops`): the topics a deployment manages."""
    names = {d: topic_name(d, namespace) for d in departments}
    ops = ops_topic_name(ops_topic, namespace)
    return names | ({OPS: ops} if ops else {})


def existing_topic_arns(sns: Any) -> dict[str, str]:
    """Every topic in the account and region, by name (all pages of ListTopics)."""
    arns: dict[str, str] = {}
    for page in sns.get_paginator("list_topics").paginate():
        for topic in page.get("Topics", []):
            arns[topic["TopicArn"].rsplit(":", 1)[-1]] = topic["TopicArn"]
    return arns


def ensure_topics(
    sns: Any,
    departments: dict[str, str],
    tags: dict[str, str] | None = None,
    ops_topic: str = "",
    kms_master_key_id: str = "",
    namespace: str = "",
    owner: dict[str, str] | None = None,
    existing: Collection[str] | None = None,
) -> list[Topic]:
    """Create missing topics by name only, then set DisplayName (in ASCII, as SMS needs it), the KMS key
    and tags in separate calls.

    Real SNS rejects a repeated CreateTopic whose attributes or tags differ from the first one,
    so attributes never travel with CreateTopic and a re-run returns the same ARNs. The optional
    ops topic (the data engineer's) is listed with department `ops`. `owner` (the deployment's marks,
    `sync.marks.owner_tags`) goes on every topic with the params' tags. `existing`: the names of the
    topics already there, when the caller has just listed them.
    """
    before = existing_topic_arns(sns) if existing is None else existing
    names = topic_names(list(departments), ops_topic, namespace)
    wanted = [(d, name, departments.get(d, "Ops")) for d, name in names.items()]
    topics = []
    for department, name, display_name in wanted:
        arn = sns.create_topic(Name=name)["TopicArn"]
        attributes = {"DisplayName": topic_display_name(display_name), "KmsMasterKeyId": kms_master_key_id}
        for attribute, value in attributes.items():
            if value:  # server-side encryption at rest with this KMS key, when one is given
                sns.set_topic_attributes(TopicArn=arn, AttributeName=attribute, AttributeValue=value)
        every = {**(tags or {}), **(owner or {})}
        if every:
            sns.tag_resource(ResourceArn=arn, Tags=[{"Key": k, "Value": str(v)} for k, v in every.items()])
        topics.append(Topic(department, name, arn, created=name not in before))
    return topics


def find_topics(
    sns: Any, departments: list[str], ops_topic: str = "", namespace: str = ""
) -> dict[str, Topic]:
    """Resolve each department's topic ARN (and the ops topic's, as `ops`) by name, creating nothing."""
    arns = existing_topic_arns(sns)
    names = topic_names(departments, ops_topic, namespace)
    missing = [name for name in names.values() if name not in arns]
    if missing:
        raise TopicError(
            f"SNS topic(s) {', '.join(missing)} not found: run notebooks/01_topic_setup.ipynb first"
        )
    return {d: Topic(d, name, arns[name]) for d, name in names.items()}
