"""Subscription sync as plan, guard, apply: the contacts file is the source of truth for each topic.

The planner is a pure function of what is wanted and what SNS lists, so it is tested without AWS;
only `sync.apply.apply_plan` changes anything.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from backlog_alerts.errors import EXIT_NOTEBOOK_FAILED, BacklogAlertsError
from backlog_alerts.masking import mask_endpoint
from backlog_alerts.sync.contacts import ContactsFile, Problem
from backlog_alerts.sync.subscriptions import (
    ATTRIBUTES_SCOPE,
    MANAGED_PROTOCOLS,
    NO_FILTER,
    Existing,
    Wanted,
    endpoint_key,
    same_filter,
    wrong_scope,
)
from backlog_alerts.sync.topics import Topic

ADD, REMOVE, UPDATE = "add", "remove", "update"
UNCHANGED, PENDING, UNMANAGED, HELD = "unchanged", "pending", "unmanaged", "held"
ACTIONS = (ADD, REMOVE, UPDATE, UNCHANGED, PENDING, UNMANAGED, HELD)
NO_DEPARTMENT = "(unknown department)"  # the summary row of rejected rows whose department is unknown
PROTOCOL_OF = {"Email": "email", "Phone": "sms"}


class SyncGuardError(BacklogAlertsError, RuntimeError):
    """The plan would remove too much at once; nothing was changed."""

    exit_code = EXIT_NOTEBOOK_FAILED  # raised in the kernel: the notebook fails


@dataclass(frozen=True)
class Change:
    """One row of the plan; `result` is filled in when it is applied."""

    department: str
    topic_arn: str
    action: str
    protocol: str
    endpoint: str
    name: str = ""
    subscription_arn: str = ""
    note: str = ""
    result: str = ""
    filter_policy: str = NO_FILTER
    filter_scope: str = ""  # an update sets FilterPolicyScope to this first ("": leaves it as it is)

    def masked(self) -> dict[str, str]:
        """The row as shown and recorded: endpoint masked, no topic ARN repeated on every line."""
        return {
            "department": self.department,
            "action": self.action,
            "protocol": self.protocol,
            "endpoint": mask_endpoint(self.protocol, self.endpoint),
            "name": self.name,
            "subscription_arn": self.subscription_arn,
            "note": self.note,
            "filter_policy": self.filter_policy,
            "result": self.result,
        }


@dataclass(frozen=True)
class Holds:
    """Removals this contacts file cannot justify, each with the reason the plan shows.

    An endpoint a row still lists must never be why a subscription goes: not when the row was
    rejected, and not when its column holds invalid values (a phone column that Excel turned into
    `1.61956E+10` would otherwise unsubscribe every SMS). Held removals wait for a fixed file.
    """

    protocols: dict[tuple[str, str], str] = field(default_factory=dict)  # (department, protocol) -> why
    endpoints: dict[tuple[str, str], str] = field(default_factory=dict)  # endpoint_key -> why

    def reason(self, department: str, protocol: str, endpoint: str) -> str:
        return self.endpoints.get(endpoint_key(protocol, endpoint)) or self.protocols.get(
            (department, protocol), ""
        )


def removal_holds(contacts: ContactsFile, departments: Iterable[str], allow_mass_removal: bool) -> Holds:
    """What this file holds back: `allow_mass_removal` says the file is right as it is, except about
    endpoints listed with conflicting or unreadable Alerts, which stay as they are until the rows agree."""
    if allow_mass_removal:
        return Holds(
            endpoints={
                key: why for key, why in _endpoint_holds(contacts).items() if key in contacts.kept_endpoints
            }
        )
    invalid: dict[tuple[str, str], list[Problem]] = {}
    for p in contacts.problems:
        if p.column in PROTOCOL_OF:  # a row without a known department may be anyone's
            for dept in [p.department] if p.department else departments:
                invalid.setdefault((dept, PROTOCOL_OF[p.column]), []).append(p)
    protocols = {
        key: f"held: {len(found)} row(s) that may be this department's have an invalid {found[0].column} "
        f"(e.g. row {found[0].row}: {found[0].reason}); {key[1]} removals wait for a fixed file"
        for key, found in invalid.items()
    }
    return Holds(protocols, _endpoint_holds(contacts))


def _endpoint_holds(contacts: ContactsFile) -> dict[tuple[str, str], str]:
    rejected = {p.row: p for p in reversed(contacts.problems) if p.effect == "row rejected"}
    return {
        endpoint_key(*endpoint): f"held: row {row} still lists it but was rejected "
        f"({rejected[row].column}: {rejected[row].reason})"
        for endpoint, row in contacts.rejected_endpoints.items()
    }


def plan_topic(
    topic: Topic, wanted: list[Wanted], existing: list[Existing], holds: Holds | None = None
) -> list[Change]:
    """Compare one topic's wanted and listed subscriptions on (protocol, normalized endpoint).

    Of subscriptions that match one another, a confirmed one is kept and the others removed;
    a pending one can be neither kept nor removed (SNS gives it no ARN).
    """
    holds = holds or Holds()
    wanted_by_key: dict[tuple[str, str], Wanted] = {}
    for w in wanted:
        wanted_by_key.setdefault(endpoint_key(w.protocol, w.endpoint), w)
    seen: set[tuple[str, str]] = set()
    plan: list[Change] = []
    for sub in sorted(existing, key=lambda s: s.pending):
        key = endpoint_key(sub.protocol, sub.endpoint)
        want = wanted_by_key.get(key)
        base = Change(
            topic.department, topic.arn, "", sub.protocol, sub.endpoint, subscription_arn=sub.subscription_arn
        )
        if sub.protocol not in MANAGED_PROTOCOLS:
            plan.append(replace(base, action=UNMANAGED, note="not email/sms: left alone"))
        elif sub.pending:
            note = "awaiting confirmation" if want else "not in the file; expires unconfirmed after 48 h"
            plan.append(replace(base, action=PENDING, name=want.name if want else "", note=note))
        elif key in seen:
            plan.append(replace(base, action=REMOVE, note="duplicate of another subscription"))
        elif (
            want
            and sub.filter_policy is not None
            and (
                not same_filter(sub.filter_policy, want.filter_policy) or wrong_scope(sub, want.filter_policy)
            )
        ):
            plan.append(
                replace(
                    base,
                    action=UPDATE,
                    name=want.name,
                    filter_policy=want.filter_policy,
                    filter_scope=ATTRIBUTES_SCOPE if wrong_scope(sub, want.filter_policy) else "",
                    note=_filter_note(sub, want),
                )
            )
        elif want:
            plan.append(replace(base, action=UNCHANGED, name=want.name, filter_policy=want.filter_policy))
        elif held := holds.reason(topic.department, sub.protocol, sub.endpoint):
            plan.append(replace(base, action=HELD, note=held))
        else:
            plan.append(replace(base, action=REMOVE, note="no longer in the contacts file"))
        seen.add(key)
    plan += [
        Change(
            topic.department, topic.arn, ADD, w.protocol, w.endpoint, w.name, filter_policy=w.filter_policy
        )
        for key, w in wanted_by_key.items()
        if key not in seen
    ]
    return plan


def _filter_note(sub: Existing, want: Wanted) -> str:
    """`filter policy {...} -> {}`, with each side's scope when the scope is what changes."""
    before, after = sub.filter_policy or NO_FILTER, want.filter_policy
    if wrong_scope(sub, want.filter_policy):
        before, after = f"{before} on {sub.filter_scope}", f"{after} on {ATTRIBUTES_SCOPE}"
    removed = same_filter(want.filter_policy, NO_FILTER)
    return f"filter policy {before} -> {after}" + (
        " (removed: this file asks for all alerts)" if removed else ""
    )


