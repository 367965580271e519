"""Publishing planned alerts and what the state remembers of them.

One digest per department and severity, each recorded in the state's ledger right after SNS took it,
and the topic marked with its last send; a version 1 state converted by what was really sent.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from contextlib import suppress
from dataclasses import replace
from datetime import UTC, datetime
from functools import partial
from typing import Any

from backlog_alerts.alerting.evaluation import (
    PUBLISH,
    RESOLVED,
    SUPERSEDED,
    SUPPRESSED,
    Decision,
    decided_counts,
)
from backlog_alerts.alerting.messages import Message, render
from backlog_alerts.alerting.report import Report
from backlog_alerts.alerting.report_checks import remember_checked
from backlog_alerts.alerting.rules import SEVERITIES, Rule
from backlog_alerts.errors import EXIT_NOTEBOOK_FAILED, BacklogAlertsError
from backlog_alerts.io import aws
from backlog_alerts.state.document import AlertState, Heard, is_dated
from backlog_alerts.state.ledger import LegacyRule, convert_legacy, covering, record
from backlog_alerts.state.store import StateStore
from backlog_alerts.sync.marks import Mark, next_send, tag_checked, tag_send
from backlog_alerts.sync.topics import Topic


def build_messages(
    decisions: list[Decision],
    templates: Mapping[str, str],
    display_names: Mapping[str, str],
    *,
    report_uri: str,
    period: str,
    run_id: str,
) -> list[Message]:
    """Group what is to be sent: fired rules by (department, severity), resolved ones by department.
    What an outranked rule of the same service and topic said (a rise under months over) is in the email
    too: the director hears one alert, with every reason for it."""
    also: dict[tuple[str, str], list[str]] = {}
    for d in decisions:
        if d.action == SUPERSEDED and d.explanation:
            also.setdefault((d.topic, d.service_name), []).append(f"{d.explanation} (rule {d.rule})")
    groups: dict[tuple[str, str], list[Decision]] = {}
    for d in decisions:
        if d.action == PUBLISH:
            groups.setdefault((d.department, d.severity), []).append(d)
        elif d.action == RESOLVED:
            groups.setdefault((d.department, "resolved"), []).append(d)
    order = {s: i for i, s in enumerate(reversed(SEVERITIES))} | {"resolved": len(SEVERITIES)}
    return [
        render(
            group,
            kind,
            templates,
            display_name=display_names.get(dept, ""),
            report_uri=report_uri,
            period=period,
            run_id=run_id,
            also=also,
        )
        for (dept, kind), group in sorted(groups.items(), key=lambda item: (item[0][0], order[item[0][1]]))
    ]


def message_attributes(message: Message) -> dict[str, Any]:
    """Attributes subscription filter policies route on (e.g. a critical-only director)."""
    return {
        "severity": {"DataType": "String", "StringValue": message.severity},
        "department": {"DataType": "String", "StringValue": message.department},
        "service": {"DataType": "String.Array", "StringValue": json.dumps(message.services)},
    }


def message_body(message: Message) -> str:
    """The body as published: a text per channel (`default` serves every other protocol)."""
    return json.dumps({"default": message.email, "email": message.email, "sms": message.sms})


def publish(sns: Any, topic_arn: str, message: Message) -> str:
    """One publish with a text per channel, and the attributes filter policies route on."""
    return sns.publish(
        TopicArn=topic_arn,
        Subject=message.subject,
        Message=message_body(message),
        MessageStructure="json",
        MessageAttributes=message_attributes(message),
    )["MessageId"]


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def publish_and_record(
    sns: Any,
    messages: list[Message],
    decisions: list[Decision],
    store: StateStore,
    *,
    report: Report,
    run_id: str,
    marks: Mapping[str, Mark] | None = None,
    rerender: Callable[[list[Decision]], Message] | None = None,
    reread: bool = True,
) -> list[Decision]:
    """Publish each message, record it in the state at once, then on its topic (`marks`: the topics'
    marks, by ARN): a crash in between repeats at most one alert, and never loses one.

    Called under the state's lock, it reads the state once more first (`reread`; not needed when the
    lock was held since the state was read): what another writer sent since this check planned (a
    notebook run by hand beside a scheduled run) is not sent again (`rerender` renders a digest
    without it). A message SNS refuses (after botocore's retries) is recorded as not
    sent and the rest still go. Last, the report's period is noted as checked, in the state and on
    the topics (a state restored from before it is then known to be behind).
    """
    sent: dict[str, str] = {}
    failed: dict[str, str] = {}
    meanwhile: dict[str, Decision] = {}
    last = {
        (arn, dated): send
        for arn, mark in (marks or {}).items()
        for dated, send in ((True, mark.last_send), (False, mark.last_undated))
    }
    if reread:
        store.load()
    for message in messages:
        for d in message.decisions:
            heard = covering(store.state, d.topic, d.service_name, d.tier, d.period)
            if heard is not None:
                meanwhile[d.rule] = _heard_meanwhile(d, heard)
        fresh = [d for d in message.decisions if d.rule not in meanwhile]
        if not fresh:
            continue
        if len(fresh) < len(message.decisions) and rerender is not None:
            message = rerender(fresh)
        topic = message.decisions[0].topic
        try:
            message_id = publish(sns, topic, message)
        except aws.CALL_ERRORS as err:  # the others still go; the state says this did not
            failed.update((d.rule, f"not sent: {aws.error_code(err) or err}") for d in message.decisions)
            continue
        sent_at = _now()
        store.update(
            partial(mark_sent, message=message, message_id=message_id, run_id=run_id, sent_at=sent_at)
        )
        sent.update((d.rule, message_id) for d in message.decisions)
        period = message.decisions[0].period
        mark = next_send(last.get((topic, is_dated(period))), period, message.severity, message_id, run_id)
        last[(topic, is_dated(period))] = mark
        with suppress(*aws.CALL_ERRORS):  # a mark not made weakens only the check for a lost state
            tag_send(sns, topic, mark)
    if report.status == "ok":
        remember_checked(store, report, decided_counts(decisions))
        for arn, topic_mark in (marks or {}).items():  # each topic records the newest period checked
            if is_dated(report.period) and topic_mark.checked < report.period:
                with suppress(*aws.CALL_ERRORS):
                    tag_checked(sns, arn, report.period)
    return [
        meanwhile.get(d.rule)
        or replace(d, message_id=sent.get(d.rule, d.message_id), error=failed.get(d.rule, ""))
        for d in decisions
    ]


def _heard_meanwhile(d: Decision, heard: Heard) -> Decision:
    """A decision to send that another writer sent since this check planned it."""
    return replace(
        d,
        action=SUPPRESSED,
        note=f"sent meanwhile by run {heard.run_id or '?'}: {heard.message_id} at {heard.sent_at}",
        previous_message_id=heard.message_id,
        previous_sent_at=heard.sent_at,
    )


def mark_sent(
    state: AlertState, message: Message, message_id: str, *, run_id: str, sent_at: str = ""
) -> dict[str, str]:
    """What the topic heard from one message, in the ledger, and the send logged with its run id; the
    backtest replays history through the same code."""
    sent_at = sent_at or _now()
    record(
        state,
        [
            Heard(
                d.topic,
                d.service_name,
                d.tier,
                d.period,
                message_id=message_id,
                sent_at=sent_at,
                run_id=run_id,
                count=d.count,
                rule=d.rule,
                department=d.department,
            )
            for d in message.decisions
        ],
    )
    state.log_send(
        {
            "run_id": run_id,
            "sent_at": sent_at,
            "topic": message.decisions[0].topic,
            "department": message.department,
            "severity": message.severity,
            "rules": [d.rule for d in message.decisions],
            "message_id": message_id,
        }
    )
    return {d.rule: message_id for d in message.decisions}


def convert_version_1(
    store: StateStore, rules: list[Rule], topics: Mapping[str, Topic], *, dry_run: bool
) -> list[str]:
    """A state written before the ledger: its per-rule records become what each topic heard, by
    today's rules (names) and topics; returns the names no rule has now (their records are dropped).
    A dry run converts in memory only."""
    if not store.state.legacy_rules:
        return []
    known = {r.name: LegacyRule(r.service_name, r.department, r.severity) for r in rules}
    arns = {d: t.arn for d, t in topics.items()}
    if dry_run:
        return convert_legacy(store.state, known, arns)
    return store.update(lambda state: convert_legacy(state, known, arns))


class PublishError(BacklogAlertsError, RuntimeError):
    """Some alerts could not be published; they are recorded as not sent, and the next run sends them."""

    exit_code = EXIT_NOTEBOOK_FAILED


def raise_for_unsent(alerts: list[Decision]) -> None:
    """After recording what went out: a run that could not send everything must not pass for done."""
    unsent = [d for d in alerts if d.error]
    if unsent:
        first = unsent[0]
        raise PublishError(
            f"{len(unsent)} alert(s) not sent, e.g. rule {first.rule} to {first.department}: "
            f"{first.error}. The state records them as unsent; the next run sends them."
        )
