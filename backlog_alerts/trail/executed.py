"""Reading executed notebooks back, from a local path or an s3:// URI, without executing anything."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import nbformat

from backlog_alerts.io import storage
from backlog_alerts.trail.facts import FACTS_MIME


def read_notebook(path: str | Path) -> nbformat.NotebookNode:
    """An executed notebook from a local path or an s3:// URI."""
    return nbformat.reads(storage.read_text(str(path)), as_version=4)


def facts_in(notebook: nbformat.NotebookNode) -> dict[str, Any]:
    """All facts recorded in an executed notebook, later records of a key winning."""
    found: dict[str, Any] = {}
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            payload = output.get("data", {}).get(FACTS_MIME)
            if payload:
                found[payload["key"]] = payload["value"]
    return found


def read_facts(path: str | Path) -> dict[str, Any]:
    """The facts of the executed notebook at a local path or an s3:// URI."""
    return facts_in(read_notebook(path))


def first_error(path: str | Path) -> str | None:
    """`ExceptionName: message` of the first failing cell, for a one-line failure reason."""
    notebook = read_notebook(path)
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                return f"{output.get('ename')}: {output.get('evalue')}".strip()
    return None
