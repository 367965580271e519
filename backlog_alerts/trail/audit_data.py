"""`audit --format json|csv`: each run as data (lists, numbers, full hashes), for tools, not people.

A run's record is built from its manifest and what its notebooks recorded; CSV flattens the records,
one row per run or one row per alert, so that nothing has to be split or paired back by position.
"""

from __future__ import annotations

from typing import Any

from backlog_alerts.trail.manifest import effective_status, status_text
from backlog_alerts.trail.recorded import SYNC_COLUMNS, RecordedRun

PER = ("run", "alert")
ALERT_FIELDS = (
    "rule",
    "department",
    "severity",
    "count",
    "threshold",
    "action",
    "message_id",
    "topic_arn",
    "recipients",
    "reached",
    "error",
    "note",
)
# Whom each alert's topic reached and did not, masked, as the check recorded them (and since when each
# pending email waited).
REACH_LISTS = ("reached", "pending", "pending_since", "opted_out", "unverified", "unmanaged")
TALLIES = ("published", "not_sent", "suppressed", "resolved", "muted")
RUN_COLUMNS = (
    "run_id",
    "started_at",
    "ended_at",
    "status",
    "failed_notebook",
    "error",
    "params_file",
    "params_sha256",
    "git_commit",
    "report_uri",
    "report_period",
    "report_status",
    "report_sha256",
    "report_etag",
    "contacts_uri",
    "contacts_sha256",
    "contacts_etag",
    *TALLIES,
    "subs_status",
    *(f"subs_{column}" for column in SYNC_COLUMNS),
    *(f"subs_planned_{column}" for column in SYNC_COLUMNS),
    "coverage_action",
    "coverage_message_id",
    "coverage_conditions",
    "coverage_new",
)
ALERT_COLUMNS = (
    "run_id",
    "started_at",
    "status",
    *ALERT_FIELDS,
    *(f"reach_{name}" for name in REACH_LISTS),
)


def run_record(run: dict[str, Any]) -> dict[str, Any]:
    """One run as data: full hashes, the inputs it read, every rule's outcome as an object."""
    manifest = run["manifest"]
    recorded = RecordedRun.of(run)
    report, contacts = recorded.report, recorded.contacts_file
    alerts = alert_records(recorded)
    stopped = effective_status(manifest) != "succeeded"
    return {
        "run_id": manifest["run_id"],
        "started_at": manifest["started_at"],
        "ended_at": manifest.get("ended_at", ""),
        "status": status_text(manifest),
        "failed_notebook": manifest.get("failed_notebook", "").removesuffix(".ipynb"),
        "error": manifest.get("error", "") if stopped else "",
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
    }


def alert_records(recorded: RecordedRun) -> list[dict[str, Any]]:
    """Every rule's outcome with its own MessageId, its topic's ARN and subscriptions, and whom its
    message reached."""
    arns = {t["department"]: t["arn"] for t in recorded.topics if isinstance(t, dict) and "arn" in t}
    reach = recorded.reach
    recipients = {
        row["department"]: sum(row.get(c, 0) for c in ("add", "update", "unchanged", "held"))
        for row in recorded.sync_outcome or []
    }
    return [
        {
            "rule": d["rule"],
            "department": d["department"],
            "severity": d.get("severity", ""),
            "count": d.get("count"),
            "threshold": d.get("threshold"),
            "action": d["action"],
            "message_id": d.get("message_id") or None,
            "topic_arn": d.get("topic") or arns.get(d["department"]),
            "recipients": recipients.get(d["department"]),
            "reached": reach[d["department"]]["people"] if d["department"] in reach else None,
            "reach": _reach_lists(reach.get(d["department"])),
            "error": d.get("error", ""),
            "note": d.get("note", ""),
        }
        for d in recorded.verdicts
    ]


def _reach_lists(reach: dict[str, Any] | None) -> dict[str, list[str]] | None:
    """Whom the topic reached and did not (masked), as the alert check recorded it before publishing."""
    if reach is None:
        return None
    return {key: reach.get(key, []) for key in REACH_LISTS}


def run_row(record: dict[str, Any]) -> dict[str, Any]:
    """A record as one flat CSV row: inputs and totals as columns of their own, hashes whole."""
    inputs = record["inputs"]
    row = {k: record[k] for k in RUN_COLUMNS if k in record}
    row |= {f"report_{k}": v for k, v in inputs["report"].items()}
    row |= {f"contacts_{k}": v for k, v in inputs["contacts"].items()}
    row |= record["totals"]
    row["subs_status"] = record["subscriptions_status"]
    row |= {f"subs_{k}": v for k, v in (record["subscriptions"] or {}).items()}
    row |= {f"subs_planned_{k}": v for k, v in (record["subscriptions_planned"] or {}).items()}
    if record["coverage"] is not None:
        conditions = record["coverage"]["conditions"]
        row |= {
            "coverage_action": record["coverage"]["action"],
            "coverage_message_id": record["coverage"]["message_id"],
            "coverage_conditions": len(conditions),
            "coverage_new": sum(c["new"] for c in conditions),
        }
    return {column: row.get(column, "") for column in RUN_COLUMNS}


def alert_rows(record: dict[str, Any]) -> list[dict[str, Any]]:
    """A record as one CSV row per alert, each carrying its run's id, start and status."""
    run = {k: record[k] for k in ("run_id", "started_at", "status")}
    return [
        {
            **run,
            **{k: "" if v is None else v for k, v in alert.items() if k != "reach"},
            **{f"reach_{name}": "; ".join((alert["reach"] or {}).get(name, [])) for name in REACH_LISTS},
        }
        for alert in record["alerts"]
    ]


def flatten(records: list[dict[str, Any]], per: str = "run") -> tuple[tuple[str, ...], list[dict[str, Any]]]:
    """CSV columns and rows, per run or per alert."""
    if per == "alert":
        return ALERT_COLUMNS, [row for record in records for row in alert_rows(record)]
    return RUN_COLUMNS, [run_row(record) for record in records]
