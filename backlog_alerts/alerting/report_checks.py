"""A report against the alert state: older than the newest period checked is stale, a period checked
is remembered, and a missing, late or stale report is told to the ops topic once per outage.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from backlog_alerts.alerting.ops import publish_ops_notice, sent_now
from backlog_alerts.alerting.report import Report
from backlog_alerts.state.document import AlertState, is_dated
from backlog_alerts.state.ledger import note_checked as checked
from backlog_alerts.state.ledger import record_counts
from backlog_alerts.state.store import StateStore
from backlog_alerts.sync.topics import Topic


def against_state(report: Report, state: AlertState, params_hint: str = "--params <params file>") -> Report:
    """Periods only move forward: a report older than the newest period checked alerts nobody.

    Re-running February after March must neither page anyone with February's numbers nor reset
    what was sent for March (which would send March again on its next run).
    """
    newest = state.latest_period
    if report.status != "ok" or not report.period or not newest or report.period >= newest:
        return report
    note = (
        f"{report.uri} covers {report.period}, but {newest} was already checked: periods only move "
        f"forward, so no department is alerted on older numbers. If {newest} was checked rightly, pass "
        f"these numbers on yourself. If checking {newest} was a mistake (a typo in a key), forget it, then "
        f"run again: backlog-alerts state forget {params_hint} --period {newest} (its alerts then go out "
        "again with its next report)"
    )
    return replace(report, status="stale", note=note, notice_key=report.period)


def _changes(state: AlertState, report: Report, counts: Mapping[str, int]) -> bool:
    """Whether `_note_checked` would change anything: a period new to the state, counts new to it, or
    an outage to end."""
    new_period = is_dated(report.period) and (
        report.period not in state.checked or report.period in state.unchecked
    )
    new_counts = is_dated(report.period) and state.counts.get(report.period) != dict(counts)
    return new_period or new_counts or report.uri in state.notices.get("report_missing", {})


def _note_checked(state: AlertState, report: Report, counts: Mapping[str, int]) -> None:
    checked(state, report.period)
    record_counts(state, report.period, counts)  # the history rules over months decide on
    state.notices.get("report_missing", {}).pop(report.uri, None)


def remember_checked(store: StateStore, report: Report, counts: Mapping[str, int]) -> None:
    """After a report was checked: its period and the `counts` the rules decided on are remembered
    (see `decided_counts`: the watched services only), periods only moving forward and a corrected
    report of the same period replacing its counts; an outage of this file ends, so that the next time
    it goes missing ops hear of it again. A daily re-run of a month's report writes nothing."""
    if report.status == "ok" and _changes(store.state, report, counts):
        store.update(lambda state: _note_checked(state, report, counts))


def report_problem_notice(
    sns: Any,
    ops_topic: Topic | None,
    store: StateStore,
    *,
    report: Report,
    run_id: str,
    dry_run: bool,
) -> dict[str, str]:
    """Tell the data engineer once per outage that the report is missing, late or stale; never the
    directors. An outage is the expected period, else the report's period, else its location. What
    happened is recorded on the trail: a notice sent with its topic, MessageId and time (and in the
    state's log of ops notices, with its run id)."""
    kind, key = report.status, report.notice_key
    already = store.state.notices.get(f"report_{kind}", {}).get(key)
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
    sent_at = sent_now()
    logged = {"run_id": run_id, "sent_at": sent_at, "topic": ops_topic.arn, "kind": f"report {kind}"}

    def told(state: AlertState) -> None:  # a notebook run by hand leaves no run folder: the log names it
        state.notices.setdefault(f"report_{kind}", {})[key] = message_id
        state.log_ops_send({**logged, "message_id": message_id})

    store.update(told)
    return {
        "action": "published",
        "note": report.note,
        "message_id": message_id,
        "topic": ops_topic.arn,
        "sent_at": sent_at,
    }
