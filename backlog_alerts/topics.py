"""One SNS topic per department, created idempotently and found again by name."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

TOPIC_SUFFIX = "_notifications"


class TopicError(RuntimeError):
    """A topic that should exist does not, or a department name that cannot become a topic name."""


@dataclass(frozen=True)
class Topic:
    """A department's topic as SNS knows it."""

    department: str
    name: str
    arn: str
    created: bool = False


def topic_name(department: str) -> str:
    """`trash` -> `trash_notifications`; SNS allows letters, digits, `-` and `_` only."""
    name = f"{department}{TOPIC_SUFFIX}"
    if not department or not all(ch.isascii() and (ch.isalnum() or ch in "-_") for ch in name):
        raise TopicError(f"department {department!r} cannot name an SNS topic (use a-z, 0-9, -, _)")
    return name


def existing_topic_arns(sns: Any) -> dict[str, str]:
    """Every topic in the account and region, by name (all pages of ListTopics)."""
    arns: dict[str, str] = {}
    for page in sns.get_paginator("list_topics").paginate():
        for topic in page.get("Topics", []):
            arns[topic["TopicArn"].rsplit(":", 1)[-1]] = topic["TopicArn"]
    return arns


def ensure_topics(sns: Any, departments: dict[str, str], tags: dict[str, str] | None = None) -> list[Topic]:
    """Create missing topics by name only, then set DisplayName and tags in separate calls.

    Real SNS rejects a repeated CreateTopic whose attributes or tags differ from the first one,
    so attributes never travel with CreateTopic and a re-run returns the same ARNs.
    """
    before = existing_topic_arns(sns)
    topics = []
    for department, display_name in departments.items():
        name = topic_name(department)
        arn = sns.create_topic(Name=name)["TopicArn"]
        if display_name:
            sns.set_topic_attributes(TopicArn=arn, AttributeName="DisplayName", AttributeValue=display_name)
        if tags:
            sns.tag_resource(ResourceArn=arn, Tags=[{"Key": k, "Value": str(v)} for k, v in tags.items()])
        topics.append(Topic(department, name, arn, created=name not in before))
    return topics


def find_topics(sns: Any, departments: list[str]) -> dict[str, Topic]:
    """Resolve each department's topic ARN by name without creating anything."""
    arns = existing_topic_arns(sns)
    missing = [topic_name(d) for d in departments if topic_name(d) not in arns]
    if missing:
        raise TopicError(
            f"SNS topic(s) {', '.join(missing)} not found: run notebooks/01_topic_setup.ipynb first"
        )
    return {d: Topic(d, topic_name(d), arns[topic_name(d)]) for d in departments}
