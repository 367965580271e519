"""`backlog-alerts audit`: what each run saw, changed and sent, read from the trail alone.

Nothing is executed: the manifest, papermill's metadata and the facts each notebook recorded are read
back from the executed copies, wherever the trail lives (local folder or s3:// prefix).
"""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from typing import Any

from backlog_alerts.io import locations, storage
from backlog_alerts.trail.audit_data import WOULD, flatten, ops_notices, outside_rows, run_record
from backlog_alerts.trail.executed import facts_in, read_notebook
from backlog_alerts.trail.manifest import effective_status, status_text
from backlog_alerts.trail.recorded import RecordedRun
from backlog_alerts.trail.untraced import OUTSIDE, OUTSIDE_COLUMNS, Outside

FORMATS = ("table", "csv", "json")
# What a reviewer scans first, in the table and in the HTML index alike.
HEADLINE = (
    "status",
    "report_period",
    "counts",
    "published",
    "not_sent",
    "suppressed",
    "resolved",
    "subs_added",
    "subs_removed",
    "subs_pending",
    "rows_rejected",
    "ops_notices",
    "error",
)


def load_run(location: str, run_id: str) -> dict[str, Any]:
    """The manifest and, per executed notebook, its recorded facts, parameters and cell timings."""
    folder = locations.join(location, run_id)
    manifest = storage.read_json(locations.join(folder, "manifest.json"))
    notebooks = {}
    for entry in manifest.get("notebooks", []):
        uri = locations.join(folder, entry["notebook"])
        if entry["status"] == "pending" or not storage.exists(uri):
            continue
        notebook = read_notebook(uri)
        notebooks[entry["notebook"].removesuffix(".ipynb")] = {
            "parameters": notebook.metadata.get("papermill", {}).get("parameters", {}),
            "facts": facts_in(notebook),
            "cells": [
                _timing(index, cell) for index, cell in enumerate(notebook.cells) if cell.cell_type == "code"
            ],
        }
    return {"manifest": manifest, "notebooks": notebooks}


def _timing(index: int, cell: Any) -> dict[str, Any]:
    meta = cell.metadata.get("papermill", {})
    return {"cell": index, "status": meta.get("status"), "duration": meta.get("duration")}


def summary(run: dict[str, Any]) -> dict[str, Any]:
    """One row per run for people (the table, the HTML index): joined text and short hashes; the data
    formats use `audit_data.run_record` instead."""
    manifest = run["manifest"]
    recorded = RecordedRun.of(run)
    decisions, sent, dry_run = recorded.verdicts, recorded.sent, recorded.check_dry_run
    would = [
        f"{d['rule']}:{WOULD[d['action']]} (dry run)" for d in decisions if dry_run and d["action"] in WOULD
    ]
    dry = " (dry run)" if dry_run or recorded.sync_dry_run else ""
    return {
        "run_id": manifest["run_id"],
        "started_at": manifest["started_at"],
        "status": status_text(manifest) + dry,
        "params_file": manifest["params_file"].rsplit("/", 1)[-1],
        "params_sha256": manifest["params_sha256"][:12],
        "git_commit": manifest.get("git_commit", "")[:12],
        "report_period": recorded.report.get("period", ""),
        "report_status": recorded.report.get("status", ""),
        "counts": "; ".join(f"{d['rule']}={d['count']}" for d in decisions),
        "published": "; ".join(f"{d['rule']}:{d['action']}" for d in sent),
        "not_sent": "; ".join([*would, *(f"{d['rule']}:{d['error']}" for d in decisions if d.get("error"))]),
        "suppressed": sum(d["action"] == "suppressed" for d in decisions),
        "resolved": sum(d["action"] == "resolved" for d in sent),
        "muted": sum(d["action"] == "muted" for d in decisions),
        **_subscription_cells(recorded),
        "ops_notices": "; ".join(
            f"{n['kind']}:{n['message_id'] or 'not sent'}" for n in ops_notices(manifest, recorded)
        ),
        "failed_notebook": manifest.get("failed_notebook", "").removesuffix(".ipynb"),
        "error": _error(manifest),
    }


def _error(manifest: dict[str, Any]) -> str:
    """The error of a run that did not succeed; for a refused one, with the input it refused."""
    if effective_status(manifest) == "succeeded":
        return ""
    refused = manifest.get("refused_input") or {}
    if not refused.get("input"):
        return manifest.get("error", "")
    sha, etag = refused.get("sha256", "")[:12] or "unread", refused.get("etag") or "-"
    what = f"refused {refused['input']} {refused.get('uri', '')} (SHA-256 {sha}, ETag {etag})"
    return f"{manifest.get('error', '')} [{what}]"


