"""Subscriptions as the contacts file wants them and as SNS lists them."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from backlog_alerts.contacts import Contact
from backlog_alerts.topics import Topic

MANAGED_PROTOCOLS = ("email", "sms")  # the only protocols this tool subscribes, and so may remove
PENDING = "PendingConfirmation"  # SNS's SubscriptionArn for an email not yet confirmed


@dataclass(frozen=True)
class Wanted:
    """One (topic, protocol, endpoint) the contacts file asks for, and whose it is."""

    department: str
    topic_arn: str
    protocol: str
    endpoint: str
    name: str


@dataclass(frozen=True)
class Existing:
    """One subscription as ListSubscriptionsByTopic shows it."""

    protocol: str
    endpoint: str
    subscription_arn: str

    @property
    def pending(self) -> bool:
        return self.subscription_arn == PENDING


def endpoint_key(protocol: str, endpoint: str) -> tuple[str, str]:
    """Match key: emails compare with the domain lower-cased (as the contacts file normalizes them)."""
    if protocol in ("email", "email-json"):
        local, _, domain = endpoint.strip().rpartition("@")
        return protocol, f"{local}@{domain.lower()}"
    return protocol, endpoint.strip()


def wanted_subscriptions(contacts: Iterable[Contact], topics: dict[str, Topic]) -> list[Wanted]:
    """Email and SMS per contact, each (topic, protocol, endpoint) once even if listed twice."""
    wanted: dict[tuple[str, str, str], Wanted] = {}
    for contact in contacts:
        arn = topics[contact.department].arn
        for protocol, endpoint in (("email", contact.email), ("sms", contact.phone)):
            if endpoint:
                wanted.setdefault(
                    (arn, *endpoint_key(protocol, endpoint)),
                    Wanted(contact.department, arn, protocol, endpoint, contact.name),
                )
    return list(wanted.values())


def list_subscriptions(sns: Any, topic_arn: str) -> list[Existing]:
    """Every subscription on a topic, over all pages (100 a page)."""
    paginator = sns.get_paginator("list_subscriptions_by_topic")
    return [
        Existing(sub["Protocol"], sub["Endpoint"], sub["SubscriptionArn"])
        for page in paginator.paginate(TopicArn=topic_arn)
        for sub in page.get("Subscriptions", [])
    ]
