"""`audit --format json|csv`: each run as data (lists, numbers, full hashes), for tools, not people.

A run's record is built from its manifest and what its notebooks recorded (`audit_rows` flattens the
records into CSV rows).

What the records claim: a MessageId only for a message that went out, from this run; an alert of a dry
run reads `would publish` (never `publish`); every notice to the ops topic, whether the runner sent it
(the manifest) or a notebook did (its facts), with its topic, MessageId and time.
"""

from __future__ import annotations

from typing import Any

from backlog_alerts.trail.manifest import effective_status, status_text
from backlog_alerts.trail.recorded import RecordedRun

PER = ("run", "alert", "notice")
# What a dry run's alert check would have done, in words that cannot be read as done.
WOULD = {"publish": "would publish", "resolved": "would resolve"}
ALERT_FIELDS = (
    "rule",
    "department",
    "severity",
    "count",
    "threshold",
    "action",
    "dry_run",
    "message_id",
    "topic_arn",
    "recipients",
    "reached",
    "would_reach",
    "error",
    "note",
)
# Whom each alert reached (only one that went out) or would have (a dry run's), and whom on its topic it
# did not, masked, as the check recorded them (since when each pending email waited; whose filter policy
# holds this message back, or cannot be read).
REACH_LISTS = (
    "reached",
    "would_reach",
    "pending",
    "pending_since",
    "opted_out",
    "unverified",
    "unmanaged",
    "held_back",
    "cannot_tell",
)
SENT_ACTIONS = ("publish", "resolved")
TALLIES = ("published", "not_sent", "suppressed", "resolved", "muted")
NOTICE_FIELDS = ("kind", "topic", "message_id", "sent_at", "outcome")
INCOMPLETE = "incomplete"  # a run part of whose folder could not be read: never shown as it says it ended


def run_status(run: dict[str, Any]) -> tuple[str, str]:
    """How a run is shown: its kind (the site's colour) and its text. A run with a part not read (a
    notebook replaced, a manifest entry not the package's) is `incomplete: part not read`, whatever its
    manifest says, in every format: what was not read may have sent what the rest does not show."""
    text = status_text(run["manifest"])
    if run.get("not_read"):
        return INCOMPLETE, f"{INCOMPLETE}: part not read (manifest: {text})"
    return effective_status(run["manifest"]), text


def run_record(run: dict[str, Any]) -> dict[str, Any]:
    """One run as data: full hashes, the inputs it read, every rule's outcome as an object."""
    manifest = run["manifest"]
    recorded = RecordedRun.of(run)
    checked = manifest.get("inputs", {})  # a refused run's: what its pre-run check read
    report = recorded.report or checked.get("report", {})
    contacts = recorded.contacts_file or checked.get("contacts", {})
    alerts = alert_records(recorded)
    stopped = effective_status(manifest) != "succeeded"
    return {
        "run_id": manifest["run_id"],
        "started_at": manifest["started_at"],
        "ended_at": manifest.get("ended_at", ""),
        "status": run_status(run)[1],
        "dry_run": recorded.check_dry_run or recorded.sync_dry_run,
        "failed_notebook": manifest.get("failed_notebook", "").removesuffix(".ipynb"),
        "error": manifest.get("error", "") if stopped else "",
        "refused_input": manifest.get("refused_input") or None,
        "params_file": manifest["params_file"],
        "params_sha256": manifest["params_sha256"],
        "git_commit": manifest.get("git_commit", ""),
        "inputs": {
            "report": {k: report.get(k, "") for k in ("uri", "period", "status", "sha256", "etag")},
            "contacts": {k: contacts.get(k, "") for k in ("uri", "sha256", "etag")},
        },
        "alerts": alerts,
        "totals": {
            "published": sum(bool(a["message_id"]) and a["action"] == "publish" for a in alerts),
            "not_sent": sum(bool(a["error"]) for a in alerts),
            **{action: sum(a["action"] == action for a in alerts) for action in TALLIES[2:]},
        },
        "subscriptions_status": recorded.sync_status,
        "subscriptions": recorded.sync_totals,
        "subscriptions_planned": recorded.sync_planned,
        "coverage": recorded.coverage,
        "ops_notices": ops_notices(manifest, recorded),
    }


