"""Executed notebooks: written with their outputs masked, read back without executing anything.

The last scrub: facts are masked when recorded and our errors when made, but a library's error (pandas,
email-validator) or a print can quote a cell. The runner's papermill engine masks every output's text
each time papermill saves the executed copy, so no saved version of it shows a full address or number.
"""

from __future__ import annotations

import json
import warnings
from functools import cache
from pathlib import Path
from typing import Any

import nbformat
from nbformat.warnings import MissingIDFieldWarning

from backlog_alerts.errors import BacklogAlertsError
from backlog_alerts.io import storage
from backlog_alerts.masking import mask_text, mask_value
from backlog_alerts.trail.facts import FACTS_MIME


class NotANotebook(BacklogAlertsError, ValueError):
    """A file in a notebook's place that is not JSON, or not a version 4 notebook by nbformat's schema."""


def read_notebook(path: str | Path) -> nbformat.NotebookNode:
    """An executed notebook from a local path or an s3:// URI, whole by nbformat's schema.

    A trail is writable by the job's own role: anything else in a notebook's place (`[1, 2]`, cells that
    are not a list) raises `NotANotebook`, never a library's own error from deep inside a reader.
    """
    try:
        data = json.loads(storage.read_text(str(path)))
    except ValueError as err:
        raise NotANotebook(f"{path}: not JSON") from err
    if not isinstance(data, dict) or data.get("nbformat") != 4:
        raise NotANotebook(f"{path}: not a version 4 notebook")
    notebook = nbformat.from_dict(data)
    try:
        with warnings.catch_warnings():  # a cell without an id (planted, or old) is no news on stderr
            warnings.simplefilter("ignore", MissingIDFieldWarning)
            nbformat.validate(notebook)
    except nbformat.ValidationError as err:
        raise NotANotebook(f"{path}: not a notebook by nbformat's schema") from err
    return notebook


def facts_in(notebook: nbformat.NotebookNode) -> dict[str, Any]:
    """All facts recorded in an executed notebook, later records of a key winning."""
    return read_back(notebook)[0]


def read_back(notebook: nbformat.NotebookNode) -> tuple[dict[str, Any], int]:
    """The facts recorded in an executed notebook, and how many facts outputs were not `{"key": text,
    "value": ...}` (skipped: a notebook read back from a trail may hold anything in their place)."""
    found: dict[str, Any] = {}
    strays = 0
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            payload = output.get("data", {}).get(FACTS_MIME)
            if not payload:
                continue
            if isinstance(payload, dict) and isinstance(payload.get("key"), str) and "value" in payload:
                found[payload["key"]] = payload["value"]
            else:
                strays += 1
    return found, strays


def read_facts(path: str | Path) -> dict[str, Any]:
    """The facts of the executed notebook at a local path or an s3:// URI."""
    return facts_in(read_notebook(path))


def first_error(path: str | Path) -> str | None:
    """`ExceptionName: message` of the first failing cell, for a one-line failure reason."""
    notebook = read_notebook(path)
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                return mask_text(f"{output.get('ename')}: {output.get('evalue')}".strip())
    return None


def mask_outputs(notebook: nbformat.NotebookNode) -> None:
    """Mask the text of every output in place: streams, errors and text or JSON display data (not
    images; facts are masked already)."""
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if FACTS_MIME in data:
                continue
            for key in ("text", "evalue"):
                if isinstance(output.get(key), str):
                    output[key] = mask_text(output[key])
            if "traceback" in output:
                output["traceback"] = [mask_text(line) for line in output["traceback"]]
            for mime, value in data.items():
                if mime.startswith("text/") or mime.endswith("json"):
                    data[mime] = mask_value(value)


@cache
def masking_engine() -> str:
    """The name of papermill's nbclient engine registered to mask outputs before every save."""
    from papermill.engines import NBClientEngine, papermill_engines  # only where notebooks run

    class MaskingEngine(NBClientEngine):
        @classmethod
        def execute_managed_notebook(cls, nb_man: Any, kernel_name: str, **kwargs: Any) -> Any:
            save = nb_man.save

            def masked_save(**options: Any) -> None:
                mask_outputs(nb_man.nb)
                save(**options)

            nb_man.save = masked_save  # cell starts and ends, autosaves and the notebook's end
            return super().execute_managed_notebook(nb_man, kernel_name, **kwargs)

    papermill_engines.register("backlog_alerts_masked", MaskingEngine)
    return "backlog_alerts_masked"
