"""A run's compact record: what `audit` and `report` read of a run, in one small JSON file beside its
notebooks, so that reading a trail of years costs one small read per run, not every notebook.

It holds the run as `run_folder` reads it from the notebooks (manifest, facts, parameters, cell
timings, what was not read) and the tag of each file it was built from (`storage.trail_listing`). The
runner writes it when the run ends; a run without one (older, or killed) gets it the first time it is
read once it has ended. A record is used only while every file it was built from is as it was, and only
if it has the package's form: otherwise the run is read from its notebooks again, and the record
rewritten. The trail is writable by the job's own role, so a record is checked like any part of it.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from backlog_alerts.ascii_text import visible
from backlog_alerts.errors import BacklogAlertsError
from backlog_alerts.io import locations, storage, versioned
from backlog_alerts.trail.fact_shapes import misshapen
from backlog_alerts.trail.manifest import RUNNING, effective_status, manifest_problem
from backlog_alerts.trail.run_folder import UNREADABLE, read_run_folder, unreadable_reason
from backlog_alerts.trail.runs import NOT_READ, is_notebook_name, not_read

RECORD = "record.json"
VERSION = 1  # raised whenever what a record holds changes: older records are then rebuilt
UNSAVED = (OSError, BacklogAlertsError, BotoCoreError, ClientError)  # a trail we may read but not write
log = logging.getLogger(__name__)


def sources(files: dict[str, str]) -> dict[str, str]:
    """The files of a run folder a record is built from, by tag: all but the record itself and the
    hidden files beside them (a lock, a write in progress)."""
    return {name: tag for name, tag in files.items() if name != RECORD and not name.startswith(".")}


def read_record(location: str, run_id: str, files: dict[str, str]) -> tuple[dict[str, Any] | None, str]:
    """The run as its record holds it, and "" ; or None and why the record was not used ("stale": a
    file it was built from has changed since, or the record is gone, which is no fault of the record).
    One GET on S3; a record that is a link is not followed, and one that cannot be read is not used."""
    uri = locations.join(location, run_id, RECORD)
    local = locations.local_copy(uri)
    if local is not None and local.is_symlink():
        return None, "a symbolic link; not followed"
    try:
        found = versioned.read(uri)
        record = json.loads(found.data) if found is not None else None
    except ValueError:
        return None, "not JSON"
    except UNREADABLE as err:
        return None, f"cannot be read ({unreadable_reason(err.__cause__ or err)})"
    if found is None:
        return None, "stale"
    if not isinstance(record, dict) or record.get("version") != VERSION:
        return None, "stale"  # an older package's record (or none of ours): built again, not a fault
    if record.get("sources") != sources(files):
        return None, "stale"
    run = record.get("run")
    problem = _problem(run, run_id)
    return (None, problem) if problem else (run, "")


def _problem(run: Any, run_id: str) -> str:
    """Why `run` is not a run as `read_run_folder` builds it for `run_id`; "" when it is."""
    if not isinstance(run, dict) or not isinstance(run.get("notebooks"), dict):
        return "not a run's record"
    manifest: Any = run.get("manifest")
    problem = manifest_problem(manifest, run_id)
    if problem:
        return problem.replace("manifest.json", "manifest")
    if not all(is_notebook_name(entry["notebook"]) for entry in manifest.get("notebooks", [])):
        return "its manifest names a notebook this package does not write"
    said = run.get("not_read")
    if not isinstance(said, list) or not all(_said_line(line) for line in said):
        return "its not-read lines are not of the package's form"
    for name, notebook in run["notebooks"].items():
        if not is_notebook_name(f"{name}.ipynb") or not _notebook_shape(notebook):
            return f"its notebook {name!r} is not of the package's form"
        if misshapen(notebook["facts"]):
            return f"the facts of {name} are not of the package's form"
    return ""


def _said_line(line: Any) -> bool:
    """A line as `runs.not_read` writes it: printed as it is, so nothing hidden (no terminal escape)."""
    return isinstance(line, str) and line.startswith(NOT_READ) and visible(line, lines=False) == line


def _notebook_shape(notebook: Any) -> bool:
    return (
        isinstance(notebook, dict)
        and isinstance(notebook.get("parameters"), dict)
        and isinstance(notebook.get("facts"), dict)
        and isinstance(notebook.get("cells"), list)
        and all(isinstance(cell, dict) for cell in notebook["cells"])
    )


class OutsideTrail(BacklogAlertsError, ValueError):
    """A run folder that is a link out of the trail: no record is written through it."""


def write_record(location: str, run_id: str, run: dict[str, Any], files: dict[str, str]) -> None:
    """Save the run's record, naming the files (by tag) it was built from: only into a run folder that
    is itself in the trail (locally, not a link to elsewhere), so reading a trail writes nowhere else."""
    folder = locations.join(location, run_id)
    local = locations.local_copy(folder)
    if local is not None and (local.is_symlink() or local.resolve().parent != Path(location).resolve()):
        raise OutsideTrail(f"{folder}: not a folder of the trail itself; its record is not written")
    record = {"version": VERSION, "run_id": run_id, "sources": sources(files), "run": run}
    storage.write_json(locations.join(folder, RECORD), record)


def ended(run: dict[str, Any]) -> bool:
    """A run whose manifest will not change again: only such a run's record is saved."""
    return effective_status(run["manifest"]) != RUNNING


def save_record(folder: str) -> None:
    """At a run's end: its record, built from the notebooks it just wrote. A record that cannot be
    written is no failure of the run: the first `audit` or `report` to read the run builds it."""
    location, _, run_id = folder.rstrip("/").rpartition("/")
    try:
        files, unreadable = storage.folder_tags(folder), list[str]()
        run = read_run_folder(location, run_id, files, unreadable=unreadable)
        if unreadable:
            raise OSError(f"{', '.join(unreadable)} could not be read")
        write_record(location, run_id, run, files)
    except (*UNSAVED, ValueError) as err:
        log.warning("the run's compact record was not saved (%s); `audit` builds it from the notebooks", err)


def record_line(run_id: str, why: str) -> str:
    """What `audit` and `report` say of a record not used for a reason other than its being stale."""
    return not_read(f"{run_id}/{RECORD}", f"{why}; the run was read from its notebooks instead")
