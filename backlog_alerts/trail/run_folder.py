"""A run read from its folder's notebooks: the manifest, and per executed notebook its recorded facts,
parameters and cell timings. What a compact record (`record`) holds, built the long way.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from backlog_alerts.errors import BacklogAlertsError
from backlog_alerts.io import aws, locations, storage
from backlog_alerts.trail.executed import read_back, read_notebook
from backlog_alerts.trail.fact_shapes import misshapen
from backlog_alerts.trail.manifest import SUCCEEDED, manifest_problem
from backlog_alerts.trail.runs import NotRead, is_notebook_name, not_read

# A file listed that cannot be read now: no permission, gone since the listing, S3 refusing or failing.
UNREADABLE = (OSError, BacklogAlertsError, BotoCoreError, ClientError)


def unreadable_reason(err: BaseException) -> str:
    """Why a file could not be read, in a few words (`Permission denied`, `AccessDenied`)."""
    if isinstance(err, OSError):
        return err.strerror or type(err).__name__
    return aws.error_code(err) or str(err) or type(err).__name__


def read_run_folder(
    location: str, run_id: str, files: dict[str, str] | None = None, *, unreadable: list[str] | None = None
) -> dict[str, Any]:
    """The manifest and what each notebook it names recorded, read from the notebooks themselves.

    Only what the package writes is read (`runs`): a manifest that is not one it writes, or that cannot
    be read, raises `NotRead`; a notebook it names that is not one of the package's, is not a notebook,
    or cannot be read now, is left out and listed in the run's `not_read` (and in `unreadable` when it
    could not be read, which a later read may: such a run is no record's source). `files`: the folder's
    files, as listed (else looked up).
    """
    folder = locations.join(location, run_id)
    try:
        manifest = storage.read_json(locations.join(folder, "manifest.json"))
    except ValueError as err:
        raise NotRead(not_read(run_id, "its manifest.json is not JSON")) from err
    except UNREADABLE as err:
        why = f"its manifest.json cannot be read ({unreadable_reason(err)})"
        raise NotRead(not_read(run_id, why)) from err
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
        present = name in files if files is not None else storage.exists(uri)
        if not present:
            if entry["status"] == SUCCEEDED:  # it ran, and its record is gone
                skipped.append(not_read(f"{run_id}/{name}", "missing from its run folder"))
            continue
        try:
            notebook = read_notebook(uri)
        except ValueError:
            skipped.append(not_read(f"{run_id}/{name}", "not a notebook (not JSON, or not nbformat)"))
            continue
        except UNREADABLE as err:
            skipped.append(not_read(f"{run_id}/{name}", f"cannot be read ({unreadable_reason(err)})"))
            if unreadable is not None:
                unreadable.append(name)
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
    return {"manifest": {**manifest, "notebooks": entries}, "notebooks": notebooks, "not_read": skipped}


def _mapping(value: Any) -> dict[str, Any]:
    """A metadata field that should be an object; anything else planted there counts as none."""
    return value if isinstance(value, dict) else {}


def _timing(index: int, cell: Any) -> dict[str, Any]:
    meta = _mapping(cell.metadata.get("papermill"))
    return {"cell": index, "status": meta.get("status"), "duration": meta.get("duration")}
