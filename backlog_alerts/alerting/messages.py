"""Alert texts per channel (email and SMS), rendered from templates and checked before publishing.

SNS would truncate or reject an over-long SMS or Subject; we check the limits ourselves (preflight) so
that a bad template or an unusual service name stops the check before the first message goes out.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from backlog_alerts.alerting.evaluation import Decision
from backlog_alerts.alerting.rules import SEVERITIES, Rule, as_heard
from backlog_alerts.ascii_text import plain_ascii, topic_display_name
from backlog_alerts.errors import BacklogAlertsError

SMS_LIMIT = 140  # one SMS segment of plain ASCII, including the "DISPLAYNAME> " prefix SNS adds
SUBJECT_LIMIT = 100  # SNS: under 100 printable ASCII characters, no line breaks

DEFAULT_TEMPLATES = {
    "subject": "[{SEVERITY}] {summary}",
    "sms": "{SEVERITY}: {summary}. Details by email.",
    "email": (
        "{SEVERITY} backlog alert for {department}\n\n"
        "{items}\n\n"
        "Report: {report_uri} (period {period})\n"
        "Run: {run_id}\n"
        "This alert is sent once per report period; it is repeated only for a new period or a higher tier."
    ),
    "resolved_subject": "[RESOLVED] {summary}",
    "resolved_sms": "RESOLVED: {summary}.",
    "resolved_email": (
        "Back under threshold for {department}\n\n{items}\n\n"
        "Report: {report_uri} (period {period})\nRun: {run_id}"
    ),
}
FIELDS = {"severity", "SEVERITY", "department", "summary", "items", "report_uri", "period", "run_id"}


class MessageError(BacklogAlertsError, ValueError):
    """A template or a rendered message that breaks a channel's limits; nothing was published."""


@dataclass(frozen=True)
class Message:
    """One publish: a department (or the ops topic), one severity, one or more rules in a digest."""

    department: str
    severity: str  # warning | critical | resolved | ops
    subject: str
    sms: str
    email: str
    decisions: tuple[Decision, ...] = field(default=())

    @property
    def services(self) -> list[str]:
        return [d.service_name for d in self.decisions]


def check_templates(templates: Mapping[str, str]) -> dict[str, str]:
    """Merge overrides with the defaults; an unknown template or field is an error at start-up."""
    unknown = sorted(set(templates) - set(DEFAULT_TEMPLATES))
    if unknown:
        raise MessageError(f"message_templates: unknown template(s) {', '.join(unknown)}")
    merged = {**DEFAULT_TEMPLATES, **templates}
    for name, template in merged.items():
        try:
            used = {f for _, f, _, _ in string.Formatter().parse(template) if f is not None}
        except ValueError as err:
            raise MessageError(f"message_templates.{name}: {err}") from err
        if used - FIELDS:
            raise MessageError(
                f"message_templates.{name}: unknown field(s) {', '.join(sorted(used - FIELDS))} "
                f"(known: {', '.join(sorted(FIELDS))})"
            )
        if name.endswith("subject") and "\n" in template:
            raise MessageError(f"message_templates.{name}: a Subject cannot contain line breaks")
    return merged


def _line(d: Decision, kind: str) -> str:
    if d.explanation:  # a rule over months, on a rise, or escalating: its decision in words
        return f"- {d.service_name}: {d.count} open requests, {_explained(d, kind)} ({d.severity})"
    if kind == "resolved":
        return f"- {d.service_name}: {d.count} open requests, no longer {d.comparison} {d.threshold}"
    return (
        f"- {d.service_name}: {d.count} open requests, threshold {d.comparison} {d.threshold} "
        f"(over by {d.over_by}, {d.severity})"
    )


def _explained(d: Decision, kind: str) -> str:
    """The decision's words; a resolved notice says the rule no longer alerts, and why."""
    return f"no longer alerting: {d.explanation}" if kind == "resolved" else d.explanation


def _summaries(decisions: list[Decision], department: str, kind: str) -> list[str]:
    """From most to least detailed; the first that fits the channel is used. A resolved notice says
    the count is no longer over the threshold, never that it is."""
    relation = "no longer " if kind == "resolved" else ""
    if len(decisions) == 1:
        d = decisions[0]
        if d.explanation:  # then each part alone, the last (an escalation) first, shorter without its (...)
            parts = [p for part in reversed(d.explanation.split("; ")) for p in (part, part.split(" (")[0])]
            return [
                f"{d.service_name} backlog {d.count}, {_explained(d, kind)}",
                *(
                    f"{d.service_name} backlog {d.count}, {_explained(replace(d, explanation=p), kind)}"
                    for p in parts
                ),
                f"{d.service_name} backlog {d.count}",
            ]
        return [
            f"{d.service_name} backlog {d.count}, {relation}{d.comparison} {d.threshold}"
            if relation
            else f"{d.service_name} backlog {d.count} {d.comparison} {d.threshold}",
            f"{d.service_name} backlog {d.count}",
        ]
    detailed = "; ".join(
        f"{d.service_name} {d.count}, {_explained(d, kind)}"
        if d.explanation
        else f"{d.service_name} {d.count}, {relation}{d.comparison} {d.threshold}"
        if relation
        else f"{d.service_name} {d.count} {d.comparison} {d.threshold}"
        for d in decisions
    )
    return [
        f"{len(decisions)} {department} backlogs: {detailed}",
        f"{len(decisions)} {department} backlogs back under threshold"
        if relation
        else f"{len(decisions)} {department} backlogs over threshold",
    ]


