"""Mute windows from params: hold back one rule's alerts, or a department's, until a date, for a reason."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from backlog_alerts.alerting.rules import SEVERITIES, Rule
from backlog_alerts.errors import BacklogAlertsError

if TYPE_CHECKING:
    from backlog_alerts.alerting.evaluation import Decision


class MuteError(BacklogAlertsError, ValueError):
    """A mute window in the params that cannot be used; names the mute and field."""


@dataclass(frozen=True)
class Mute:
    """Hold back, until `until` (inclusive), one rule's alerts, or a department's (of one severity, if
    given), for a stated reason. It silences only what it names."""

    until: date
    reason: str
    department: str = ""
    rule: str = ""
    severity: str = ""

    def names(self, decision: Decision) -> bool:
        if self.rule:  # a rule's escalation is held with it
            return self.rule in (decision.rule, decision.escalation_of)
        return decision.department == self.department and self.severity in ("", decision.severity)

    def covers(self, decision: Decision, today: date) -> bool:
        return today <= self.until and self.names(decision)


def parse_mutes(
    raw_mutes: Iterable[Mapping[str, Any]], departments: Iterable[str], rules: list[Rule]
) -> list[Mute]:
    """Mute windows from params: each names a rule (or a rule's escalation, `NAME -> DEPARTMENT`, alone),
    or a department (and optionally a severity), an end date and a reason."""
    known_departments = set(departments)
    known_rules = {r.name for r in rules} | {r.escalation for r in rules if r.escalate_to is not None}
    mutes = []
    for position, raw in enumerate(raw_mutes or [], start=1):
        label = f"mute {position}"
        if not isinstance(raw, Mapping):
            raise MuteError(f"{label}: must be a mapping of fields, not {raw!r}")
        unknown = sorted(set(raw) - {"department", "rule", "severity", "until", "reason"})
        if unknown:
            raise MuteError(f"{label}: unknown field(s) {', '.join(unknown)}")
        if bool(raw.get("department")) == bool(raw.get("rule")):
            raise MuteError(f"{label}: give exactly one of department or rule")
        if raw.get("department") and raw["department"] not in known_departments:
            raise MuteError(f"{label}, department: {raw['department']!r} is not a configured department")
        if raw.get("rule") and raw["rule"] not in known_rules:
            raise MuteError(f"{label}, rule: {raw['rule']!r} is not a rule name")
        if raw.get("severity") and (raw.get("rule") or raw["severity"] not in SEVERITIES):
            raise MuteError(
                f"{label}, severity: give it with a department, as one of {', '.join(SEVERITIES)} "
                "(a rule has one severity already)"
            )
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
        mutes.append(
            Mute(
                until,
                str(raw["reason"]),
                raw.get("department", ""),
                raw.get("rule", ""),
                raw.get("severity", ""),
            )
        )
    return mutes
