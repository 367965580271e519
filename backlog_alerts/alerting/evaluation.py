"""From counts to decisions: which rules fire, which tier wins, and what to do given the alert state.

All of this is pure (no AWS, no clock), so every transition is unit-tested as a table of cases.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from backlog_alerts.alerting.report import count_for
from backlog_alerts.alerting.rules import Rule
from backlog_alerts.alerting.state import AlertState, RuleState
from backlog_alerts.errors import BacklogAlertsError

# What a decision leads to. Only PUBLISH and RESOLVED send anything.
PUBLISH, SUPPRESSED, RESOLVED, CLEARED, MUTED, SUPERSEDED, QUIET, SKIPPED = (
    "publish",
    "suppressed",
    "resolved",
    "cleared",
    "muted",
    "superseded",
    "quiet",
    "skipped",
)


class MuteError(BacklogAlertsError, ValueError):
    """A mute window in the params that cannot be used; names the mute and field."""


@dataclass(frozen=True)
class Mute:
    """Hold back a department's or a rule's alerts until `until` (inclusive), for a stated reason."""

    until: date
    reason: str
    department: str = ""
    rule: str = ""

    def covers(self, decision: Decision, today: date) -> bool:
        return today <= self.until and (decision.department == self.department or decision.rule == self.rule)


@dataclass(frozen=True)
class Decision:
    """One rule's verdict on one report, and, once planned, what happens because of it."""

    rule: str
    service_name: str
    department: str
    severity: str
    comparison: str
    threshold: int
    count: int | None
    fired: bool
    state_before: str = "ok"
    state_after: str = "ok"
    action: str = QUIET
    note: str = ""
    message_id: str = ""
    error: str = ""  # why a planned message was not sent (the next run sends it)
    report_key: str = ""  # the facts it is about: the report's period, else the count itself

    @property
    def over_by(self) -> int:
        return (self.count or 0) - self.threshold


def evaluate(
    rules: list[Rule], counts: dict[str, int], report_uri: str, missing_service: str, period: str = ""
) -> list[Decision]:
    """Compare every rule with its count; of the tiers that fire on one service, the highest wins.

    Every rule's service is looked up before any verdict, so a missing one stops the whole check.
    A verdict is about its report's period; without one, about the count itself, so that the same
    numbers exported again (or another service's count changing) never repeat an alert.
    """
    looked_up = {r.name: count_for(counts, r.service_name, report_uri, missing_service) for r in rules}
    decisions = []
    for r in rules:
        count = looked_up[r.name]
        fired = count is not None and r.fires(count)
        decisions.append(
            Decision(
                r.name,
                r.service_name,
                r.department,
                r.severity,
                r.comparison,
                r.threshold,
                count,
                fired,
                report_key=period or f"count:{count}",
            )
        )
    by_name = {r.name: r for r in rules}
    winners: dict[tuple[str, str], Rule] = {}
    for d in decisions:
        if d.fired:
            key = (d.service_name, d.department)
            if key not in winners or by_name[d.rule].rank > winners[key].rank:
                winners[key] = by_name[d.rule]
    planned = []
    for d in decisions:
        if d.fired and winners[(d.service_name, d.department)].name != d.rule:
            d = replace(
                d, action=SUPERSEDED, note=f"{winners[(d.service_name, d.department)].name} outranks it"
            )
        elif d.count is None:
            d = replace(d, action=SKIPPED, note="service not in the report (missing_service: skip)")
        elif d.service_name not in counts:
            d = replace(d, note="service not in the report, counted as 0 (missing_service: zero)")
        planned.append(d)
    return planned


def _same_facts(before: RuleState, d: Decision) -> bool:
    """A period's alert is sent once per period; without a period, once per count, whichever file the
    count came from (the same numbers copied to an unnamed file are not news)."""
    if d.report_key.startswith("count:"):
        return before.count == d.count
    return before.report_key == d.report_key


def plan_actions(
    decisions: list[Decision],
    state: AlertState,
    *,
    notify_resolved: bool,
    mutes: Iterable[Mute] = (),
    today: date,
) -> list[Decision]:
    """Given what was sent before, decide per rule: publish, suppress, resolve, clear, or hold (mute)."""
    mutes = list(mutes)
    planned = []
    for d in decisions:
        before = state.rules.get(d.rule)
        was_firing = before is not None and before.status == "firing"
        d = replace(d, state_before="firing" if was_firing else "ok")
        if d.action == SKIPPED:
            planned.append(replace(d, state_after=d.state_before))
            continue
        if d.fired:
            d = replace(d, state_after="firing")
            if d.action == SUPERSEDED:
                planned.append(d)
                continue
            if before is not None and was_firing and _same_facts(before, d):
                note = f"already sent {before.message_id or '(as part of a higher tier)'} at {before.sent_at}"
                d = replace(d, action=SUPPRESSED, note=note, state_after="firing")
            else:
                d = replace(d, action=PUBLISH)
        elif was_firing:
            d = replace(d, action=RESOLVED if notify_resolved else CLEARED, state_after="ok")
        else:
            d = replace(d, action=QUIET, state_after="ok")
        mute = next((m for m in mutes if m.covers(d, today)), None)
        if mute and d.action in (PUBLISH, RESOLVED):
            d = replace(
                d, action=MUTED, state_after=d.state_before, note=f"muted until {mute.until}: {mute.reason}"
            )
        planned.append(d)
    return planned


def parse_mutes(
    raw_mutes: Iterable[Mapping[str, Any]], departments: Iterable[str], rules: list[Rule]
) -> list[Mute]:
    """Mute windows from params: each names a department or a rule, an end date and a reason."""
    known_departments, known_rules = set(departments), {r.name for r in rules}
    mutes = []
    for position, raw in enumerate(raw_mutes or [], start=1):
        label = f"mute {position}"
        unknown = sorted(set(raw) - {"department", "rule", "until", "reason"})
        if unknown:
            raise MuteError(f"{label}: unknown field(s) {', '.join(unknown)}")
        if bool(raw.get("department")) == bool(raw.get("rule")):
            raise MuteError(f"{label}: give exactly one of department or rule")
        if raw.get("department") and raw["department"] not in known_departments:
            raise MuteError(f"{label}, department: {raw['department']!r} is not a configured department")
        if raw.get("rule") and raw["rule"] not in known_rules:
            raise MuteError(f"{label}, rule: {raw['rule']!r} is not a rule name")
        if not raw.get("reason"):
            raise MuteError(f"{label}, reason: say why (it is shown and recorded)")
        try:
            until = (
                raw["until"]
                if isinstance(raw.get("until"), date)
                else date.fromisoformat(str(raw.get("until")))
            )
        except ValueError as err:
            raise MuteError(f"{label}, until: {raw.get('until')!r} is not a date (YYYY-MM-DD)") from err
        mutes.append(Mute(until, str(raw["reason"]), raw.get("department", ""), raw.get("rule", "")))
    return mutes
