"""Notebooks in one canonical form: what the repository keeps, whatever JupyterLab last ran or showed.

Invariant: a notebook of `notebooks/` opened in JupyterLab through `backlog-alerts lab`, run or not and
saved, stays byte-identical to the committed file unless a cell's source, a markdown cell or a cell's
tags changed. Its mechanism: the canonical form below, which the committed notebooks are in, which
`pre_save_hook` writes, and which the run manifest compares to say whether a notebook is `-dirty`.
"""

from __future__ import annotations

import copy
from typing import Any

# The kernel every notebook runs on (papermill and the runner read `kernelspec.name`). JupyterLab
# rewrites both from the kernel it started (display name, version, mimetype, ...) on every save.
METADATA = {
    "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
    "language_info": {"name": "python"},
}
# The one cell metadata that changes what a run does: papermill finds its `parameters` cell by tag.
# JupyterLab's view state (`collapsed`, `scrolled`, `jupyter`, `execution`, `trusted`, ...) is dropped.
CELL_METADATA = ("tags",)


def strip_outputs(notebook: dict[str, Any]) -> dict[str, Any]:
    """The notebook (changed in place) with no outputs or execution counts in its code cells."""
    for cell in notebook.get("cells", []):
        if cell.get("cell_type") == "code":
            cell["outputs"] = []
            cell["execution_count"] = None
    return notebook


def canonicalize(notebook: dict[str, Any]) -> dict[str, Any]:
    """The notebook (changed in place) in canonical form: no outputs, fixed metadata, only cell tags."""
    import nbformat  # here: the kernels import this module, and nbformat costs them jsonschema (run/__init__)

    strip_outputs(notebook)
    notebook["metadata"] = nbformat.from_dict(copy.deepcopy(METADATA))
    for cell in notebook.get("cells", []):
        metadata = cell.get("metadata") or {}
        cell["metadata"] = nbformat.from_dict(
            {key: metadata[key] for key in CELL_METADATA if metadata.get(key)}
        )
        if "attachments" in cell and not cell["attachments"]:
            del cell["attachments"]  # JupyterLab may send an empty one for a markdown cell
    return notebook


def canonical_text(notebook: dict[str, Any]) -> str:
    """The notebook's canonical file: nbformat's JSON, as Jupyter's server writes it (a final newline)."""
    import nbformat

    node = canonicalize(nbformat.from_dict(copy.deepcopy(notebook)))
    return nbformat.writes(node, version=nbformat.NO_CONVERT) + "\n"


def pre_save_hook(model: dict[str, Any], **_: Any) -> None:
    """Jupyter server's ContentsManager.pre_save_hook: a notebook is saved in its canonical form."""
    if model.get("type") == "notebook" and isinstance(model.get("content"), dict):
        canonicalize(model["content"])
