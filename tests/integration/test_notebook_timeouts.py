"""Both timeouts of a papermill call end the notebook, keep what was executed, and leave nothing running."""

import os
import tempfile
import time

import nbformat
from helpers import clean_env
from nbformat.v4 import new_code_cell, new_notebook

from backlog_alerts.run.kernels import Kernels
from backlog_alerts.run.notebook import execute_notebook


def sleepy_notebook(tmp_path):
    notebook = new_notebook(cells=[new_code_cell("import os, time\nprint(os.getpid())\ntime.sleep(120)")])
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path = tmp_path / "sleepy.ipynb"
    nbformat.write(notebook, str(path))
    return path


def printed_pids(output):
    return [
        o.text.strip()
        for c in nbformat.read(str(output), as_version=4).cells
        for o in c.get("outputs", [])
        if o.get("name") == "stdout"
    ]


def stopped_note(output):
    """What the executed copy says of its own stop: its metadata, checked against its closing cell."""
    copy = nbformat.read(str(output), as_version=4)
    why = copy.metadata["backlog_alerts"]["stopped"]
    assert copy.cells[-1].cell_type == "markdown" and why in copy.cells[-1].source
    return why


def test_a_hung_cell_fails_the_notebook_and_the_copy_is_saved(tmp_path):
    output = tmp_path / "out.ipynb"
    notebook = sleepy_notebook(tmp_path)
    with Kernels([notebook], clean_env(), None) as kernels:
        status, error = execute_notebook(
            notebook, output, {}, execution_timeout=3, notebook_timeout=120, kernels=kernels
        )
    assert (status, error) == ("timed out", "a cell did not finish within 3 s (execution_timeout)")
    assert stopped_note(output) == error


def test_the_outer_timeout_kills_the_kernel_and_keeps_the_copy(tmp_path, monkeypatch):
    output = tmp_path / "out.ipynb"
    runtime = tmp_path / "tmp"  # where each kernel's connection file and IPC sockets go
    runtime.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(runtime))
    notebook = sleepy_notebook(tmp_path)
    started = time.monotonic()
    with Kernels([notebook], clean_env(), None) as kernels:
        status, error = execute_notebook(
            notebook, output, {}, execution_timeout=300, notebook_timeout=8, kernels=kernels
        )
    assert (status, error) == ("timed out", "notebook did not finish within 8 s")
    assert time.monotonic() - started < 60
    assert list(runtime.iterdir()) == []  # no connection file or IPC socket left by the killed kernel
    assert stopped_note(output) == "notebook did not finish within 8 s (notebook_timeout)"
    (pid,) = printed_pids(output)  # papermill saved the copy, with the kernel's pid, when the cell started
    time.sleep(0.5)
    assert not os.path.exists(f"/proc/{pid}"), "the kernel outlived the timeout"
