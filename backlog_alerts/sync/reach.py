"""Who would hear a department's alert now: publishing to a topic is not the same as reaching a person.

An email subscription reaches someone once confirmed; an SMS one unless the number replied STOP (opted
out), or, while the account is in the SMS sandbox, unless it is a verified destination. And only the
messages its filter policy lets through: a director who asked for critical alerts only is not reached
by a warning (`Reach.through`, judged by `filter_policy`). Queues, functions and web hooks on a topic
are shown, not counted as people.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import Any

from backlog_alerts.io import aws
from backlog_alerts.masking import mask_endpoint
from backlog_alerts.sync.filter_policy import lets_through
from backlog_alerts.sync.pending import pending_since
from backlog_alerts.sync.plan import Change
from backlog_alerts.sync.sms_account import UNKNOWN_ACCOUNT, SmsAccount
from backlog_alerts.sync.subscriptions import PENDING, Existing, list_subscriptions
from backlog_alerts.sync.topics import Topic

FETCH_THREADS = 8  # GetSubscriptionAttributes has no batch form: a few at a time, for a topic of thousands


@dataclass(frozen=True)
class Filter:
    """A subscription's filter policy and scope as SNS returned them, or why they are not known."""

    policy: str | None = None
    scope: str | None = None
    unknown: str = ""  # not read: why


@dataclass(frozen=True)
class Reach:
    """One department's topic, its subscriptions sorted by whether a person would read the alert."""

    department: str
    emails: tuple[str, ...]  # confirmed
    phones: tuple[str, ...]  # SMS, not opted out
    pending: tuple[str, ...] = ()  # emails awaiting the director's click
    opted_out: tuple[str, ...] = ()  # SMS numbers that replied STOP
    unmanaged: tuple[tuple[str, str], ...] = ()  # (protocol, endpoint): not people
    unverified: tuple[str, ...] = ()  # SMS numbers the account's sandbox does not text
    pending_since: tuple[str, ...] = ()  # per pending email: when the sync subscribed it ("": unknown)
    filters: tuple[tuple[tuple[str, str], Filter], ...] = ()  # ((protocol, endpoint), its filter)
    held_back: tuple[tuple[str, str], ...] = ()  # (protocol, endpoint) whose filter refuses the message
    cannot_tell: tuple[tuple[str, str, str], ...] = ()  # (protocol, endpoint, why): counted as not reached

    @property
    def people(self) -> int:
        """Endpoints an alert would reach a person on (one director may have two)."""
        return len(self.emails) + len(self.phones)

    def pending_with_since(self) -> list[tuple[str, str]]:
        """Each pending email and when the sync subscribed it ("" where nobody recorded it)."""
        since = dict(zip(self.pending, self.pending_since, strict=False))
        return [(email, since.get(email, "")) for email in self.pending]

    def through(self, attributes: Mapping[str, Mapping[str, str]], body: str | None) -> Reach:
        """Whom one message reaches: the endpoints above whose filter policy lets its MessageAttributes
        (or, scoped to the body, its published body; None: not known) through. The others are held
        back, or, where the policy cannot be read, not counted and said so."""
        filters = dict(self.filters)
        kept: dict[str, list[str]] = {"email": [], "sms": []}
        held: list[tuple[str, str]] = []
        unsure: list[tuple[str, str, str]] = []
        for protocol, endpoints in (("email", self.emails), ("sms", self.phones)):
            for endpoint in endpoints:
                found = filters.get((protocol, endpoint), Filter())
                if found.unknown:
                    unsure.append((protocol, endpoint, f"filter policy not read: {found.unknown}"))
                    continue
                verdict = lets_through(found.policy, found.scope, attributes, body)
                if verdict.passes:
                    kept[protocol].append(endpoint)
                elif verdict.passes is False:
                    held.append((protocol, endpoint))
                else:
                    unsure.append((protocol, endpoint, verdict.why))
        return replace(
            self,
            emails=tuple(kept["email"]),
            phones=tuple(kept["sms"]),
            held_back=(*self.held_back, *held),
            cannot_tell=(*self.cannot_tell, *unsure),
        )

    def masked(self) -> dict[str, Any]:
        """The same, with every email and number masked: what outputs may show."""
        return {
            "department": self.department,
            "people": self.people,
            "reached": [mask_endpoint("email", e) for e in self.emails]
            + [mask_endpoint("sms", p) for p in self.phones],
            "pending": [mask_endpoint("email", e) for e in self.pending],
            "pending_since": [since for _, since in self.pending_with_since()],
            "opted_out": [mask_endpoint("sms", p) for p in self.opted_out],
            "unverified": [mask_endpoint("sms", p) for p in self.unverified],
            "unmanaged": [
                f"{protocol} {mask_endpoint(protocol, endpoint)}" for protocol, endpoint in self.unmanaged
            ],
            "held_back": [mask_endpoint(protocol, endpoint) for protocol, endpoint in self.held_back],
            "cannot_tell": [
                f"{mask_endpoint(protocol, endpoint)} ({why})" for protocol, endpoint, why in self.cannot_tell
            ],
        }