def plan_sync(
    topics: dict[str, Topic],
    wanted: list[Wanted],
    existing: dict[str, list[Existing]],
    holds: Holds | None = None,
) -> list[Change]:
    """The plan for every managed topic: what to add, remove, hold, leave, wait for, and not touch."""
    return [
        change
        for department, topic in topics.items()
        for change in plan_topic(
            topic, [w for w in wanted if w.department == department], existing.get(department, []), holds
        )
    ]


def check_removal_guard(plan: list[Change], max_removal_share: float, allow_mass_removal: bool) -> None:
    """Refuse a plan that would unsubscribe more than `max_removal_share` of a topic's managed list.

    A truncated or wrong contacts file must never silently unsubscribe a department.
    """
    if allow_mass_removal:
        return
    managed = Counter(c.department for c in plan if c.action in (UNCHANGED, UPDATE, REMOVE, HELD))
    removing = Counter(c.department for c in plan if c.action == REMOVE)
    too_many = [
        f"{dept}: {removing[dept]} of {managed[dept]}"
        for dept in sorted(removing)
        if removing[dept] / managed[dept] > max_removal_share
    ]
    if too_many:
        raise SyncGuardError(
            f"the plan would remove more than {max_removal_share:.0%} of the subscriptions on "
            f"{'; '.join(too_many)}. Nothing was changed. If the contacts file is right, "
            "run again with allow_mass_removal: true"
        )


def summarize(
    plan: list[Change], problems: list[Problem], departments: Iterable[str]
) -> list[dict[str, Any]]:
    """Per topic: added, removed, held, unchanged, pending, unmanaged, and rows rejected from the file.

    Rows rejected for an unknown department get a row of their own, so that every one is counted.
    """
    rows = []
    unplaced = {p.row for p in problems if p.effect == "row rejected" and not p.department}
    for dept in [*departments, *([NO_DEPARTMENT] if unplaced else [])]:
        mine = [c for c in plan if c.department == dept]
        counts = Counter(c.action for c in mine)
        rows.append(
            {
                "department": dept,
                **{action: counts[action] for action in ACTIONS},
                "rejected_rows": len(
                    unplaced
                    if dept == NO_DEPARTMENT
                    else {p.row for p in problems if p.effect == "row rejected" and p.department == dept}
                ),
                "failed": sum(1 for c in mine if c.result.startswith("failed")),
            }
        )
    return rows