def ops_notices(manifest: dict[str, Any], recorded: RecordedRun) -> list[dict[str, str]]:
    """Every notice to the ops topic this run sent or considered: the alert check's (a missing, late or
    stale report; the coverage notice), then the runner's (a failed or refused run). `message_id` is
    set only for a notice this run sent; one told before, a dry run's or one not sent says why."""
    notices = []
    report = recorded.report_notice
    if report:
        notices.append(_notice(f"report {report.get('status', '')}", report, report.get("note", "")))
    coverage = recorded.coverage
    if coverage and coverage.get("action") != "nothing new":
        notices.append(_notice("coverage", coverage, coverage.get("error", "")))
    runner = [
        {key: notice.get(key, "") for key in NOTICE_FIELDS} for notice in manifest.get("ops_notices", [])
    ]
    return notices + runner


def _notice(kind: str, fact: dict[str, Any], why: str) -> dict[str, str]:
    """A notebook's notice fact as a trail row: a MessageId only when this run published it."""
    action, message_id = fact.get("action", ""), fact.get("message_id", "")
    sent = action == "published" and bool(message_id)
    if sent:
        outcome = "sent"
    elif action == "suppressed":
        outcome = f"told before ({message_id}), not sent again"
    else:
        outcome = ": ".join(part for part in (action, why) if part)
    return {
        "kind": kind,
        "topic": fact.get("topic", ""),
        "message_id": message_id if sent else "",
        "sent_at": fact.get("sent_at", "") if sent else "",
        "outcome": outcome,
    }


def alert_records(recorded: RecordedRun) -> list[dict[str, Any]]:
    """Every rule's outcome with its own MessageId, its topic's ARN and subscriptions, and whom its
    message reached."""
    arns = {t.get("department"): t["arn"] for t in recorded.topics if isinstance(t, dict) and "arn" in t}
    reach, dry_run = recorded.reach, recorded.check_dry_run
    recipients = {
        row["department"]: sum(row.get(c, 0) for c in ("add", "update", "unchanged", "held"))
        for row in recorded.sync_outcome or []
    }
    records = []
    for d in recorded.verdicts:
        sent = bool(d.get("message_id")) and d["action"] in SENT_ACTIONS and not dry_run
        would = dry_run and d["action"] in WOULD
        mine = reach.get(d["department"])
        people = mine["people"] if mine is not None else None
        records.append(
            {
                "rule": d["rule"],
                "department": d["department"],
                "severity": d.get("severity", ""),
                "count": d.get("count"),
                "threshold": d.get("threshold"),
                "action": WOULD.get(d["action"], d["action"]) if dry_run else d["action"],
                "dry_run": dry_run,
                "message_id": d.get("message_id") or None,
                "topic_arn": d.get("topic") or arns.get(d["department"]),
                "recipients": recipients.get(d["department"]),
                "reached": people if sent else None,
                "would_reach": people if would else None,
                "reach": _reach_lists(mine, sent, would),
                "error": d.get("error", ""),
                "note": d.get("note", ""),
            }
        )
    return records


def _reach_lists(reach: dict[str, Any] | None, sent: bool, would: bool) -> dict[str, list[str]] | None:
    """Whom the message reached (`reached`, only if it went out) or would have (`would_reach`, a dry
    run's), and whom on its topic it did not (masked), as the alert check recorded it before publishing."""
    if reach is None:
        return None
    lists = {key: reach.get(key, []) for key in REACH_LISTS if key != "would_reach"}
    return lists | {
        "reached": lists["reached"] if sent else [],
        "would_reach": lists["reached"] if would else [],
    }
