"""Subscribing contacts' endpoints to their department's topic without ever doubling one."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from backlog_alerts.contacts import Contact
from backlog_alerts.masking import mask_endpoint
from backlog_alerts.topics import Topic


@dataclass(frozen=True)
class Wanted:
    """One (topic, protocol, endpoint) the contacts file asks for, and whose it is."""

    department: str
    topic_arn: str
    protocol: str
    endpoint: str
    name: str


@dataclass(frozen=True)
class Outcome:
    """What happened to one wanted subscription; `endpoint` is already masked."""

    department: str
    name: str
    protocol: str
    endpoint: str
    status: str
    subscription_arn: str


def wanted_subscriptions(contacts: Iterable[Contact], topics: dict[str, Topic]) -> list[Wanted]:
    """Email and SMS per contact, each (topic, protocol, endpoint) once even if listed twice."""
    wanted: dict[tuple[str, str, str], Wanted] = {}
    for contact in contacts:
        arn = topics[contact.department].arn
        for protocol, endpoint in (("email", contact.email), ("sms", contact.phone)):
            if endpoint:
                wanted.setdefault(
                    (arn, protocol, endpoint),
                    Wanted(contact.department, arn, protocol, endpoint, contact.name),
                )
    return list(wanted.values())


def existing_subscriptions(sns: Any, topic_arn: str) -> dict[tuple[str, str], str]:
    """(protocol, endpoint) -> SubscriptionArn over all pages; pending ones count as existing."""
    found: dict[tuple[str, str], str] = {}
    paginator = sns.get_paginator("list_subscriptions_by_topic")
    for page in paginator.paginate(TopicArn=topic_arn):
        for sub in page.get("Subscriptions", []):
            found[(sub["Protocol"], sub["Endpoint"])] = sub["SubscriptionArn"]
    return found


def subscribe_missing(sns: Any, wanted: list[Wanted]) -> list[Outcome]:
    """Subscribe only what the topic lacks, so a re-run makes no call that changes anything."""
    existing: dict[str, dict[tuple[str, str], str]] = {}
    outcomes = []
    for item in wanted:
        on_topic = existing.setdefault(item.topic_arn, existing_subscriptions(sns, item.topic_arn))
        arn = on_topic.get((item.protocol, item.endpoint))
        status = "already subscribed"
        if arn is None:
            arn = sns.subscribe(
                TopicArn=item.topic_arn,
                Protocol=item.protocol,
                Endpoint=item.endpoint,
                ReturnSubscriptionArn=True,
            )["SubscriptionArn"]
            on_topic[(item.protocol, item.endpoint)] = arn
            status = "subscribed"
        outcomes.append(
            Outcome(
                item.department,
                item.name,
                item.protocol,
                mask_endpoint(item.protocol, item.endpoint),
                status,
                arn,
            )
        )
    return outcomes
