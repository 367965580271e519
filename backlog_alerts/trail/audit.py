"""`backlog-alerts audit`: what each run saw, changed and sent, read from the trail alone.

Nothing is executed: the manifest, papermill's metadata and the facts each notebook recorded are read
back from the executed copies, wherever the trail lives (local folder or s3:// prefix).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from backlog_alerts.io import locations, storage
from backlog_alerts.trail.audit_data import (
    WOULD,
    ops_notices,
    run_record,
    run_status,
)
from backlog_alerts.trail.executed import read_back, read_notebook
from backlog_alerts.trail.fact_shapes import misshapen
from backlog_alerts.trail.manifest import SUCCEEDED, effective_status, manifest_problem
from backlog_alerts.trail.recorded import RecordedRun
from backlog_alerts.trail.runs import NotRead, is_notebook_name, not_read, run_folders

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
    """The manifest and, per executed notebook, its recorded facts, parameters and cell timings.

    Only what the package writes is read (`runs`): a manifest that is not one it writes raises
    `NotRead`; a notebook it names that is not one of the package's, or is not a notebook, is left
    out and listed in the run's `not_read`.
    """
    folder = locations.join(location, run_id)
    try:
        manifest = storage.read_json(locations.join(folder, "manifest.json"))
    except ValueError as err:
        raise NotRead(not_read(run_id, "its manifest.json is not JSON")) from err
    problem = manifest_problem(manifest, run_id)
    if problem:
        raise NotRead(not_read(run_id, problem))
    notebooks, entries, skipped = {}, [], []
    for entry in manifest.get("notebooks", []):
        name = entry["notebook"]
        if not is_notebook_name(name):
            skipped.append(not_read(f"{run_id}/{name}", "not a notebook this package writes"))
            continue
        entries.append(entry)
        uri = locations.join(folder, name)
        if entry["status"] == "pending":
            continue
        if not storage.exists(uri):
            if entry["status"] == SUCCEEDED:  # it ran, and its record is gone
                skipped.append(not_read(f"{run_id}/{name}", "missing from its run folder"))
            continue
        try:
            notebook = read_notebook(uri)
        except ValueError:
            skipped.append(not_read(f"{run_id}/{name}", "not a notebook (not JSON, or not nbformat)"))
            continue
        facts, strays = read_back(notebook)
        if entry["status"] == SUCCEEDED and "run" not in facts:  # its first cell records the run, always
            skipped.append(not_read(f"{run_id}/{name}", "it ran, yet recorded no facts (not the run's own)"))
            continue
        if strays:
            skipped.append(not_read(f"{run_id}/{name}", f"{strays} facts output(s) not of a fact's form"))
        for key, why in misshapen(facts).items():
            skipped.append(not_read(f"{run_id}/{name}", f"fact {key}: {why}"))
            del facts[key]
        notebooks[name.removesuffix(".ipynb")] = {
            "parameters": _mapping(_mapping(notebook.metadata.get("papermill")).get("parameters")),
            "facts": facts,
            "cells": [
                _timing(index, cell) for index, cell in enumerate(notebook.cells) if cell.cell_type == "code"
            ],
        }
    run = {"manifest": {**manifest, "notebooks": entries}, "notebooks": notebooks, "not_read": skipped}
    return readable(run)


def _mapping(value: Any) -> dict[str, Any]:
    """A metadata field that should be an object; anything else planted there counts as none."""
    return value if isinstance(value, dict) else {}


def _timing(index: int, cell: Any) -> dict[str, Any]:
    meta = _mapping(cell.metadata.get("papermill"))
    return {"cell": index, "status": meta.get("status"), "duration": meta.get("duration")}


# What data of the wrong shape raises where a record, a row or a page is built from it.
TAMPERED = (TypeError, KeyError, ValueError, AttributeError, IndexError)


def _unbuildable(run: dict[str, Any]) -> str:
    """Why the run's record, row, page or full text cannot be built from what was read; "" when they can."""
    from backlog_alerts.trail.audit_formats import render_run  # the text and HTML shown: built once
    from backlog_alerts.trail.run_page import run_page  # here, as a trial

    try:
        summary(run), run_record(run), run_page(run, []), render_run(run, "table")
    except TAMPERED as err:
        return type(err).__name__
    return ""


def readable(run: dict[str, Any]) -> dict[str, Any]:
    """The run as read, once everything shown of it can be built: the facts shapes (`fact_shapes`) are
    checked first; should data of a shape they do not check still break a record, the notebook whose
    facts do is left out and said, and a run that breaks without any is not read at all (`NotRead`)."""
    why = _unbuildable(run)
    if not why:
        return run
    run_id = run["manifest"]["run_id"]
    for name in run["notebooks"]:
        trial = {**run, "notebooks": {k: v for k, v in run["notebooks"].items() if k != name}}
        if not _unbuildable(trial):
            said = not_read(f"{run_id}/{name}.ipynb", f"its facts are not of the package's form ({why})")
            return {**trial, "not_read": [*run["not_read"], said]}
    raise NotRead(not_read(run_id, f"its manifest or facts are not of the package's form ({why})"))


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
        "status": run_status(run)[1] + dry,
        "params_file": manifest["params_file"].rsplit("/", 1)[-1],
        "params_sha256": manifest["params_sha256"][:12],
        "git_commit": manifest.get("git_commit", "")[:12],
        "report_period": recorded.report.get("period", ""),
        "report_status": recorded.report.get("status", ""),
        "counts": "; ".join(f"{d['rule']}={d.get('count')}" for d in decisions),
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


@dataclass
class Trail:
    """The runs read from a trail, oldest first, and what in it was not read (said to the reader)."""

    runs: list[dict[str, Any]]
    not_read: list[str]


def load_trail(location: str, since: date | None = None) -> Trail:
    """Every run of the trail whose folder and manifest are the package's, loaded, oldest first,
    optionally from a date on; the rest listed as not read."""
    start = since.strftime("%Y%m%d") if since else ""
    folders = run_folders(location)
    trail = Trail([], folders.not_read)
    for run_id in folders.run_ids:
        if run_id[:8] < start:
            continue
        try:
            run = load_run(location, run_id)
        except NotRead as err:
            trail.not_read.append(str(err))
            continue
        trail.runs.append(run)
        trail.not_read += run["not_read"]
    return trail


def load_runs(location: str, since: date | None = None) -> list[dict[str, Any]]:
    """Every run of the trail, loaded, oldest first, optionally from a date on (see `load_trail`)."""
    return load_trail(location, since).runs


def collect(location: str, since: date | None = None) -> list[dict[str, Any]]:
    """Summaries of every run in the trail, oldest first, optionally from a date on."""
    return [summary(run) for run in load_runs(location, since)]