def reach_of(
    department: str,
    subscriptions: Iterable[Existing],
    opted_out: set[str],
    verified: frozenset[str] | None = None,
    since: Callable[[str], str] = lambda _email: "",
    filters: Mapping[str, Filter] | None = None,
) -> Reach:
    """Sort a topic's subscriptions; `opted_out` holds the numbers SNS will not text, `verified` the
    only ones it texts while the account is in the SMS sandbox (None: not in it, or not known),
    `since` says when a pending email was subscribed, and `filters` holds each confirmed
    subscription's filter policy, by SubscriptionArn (`through` applies them to a message)."""
    emails: list[str] = []
    phones: list[str] = []
    pending: list[str] = []
    stopped: list[str] = []
    unverified: list[str] = []
    unmanaged: list[tuple[str, str]] = []
    for sub in subscriptions:
        if sub.protocol == "email":
            (pending if sub.pending else emails).append(sub.endpoint)
        elif sub.protocol == "sms" and sub.endpoint in opted_out:
            stopped.append(sub.endpoint)
        elif sub.protocol == "sms":
            (phones if verified is None or sub.endpoint in verified else unverified).append(sub.endpoint)
        else:
            unmanaged.append((sub.protocol, sub.endpoint))
    return Reach(
        department,
        tuple(emails),
        tuple(phones),
        tuple(pending),
        tuple(stopped),
        tuple(unmanaged),
        tuple(unverified),
        tuple(since(e) for e in pending),
        tuple(
            ((sub.protocol, sub.endpoint), (filters or {})[sub.subscription_arn])
            for sub in subscriptions
            if sub.subscription_arn in (filters or {})
        ),
    )


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


def listed_after(
    listed: Mapping[str, Iterable[Existing]], outcome: Iterable[Change]
) -> dict[str, list[Existing]]:
    """A sync's listing as its changes left it: removed ones gone, added numbers in, added emails
    pending (SNS asks each director to confirm; the emulator confirms at once, as a fresh listing shows)."""
    removed = {c.subscription_arn for c in outcome if c.result == "removed"}
    after = {d: [s for s in subs if s.subscription_arn not in removed] for d, subs in listed.items()}
    for c in outcome:
        if c.result == "added" and c.department in after:
            arn = PENDING if c.protocol == "email" else c.subscription_arn
            after[c.department].append(Existing(c.protocol, c.endpoint, arn))
    return after


def read_filters(sns: Any, subscriptions: Iterable[Existing]) -> dict[str, Filter]:
    """Each confirmed email and SMS subscription's FilterPolicy and FilterPolicyScope, by
    SubscriptionArn (one call each, a few at a time); one SNS will not show is not known, never
    taken as no filter."""

    def read(arn: str) -> Filter:
        try:
            attributes = sns.get_subscription_attributes(SubscriptionArn=arn)["Attributes"]
        except aws.CALL_ERRORS as err:
            return Filter(unknown=aws.error_code(err) or type(err).__name__)
        return Filter(attributes.get("FilterPolicy"), attributes.get("FilterPolicyScope"))

    arns = sorted(
        {s.subscription_arn for s in subscriptions if s.protocol in ("email", "sms") and not s.pending}
    )
    with ThreadPoolExecutor(max_workers=FETCH_THREADS) as pool:
        return dict(zip(arns, pool.map(read, arns), strict=True))


def listed_reach(
    sns: Any,
    listed: Mapping[str, Iterable[Existing]],
    topics: Mapping[str, Topic],
    account: SmsAccount,
    ledger: Mapping[str, Mapping[str, str]],
    *,
    with_filters: bool = False,
) -> dict[str, Reach]:
    """The reach of topics already listed: opt-outs asked of SNS, pending ages read from the ledger,
    and, `with_filters`, each subscription's filter policy (what a message's reach needs)."""
    listed = {d: list(subs) for d, subs in listed.items()}
    filters = read_filters(sns, [s for subs in listed.values() for s in subs]) if with_filters else {}
    numbers = [s.endpoint for subs in listed.values() for s in subs if s.protocol == "sms"]
    try:
        stopped = opted_out_numbers(sns, numbers)
    except aws.CALL_ERRORS as err:  # reach informs; it must not stop a sync that is done or an alert due
        warnings.warn(
            f"which numbers opted out is not known ({err}): all are counted as reached", stacklevel=2
        )
        stopped = set()
    return {
        d: reach_of(
            d,
            subs,
            stopped,
            account.verified if account.in_sandbox else None,
            functools.partial(pending_since, ledger, topics[d].arn),
            filters,
        )
        for d, subs in listed.items()
    }


def topic_reach(
    sns: Any,
    topics: Mapping[str, Topic],
    departments: Iterable[str],
    account: SmsAccount = UNKNOWN_ACCOUNT,
    ledger: Mapping[str, Mapping[str, str]] | None = None,
) -> dict[str, Reach]:
    """The reach of each department's topic, listed afresh with every subscription's filter policy:
    `Reach.through` then says whom a message published now would reach. A topic SNS will not list is
    left out (its reach unknown, not nobody), with a warning."""
    listed = {}
    for d in sorted(set(departments) & set(topics)):
        try:
            listed[d] = list_subscriptions(sns, topics[d].arn)
        except aws.CALL_ERRORS as err:
            warnings.warn(f"whom the {d} topic reaches is not known: {err}", stacklevel=2)
    return listed_reach(sns, listed, topics, account, ledger or {}, with_filters=True)
