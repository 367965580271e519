"""Publishing planned alerts and what the state remembers of them.

One digest per department and severity, the state saved after each success (`mark_sent`, `settle`);
a report older than the state's newest period is stale (`against_state`), and a missing, late or
stale report is told to the ops topic once per outage (`report_problem_notice`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from backlog_alerts.alerting.evaluation import CLEARED, PUBLISH, RESOLVED, SUPERSEDED, SUPPRESSED, Decision
from backlog_alerts.alerting.messages import Message, render
from backlog_alerts.alerting.ops import publish_ops_notice
from backlog_alerts.alerting.report import Report
from backlog_alerts.alerting.rules import SEVERITIES
from backlog_alerts.alerting.state import AlertState, RuleState, save_state
from backlog_alerts.errors import EXIT_NOTEBOOK_FAILED, BacklogAlertsError
from backlog_alerts.io import aws
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
    """Group what is to be sent: fired rules by (department, severity), resolved ones by department."""
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


def publish(sns: Any, topic_arn: str, message: Message) -> str:
    """One publish with a text per channel (`default` serves every other protocol)."""
    body = {"default": message.email, "email": message.email, "sms": message.sms}
    return sns.publish(
        TopicArn=topic_arn,
        Subject=message.subject,
        Message=json.dumps(body),
        MessageStructure="json",
        MessageAttributes=message_attributes(message),
    )["MessageId"]


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def publish_and_record(
    sns: Any,
    messages: list[Message],
    decisions: list[Decision],
    topics: Mapping[str, Topic],
    state: AlertState,
    *,
    state_uri: str,
    report: Report,
    run_id: str,
    region: str | None = None,
) -> list[Decision]:
    """Publish each message, then save the state at once: a crash in between repeats at most one alert.

    A message SNS refuses (after botocore's retries) is recorded as not sent and the rest still go.

    Rules that change state without a message (cleared, superseded by a higher tier) are saved last,
    with what this report changes for the next one (see `note_checked`).
    """
    sent: dict[str, str] = {}
    failed: dict[str, str] = {}
    for message in messages:
        try:
            message_id = publish(sns, topics[message.department].arn, message)
        except (ClientError, BotoCoreError) as err:  # the others still go; the state says this did not
            failed.update((d.rule, f"not sent: {aws.error_code(err) or err}") for d in message.decisions)
            continue
        sent.update(mark_sent(state, message, message_id, run_id=run_id))
        save_state(state_uri, state, region)
    settle(state, decisions, sent, failed, run_id=run_id)
    note_checked(state, report)
    save_state(state_uri, state, region)
    return [
        replace(d, message_id=sent.get(d.rule, d.message_id), error=failed.get(d.rule, "")) for d in decisions
    ]


def mark_sent(state: AlertState, message: Message, message_id: str, *, run_id: str) -> dict[str, str]:
    """The state after one message went out, its run id logged; the backtest replays history through
    the same code."""
    sent_at = _now()
    for d in message.decisions:
        state.rules[d.rule] = RuleState(
            status=d.state_after,
            count=d.count,
            report_key=d.report_key,
            message_id=message_id,
            sent_at=sent_at,
            run_id=run_id,
        )
    state.log_send(
        {
            "run_id": run_id,
            "sent_at": sent_at,
            "department": message.department,
            "severity": message.severity,
            "rules": [d.rule for d in message.decisions],
            "message_id": message_id,
        }
    )
    return {d.rule: message_id for d in message.decisions}


def settle(
    state: AlertState,
    decisions: list[Decision],
    sent: Mapping[str, str],
    failed: Mapping[str, str],
    *,
    run_id: str,
) -> None:
    """Rules that change state without a message of their own: cleared, or outranked by a sent tier."""
    winner_ids = {(d.service_name, d.department): sent[d.rule] for d in decisions if d.rule in sent}
    told = {(d.service_name, d.department) for d in decisions if d.rule in sent or d.action == SUPPRESSED}
    unsent = {(d.service_name, d.department) for d in decisions if d.rule in failed}
    for d in decisions:
        if (d.service_name, d.department) in unsent:
            continue  # its tier's message failed: leave the rule as it was, for the next run
        if d.action == SUPERSEDED and (d.service_name, d.department) not in told:
            continue  # its higher tier was muted (or not sent): nobody heard of this tier either
        if d.action == CLEARED:
            state.rules[d.rule] = replace(state.rules[d.rule], status="ok", count=d.count, run_id=run_id)
        elif d.action == SUPERSEDED:
            state.rules[d.rule] = RuleState(
                status="firing",
                count=d.count,
                report_key=d.report_key,
                message_id=winner_ids.get((d.service_name, d.department), ""),
                sent_at=_now(),
                run_id=run_id,
            )


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


def against_state(report: Report, state: AlertState) -> Report:
    """Periods only move forward: a report older than the newest period checked alerts nobody.

    Re-running February after March must neither page anyone with February's numbers nor reset
    what was sent for March (which would send March again on its next run).
    """
    newest = state.latest_period
    if report.status != "ok" or not report.period or not newest or report.period >= newest:
        return report
    note = (
        f"{report.uri} covers {report.period}, but {newest} was already checked: periods only move "
        "forward, so no department is alerted on older numbers (if checking "
        f"{newest} was a mistake, remove latest_period from the alert state)"
    )
    return replace(report, status="stale", note=note, notice_key=report.period)


def note_checked(state: AlertState, report: Report) -> None:
    """After a report was checked: the newest period moves forward, and an outage of this file ends,
    so that the next time it goes missing ops hear of it again."""
    if report.status != "ok":
        return
    state.latest_period = max(state.latest_period, report.period)
    state.notices.get("report_missing", {}).pop(report.uri, None)


def report_problem_notice(
    sns: Any,
    ops_topic: Topic | None,
    state: AlertState,
    *,
    report: Report,
    state_uri: str,
    run_id: str,
    dry_run: bool,
    region: str | None = None,
) -> dict[str, str]:
    """Tell the data engineer once per outage that the report is missing, late or stale; never the
    directors. An outage is the expected period, else the report's period, else its location."""
    kind, key = report.status, report.notice_key
    already = state.notices.get(f"report_{kind}", {}).get(key)
    if ops_topic is None:
        return {"action": "none", "note": "no ops_topic configured: nobody was told", "message_id": ""}
    if already:
        return {"action": "suppressed", "note": f"already sent {already}", "message_id": already}
    if dry_run:
        return {"action": "dry run", "note": "would notify the ops topic", "message_id": ""}
    message_id = publish_ops_notice(
        sns,
        ops_topic.arn,
        f"[OPS] backlog-alerts: report {kind} for {key}",
        f"{report.note}\nDirectors were not alerted. Run: {run_id}",
    )
    state.notices.setdefault(f"report_{kind}", {})[key] = message_id
    save_state(state_uri, state, region)
    return {"action": "published", "note": report.note, "message_id": message_id}
