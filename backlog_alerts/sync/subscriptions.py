"""Subscriptions as the contacts file wants them and as SNS lists them."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import Any

from backlog_alerts.sync.cells import endpoint_key
from backlog_alerts.sync.contacts import Contact
from backlog_alerts.sync.topics import Topic

MANAGED_PROTOCOLS = ("email", "sms")  # the only protocols this tool subscribes, and so may remove
PENDING = "PendingConfirmation"  # SNS's SubscriptionArn for an email not yet confirmed
NO_FILTER = "{}"  # SNS removes a subscription's filter policy when it is set to an empty object
FILTER_POLICIES = {"all": NO_FILTER, "critical": json.dumps({"severity": ["critical"]})}
# Our policies read the `severity` message attribute; under `MessageBody` SNS would read it in the
# message body (JSON with default/email/sms keys, no severity) and let no alert through.
ATTRIBUTES_SCOPE = "MessageAttributes"  # SNS's default when a policy has no scope


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
    """One subscription as ListSubscriptionsByTopic shows it (filter policy and scope only when fetched)."""

    protocol: str
    endpoint: str
    subscription_arn: str
    filter_policy: str | None = None
    filter_scope: str | None = None  # None: SNS's default, MessageAttributes

    @property
    def pending(self) -> bool:
        return self.subscription_arn == PENDING


def wanted_subscriptions(contacts: Iterable[Contact], topics: dict[str, Topic]) -> list[Wanted]:
    """Email and SMS per contact, each (topic, protocol, endpoint) once even if listed twice.

    What one endpoint listed on several rows gets does not depend on their order: the names joined in
    sorted order, the address as its first spelling in sorted order. Rows listing it with different
    Alerts never get here (contacts.py rejects them all).
    """
    listed: dict[tuple[str, str, str], list[tuple[Contact, str]]] = defaultdict(list)
    for contact in contacts:
        for protocol, endpoint in (("email", contact.email), ("sms", contact.phone)):
            if endpoint:
                listed[(contact.department, *endpoint_key(protocol, endpoint))].append((contact, endpoint))
    wanted = []
    for (department, protocol, _), rows in sorted(listed.items()):
        filters = sorted({FILTER_POLICIES[contact.alerts] for contact, _ in rows})
        if len(filters) > 1:
            raise ValueError(f"{protocol} listed twice in {department} with different Alerts")
        arn = topics[department].arn
        name = " / ".join(sorted({contact.name for contact, _ in rows}))
        wanted.append(Wanted(department, arn, protocol, min(e for _, e in rows), name, filters[0]))
    return wanted


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


def wrong_scope(sub: Existing, wanted_policy: str) -> bool:
    """Does the subscription read a policy we want elsewhere than in the message attributes? Without a
    policy the scope does nothing, so only a wanted policy has a wanted scope."""
    return (
        not same_filter(wanted_policy, NO_FILTER)
        and (sub.filter_scope or ATTRIBUTES_SCOPE) != ATTRIBUTES_SCOPE
    )


def with_filter_policies(sns: Any, existing: list[Existing], workers: int = 1) -> list[Existing]:
    """Fetch the FilterPolicy and FilterPolicyScope of each confirmed email/SMS subscription (one call
    each, `workers` at a time).

    Read on every sync, Alerts column or not: a file without it wants no filter, and a filter left
    from an earlier file must show in the plan as removed, not go on silencing warnings; nor may a
    policy read from the message body (where no severity is) silence the critical alerts.
    """

    def fetch(sub: Existing) -> Existing:
        if sub.protocol not in MANAGED_PROTOCOLS or sub.pending:
            return sub
        attributes = sns.get_subscription_attributes(SubscriptionArn=sub.subscription_arn)["Attributes"]
        return replace(
            sub,
            filter_policy=attributes.get("FilterPolicy", NO_FILTER),
            filter_scope=attributes.get("FilterPolicyScope"),
        )

    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(fetch, existing))
