"""One notebook under papermill, in a process group of its own that dies with the runner."""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from importlib.metadata import entry_points
from pathlib import Path
from typing import IO, Any

import yaml

from backlog_alerts.io import storage
from backlog_alerts.trail.executed import first_error

PR_SET_PDEATHSIG = 1  # from <sys/prctl.h>
ENGINE = "backlog_alerts"  # run/engine.py, by its name among papermill's engines (pyproject.toml)


@dataclass
class NotebookResult:
    """How one notebook of the run ended; `output` is a local path or an s3:// URI."""

    notebook: str
    output: str
    status: str  # succeeded | failed | timed out
    seconds: float
    error: str = ""


class Interrupted(KeyboardInterrupt):
    """SIGTERM (a scheduler stopping the job) handled like Ctrl-C: stop, record, exit."""


def raise_interrupted(signum: int, frame: object) -> None:
    raise Interrupted(f"signal {signum}")


def _die_with_parent() -> None:
    """In the papermill child (Linux): be killed if the runner dies, even by SIGKILL.

    The kernel papermill starts watches its own parent and exits with it.
    """
    if sys.platform.startswith("linux"):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def _engine() -> list[str]:
    """Our engine (kernels on IPC sockets) once registered; an install older than it runs papermill's own."""
    return ["--engine", ENGINE] if entry_points(group="papermill.engine", name=ENGINE) else []


def _forward(stream: IO[str], line_to: Callable[[str], None]) -> None:
    for line in stream:
        line_to(line.rstrip("\n"))


def _kill_group(process: subprocess.Popen[str]) -> None:
    """Stop papermill and the kernel it started, which share its process group."""
    with suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def execute_notebook(
    notebook: Path,
    output: str | Path,
    parameters: dict[str, Any],
    *,
    execution_timeout: int,
    notebook_timeout: int,
    env: dict[str, str],
    stderr_line: Callable[[str], None] | None = None,
) -> tuple[str, str]:
    """Run one notebook with papermill in its own process group; returns (status, error line).

    The outer timeout exists because papermill can hang after the last cell; the kernel's cwd is
    the notebooks folder, as in Jupyter and nbval. With `stderr_line`, what papermill and the kernel
    print to stderr goes there line by line (for JSON logs) instead of straight to our stderr.
    """
    command = [
        sys.executable,
        "-m",
        "papermill",
        str(notebook),
        str(output),
        "--parameters_yaml",
        yaml.safe_dump(parameters, sort_keys=False),
        "--cwd",
        str(notebook.parent),
        "--execution-timeout",
        str(execution_timeout),
        "--progress-bar" if sys.stderr.isatty() else "--no-progress-bar",
        "--log-level",
        "WARNING",
        *_engine(),
    ]
    # The kernel's connection file and IPC sockets go in a folder of this call, removed even after a kill.
    with tempfile.TemporaryDirectory(prefix="backlog-alerts-kernel-", ignore_cleanup_errors=True) as runtime:
        process = subprocess.Popen(
            command,
            env={**env, "JUPYTER_RUNTIME_DIR": runtime},
            start_new_session=True,
            stdin=subprocess.DEVNULL,
            stderr=subprocess.PIPE if stderr_line else None,
            text=True,
            preexec_fn=_die_with_parent,
        )
        if stderr_line and process.stderr:
            threading.Thread(target=_forward, args=(process.stderr, stderr_line), daemon=True).start()
        try:
            code = process.wait(timeout=notebook_timeout)
        except subprocess.TimeoutExpired:
            _kill_group(process)
            return "timed out", f"notebook did not finish within {notebook_timeout} s"
        except BaseException:
            _kill_group(process)
            raise
    if code == 0:
        return "succeeded", ""
    error = first_error(str(output)) if storage.exists(str(output)) else None
    if error and error.startswith("KeyboardInterrupt"):  # how nbclient stops a cell that overran
        return "timed out", f"a cell did not finish within {execution_timeout} s (execution_timeout)"
    return "failed", error or f"papermill exited with code {code}"


def run_notebook(
    notebook: Path,
    folder: str,
    parameters: dict[str, Any],
    *,
    execution_timeout: int,
    notebook_timeout: int,
    env: dict[str, str],
    say: Callable[[str], None],
    stderr_line: Callable[[str], None] | None,
) -> NotebookResult:
    """Execute one notebook into the run folder, saying when it starts and how it ended."""
    output = storage.join(folder, notebook.name)
    say(f"[{notebook.stem}] running")
    started = time.monotonic()
    status, error = execute_notebook(
        notebook,
        output,
        parameters,
        execution_timeout=execution_timeout,
        notebook_timeout=notebook_timeout,
        env=env,
        stderr_line=stderr_line,
    )
    seconds = time.monotonic() - started
    say(f"[{notebook.stem}] {status} in {seconds:.1f} s")
    return NotebookResult(notebook.name, output, status, seconds, error)
