"""Both timeouts of a papermill call end the notebook, keep what was executed, and leave nothing running."""

import os
import time

import nbformat
from helpers import clean_env
from nbformat.v4 import new_code_cell, new_notebook

from backlog_alerts.run.notebook import execute_notebook


def sleepy_notebook(tmp_path):
    notebook = new_notebook(cells=[new_code_cell("import os, time\nprint(os.getpid())\ntime.sleep(120)")])
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path = tmp_path / "sleepy.ipynb"
    nbformat.write(notebook, str(path))
    return path


def test_a_hung_cell_fails_the_notebook_and_the_copy_is_saved(tmp_path):
    output = tmp_path / "out.ipynb"
    status, error = execute_notebook(
        sleepy_notebook(tmp_path), output, {}, execution_timeout=3, notebook_timeout=120, env=clean_env()
    )
    assert (status, error) == ("timed out", "a cell did not finish within 3 s (execution_timeout)")
    assert output.exists()


def test_the_outer_timeout_kills_papermill_and_its_kernel(tmp_path):
    output = tmp_path / "out.ipynb"
    runtime = tmp_path / "runtime"  # Jupyter's, which the runner replaces by a folder of its own
    runtime.mkdir()
    env = {**clean_env(), "JUPYTER_RUNTIME_DIR": str(runtime)}
    started = time.monotonic()
    status, error = execute_notebook(
        sleepy_notebook(tmp_path), output, {}, execution_timeout=300, notebook_timeout=8, env=env
    )
    assert status == "timed out" and "8 s" in error
    assert time.monotonic() - started < 60
    assert list(runtime.iterdir()) == []  # no connection file or IPC socket left by the killed kernel
    if output.exists():  # papermill saves the copy as cells start; the kernel's pid is in it
        pids = [
            o.text
            for c in nbformat.read(str(output), as_version=4).cells
            for o in c.get("outputs", [])
            if o.get("name") == "stdout"
        ]
        for pid in pids:
            time.sleep(0.5)
            assert not os.path.exists(f"/proc/{pid.strip()}"), "the kernel outlived the timeout"
