"""Notebooks without their outputs: what the repository keeps, whatever JupyterLab last ran."""

from __future__ import annotations

from typing import Any


def strip_outputs(notebook: dict[str, Any]) -> dict[str, Any]:
    """The notebook (changed in place) with no outputs or execution counts in its code cells."""
    for cell in notebook.get("cells", []):
        if cell.get("cell_type") == "code":
            cell["outputs"] = []
            cell["execution_count"] = None
    return notebook


def pre_save_hook(model: dict[str, Any], **_: Any) -> None:
    """Jupyter server's ContentsManager.pre_save_hook: a notebook saved from JupyterLab loses its outputs."""
    if model.get("type") == "notebook" and isinstance(model.get("content"), dict):
        strip_outputs(model["content"])
