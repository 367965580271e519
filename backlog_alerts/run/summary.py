"""What a person reads at the end of a run: a few lines from what the notebooks recorded."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

from backlog_alerts.io import emulator
from backlog_alerts.trail.recorded import NOT_CHANGED, TOPIC_SETUP, UNKNOWN, RecordedRun, unknown_changes


def show_published(endpoint: str, recorded: RecordedRun, say: Callable[[str], None]) -> None:
    """What the emulator delivered to each topic in this run: what the directors would have read."""
    ids = {a["message_id"] for a in recorded.alerts if a["message_id"]}
    if not ids:
        return  # nothing sent: no need for the emulator's whole state
    try:
        messages = [m for m in emulator.published_messages(endpoint) if m["message_id"] in ids]
    except OSError:
        return  # an endpoint that is not moto has no /moto-api; nothing to show
    for message in messages:
        say(f"published to {message['topic']}: Subject {message['subject']!r}")
        for channel, text in emulator.channel_texts(message["message"]).items():
            say(f"  {channel}: {_indented(text)}")


def _indented(text: str) -> str:
    """A message's later lines indented under its channel; its blank lines left empty."""
    first, *rest = text.split("\n")
    return "\n".join([first, *(f"    {line}" if line else "" for line in rest)])


def _reached(reach: dict[str, Any] | None, verb: str = "reached") -> str:
    """ ", reached N" after a published alert; said loudly when N is 0: published, heard by nobody.
    A dry run's alert `would reach`."""
    if reach is None:
        return ""
    unverified = len(reach.get("unverified", []))
    missed = f" ({len(reach['pending'])} pending, {len(reach['opted_out'])} opted out" + (
        f", {unverified} not verified)" if unverified else ")"
    )
    if not reach["people"]:
        return f", {verb.upper()} NOBODY{missed}"
    return f", {verb} {reach['people']} endpoints" + (
        missed if reach["pending"] or reach["opted_out"] or unverified else ""
    )


def _subscriptions_line(recorded: RecordedRun) -> str:
    """Totals only where the trail knows them: a sync stopped mid-apply changed an unknown share."""
    status, totals, planned = recorded.sync_status, recorded.sync_totals, recorded.sync_planned
    if status == UNKNOWN and planned:
        return f"subscriptions: {unknown_changes(planned)}"
    if status == NOT_CHANGED or totals is None:
        return "subscriptions: not changed (the sync stopped before changing any; see its error)"
    dry = " (dry run: planned, not applied)" if recorded.sync_dry_run else ""
    return (
        f"subscriptions: {totals['add']} added, {totals['remove']} removed, {totals['held']} removals held, "
        f"{totals['update']} filter updates, {totals['unchanged']} unchanged, {totals['pending']} pending, "
        f"{totals['rejected_rows']} rows rejected, {recorded.endpoints_dropped} invalid emails or phones "
        f"dropped{dry}"
    )


DRY_ACTIONS = {"publish": "would publish", "resolved": "would resolve"}  # a dry run sent nothing


def _topics_line(recorded: RecordedRun) -> str:
    """How many topics, and how many were created; in a dry run, what its topic plan would change."""
    topics = recorded.topics
    setup = recorded.facts.get(TOPIC_SETUP, {})
    if not setup.get("run", {}).get("dry_run"):
        return f"topics: {len(topics)} ({sum(1 for t in topics if t['created'])} created)"
    plan = setup.get("topic_plan", [])
    create = {row["topic"] for row in plan if row["change"] == "create topic"}
    change = {row["topic"] for row in plan if row["change"] != "no change"} - create
    return (
        f"topics: {len(topics)} (dry run: {len(create)} would be created, {len(change)} would change; "
        "nothing was changed)"
    )


def summary_lines(folder: str, recorded: RecordedRun) -> list[str]:
    """A few lines a person reads at the end of a run."""
    report, alerts = recorded.report, recorded.alerts
    sent = [a for a in alerts if a["message_id"] and a["action"] in ("publish", "resolved")]
    dry = recorded.check_dry_run
    actions = Counter(DRY_ACTIONS.get(a["action"], a["action"]) if dry else a["action"] for a in alerts)
    lines = [
        f"run folder: {folder}",
        _topics_line(recorded),
        _subscriptions_line(recorded),
        f"report: {report.get('status', '?')}, period {report.get('period') or 'unknown'} "
        f"({report.get('uri', '')})"
        + (f": {report['note']}" if report.get("status") == "ok" and report.get("note") else ""),
        f"alerts: {len({a['message_id'] for a in sent})} message(s) published{' (dry run)' if dry else ''}; "
        "rules: " + (", ".join(f"{n} {action}" for action, n in sorted(actions.items())) or "none checked"),
    ]
    lines += [
        f"  {a['rule']}: {a['service_name']} {a['count']} {a['comparison']} {a['threshold']} "
        f"({a['severity']}) -> {a['department']}, {a['action']} (MessageId {a['message_id']})"
        + _reached(recorded.reach.get(a["department"]))
        + (f"; {a['note']}" if a.get("note") else "")
        for a in sent
    ]
    if recorded.check_dry_run:  # nothing went out: say what would have, and to whom
        lines += [
            f"  {a['rule']}: {a['service_name']} {a['count']} {a['comparison']} {a['threshold']} "
            f"({a['severity']}) -> {a['department']}, would publish (dry run)"
            + _reached(recorded.reach.get(a["department"]), "would reach")
            for a in alerts
            if a["action"] in ("publish", "resolved")
        ]
    notice = recorded.report_notice
    if notice:
        lines.append(
            f"  report {notice['status']}: ops notice {notice['action']} {notice['message_id']}".rstrip()
        )
    return lines + _coverage_lines(recorded.coverage)


def _coverage_lines(coverage: dict[str, Any] | None) -> list[str]:
    """What keeps alerts from people, new conditions first; nothing when nothing does."""
    if not coverage or not coverage["conditions"]:
        return []
    new = [c for c in coverage["conditions"] if c["new"]]
    told = f"ops notice {coverage['action']} {coverage['message_id']}".rstrip()
    if coverage.get("error"):
        told += f" ({coverage['error']})"
    lines = [f"coverage: {len(new)} new, {len(coverage['conditions']) - len(new)} told before; {told}"]
    return lines + [f"  {c['kind'].replace('_', ' ')}: {c['text']}" for c in new]