def _subscription_cells(recorded: RecordedRun) -> dict[str, Any]:
    """The sync's totals for the table; for a sync stopped mid-apply, what it planned, marked unknown."""
    totals, planned = recorded.sync_totals, recorded.sync_planned or {}
    if totals is None:
        return {
            "subs_added": f"unknown (up to {planned.get('add', 0)})",
            "subs_removed": f"unknown (up to {planned.get('remove', 0)})",
            "subs_held": "unknown",
            "subs_pending": "unknown",
            "rows_rejected": planned.get("rejected_rows", 0),
        }
    return {
        "subs_added": totals["add"],
        "subs_removed": totals["remove"],
        "subs_held": totals["held"],
        "subs_pending": totals["pending"],
        "rows_rejected": totals["rejected_rows"],
    }


def load_runs(location: str, since: date | None = None) -> list[dict[str, Any]]:
    """Every run of the trail, loaded, oldest first, optionally from a date on."""
    start = since.strftime("%Y%m%d") if since else ""
    return [load_run(location, run_id) for run_id in storage.run_ids(location) if run_id[:8] >= start]


def collect(location: str, since: date | None = None) -> list[dict[str, Any]]:
    """Summaries of every run in the trail, oldest first, optionally from a date on."""
    return [summary(run) for run in load_runs(location, since)]


def render(
    runs: list[dict[str, Any]],
    fmt: str,
    per: str = "run",
    outside: Outside | None = None,
) -> str:
    """Loaded runs as a table for people, or as data: JSON records, CSV per run, alert or ops notice.

    `outside`: sends found in the alert state whose run left no folder on the trail, marked
    `outside a recorded run` in every format (a state that could not be read: JSON's `state_read`
    says why, and `audit` says so on stderr).
    """
    outside = outside or Outside()
    if fmt == "json":
        records = [run_record(run) for run in runs]
        return json.dumps(
            {"runs": records, "sent_outside_runs": outside.sends, "state_read": outside.shown()}, indent=1
        )
    if fmt == "csv":
        columns, rows = flatten([run_record(run) for run in runs], per)
        rows += outside_rows(outside.sends, per)
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        return out.getvalue()
    lines = _table([summary(run) for run in runs], ("run_id", *HEADLINE))
    if outside.sends:
        lines += [
            "",
            f"sent {OUTSIDE} (no run folder on this trail: a notebook run by hand, "
            "or a run with another output folder):",
        ]
        shown = [
            {**send, "rules": ", ".join(send["rules"]), "topic": send["topic"].rsplit(":", 1)[-1]}
            for send in outside.sends
        ]
        lines += ["  " + line for line in _table(shown, OUTSIDE_COLUMNS)]
    return "\n".join(line.rstrip() for line in lines)


def _table(rows: list[dict[str, Any]], shown: tuple[str, ...]) -> list[str]:
    widths = {c: max([len(c), *(len(str(r[c])) for r in rows)]) for c in shown}
    lines = ["  ".join(c.ljust(widths[c]) for c in shown)]
    return lines + ["  ".join(str(r[c]).ljust(widths[c]) for c in shown) for r in rows]


def render_run(run: dict[str, Any], fmt: str) -> str:
    """One run in full: manifest, then per notebook its parameters, facts and cell timings."""
    if fmt == "json":
        return json.dumps(run, indent=1, default=str)
    if fmt == "csv":
        return render([run], "csv")
    lines = [f"run {run['manifest']['run_id']}: {status_text(run['manifest'])}"]
    lines += [f"  {k}: {v}" for k, v in run["manifest"].items() if k not in ("notebooks", "run_id")]
    for entry in run["manifest"].get("notebooks", []):
        lines.append(
            f"\n{entry['notebook']}: {entry['status']} in {entry['seconds']} s {entry['error']}".rstrip()
        )
        notebook = run["notebooks"].get(entry["notebook"].removesuffix(".ipynb"))
        if not notebook:
            continue
        lines.append(f"  parameters: {json.dumps(notebook['parameters'], sort_keys=True)}")
        for key, value in notebook["facts"].items():
            lines.append(f"  {key}:")
            for item in value if isinstance(value, list) else [value]:
                lines.append(f"    {json.dumps(item, sort_keys=True)}")
    return "\n".join(lines)
