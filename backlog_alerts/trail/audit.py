"""`backlog-alerts audit`: what each run saw, changed and sent, read from the trail alone.

Nothing is executed: the manifest, papermill's metadata and the facts each notebook recorded are read
back from the executed copies, wherever the trail lives (local folder or s3:// prefix).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any, TypeVar

from backlog_alerts.io import locations, storage
from backlog_alerts.trail.audit_data import (
    WOULD,
    ops_notices,
    run_record,
    run_status,
)
from backlog_alerts.trail.manifest import effective_status
from backlog_alerts.trail.record import RECORD, UNSAVED, ended, read_record, record_line, write_record
from backlog_alerts.trail.recorded import RecordedRun
from backlog_alerts.trail.run_folder import read_run_folder
from backlog_alerts.trail.runs import NotRead, RunFolders, not_read, run_folders

T = TypeVar("T")

# Every column of `summary` after the run id, as `audit --wide` prints them.
WIDE = (
    "started_at",
    "status",
    "params_file",
    "params_sha256",
    "git_commit",
    "report_period",
    "report_status",
    "counts",
    "outcomes",
    "sent",
    "published",
    "not_sent",
    "suppressed",
    "resolved",
    "muted",
    "subs_added",
    "subs_removed",
    "subs_held",
    "subs_pending",
    "rows_rejected",
    "ops_notices",
    "failed_notebook",
    "error",
)


@dataclass
class Said:
    """What reading a trail had to say beside its runs: parts not read, and the compact records that
    could not be saved (a trail read with read-only credentials)."""

    not_read: list[str] = field(default_factory=list)
    unsaved: list[str] = field(default_factory=list)


def load_run(
    location: str,
    run_id: str,
    files: dict[str, str] | None = None,
    *,
    check: bool = True,
    said: Said | None = None,
) -> dict[str, Any]:
    """The manifest and, per executed notebook, its recorded facts, parameters and cell timings: from the
    run's compact record while it is current (`record`), else from its notebooks (`run_folder`), and then
    the record saved once the run has ended.

    `files`: the folder's files as listed; `check`: build every view of the run once as a trial
    (`readable`) before it is returned; `said`: where to say a record not used or not saved.
    """
    said = said or Said()
    files = storage.folder_tags(locations.join(location, run_id)) if files is None else files
    run, why = read_record(location, run_id, files) if RECORD in files else (None, "")
    if why and why != "stale":
        said.not_read.append(record_line(run_id, why))
    if run is None:
        unreadable: list[str] = []  # a notebook that may be read later: no record is built without it
        run = read_run_folder(location, run_id, files, unreadable=unreadable)
        if ended(run) and not unreadable:
            try:
                write_record(location, run_id, run, files)
            except UNSAVED as err:
                said.unsaved.append(f"{run_id}: {err}")
    return readable(run) if check else run


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
        "outcomes": "; ".join(
            f"{d['rule']}={d.get('count')} {_outcome(d, sent, dry_run)}" for d in decisions
        ),
        "sent": len(sent),
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


def _outcome(decision: dict[str, Any], sent: list[dict[str, Any]], dry_run: bool) -> str:
    """What became of one rule, in a word or two: `sent`, `would publish`, `not sent: why`, `quiet`."""
    if decision.get("error"):
        return f"not sent: {decision['error']}"
    if dry_run and decision["action"] in WOULD:
        return WOULD[decision["action"]]
    if decision in sent:
        return "sent" if decision["action"] == "publish" else f"{decision['action']} notice sent"
    return str(decision["action"])


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


class Trail:
    """The runs of a trail, oldest first (optionally from a date on), read one at a time as they are
    iterated, so that a trail of years is never held whole; what was not read is in `said` as they go."""

    def __init__(
        self,
        location: str,
        since: date | None = None,
        *,
        check: bool = True,
        folders: RunFolders | None = None,
    ) -> None:
        folders = folders or run_folders(location)
        start = since.strftime("%Y%m%d") if since else ""
        self.location, self.check = location, check
        self.run_ids = [run_id for run_id in folders.run_ids if run_id[:8] >= start]
        self.files = folders.files
        self.said = Said(list(folders.not_read))

    @property
    def not_read(self) -> list[str]:
        return self.said.not_read

    def __iter__(self) -> Iterator[dict[str, Any]]:
        for run_id in self.run_ids:
            try:
                run = load_run(self.location, run_id, self.files[run_id], check=self.check, said=self.said)
            except NotRead as err:
                self.said.not_read.append(str(err))
                continue
            self.said.not_read.extend(run["not_read"])
            yield run


def built(
    runs: Iterable[dict[str, Any]], build: Callable[[dict[str, Any]], T], said: list[str]
) -> Iterator[T]:
    """What `build` makes of each run read without the whole trial (`Trail(check=False)`): each is tried
    as a summary and a record (a fraction of a millisecond; the HTML page's trial is the report's), and one
    that breaks is put through `readable` as a checked read would have been (a notebook left out, or the
    run not read), what that says added to `said`."""
    for run in runs:
        try:
            summary(run), run_record(run)  # the table's and the data's views, whichever is asked
            yield build(run)
        except TAMPERED:
            try:
                checked = readable(run)
            except NotRead as err:
                said.append(str(err))
                continue
            said.extend(checked["not_read"][len(run["not_read"]) :])
            yield build(checked)


def load_trail(location: str, since: date | None = None) -> Trail:
    """Every run of the trail, checked (see `Trail`)."""
    return Trail(location, since)


def load_runs(location: str, since: date | None = None) -> list[dict[str, Any]]:
    """Every run of the trail, loaded, oldest first, optionally from a date on (see `Trail`)."""
    return list(Trail(location, since))


def collect(location: str, since: date | None = None) -> list[dict[str, Any]]:
    """Summaries of every run in the trail, oldest first, optionally from a date on."""
    return [summary(run) for run in load_runs(location, since)]
