"""Alert rules from params: which service's count, above which threshold, alerts which department."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from backlog_alerts.errors import BacklogAlertsError

SEVERITIES = ("warning", "critical")  # in rising order: a later one outranks an earlier one
REQUIRED = ("name", "service_name", "department", "threshold")
OPTIONAL = {"severity": "warning", "at_least": False}


class RuleError(BacklogAlertsError, ValueError):
    """A rule in the params that cannot be used; the message names the rule and field."""


@dataclass(frozen=True)
class Rule:
    """Fires when the count exceeds the threshold (strictly, unless `at_least`)."""

    name: str
    service_name: str
    department: str
    threshold: int
    severity: str = "warning"
    at_least: bool = False

    def fires(self, count: int) -> bool:
        return count >= self.threshold if self.at_least else count > self.threshold

    @property
    def rank(self) -> tuple[int, int]:
        """Order of tiers on one service: severity first, then the higher threshold."""
        return SEVERITIES.index(self.severity), self.threshold

    @property
    def comparison(self) -> str:
        return ">=" if self.at_least else ">"


def parse_rules(raw_rules: Iterable[Mapping[str, Any]], departments: Iterable[str]) -> list[Rule]:
    """Validate every rule before any report is read or anything is published."""
    known = set(departments)
    rules: list[Rule] = []
    if isinstance(raw_rules, Mapping | str) or not isinstance(raw_rules, Iterable):
        raise RuleError("rules must be a list of rules")
    for position, raw in enumerate(raw_rules, start=1):
        if not isinstance(raw, Mapping):
            raise RuleError(f"rule {position}: must be a mapping of fields, not {raw!r}")
        label = f"rule {raw.get('name') or position}"
        missing = [f for f in REQUIRED if raw.get(f) in (None, "")]
        unknown = sorted(set(raw) - set(REQUIRED) - set(OPTIONAL))
        if missing or unknown:  # both at once: `treshold: 30` is one typo, not a missing threshold
            parts = [f"missing field(s) {', '.join(missing)}"] if missing else []
            parts += [f"unknown field(s) {', '.join(unknown)}"] if unknown else []
            raise RuleError(f"{label}: {'; '.join(parts)}")
        for name in ("name", "service_name", "department"):
            if not isinstance(raw[name], str):
                raise RuleError(
                    f"{label}, {name}: {raw[name]!r} is not text (quote it in the params file: '{raw[name]}')"
                )
        rule = Rule(**{**OPTIONAL, **raw})
        if isinstance(rule.threshold, bool) or not isinstance(rule.threshold, int) or rule.threshold < 0:
            raise RuleError(f"{label}, threshold: {rule.threshold!r} is not a whole number >= 0")
        if rule.department not in known:
            raise RuleError(
                f"{label}, department: {rule.department!r} is not one of {', '.join(sorted(known))}"
            )
        if rule.severity not in SEVERITIES:
            raise RuleError(f"{label}, severity: {rule.severity!r} is not one of {', '.join(SEVERITIES)}")
        if not isinstance(rule.at_least, bool):
            raise RuleError(f"{label}, at_least: {rule.at_least!r} is not true or false")
        if any(r.name == rule.name for r in rules):
            raise RuleError(f"{label}, name: used by another rule")
        rules.append(rule)
    if not rules:
        raise RuleError("no rules: give at least one")
    return rules
