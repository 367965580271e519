"""Alert rules: which service's count, above which threshold, alerts which department."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

RULE_FIELDS = ("name", "service_name", "department", "threshold", "subject")


class RuleError(ValueError):
    """A rule in the params that cannot be used; the message names the rule and field."""


@dataclass(frozen=True)
class Rule:
    """Fires when the service's count is strictly greater than the threshold."""

    name: str
    service_name: str
    department: str
    threshold: int
    subject: str

    def fires(self, count: int) -> bool:
        return count > self.threshold


def parse_rules(raw_rules: Iterable[Mapping[str, Any]], departments: Iterable[str]) -> list[Rule]:
    """Validate every rule before any report is read or anything is published."""
    known = set(departments)
    rules: list[Rule] = []
    for position, raw in enumerate(raw_rules, start=1):
        label = f"rule {raw.get('name') or position}"
        missing = [f for f in RULE_FIELDS if raw.get(f) in (None, "")]
        unknown = sorted(set(raw) - set(RULE_FIELDS))
        if missing:
            raise RuleError(f"{label}: missing field(s) {', '.join(missing)}")
        if unknown:
            raise RuleError(f"{label}: unknown field(s) {', '.join(unknown)}")
        threshold = raw["threshold"]
        if isinstance(threshold, bool) or not isinstance(threshold, int) or threshold < 0:
            raise RuleError(f"{label}, threshold: {threshold!r} is not a whole number >= 0")
        if raw["department"] not in known:
            raise RuleError(
                f"{label}, department: {raw['department']!r} is not one of {', '.join(sorted(known))}"
            )
        if any(r.name == raw["name"] for r in rules):
            raise RuleError(f"{label}, name: used by another rule")
        rules.append(Rule(**{f: raw[f] for f in RULE_FIELDS}))
    return rules


def alert_message(rule: Rule, count: int, report_uri: str) -> str:
    """The text directors read, by email and SMS alike: service, count, threshold, source."""
    return (
        f"{rule.service_name}: {count} open service requests, above the alert threshold of "
        f"{rule.threshold}. Please review the {rule.department} backlog. (Report: {report_uri})"
    )
