"""Alert rules from params: which service's count, over which line or rising how fast, alerts which
department, for how many periods, and whom it escalates to."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from backlog_alerts.errors import BacklogAlertsError
from backlog_alerts.state.document import KEPT_PERIODS

SEVERITIES = ("warning", "critical")  # in rising order: a later one outranks an earlier one
REQUIRED = ("name", "service_name", "department")  # and one of threshold, rise_over
OPTIONAL: dict[str, Any] = {
    "threshold": None,
    "severity": "warning",
    "at_least": False,
    "for_periods": 1,
    "rise_over": None,
    "min_rise": 0,
    "escalate_after": None,
    "escalate_to": None,
}


class RuleError(BacklogAlertsError, ValueError):
    """A rule in the params that cannot be used; the message names the rule and field."""


@dataclass(frozen=True)
class Rule:
    """A condition on one service's count per period (over the threshold, strictly unless `at_least`;
    risen by more than `rise_over` % and by at least `min_rise`; both when both are given), that fires
    when it held in each of the last `for_periods` periods and escalates after `escalate_after`
    periods of firing in a row (`backlog_alerts.alerting.streaks` decides over the history)."""

    name: str
    service_name: str
    department: str
    threshold: int | None = None
    severity: str = "warning"
    at_least: bool = False
    for_periods: int = 1
    rise_over: float | None = None
    min_rise: int = 0
    escalate_after: int | None = None
    escalate_to: str | None = None

    def fires(self, count: int) -> bool:
        """The threshold part of the condition, on one count (true when the rule has no threshold).
        For a plain rule (`plain`) this is the whole decision."""
        if self.threshold is None:
            return True
        return count >= self.threshold if self.at_least else count > self.threshold

    @property
    def plain(self) -> bool:
        """A threshold on one report alone, as every rule was before rises, periods and escalation."""
        return self.for_periods == 1 and self.rise_over is None and self.escalate_after is None

    @property
    def escalation(self) -> str:
        """The name its escalation decides under: a rule of its own to the `escalate_to` topic, so that
        the ledger hears it there once per period, beside the rule's own alert."""
        return f"{self.name} -> {self.escalate_to}"

    @property
    def periods_needed(self) -> int:
        """Periods of counts a decision can look back on, this one included: `for_periods` for the
        first firing, one more per further period of firing before escalating, one before for a rise."""
        return self.for_periods + (self.escalate_after or 1) - 1 + (self.rise_over is not None)

    @property
    def rank(self) -> tuple[int, int]:
        """Order of tiers on one service: severity first, then the higher threshold (none ranks as 0)."""
        return SEVERITIES.index(self.severity), self.threshold or 0

    @property
    def comparison(self) -> str:
        return ">=" if self.at_least else ">"


def as_heard(rules: Iterable[Rule]) -> list[Rule]:
    """Every rule as the topics hear it: each one on its department's topic, and each escalation as a
    rule of its own on the `escalate_to` department's (`NAME -> DEPARTMENT`), so that what checks a
    department's messages or reach before a run checks the escalations it will be sent too."""
    rules = list(rules)
    return rules + [
        replace(r, name=r.escalation, department=r.escalate_to, escalate_after=None, escalate_to=None)
        for r in rules
        if r.escalate_to is not None
    ]


