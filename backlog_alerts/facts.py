"""Key facts of a run, stored as JSON outputs of the executed notebook and read back with nbformat.

An executed notebook is the audit trail; these outputs let a reader (or the runner's summary)
get the numbers without executing or scraping anything.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import nbformat
import pandas as pd

from backlog_alerts import trail

FACTS_MIME = "application/vnd.backlog-alerts.facts+json"


def _plain(value: Any) -> Any:
    """Dataclasses (and lists of them) as JSON-ready dicts."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def record(key: str, value: Any) -> pd.DataFrame | None:
    """Store `value` under `key` in this cell's output, and return it as a table to show."""
    from IPython.display import display

    plain = json.loads(json.dumps(_plain(value), default=str))
    summary = f"[recorded {key}: {len(plain) if isinstance(plain, list) else 1} item(s)]"
    display({FACTS_MIME: {"key": key, "value": plain}, "text/plain": summary}, raw=True)
    if isinstance(plain, list) and plain and all(isinstance(v, dict) for v in plain):
        return pd.DataFrame(plain)
    if isinstance(plain, dict):
        return pd.DataFrame([plain])
    return None


def read_notebook(path: str | Path) -> nbformat.NotebookNode:
    """An executed notebook from a local path or an s3:// URI."""
    return nbformat.reads(trail.read_text(str(path)), as_version=4)


def read_facts(path: str | Path) -> dict[str, Any]:
    """All facts recorded in an executed notebook, later records of a key winning."""
    notebook = read_notebook(path)
    found: dict[str, Any] = {}
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            payload = output.get("data", {}).get(FACTS_MIME)
            if payload:
                found[payload["key"]] = payload["value"]
    return found


def first_error(path: str | Path) -> str | None:
    """`ExceptionName: message` of the first failing cell, for a one-line failure reason."""
    notebook = read_notebook(path)
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                return f"{output.get('ename')}: {output.get('evalue')}".strip()
    return None
