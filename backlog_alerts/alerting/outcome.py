"""What an alert check did, in the words and tables an auditor reads at the end of notebook 03.

Built from what the check already holds (the report, each rule's outcome, the messages and the
topics), never from SNS or the emulator, so that the executed notebook alone answers "who was told
what, with which MessageId, and what was held back and why".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from backlog_alerts.alerting.evaluation import (
    CLEARED,
    MUTED,
    PUBLISH,
    QUIET,
    RESOLVED,
    SKIPPED,
    SUPERSEDED,
    SUPPRESSED,
    Decision,
)
from backlog_alerts.alerting.messages import Message
from backlog_alerts.alerting.report import Report
from backlog_alerts.sync.topics import Topic

HELD_BACK = (SUPPRESSED, MUTED)


@dataclass(frozen=True)
class Publication:
    """One message as it went out, or why it did not: matches a message with SNS's MessageId."""

    topic: str
    department: str
    severity: str
    subject: str
    rules: tuple[str, ...]
    message_id: str
    outcome: str  # "published", "not sent: <reason>" or "dry run: not published"


def _topic_name(topics: Mapping[str, Topic], department: str) -> str:
    topic = topics.get(department)
    return topic.name if topic else ""


def message_rows(messages: Sequence[Message], topics: Mapping[str, Topic]) -> list[dict[str, Any]]:
    """Each message exactly as it is published (SNS puts the topic's display name before the SMS)."""
    return [
        {
            "topic": _topic_name(topics, m.department),
            "department": m.department,
            "severity": m.severity,
            "subject": m.subject,
            "sms": m.sms,
            "email": m.email,
            "rules": [d.rule for d in m.decisions],
        }
        for m in messages
    ]


def publications(
    messages: Sequence[Message], alerts: Sequence[Decision], topics: Mapping[str, Topic], *, dry_run: bool
) -> list[Publication]:
    """Per message, the MessageId SNS returned or why there is none (from each rule's outcome)."""
    by_rule = {a.rule: a for a in alerts}
    rows = []
    for m in messages:
        outcomes = [by_rule[d.rule] for d in m.decisions if d.rule in by_rule]
        message_id = next((a.message_id for a in outcomes if a.message_id), "")
        error = next((a.error for a in outcomes if a.error), "")
        if dry_run:
            outcome = "dry run: not published"
        elif message_id:
            outcome = "published"
        else:
            outcome = error or "not sent"
        rows.append(
            Publication(
                topic=_topic_name(topics, m.department),
                department=m.department,
                severity=m.severity,
                subject=m.subject,
                rules=tuple(d.rule for d in m.decisions),
                message_id=message_id,
                outcome=outcome,
            )
        )
    return rows


def _rule_outcome(a: Decision, dry_run: bool) -> tuple[str, str]:
    """(what happened to this rule, why), in an auditor's words; a rule over months, on a rise or
    escalating says its decision in words first ("over 100 for 1 month of the 2 needed")."""
    outcome, why = _outcome(a, dry_run)
    return outcome, "; ".join(filter(None, [a.explanation, why]))


def _outcome(a: Decision, dry_run: bool) -> tuple[str, str]:
    if a.action in (PUBLISH, RESOLVED):
        kind = "alert" if a.action == PUBLISH else "resolved notice"
        if dry_run:
            return f"would publish {kind}: not sent (dry run)", "dry_run is set"
        if a.message_id:
            return f"{kind} sent", a.note
        return f"{kind} not sent", a.error or a.note
    words = {
        SUPPRESSED: "held back: suppressed",
        MUTED: "held back: muted",
        SUPERSEDED: "fired, outranked",
        CLEARED: "back under threshold",
        QUIET: "not firing" if a.explanation else "under threshold",
        SKIPPED: "skipped",
    }
    why = a.note or ("notify_resolved is off: no notice" if a.action == CLEARED else "")
    return words.get(a.action, a.action), why


def rule_rows(
    alerts: Sequence[Decision], topics: Mapping[str, Topic], *, dry_run: bool
) -> list[dict[str, Any]]:
    """One row per rule: its count, what happened, to which topic, with which MessageId, and why."""
    rows = []
    for a in alerts:
        outcome, why = _rule_outcome(a, dry_run)
        sends = a.action in (PUBLISH, RESOLVED)
        rows.append(
            {
                "rule": a.rule,
                "service": a.service_name,
                "count": "" if a.count is None else a.count,
                "threshold": f"{a.comparison} {a.threshold} ({a.severity})"
                if a.comparison
                else f"({a.severity})",
                "outcome": outcome,
                "topic": _topic_name(topics, a.department) if sends else "",
                "message_id": a.message_id,
                "why": why,
            }
        )
    return rows


def _paragraph(report: Report, alerts: Sequence[Decision], sent: Sequence[Publication], dry_run: bool) -> str:
    where = f"Report {report.uri}" + (f" (period {report.period})" if report.period else "")
    if report.status != "ok":
        return f"{where} is {report.status}: no rule was checked and no department was alerted."
    fired = [a for a in alerts if a.fired]
    parts = [f"{where} was checked against {len(alerts)} rule(s); {len(fired)} fired."]
    published = [p for p in sent if p.outcome == "published"]
    unsent = [p for p in sent if p.outcome != "published"]
    if dry_run:
        parts.append(
            f"Dry run: nothing was published; {len(sent)} message(s) would have gone out: "
            + ("; ".join(f"{p.subject!r} to {p.topic}" for p in sent) or "none")
            + "."
        )
        unsent = []
    elif published:
        parts.append(
            f"{len(published)} message(s) published: "
            + "; ".join(f"{p.subject!r} to {p.topic} (MessageId {p.message_id})" for p in published)
            + "."
        )
    else:
        parts.append("No message was published.")
    if unsent:
        parts.append(
            f"{len(unsent)} message(s) not published: "
            + "; ".join(f"{p.subject!r} to {p.topic} ({p.outcome})" for p in unsent)
            + "."
        )
    held = [a for a in alerts if a.action in HELD_BACK]
    if held:
        parts.append(
            f"{len(held)} alert(s) held back: "
            + "; ".join(f"{a.rule} ({a.action}: {a.note})" for a in held)
            + "."
        )
    elif fired:
        parts.append("Nothing that fired was held back.")
    return " ".join(parts)


def run_summary(
    report: Report,
    alerts: Sequence[Decision],
    sent: Sequence[Publication],
    topics: Mapping[str, Topic],
    *,
    notice: Mapping[str, str] | None = None,
    dry_run: bool = False,
) -> dict[str, Any]:
    """A short paragraph and one row per rule: what fired, what went to whom, what was held back."""
    summary: dict[str, Any] = {
        "summary": _paragraph(report, alerts, sent, dry_run),
        "report": report.uri,
        "period": report.period or "(none)",
        "status": report.status,
    }
    if notice:
        summary["ops_notice"] = " ".join(
            part
            for part in (notice.get("action", ""), notice.get("message_id", ""), notice.get("note", ""))
            if part
        )
    summary["rules"] = rule_rows(alerts, topics, dry_run=dry_run)
    return summary
