"""Subscriptions as the contacts file wants them and as SNS lists them."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

from backlog_alerts.sync.contacts import Contact
from backlog_alerts.sync.topics import Topic

MANAGED_PROTOCOLS = ("email", "sms")  # the only protocols this tool subscribes, and so may remove
PENDING = "PendingConfirmation"  # SNS's SubscriptionArn for an email not yet confirmed
NO_FILTER = "{}"  # SNS removes a subscription's filter policy when it is set to an empty object
FILTER_POLICIES = {"all": NO_FILTER, "critical": json.dumps({"severity": ["critical"]})}


@dataclass(frozen=True)
class Wanted:
    """One (topic, protocol, endpoint) the contacts file asks for, and whose it is."""

    department: str
    topic_arn: str
    protocol: str
    endpoint: str
    name: str
    filter_policy: str = NO_FILTER


@dataclass(frozen=True)
class Existing:
    """One subscription as ListSubscriptionsByTopic shows it (filter policy only when fetched)."""

    protocol: str
    endpoint: str
    subscription_arn: str
    filter_policy: str | None = None

    @property
    def pending(self) -> bool:
        return self.subscription_arn == PENDING


def endpoint_key(protocol: str, endpoint: str) -> tuple[str, str]:
    """Match key: an email address compares case-insensitively over its whole length.

    Mail systems treat `Dana.Okafor@` and `dana.okafor@` as one mailbox; matching them exactly would
    send every alert twice, and turn a change of case in the file into an unsubscribe and a new
    subscription that real SNS makes the director confirm again.
    """
    if protocol in ("email", "email-json"):
        return protocol, endpoint.strip().casefold()
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
                    Wanted(
                        contact.department,
                        arn,
                        protocol,
                        endpoint,
                        contact.name,
                        FILTER_POLICIES[contact.alerts],
                    ),
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


def same_filter(a: str | None, b: str) -> bool:
    """Compare filter policies as JSON; none at all equals the empty object."""
    return json.loads(a or NO_FILTER) == json.loads(b or NO_FILTER)


def with_filter_policies(sns: Any, existing: list[Existing]) -> list[Existing]:
    """Fetch the FilterPolicy of each confirmed email/SMS subscription (one call each).

    Only needed when the contacts file has an Alerts column; otherwise the sync never reads them.
    """
    fetched = []
    for sub in existing:
        if sub.protocol in MANAGED_PROTOCOLS and not sub.pending:
            attributes = sns.get_subscription_attributes(SubscriptionArn=sub.subscription_arn)["Attributes"]
            sub = replace(sub, filter_policy=attributes.get("FilterPolicy", NO_FILTER))
        fetched.append(sub)
    return fetched
