"""Who would hear a department's alert now: publishing to a topic is not the same as reaching a person.

An email subscription reaches someone once confirmed; an SMS one unless the number replied STOP (opted
out). Queues, functions and web hooks on a topic are shown, not counted as people.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from backlog_alerts.masking import mask_endpoint
from backlog_alerts.sync.subscriptions import Existing, list_subscriptions
from backlog_alerts.sync.topics import Topic


@dataclass(frozen=True)
class Reach:
    """One department's topic, its subscriptions sorted by whether a person would read the alert."""

    department: str
    emails: tuple[str, ...]  # confirmed
    phones: tuple[str, ...]  # SMS, not opted out
    pending: tuple[str, ...] = ()  # emails awaiting the director's click
    opted_out: tuple[str, ...] = ()  # SMS numbers that replied STOP
    unmanaged: tuple[tuple[str, str], ...] = ()  # (protocol, endpoint): not people

    @property
    def people(self) -> int:
        """Endpoints an alert would reach a person on (one director may have two)."""
        return len(self.emails) + len(self.phones)

    def masked(self) -> dict[str, Any]:
        """The same, with every email and number masked: what outputs may show."""
        return {
            "department": self.department,
            "people": self.people,
            "reached": [mask_endpoint("email", e) for e in self.emails]
            + [mask_endpoint("sms", p) for p in self.phones],
            "pending": [mask_endpoint("email", e) for e in self.pending],
            "opted_out": [mask_endpoint("sms", p) for p in self.opted_out],
            "unmanaged": [
                f"{protocol} {mask_endpoint(protocol, endpoint)}" for protocol, endpoint in self.unmanaged
            ],
        }


def reach_of(department: str, subscriptions: Iterable[Existing], opted_out: set[str]) -> Reach:
    """Sort a topic's subscriptions; `opted_out` holds the numbers SNS will not text."""
    emails: list[str] = []
    phones: list[str] = []
    pending: list[str] = []
    stopped: list[str] = []
    unmanaged: list[tuple[str, str]] = []
    for sub in subscriptions:
        if sub.protocol == "email":
            (pending if sub.pending else emails).append(sub.endpoint)
        elif sub.protocol == "sms":
            (stopped if sub.endpoint in opted_out else phones).append(sub.endpoint)
        else:
            unmanaged.append((sub.protocol, sub.endpoint))
    return Reach(department, tuple(emails), tuple(phones), tuple(pending), tuple(stopped), tuple(unmanaged))


def opted_out_numbers(sns: Any, numbers: Iterable[str]) -> set[str]:
    """Which of `numbers` SNS will not text, in as few calls as the list at hand allows.

    The account's opt-out list comes 100 numbers a page: it is read until it would cost as many calls
    as asking about each number (CheckIfPhoneNumberIsOptedOut), which then settles the rest.
    """
    wanted = sorted(set(numbers))
    listed: set[str] = set()
    token, calls = None, 0
    while len(wanted) > 1 and calls < len(wanted):
        page = sns.list_phone_numbers_opted_out(**({"nextToken": token} if token else {}))
        calls += 1
        listed.update(page.get("phoneNumbers", []))
        token = page.get("nextToken")
        if not token:
            return {n for n in wanted if n in listed}
    return {
        n
        for n in wanted
        if n in listed or sns.check_if_phone_number_is_opted_out(phoneNumber=n)["isOptedOut"]
    }


def topic_reach(sns: Any, topics: Mapping[str, Topic], departments: Iterable[str]) -> dict[str, Reach]:
    """The reach of each department's topic, listed afresh: what an alert published now would reach."""
    listed = {d: list_subscriptions(sns, topics[d].arn) for d in sorted(set(departments)) if d in topics}
    numbers = [s.endpoint for subs in listed.values() for s in subs if s.protocol == "sms"]
    stopped = opted_out_numbers(sns, numbers)
    return {d: reach_of(d, subs, stopped) for d, subs in listed.items()}