def _whole(value: Any, least: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= least


def _check(rule: Rule, label: str, known: set[str], keys: set[str]) -> None:
    """Every field's type and range, and the keys that only make sense together."""
    if rule.threshold is not None and not _whole(rule.threshold, 0):
        raise RuleError(f"{label}, threshold: {rule.threshold!r} is not a whole number >= 0")
    if rule.department not in known:
        raise RuleError(f"{label}, department: {rule.department!r} is not one of {', '.join(sorted(known))}")
    if rule.severity not in SEVERITIES:
        raise RuleError(f"{label}, severity: {rule.severity!r} is not one of {', '.join(SEVERITIES)}")
    if not isinstance(rule.at_least, bool):
        raise RuleError(f"{label}, at_least: {rule.at_least!r} is not true or false")
    if not _whole(rule.for_periods, 1):
        raise RuleError(f"{label}, for_periods: {rule.for_periods!r} is not a whole number >= 1")
    rise = rule.rise_over
    if rise is not None and (
        isinstance(rise, bool) or not isinstance(rise, int | float) or not math.isfinite(rise) or rise <= 0
    ):
        raise RuleError(f"{label}, rise_over: {rise!r} is not a percent > 0")
    if not _whole(rule.min_rise, 0):
        raise RuleError(f"{label}, min_rise: {rule.min_rise!r} is not a whole number >= 0")
    if "min_rise" in keys and rise is None:
        raise RuleError(f"{label}, min_rise: only used with rise_over (give rise_over too, or drop it)")
    for given, other in (("escalate_after", "escalate_to"), ("escalate_to", "escalate_after")):
        if getattr(rule, given) is not None and getattr(rule, other) is None:
            raise RuleError(f"{label}, {given}: comes with {other} (give both, or neither)")
    if rule.escalate_after is not None and not _whole(rule.escalate_after, 1):
        raise RuleError(f"{label}, escalate_after: {rule.escalate_after!r} is not a whole number >= 1")
    if rule.escalate_to is not None and rule.escalate_to not in known:
        raise RuleError(
            f"{label}, escalate_to: {rule.escalate_to!r} is not one of {', '.join(sorted(known))}"
        )
    if rule.escalate_to == rule.department:
        raise RuleError(f"{label}, escalate_to: {rule.escalate_to!r} is the rule's own department")
    if rule.periods_needed > KEPT_PERIODS:
        key = "for_periods" if rule.escalate_after is None else "escalate_after"
        raise RuleError(
            f"{label}, {key}: the rule needs {rule.periods_needed} months of counts; "
            f"the alert state keeps {KEPT_PERIODS}"
        )


def _path(edges: Mapping[str, set[str]], start: str, goal: str) -> list[str]:
    """A chain of escalations from start to goal ([] when there is none)."""
    paths = {start: [start]}
    queue = [start]
    while queue:
        here = queue.pop(0)
        if here == goal:
            return paths[here]
        for there in sorted(edges.get(here, set()) - set(paths)):
            paths[there] = [*paths[here], there]
            queue.append(there)
    return []


def parse_rules(raw_rules: Iterable[Mapping[str, Any]], departments: Iterable[str]) -> list[Rule]:
    """Validate every rule before any report is read or anything is published."""
    known = set(departments)
    rules: list[Rule] = []
    escalations: dict[str, set[str]] = {}  # department -> the departments its rules escalate to
    if isinstance(raw_rules, Mapping | str) or not isinstance(raw_rules, Iterable):
        raise RuleError("rules must be a list of rules")
    for position, raw in enumerate(raw_rules, start=1):
        if not isinstance(raw, Mapping):
            raise RuleError(f"rule {position}: must be a mapping of fields, not {raw!r}")
        label = f"rule {raw.get('name') or position}"
        missing = [f for f in REQUIRED if raw.get(f) in (None, "")]
        if raw.get("threshold") in (None, "") and raw.get("rise_over") is None:
            missing.append("threshold")
        unknown = sorted(set(raw) - set(REQUIRED) - set(OPTIONAL))
        if missing or unknown:  # both at once: `treshold: 30` is one typo, not a missing threshold
            hint = " (or rise_over)" if "threshold" in missing and not unknown else ""
            parts = [f"missing field(s) {', '.join(missing)}{hint}"] if missing else []
            parts += [f"unknown field(s) {', '.join(unknown)}"] if unknown else []
            raise RuleError(f"{label}: {'; '.join(parts)}")
        for name in ("name", "service_name", "department"):
            if not isinstance(raw[name], str):
                raise RuleError(
                    f"{label}, {name}: {raw[name]!r} is not text (quote it in the params file: '{raw[name]}')"
                )
        rule = Rule(**{**OPTIONAL, **raw})
        _check(rule, label, known, set(raw))
        if any(r.name == rule.name for r in rules):
            raise RuleError(f"{label}, name: used by another rule")
        if rule.escalate_to is not None:
            cycle = _path(escalations, rule.escalate_to, rule.department)
            if cycle:
                raise RuleError(
                    f"{label}, escalate_to: escalation cycle {' -> '.join([rule.department, *cycle])}"
                )
            escalations.setdefault(rule.department, set()).add(rule.escalate_to)
        rules.append(rule)
    if not rules:
        raise RuleError("no rules: give at least one")
    taken = {r.escalation: r.name for r in rules if r.escalate_to}.keys() & {r.name for r in rules}
    if taken:
        raise RuleError(
            f"rule {min(taken)}, name: the name of another rule's escalation (NAME -> DEPARTMENT)"
        )
    return rules
