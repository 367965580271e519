"""`audit --format csv`: each run's record flattened, one row per run, per alert or per ops notice, so
that nothing has to be split or paired back by position; sends outside recorded runs as rows beside them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from backlog_alerts.trail.audit_data import ALERT_FIELDS, NOTICE_FIELDS, REACH_LISTS, TALLIES
from backlog_alerts.trail.recorded import SYNC_COLUMNS

RUN_COLUMNS = (
    "run_id",
    "started_at",
    "ended_at",
    "status",
    "dry_run",
    "failed_notebook",
    "error",
    "refused_input",
    "refused_uri",
    "refused_etag",
    "refused_sha256",
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
    "ops_notices_sent",
    "ops_message_ids",
)
ALERT_COLUMNS = (
    "run_id",
    "started_at",
    "status",
    *ALERT_FIELDS,
    *(f"reach_{name}" for name in REACH_LISTS),
)
NOTICE_COLUMNS = ("run_id", "started_at", "status", *NOTICE_FIELDS)


def run_row(record: dict[str, Any]) -> dict[str, Any]:
    """A record as one flat CSV row: inputs and totals as columns of their own, hashes whole."""
    inputs = record["inputs"]
    row = {k: record[k] for k in RUN_COLUMNS if k in record}
    row |= {f"refused_{k}": v for k, v in (record["refused_input"] or {}).items()}
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
    sent = [n for n in record["ops_notices"] if n["message_id"]]
    row |= {"ops_notices_sent": len(sent), "ops_message_ids": "; ".join(n["message_id"] for n in sent)}
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


def notice_rows(record: dict[str, Any]) -> list[dict[str, Any]]:
    """A record as one CSV row per ops notice, each carrying its run's id, start and status."""
    run = {k: record[k] for k in ("run_id", "started_at", "status")}
    return [{**run, **notice} for notice in record["ops_notices"]]


def outside_rows(
    sends: list[dict[str, Any]], per: str = "run", notices: list[dict[str, Any]] | None = None
) -> list[dict[str, Any]]:
    """Sends and ops notices outside recorded runs as CSV rows beside the runs', their status `outside a
    recorded run`: per run, one row per message sent (alert or notice); per alert, one per rule an alert
    carried; per ops notice, one per notice."""
    rows = []
    for notice in notices or []:
        base = {"run_id": notice["run_id"], "started_at": notice["sent_at"], "status": notice["recorded"]}
        if per == "notice":
            told = {key: notice[key] for key in NOTICE_FIELDS if key in notice} | {"outcome": "sent"}
            rows.append({column: (base | told).get(column, "") for column in NOTICE_COLUMNS})
        elif per == "run":
            sent = {"ops_notices_sent": 1, "ops_message_ids": notice["message_id"]}
            rows.append({column: (base | sent).get(column, "") for column in RUN_COLUMNS})
    if per == "notice":
        return rows
    for send in sends:
        base = {"run_id": send["run_id"], "started_at": send["sent_at"], "status": send["recorded"]}
        if per == "run":
            rows.append(
                {column: base.get(column, "") for column in RUN_COLUMNS} | {"published": len(send["rules"])}
            )
            continue
        for rule in send["rules"]:
            alert = {
                "rule": rule,
                "department": send["department"],
                "severity": send["severity"],
                "action": "publish",
                "dry_run": False,
                "message_id": send["message_id"],
                "topic_arn": send["topic"],
            }
            rows.append({column: (base | alert).get(column, "") for column in ALERT_COLUMNS})
    return rows


def flatten(per: str = "run") -> tuple[tuple[str, ...], Callable[[dict[str, Any]], list[dict[str, Any]]]]:
    """CSV columns, and what makes a record's rows: per run, per alert or per ops notice."""
    if per == "alert":
        return ALERT_COLUMNS, alert_rows
    if per == "notice":
        return NOTICE_COLUMNS, notice_rows
    return RUN_COLUMNS, lambda record: [run_row(record)]
