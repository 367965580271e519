"""The run's kernels: warmed with their notebook's imports, quiet, and gone when the runner is."""

from __future__ import annotations

import json
import signal
import subprocess
import time
from pathlib import Path

import nbformat
import pytest
from helpers import CLI, ROOT, clean_env, reset_emulator, run_until_notebook_2
from nbformat.v4 import new_code_cell, new_notebook

from backlog_alerts.io import emulator
from backlog_alerts.run.kernels import Kernels, remove_stale_runtimes
from backlog_alerts.run.notebook import execute_notebook

pytestmark = pytest.mark.integration


def notebook_file(folder: Path, *sources: str) -> Path:
    notebook = new_notebook(cells=[new_code_cell(source) for source in sources])
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path = folder / "in.ipynb"
    nbformat.write(notebook, str(path))
    return path


def stdout_of(output: Path) -> str:
    cells = nbformat.read(str(output), as_version=4).cells
    return "".join(
        o.get("text", "") for c in cells for o in c.get("outputs", []) if o.get("name") == "stdout"
    )


def run(path: Path, output: Path, lines: list[str] | None = None) -> tuple[str, str]:
    with Kernels([path], clean_env(), lines.append if lines is not None else None) as kernels:
        return execute_notebook(
            path, output, {}, execution_timeout=120, notebook_timeout=300, kernels=kernels
        )


def test_a_kernel_has_its_notebooks_modules_loaded_but_none_of_their_names(tmp_path):
    probe = "import sys\nprint('colorsys' in sys.modules, 'colorsys' in dir(), 'hsv_to_rgb' in dir())"
    path = notebook_file(tmp_path, probe, "import colorsys\nfrom colorsys import hsv_to_rgb")
    assert run(path, tmp_path / "out.ipynb") == ("succeeded", "")
    assert stdout_of(tmp_path / "out.ipynb").split() == ["True", "False", "False"]


def test_the_kernels_stderr_reaches_the_log_and_its_warnings_the_notebook(tmp_path):
    cell = "import sys, warnings\nwarnings.warn('a real warning')\nprint('kernel says', file=sys.__stderr__)"
    path = notebook_file(tmp_path, cell)
    lines: list[str] = []
    assert run(path, tmp_path / "out.ipynb", lines) == ("succeeded", "")
    assert "kernel says" in lines
    assert not any("without encryption" in line for line in lines)  # IPC sockets, not TCP
    (executed,) = nbformat.read(str(tmp_path / "out.ipynb"), as_version=4).cells
    assert "UserWarning: a real warning" in "".join(o.get("text", "") for o in executed.outputs)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.ipynb", "out.ipynb"]  # no socket files


def test_a_failing_cell_fails_the_notebook_with_its_error_and_keeps_the_copy(tmp_path):
    path = notebook_file(tmp_path, "print('before')", "raise ValueError('no such month')", "print('after')")
    status, error = run(path, tmp_path / "out.ipynb")
    assert (status, error) == ("failed", "ValueError: no such month")
    assert stdout_of(tmp_path / "out.ipynb") == "before\n"


def kernels_under(folder: Path) -> list[int]:
    """Processes whose command line names a kernel connection file in `folder`."""
    pids = []
    for proc in Path("/proc").iterdir():
        try:
            if proc.name.isdigit() and f"{folder}/backlog-alerts-kernel-" in (proc / "cmdline").read_text():
                pids.append(int(proc.name))
        except OSError:
            continue
    return pids


def test_no_kernel_outlives_a_runner_killed_mid_run(moto_endpoint, tmp_path):
    reset_emulator(moto_endpoint)
    temp = tmp_path / "tmp"
    temp.mkdir()
    env = {**emulator.emulator_environ(moto_endpoint, clean_env()), "TMPDIR": str(temp)}
    process, _ = run_until_notebook_2(tmp_path / "out", env)
    try:
        assert kernels_under(temp), "no kernel was running when the runner was killed"
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
    finally:
        process.kill()
    deadline = time.monotonic() + 15
    while kernels_under(temp) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert kernels_under(temp) == []
    left = sorted(temp.iterdir())  # a killed runner cannot remove its kernels' folders
    assert left and sorted(remove_stale_runtimes(str(temp))) == left
    assert list(temp.iterdir()) == []


def test_a_run_stopped_while_it_starts_exits_130_and_leaves_nothing(moto_endpoint, tmp_path):
    reset_emulator(moto_endpoint)
    temp = tmp_path / "tmp"
    temp.mkdir()
    env = {**emulator.emulator_environ(moto_endpoint, clean_env()), "TMPDIR": str(temp)}
    for delay in (0.3, 1.0):  # while importing, then about when kernels boot and the inputs are checked
        process = subprocess.Popen(
            [*CLI, "run", "--output-dir", str(tmp_path / "out"), "--log-format", "json"],
            env=env,
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        time.sleep(delay)
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=60)
        # On a loaded machine the first stop can come before Python has even started the command: the
        # default action then ends it (-SIGTERM) with nothing begun and nothing said, which is as good.
        before_python = delay < 1 and process.returncode == -signal.SIGTERM and not out + err
        assert process.returncode == 130 or before_python, err
        assert all(json.loads(line) for line in (out + err).splitlines())  # JSON lines only, no traceback
        deadline = time.monotonic() + 15
        while kernels_under(temp) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert kernels_under(temp) == [] and list(temp.iterdir()) == []
        assert not list((tmp_path / "out").glob(".*lock*"))
