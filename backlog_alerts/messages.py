"""Alert texts per channel (email and SMS), rendered from templates and checked before publishing.

SNS would truncate or reject an over-long SMS or Subject; we check the limits ourselves (preflight) so
that a bad template or an unusual service name stops the check before the first message goes out.
"""

from __future__ import annotations

import string
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field

from backlog_alerts.evaluation import Decision

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


class MessageError(ValueError):
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


def plain_ascii(text: str) -> str:
    """`Violación` -> `Violacion`: SMS and Subject must be plain ASCII, so accents are dropped."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return folded


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


def _line(d: Decision) -> str:
    return (
        f"- {d.service_name}: {d.count} open requests, threshold {d.comparison} {d.threshold} "
        f"(over by {d.over_by}, {d.severity})"
    )


def _summaries(decisions: list[Decision], department: str) -> list[str]:
    """From most to least detailed; the first that fits the channel is used."""
    if len(decisions) == 1:
        d = decisions[0]
        return [
            f"{d.service_name} backlog {d.count} {d.comparison} {d.threshold}",
            f"{d.service_name} backlog {d.count}",
        ]
    detailed = "; ".join(f"{d.service_name} {d.count} {d.comparison} {d.threshold}" for d in decisions)
    return [
        f"{len(decisions)} {department} backlogs: {detailed}",
        f"{len(decisions)} {department} backlogs over threshold",
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
) -> Message:
    """One message for some decisions of one department: `kind` is a severity or `resolved`."""
    department = decisions[0].department
    prefix = "resolved_" if kind == "resolved" else ""
    values = {
        "severity": kind,
        "SEVERITY": kind.upper(),
        "department": department,
        "items": "\n".join(_line(d) for d in decisions),
        "report_uri": report_uri,
        "period": period or "unknown",
        "run_id": run_id,
    }
    summaries = _summaries(decisions, department)
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
