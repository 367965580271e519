"""Reading and extending the ledger of heard alerts: pure functions over an `AlertState`.

"Heard" is judged per topic, service and period: a tier counts as heard when the topic heard it, or a
higher tier, for the same service (or, from an assumed entry, for every service) in the same period.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

from backlog_alerts.state.document import (
    ANY_SERVICE,
    KEPT_PERIODS,
    KEPT_UNDATED,
    RESOLVED,
    TIERS,
    AlertState,
    Heard,
    StateError,
    is_dated,
)


def rank(tier: str) -> int:
    """Warning < critical; a resolved notice is not an alert tier."""
    return TIERS.index(tier) if tier in TIERS else -1


def heard_in(state: AlertState, topic: str, service: str, period: str) -> list[Heard]:
    """What the topic heard of this service (or of every service) in this period."""
    return [
        h
        for h in state.heard
        if h.topic == topic and h.period == period and h.service in (service, ANY_SERVICE)
    ]


def covering(state: AlertState, topic: str, service: str, tier: str, period: str) -> Heard | None:
    """The entry that makes this tier already heard: the same tier, or for alert tiers a higher one."""
    found = [
        h
        for h in heard_in(state, topic, service, period)
        if (h.tier == tier if tier == RESOLVED else rank(h.tier) >= rank(tier))
    ]
    return max(found, key=lambda h: rank(h.tier), default=None)


def highest_alert(
    state: AlertState, topic: str, service: str, period: str, *, exact: bool = False
) -> Heard | None:
    """The highest alert tier the topic heard of this service in this period (no resolved notices);
    `exact`: of this service by name, not from an entry that covers every service."""
    alerts = [
        h
        for h in heard_in(state, topic, service, period)
        if h.tier in TIERS and not (exact and h.service == ANY_SERVICE)
    ]
    return max(alerts, key=lambda h: rank(h.tier), default=None)


def previous_period(state: AlertState, period: str) -> str:
    """The newest checked period before this one ("" for the first, or for a report without one)."""
    if not is_dated(period):
        return ""
    return max((p for p in state.checked if p < period), default="")


def record(state: AlertState, entries: Iterable[Heard]) -> None:
    """Add what was heard; an identity already there keeps its first record."""
    known = {h.key for h in state.heard}
    for entry in entries:
        if entry.key not in known:
            state.heard.append(entry)
            known.add(entry.key)
    prune(state)


def note_checked(state: AlertState, period: str) -> None:
    """A dated period was read and checked: the newest ones are remembered, in order."""
    if is_dated(period) and period not in state.checked:
        state.checked = sorted([*state.checked, period])[-KEPT_PERIODS:]
    state.unchecked = [p for p in state.unchecked if p != period]


def record_counts(state: AlertState, period: str, counts: Mapping[str, int]) -> None:
    """A dated period's counts, replacing any recorded before for it; the newest periods are kept.
    Undated reports have no place in a history of periods and are not recorded."""
    if is_dated(period):
        history = {**state.counts, period: dict(counts)}
        state.counts = {p: history[p] for p in sorted(history)[-KEPT_PERIODS:]}


def prune(state: AlertState) -> None:
    """Keep the ledger bounded: dated entries of the remembered periods (and newer), and the newest
    undated ones."""
    oldest = state.checked[0] if len(state.checked) >= KEPT_PERIODS else ""
    dated = [h for h in state.heard if is_dated(h.period) and h.period >= oldest]
    undated = sorted((h for h in state.heard if not is_dated(h.period)), key=lambda h: h.sent_at)
    state.heard = dated + undated[-KEPT_UNDATED:]


def known_message_ids(state: AlertState) -> set[str]:
    """Every MessageId the state accounts for: in the ledger or in the send log."""
    return (
        {h.message_id for h in state.heard if h.message_id}
        | {s["message_id"] for s in state.sends if s.get("message_id")}
        | {r["message_id"] for r in state.legacy_rules.values() if r.get("message_id")}
        | set(state.forgotten)
    )


@dataclass(frozen=True)
class LegacyRule:
    """What converting a version-1 record needs to know of its rule."""

    service_name: str
    department: str
    severity: str


def convert_legacy(
    state: AlertState,
    rules: Mapping[str, LegacyRule],
    topics: Mapping[str, str],
    recorded: Mapping[tuple[str, str], LegacyRule] | None = None,
) -> list[str]:
    """Turn a version-1 state's per-rule records into heard entries: by what was sent, not by today's
    rules. Each record's service, department and tier come from the trail (`recorded`, by MessageId
    and rule name), else from today's rule of that name with the department and severity the state's
    own send log gives that MessageId; topics by department. Returns the names that could not be
    converted (no record and no such rule now), whose entries are dropped."""
    sent = {
        (send.get("message_id", ""), name): send for send in state.sends for name in send.get("rules", [])
    }
    lost = []
    entries = []
    for name, old in state.legacy_rules.items():
        message_id, period = old.get("message_id", ""), old.get("report_key", "")
        if not message_id or not period:
            continue  # never sent (or only cleared): nothing was heard
        was = (recorded or {}).get((message_id, name))
        if was is None and name in rules:
            send = sent.get((message_id, name), {})
            rule = rules[name]
            was = LegacyRule(
                rule.service_name,
                send.get("department") or rule.department,
                send.get("severity") or rule.severity,
            )
        if was is None or was.department not in topics:
            lost.append(name)
            continue
        entries.append(
            Heard(
                topics[was.department],
                was.service_name,
                was.severity,
                period,
                message_id=message_id,
                sent_at=old.get("sent_at", ""),
                run_id=old.get("run_id", ""),
                count=old.get("count"),
                rule=name,
                department=was.department,
                how="migrated",
            )
        )
    record(state, entries)
    state.legacy_rules = {}
    return sorted(lost)


def merged(ours: AlertState, theirs: AlertState, where: str) -> AlertState:
    """Two states of one deployment as one: every heard entry, period, notice, send (alerts and ops
    notices alike) and pending date, and the counts of every period (a period's counts whole, ours
    where both have it; theirs not for a period we unchecked on purpose)."""
    if ours.deployment and theirs.deployment and ours.deployment != theirs.deployment:
        raise StateError(
            f"{where}: cannot merge the alert states of two deployments "
            f"({ours.deployment} and {theirs.deployment})"
        )
    result = AlertState(
        deployment=ours.deployment or theirs.deployment,
        generation=max(ours.generation, theirs.generation),
        heard=list(ours.heard),
        checked=sorted((set(ours.checked) | set(theirs.checked)) - set(ours.unchecked))[-KEPT_PERIODS:],
        notices={
            kind: {**theirs.notices.get(kind, {}), **ours.notices.get(kind, {})}
            for kind in set(ours.notices) | set(theirs.notices)
        },
        subscribed={**theirs.subscribed, **ours.subscribed},
        legacy_rules={**theirs.legacy_rules, **ours.legacy_rules},
        forgotten=sorted(set(ours.forgotten) | set(theirs.forgotten)),
        unchecked=sorted(set(ours.unchecked) | set(theirs.unchecked)),
    )
    record(result, [h for h in theirs.heard if not h.message_id or h.message_id not in result.forgotten])
    for send in _both(theirs.sends, ours.sends):
        result.log_send(send)
    for notice in _both(theirs.ops_sends, ours.ops_sends):
        result.log_ops_send(notice)
    for period, counts in {**theirs.counts, **ours.counts}.items():
        if period in ours.counts or period not in ours.unchecked:
            record_counts(result, period, counts)
    return result


def _both(theirs: list[dict[str, Any]], ours: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Two logs of sends as one, oldest first: each message once (by MessageId)."""
    seen: set[str] = set()
    kept: list[dict[str, Any]] = []
    for send in sorted([*theirs, *ours], key=lambda s: s.get("sent_at", "")):
        key = send.get("message_id") or repr(sorted(send.items()))
        if key not in seen:
            seen.add(key)
            kept.append(send)
    return kept


def rows(state: AlertState, periods: Iterable[str]) -> list[dict[str, Any]]:
    """The ledger's entries for some periods, as table rows for a notebook."""
    wanted = set(periods)
    return [
        asdict(h)
        for h in sorted(state.heard, key=lambda h: (h.period, h.topic, h.service, rank(h.tier)))
        if h.period in wanted
    ]
