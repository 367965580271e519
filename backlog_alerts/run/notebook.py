"""One notebook under papermill's Python API, in the runner's process, its kernel stopped with it."""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import papermill
from nbformat.v4 import new_markdown_cell
from papermill.iorw import load_notebook_node, write_ipynb

from backlog_alerts.io import locations, storage
from backlog_alerts.run.kernels import Kernel, Kernels, close_this_threads_loop
from backlog_alerts.run.logs import logged_warnings
from backlog_alerts.trail.executed import first_error, masking_engine

KILL_GRACE = 15  # s for papermill to save the executed copy once the kernel is gone


@dataclass
class NotebookResult:
    """How one notebook of the run ended; `output` is a local path or an s3:// URI."""

    notebook: str
    output: str
    status: str  # succeeded | failed | timed out
    seconds: float
    error: str = ""


def _papermill(
    notebook: Path, output: str | Path, parameters: dict[str, Any], kernel: Kernel, execution_timeout: int
) -> BaseException | None:
    """papermill on `kernel`, in a thread of its own: what it raised, if anything.

    Off the main thread nbclient installs no signal handlers, so SIGTERM and Ctrl-C stay the runner's.
    """
    try:
        papermill.execute_notebook(
            str(notebook),
            str(output),
            parameters=parameters,
            km=kernel.manager,
            execution_timeout=execution_timeout,
            interrupt_on_timeout=True,  # the cell fails with KeyboardInterrupt and the notebook is saved
            progress_bar=sys.stderr.isatty(),
            engine_name=masking_engine(),  # outputs masked before every save
        )
    except BaseException as err:  # noqa: BLE001 - handed to the runner's thread, which decides
        return err
    finally:
        kernel.manager.close_clients()
        close_this_threads_loop()  # the one nbclient made
    return None


def mark_stopped(output: str | Path, why: str) -> None:
    """The executed copy says itself that it was cut short, for an auditor who reads the notebook
    rather than the manifest: a closing cell, and `stopped` in its metadata."""
    with suppress(Exception):  # best effort: the manifest records the stop either way
        notebook = load_notebook_node(str(output))
        notebook.cells.append(
            new_markdown_cell(
                f"**Stopped before it finished: {why}.** The cells after the last one with output did not "
                "run, and the last one may not have finished. The run's manifest records the same."
            )
        )
        notebook.metadata["backlog_alerts"] = {"stopped": why}
        write_ipynb(notebook, str(output))


def execute_notebook(
    notebook: Path,
    output: str | Path,
    parameters: dict[str, Any],
    *,
    execution_timeout: int,
    notebook_timeout: int,
    kernels: Kernels,
) -> tuple[str, str]:
    """Run one notebook with papermill on its kernel from `kernels`; returns (status, error line).

    The whole-notebook timeout exists because papermill can hang after the last cell: the kernel is
    killed, which ends papermill's wait. SIGTERM or Ctrl-C do the same, then propagate.
    """
    try:
        kernel = kernels.take(notebook)
    except Exception as err:  # noqa: BLE001 - a kernel that cannot start fails its notebook, like papermill did
        return "failed", f"the kernel did not start: {type(err).__name__}: {err}"
    outcome: list[BaseException | None] = []
    worker = threading.Thread(
        target=lambda: outcome.append(_papermill(notebook, output, parameters, kernel, execution_timeout)),
        name=f"papermill {notebook.name}",
        daemon=True,
    )
    # papermill's warnings (through `logging`, in this process) go where the kernels' stderr goes
    line_to = kernels.stderr_line or (lambda line: print(line, file=sys.stderr, flush=True))
    with logged_warnings("papermill", line_to, "papermill: "):
        try:
            worker.start()
            worker.join(notebook_timeout)
        except BaseException:  # interrupted: the kernel goes, so papermill saves what ran and ends
            kernel.stop()
            with suppress(RuntimeError):  # a start cut short by the signal: no thread to wait for
                worker.join(KILL_GRACE)
            raise
        if worker.is_alive():
            kernel.stop()
            worker.join(KILL_GRACE)
            overran = f"notebook did not finish within {notebook_timeout} s"
            mark_stopped(output, f"{overran} (notebook_timeout)")
            return "timed out", overran
    kernels.release(kernel)
    raised = outcome[0] if outcome else None
    if raised is None:
        return "succeeded", ""
    error = first_error(str(output)) if storage.exists(str(output)) else None
    if error and error.startswith("KeyboardInterrupt"):  # how nbclient stops a cell that overran
        slow_cell = f"a cell did not finish within {execution_timeout} s (execution_timeout)"
        mark_stopped(output, slow_cell)
        return "timed out", slow_cell
    return "failed", error or f"papermill: {type(raised).__name__}: {raised}"


def run_notebook(
    notebook: Path,
    folder: str,
    parameters: dict[str, Any],
    *,
    execution_timeout: int,
    notebook_timeout: int,
    kernels: Kernels,
    say: Callable[[str], None],
) -> NotebookResult:
    """Execute one notebook into the run folder, saying when it starts and how it ended."""
    output = locations.join(folder, notebook.name)
    say(f"[{notebook.stem}] running")
    started = time.monotonic()
    status, error = execute_notebook(
        notebook,
        output,
        parameters,
        execution_timeout=execution_timeout,
        notebook_timeout=notebook_timeout,
        kernels=kernels,
    )
    seconds = time.monotonic() - started
    say(f"[{notebook.stem}] {status} in {seconds:.1f} s")
    return NotebookResult(notebook.name, output, status, seconds, error)