def _render_fitting(template: str, summaries: list[str], values: dict[str, str], limit: int) -> str:
    for summary in summaries:
        text = plain_ascii(template.format(summary=summary, **values))
        if len(text) <= limit:
            return text
    return text


def render(
    decisions: list[Decision],
    kind: str,
    templates: Mapping[str, str],
    *,
    display_name: str,
    report_uri: str,
    period: str,
    run_id: str,
    also: Mapping[tuple[str, str], list[str]] | None = None,
) -> Message:
    """One message for some decisions of one department: `kind` is a severity or `resolved`; `also`:
    by (topic, service), what outranked rules said, as lines of the email under their alert."""
    department = decisions[0].department
    display_name = topic_display_name(display_name)  # as SNS puts it in front of the SMS
    prefix = "resolved_" if kind == "resolved" else ""
    values = {
        "severity": kind,
        "SEVERITY": kind.upper(),
        "department": department,
        "items": "\n".join(
            line
            for d in decisions
            for line in [
                _line(d, kind),
                *(f"  also: {x}" for x in (also or {}).get((d.topic, d.service_name), [])),
            ]
        ),
        "report_uri": report_uri,
        "period": period or "unknown",
        "run_id": run_id,
    }
    summaries = _summaries(decisions, department, kind)
    sms_room = SMS_LIMIT - len(f"{display_name}> ")
    message = Message(
        department=department,
        severity=kind,
        subject=_render_fitting(templates[f"{prefix}subject"], summaries, values, SUBJECT_LIMIT - 1),
        sms=_render_fitting(templates[f"{prefix}sms"], summaries, values, sms_room),
        email=templates[f"{prefix}email"].format(summary=summaries[0], **values),
        decisions=tuple(decisions),
    )
    preflight(message, display_name)
    return message


def preflight(message: Message, display_name: str) -> None:
    """The limits SNS would otherwise enforce by truncating or rejecting, checked before any publish."""
    where = f"{message.department} {message.severity} message"
    subject = message.subject
    if not subject.strip():
        raise MessageError(f"{where}: the Subject is empty")
    if len(subject) >= SUBJECT_LIMIT:
        raise MessageError(f"{where}: the Subject has {len(subject)} characters (limit {SUBJECT_LIMIT - 1})")
    if not all(32 <= ord(ch) < 127 for ch in subject):
        raise MessageError(f"{where}: the Subject must be printable ASCII on one line: {subject!r}")
    sms = f"{display_name}> {message.sms}"
    if not message.sms.strip() or not sms.isascii():
        raise MessageError(f"{where}: the SMS text must be non-empty plain ASCII: {message.sms!r}")
    if len(sms) > SMS_LIMIT:
        raise MessageError(
            f"{where}: the SMS is {len(sms)} characters with the {display_name!r} prefix (limit {SMS_LIMIT})"
        )
    if not message.email.strip():
        raise MessageError(f"{where}: the email text is empty")


def check_messages(
    rules: list[Rule],
    display_names: Mapping[str, str],
    templates: Mapping[str, str],
    counts: Mapping[str, int] | None = None,
) -> None:
    """Render every message these rules can send, with the real display names, before anything starts.

    Each department's tiers alone and as a digest (the escalations it hears among them), and its
    resolved notice, with this report's counts
    (or counts just over each threshold): a DisplayName or template that cannot fit SNS's limits stops
    the run before the first change to AWS, instead of failing the alert check after the sync.
    """
    counts = counts or {}
    heard = as_heard(rules)
    for department, name in display_names.items():
        mine = [r for r in heard if r.department == department]
        tiers = [[r for r in mine if r.severity == severity] for severity in SEVERITIES]
        groups = [g for g in tiers if g] + [[r] for r in mine]
        cases = [(g, g[0].severity) for g in groups] + [(g, "resolved") for g in [*groups, mine] if g]
        for group, kind in cases:
            decisions = [_example(r, counts.get(r.service_name), kind) for r in group]
            try:
                _render_example(decisions, kind, templates, name)
            except MessageError as err:
                try:  # is the name too long even for the default texts? Else the templates are at fault.
                    _render_example(decisions, kind, DEFAULT_TEMPLATES, name)
                except MessageError:
                    pass
                else:
                    raise
                prefix = topic_display_name(name)
                raise MessageError(
                    f"departments.{department}: the DisplayName {prefix!r} ({len(prefix)} characters, put "
                    f"in front of every SMS) leaves too little room for the text of a {kind} alert "
                    f"(limit {SMS_LIMIT} characters in all)"
                ) from err


def _example(rule: Rule, count: int | None, kind: str) -> Decision:
    """A decision like the alert check makes, for a count that fires the rule (or, resolved, does not)."""
    line = rule.threshold or 0  # a rule without a threshold (a rise alone): as if its line were 0
    count = min(line if count is None else count, line) if kind == "resolved" else max(count or 0, line + 1)
    fired = kind != "resolved"
    return Decision(
        rule.name,
        rule.service_name,
        rule.department,
        rule.severity,
        rule.comparison,
        line,
        count,
        fired,
    )


def _render_example(decisions: list[Decision], kind: str, templates: Mapping[str, str], name: str) -> None:
    render(
        decisions,
        kind,
        templates,
        display_name=name,
        report_uri="s3://" + "x" * 60 + "/2019/feb/final_report.csv",
        period="2019-02",
        run_id="20261128T113230.712721Z",
    )
