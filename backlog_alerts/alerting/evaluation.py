"""From counts to decisions: which rules fire, which tier goes out, and what the topic already heard.

All of this is pure (no AWS, no clock), so every transition is unit-tested as a table of cases and as
properties over sequences of reports.

An alert is what a director hears: (topic, service, tier, report period). Rule names, thresholds and
params files are not part of it, so renaming or retuning a rule sends nothing new, and a service moved
to another department is news to that department's topic. Per service and topic, mutes come first (a
mute silences only the rules it names), then the highest tier that fires and is not muted goes out,
unless the topic already heard that tier, or a higher one, of that service in this period.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from backlog_alerts.alerting.mutes import Mute
from backlog_alerts.alerting.report import count_for
from backlog_alerts.alerting.rules import SEVERITIES, Rule
from backlog_alerts.alerting.streaks import History, verdict
from backlog_alerts.state.document import RESOLVED as RESOLVED_TIER
from backlog_alerts.state.document import UNDATED, AlertState, is_dated
from backlog_alerts.state.ledger import covering, highest_alert, previous_period

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
    action: str = QUIET
    note: str = ""
    message_id: str = ""
    error: str = ""  # why a planned message was not sent (the next run sends it)
    period: str = ""  # the report's period, else `count:N` (the count itself is the fact)
    topic: str = ""  # the ARN of the department's topic, where the alert goes
    heard_before: str = ""  # the highest tier the topic had heard of this service this period
    previous_message_id: str = ""  # suppressed: the alert already heard
    previous_sent_at: str = ""
    explanation: str = ""  # a rule over months or on a rise: the decision in words a director reads
    escalation_of: str = ""  # the rule this is the escalation of, to its `escalate_to` department

    @property
    def over_line(self) -> bool:
        """The count is over the rule's threshold, whether or not the rule fired (a chain of months
        broken by a missing report): such a backlog is not back under threshold."""
        if not self.comparison or self.count is None:
            return False
        return self.count >= self.threshold if self.comparison == ">=" else self.count > self.threshold

    @property
    def over_by(self) -> int:
        return (self.count or 0) - self.threshold

    @property
    def tier(self) -> str:
        """What a topic hears when this decision is sent: its severity, or a resolved notice."""
        return RESOLVED_TIER if self.action == RESOLVED else self.severity


def evaluate(
    rules: list[Rule],
    counts: dict[str, int],
    report_uri: str,
    missing_service: str,
    period: str = "",
    history: History | None = None,
    department_names: Mapping[str, str] | None = None,
) -> list[Decision]:
    """Compare every rule with its count, and a rule over months or on a rise with the counts `history`
    of earlier periods (the alert state's); a rule that escalates also decides for its `escalate_to`
    department (fired when it has fired in each of its last `escalate_after` periods).

    Every rule's service is looked up before any verdict, so a missing one stops the whole check.
    A verdict is about its report's period; without one, about the count itself, so that the same
    numbers exported again (or another service's count changing) never repeat an alert.
    """
    looked_up = {r.name: count_for(counts, r.service_name, report_uri, missing_service) for r in rules}
    months = {
        **(history or {}),
        period: {**counts, **{r.service_name: c for r in rules if (c := looked_up[r.name]) is not None}},
    }
    decisions = []
    for r in rules:
        count = looked_up[r.name]
        decision = Decision(
            r.name,
            r.service_name,
            r.department,
            r.severity,
            r.comparison if r.threshold is not None else "",  # a rise alone has no line to cross
            r.threshold or 0,
            count,
            count is not None and r.fires(count),
            period=period or f"{UNDATED}{count}",
        )
        if count is None:
            decision = replace(
                decision, action=SKIPPED, note="service not in the report (missing_service: skip)"
            )
        elif r.service_name not in counts:
            decision = replace(
                decision, note="service not in the report, counted as 0 (missing_service: zero)"
            )
        escalation = None
        if count is not None and not r.plain:
            decision, escalation = _over_periods(r, decision, months, department_names or {})
        decisions += [decision] + ([escalation] if escalation else [])
    return decisions


def decided_counts(decisions: Iterable[Decision]) -> dict[str, int]:
    """The count of each service the rules decided on (a missing one as 0 with `missing_service: zero`,
    none when skipped): what the history of counts keeps of a period."""
    return {d.service_name: d.count for d in decisions if d.count is not None}


def _over_periods(
    rule: Rule, decision: Decision, months: History, names: Mapping[str, str]
) -> tuple[Decision, Decision | None]:
    """A rule over months, on a rise or escalating: its verdict over the history, and its decision for
    the `escalate_to` department (None for a rule that does not escalate)."""
    if not is_dated(decision.period):
        why = "the report has no period: a rule over months, on a rise or escalating needs monthly reports"
        return replace(decision, fired=False, explanation=why), None
    seen = verdict(rule, decision.period, months, names)
    decision = replace(decision, fired=seen.fired, explanation=seen.explanation)
    if rule.escalate_to is None:
        return decision, None
    escalation = replace(
        decision,
        rule=rule.escalation,
        department=rule.escalate_to,
        fired=seen.escalate,
        escalation_of=rule.name,
    )
    return decision, escalation


def _outranks(d: Decision) -> tuple[int, int]:
    return SEVERITIES.index(d.severity), d.threshold


def _muted(d: Decision, mutes: list[Mute], today: date) -> Decision | None:
    mute = next((m for m in mutes if m.covers(d, today)), None)
    return None if mute is None else replace(d, action=MUTED, note=f"muted until {mute.until}: {mute.reason}")


def _sent(d: Decision, action: str, mutes: list[Mute], today: date) -> Decision:
    """A decision to send, saying so when a mute that names it has ended (its date passed)."""
    ended = [m for m in mutes if m.names(d) and not m.covers(d, today)]
    note = "; ".join(f"the mute until {m.until} ({m.reason}) has ended" for m in ended)
    return replace(d, action=action, note="; ".join(filter(None, [d.note, note])))


def _already(d: Decision, heard: Any, what: str) -> Decision:
    how = "" if heard.how == "sent" else f" ({heard.how})"
    rule = f", rule {heard.rule}" if heard.rule and heard.rule != d.rule else ""
    return replace(
        d,
        action=SUPPRESSED,
        note=f"{what} {heard.message_id or '(no MessageId)'} at {heard.sent_at or 'an unknown time'}"
        f" ({heard.tier}, period {heard.period}{rule}){how}",
        previous_message_id=heard.message_id,
        previous_sent_at=heard.sent_at,
    )


def _plan_group(
    group: list[Decision],
    state: AlertState,
    *,
    notify_resolved: bool,
    mutes: list[Mute],
    today: date,
) -> list[Decision]:
    """One service on one topic: mutes, then the highest tier left, then what the topic heard."""
    first = group[0]
    topic, service, period = first.topic, first.service_name, first.period
    before = highest_alert(state, topic, service, period)
    group = [replace(d, heard_before=before.tier if before else "") for d in group]
    fired = [d for d in group if d.fired]
    muted = {d.rule: m for d in fired if (m := _muted(d, mutes, today))}
    live = [d for d in fired if d.rule not in muted]
    winner = max(live, key=_outranks) if live else None
    planned = {}
    for d in group:
        if d.action == SKIPPED:
            planned[d.rule] = d
        elif d.rule in muted:
            planned[d.rule] = muted[d.rule]
        elif winner is not None and d.rule == winner.rule:
            heard = covering(state, topic, service, d.severity, period)
            planned[d.rule] = _already(d, heard, "already sent") if heard else _sent(d, PUBLISH, mutes, today)
        elif d.fired:
            planned[d.rule] = replace(
                d, action=SUPERSEDED, note=f"{winner.rule if winner else '?'} outranks it"
            )
        else:
            planned[d.rule] = replace(d, action=QUIET)
    if not fired:
        resolved = _resolution(group, state, notify_resolved=notify_resolved, mutes=mutes, today=today)
        if resolved is not None:
            planned[resolved.rule] = resolved
    return [planned[d.rule] for d in group]


def _resolution(
    group: list[Decision], state: AlertState, *, notify_resolved: bool, mutes: list[Mute], today: date
) -> Decision | None:
    """A service under every threshold whose topic heard an alert of it in the period checked before
    this one: back under threshold, once per period, told by the rule of the lowest threshold (the
    count is under all of them); a rule on a rise alone has no line to be under, and tells it only when
    no rule has one. A count still over a line resolves nothing, though its rule did not fire (a chain of
    months broken by a missing report). Inside a period nothing resolves: a dip after the
    period's alert changes nothing (the alert of that period stands)."""
    first = group[0]
    topic, service, period = first.topic, first.service_name, first.period
    last = previous_period(state, period)
    was = highest_alert(state, topic, service, last, exact=True) if last else None
    if was is None or highest_alert(state, topic, service, period) is not None:
        return None
    candidates = [d for d in group if d.action != SKIPPED]
    if not candidates or any(d.over_line for d in candidates):
        return None
    # under every threshold: the lowest says it all (a rise alone has none: its 0 is no line)
    rule = min(candidates, key=lambda d: (not d.comparison, d.threshold))
    told = covering(state, topic, service, RESOLVED_TIER, period)
    if told is not None:
        return _already(rule, told, "resolved notice already sent")
    note = f"back under threshold; {was.tier} alert of {last} ({was.message_id or 'no MessageId'})"
    if not notify_resolved:
        return replace(rule, action=CLEARED, note=f"{note}; notify_resolved is off: no notice")
    resolved = _sent(replace(rule, note=note), RESOLVED, mutes, today)
    return _muted(resolved, mutes, today) or resolved


def plan_actions(
    decisions: list[Decision],
    state: AlertState,
    topics: Mapping[str, str],
    *,
    notify_resolved: bool,
    mutes: Iterable[Mute] = (),
    today: date,
) -> list[Decision]:
    """Given what each topic (by department: its ARN in `topics`) heard, decide per rule: publish,
    suppress, resolve, clear, hold (mute), or outranked."""
    mutes = list(mutes)
    groups: dict[tuple[str, str], list[Decision]] = {}
    for d in decisions:
        d = replace(d, topic=topics.get(d.department, f"(no topic for {d.department})"))
        groups.setdefault((d.service_name, d.topic), []).append(d)
    planned = {
        d.rule: d
        for group in groups.values()
        for d in _plan_group(group, state, notify_resolved=notify_resolved, mutes=mutes, today=today)
    }
    return [planned[d.rule] for d in decisions]
