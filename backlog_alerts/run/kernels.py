"""The run's kernels: each started while earlier notebooks run, its imports done before its turn."""

from __future__ import annotations

import ast
import asyncio
import os
import shutil
import signal
import subprocess
import tempfile
import textwrap
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import IO, Any

import nbformat
from jupyter_client.manager import KernelManager
from traitlets import DottedObjectName

AHEAD = 2  # kernels booting ahead of their notebook
INPUTS_PREFIX = "backlog-alerts-inputs-"  # a run's private copies of its inputs, removed at its end
RUNTIME_PREFIX = "backlog-alerts-kernel-"  # then the runner's pid: a folder whose runner is gone is stale
MAX_SOCKET_PATH = 90  # a Unix socket's path has room for about 100 bytes; zmq adds "-<port>"
STOPS = (signal.SIGINT, signal.SIGTERM)
WARM_UP = "BACKLOG_ALERTS_WARM_UP"  # the imports a kernel makes before its notebook starts
# Run by IPython as the kernel starts, before it answers nbclient: imports into a namespace of their own,
# so the notebook's names are only what its cells define.
WARM_UP_LINE = f"exec(__import__('os').environ.pop({WARM_UP!r}, ''), {{}})"


class QuietKernelManager(KernelManager):
    """Kernels on IPC sockets where their path fits (no "running over TCP without encryption"), and
    the clients nbclient makes kept, to be closed: nbclient leaves them open on a kernel it did not start.

    The runner drives it from its own thread and nbclient from papermill's, with an async client.
    """

    client_class = DottedObjectName("jupyter_client.asynchronous.AsyncKernelClient")

    def __init__(self, **kwargs: Any):
        super().__init__(**kwargs)
        self.clients: list[Any] = []

    def client(self, **kwargs: Any) -> Any:
        made = super().client(**kwargs)
        self.clients.append(made)
        return made

    async def _async_interrupt_kernel(self) -> None:
        # jupyter_client interrupts (SIGINT) a kernel before it kills it; one still handling a message
        # logs "KeyboardInterrupt caught in kernel". A cell that overran is interrupted by nbclient
        # itself (interrupt_on_timeout, through the public interrupt_kernel), not while shutting down.
        if not self.shutting_down:
            await super()._async_interrupt_kernel()

    def close_clients(self) -> None:
        """In the thread that used them: open sockets left to the garbage collector can block it for good."""
        for made in self.clients:
            made.stop_channels()
            made.context.destroy(linger=0)
        self.clients.clear()


def listen_on(runtime: str) -> tuple[str, str]:
    """(transport, ip) for a kernel whose files go in `runtime`: IPC sockets there if their path fits."""
    sockets = os.path.join(runtime, "ipc")
    if os.name == "nt" or len(sockets) > MAX_SOCKET_PATH:  # zmq has no IPC sockets on Windows
        return "tcp", "127.0.0.1"
    return "ipc", sockets


def imports_of(notebook: nbformat.NotebookNode) -> str:
    """The notebook's top-level import statements: what its kernel can load before its turn."""
    lines = []
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        with suppress(SyntaxError):  # IPython magics; the notebook reports its own errors
            tree = ast.parse(cell.source)
            lines += [ast.unparse(n) for n in tree.body if isinstance(n, ast.Import | ast.ImportFrom)]
    return "\n".join(lines)


def warm_up_of(notebook: nbformat.NotebookNode) -> str:
    """The code a kernel runs as it starts: the notebook's imports, with the garbage collector paused and
    then frozen as the command does its own (entry.py), and pandas ahead where the package would import
    it at the first CSV read (io/sources.py)."""
    imports = imports_of(notebook) or "pass"
    return "\n".join(
        [
            "import gc, sys",
            "gc.disable()",
            "try:",
            textwrap.indent(imports, "    "),
            "    if 'backlog_alerts.io.sources' in sys.modules:",
            "        import pandas",
            "finally:",
            "    gc.freeze()",
            "    gc.enable()",
        ]
    )


class Kernel:
    """One notebook's kernel, its connection file and sockets in a folder removed when it stops."""

    manager: QuietKernelManager

    def __init__(self, notebook: Path, env: dict[str, str], stderr_line: Callable[[str], None] | None = None):
        document = nbformat.read(str(notebook), as_version=4)
        self._runtime = ""
        try:  # an interruption (SIGTERM while the run starts) stops the kernel and removes its folder
            with _stops_held():  # not between the folder's making or the kernel's fork and their record
                self._runtime = tempfile.mkdtemp(prefix=f"{RUNTIME_PREFIX}{os.getpid()}-")
                self.manager = QuietKernelManager(
                    kernel_name=document.metadata.get("kernelspec", {}).get("name", "python3"),
                    connection_file=os.path.join(self._runtime, "kernel.json"),
                )
                self.manager.transport, self.manager.ip = listen_on(self._runtime)
                self.manager.start_kernel(
                    env={**env, "JUPYTER_RUNTIME_DIR": self._runtime, WARM_UP: warm_up_of(document)},
                    cwd=str(notebook.parent),  # as in Jupyter and nbval: relative paths from the notebooks
                    extra_arguments=[f"--IPKernelApp.exec_lines={WARM_UP_LINE}"],
                    stdin=subprocess.DEVNULL,
                    stderr=subprocess.PIPE if stderr_line else None,
                )
                process = getattr(self.manager.provisioner, "process", None)  # the local provisioner's Popen
                if stderr_line and process is not None and process.stderr is not None:
                    threading.Thread(target=_forward, args=(process.stderr, stderr_line), daemon=True).start()
        except BaseException:
            with suppress(Exception):  # a cleanup that fails must not stand in for the interruption
                self.stop(interrupted=True)
            raise

    def stop(self, interrupted: bool = False) -> None:
        """Killed, not asked to shut down (which takes a kernel 0.3 s): its notebook is over, or must be
        (a timeout, an interruption), and papermill has saved the executed copy either way.

        A start interrupted midway (SIGTERM) may leave a half-made socket in the manager's zmq context,
        on which terminating the context waits forever: that context is left to the exiting process."""
        manager = getattr(self, "manager", None)  # none when interrupted before it was made
        with _stops_held():  # a second stop mid-way removed the folder of a kernel not yet killed
            try:
                if manager is not None:
                    if interrupted:
                        manager._created_context = False
                    with suppress(RuntimeError):  # already gone
                        if manager.has_kernel:
                            manager.shutdown_kernel(now=True)
                    manager.cleanup_resources()  # its own socket and zmq context, even after a failed start
            finally:
                if self._runtime:
                    shutil.rmtree(self._runtime, ignore_errors=True)


@contextmanager
def _stops_held() -> Iterator[None]:
    """SIGINT and SIGTERM noted inside the block and delivered as it ends. Raised midway, the
    interruption fell between a kernel's fork and Popen's record of it (an orphan kernel writing its
    connection file into a removed folder) or between jupyter_client's steps (a cleanup error then
    stood in for it, and the run went on as if never stopped). Only the main thread receives them."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    held: list[int] = []
    previous = {sig: signal.signal(sig, lambda signum, _frame: held.append(signum)) for sig in STOPS}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        for held_signal in dict.fromkeys(held):
            signal.raise_signal(held_signal)  # to the handler the process had: Interrupted, KeyboardInterrupt


def close_this_threads_loop() -> None:
    """Close the event loop jupyter_client made for this thread: left to the garbage collector, it can be
    collected at exit after its own socket, and print a traceback after `run succeeded`."""
    with suppress(RuntimeError):
        asyncio.get_event_loop_policy().get_event_loop().close()


def _forward(stream: IO[bytes], line_to: Callable[[str], None]) -> None:
    for line in stream:
        line_to(line.decode(errors="replace").rstrip("\n"))


def remove_stale_runtimes(folder: str | None = None) -> list[Path]:
    """Folders left by runners that were killed (SIGKILL leaves no chance to clean up): a kernel's,
    whose connection file holds the dead kernel's key, and the run's copies of its inputs (the
    contacts file among them). Returns what was removed."""
    removed = []
    for prefix in (RUNTIME_PREFIX, INPUTS_PREFIX):
        for runtime in Path(folder or tempfile.gettempdir()).glob(f"{prefix}*-*"):
            pid = runtime.name.removeprefix(prefix).split("-")[0]
            if pid.isdigit() and not _alive(int(pid)):
                shutil.rmtree(runtime, ignore_errors=True)
                removed.append(runtime)
    return sorted(removed)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True


class Kernels:
    """The kernel of each notebook in turn, the next AHEAD ones booting while it runs.

    With `stderr_line`, what the kernels (and papermill) print to stderr goes there line by line, for
    JSON logs; without it, straight to stderr.
    """

    def __init__(self, notebooks: list[Path], env: dict[str, str], stderr_line: Callable[[str], None] | None):
        self._order, self._env, self.stderr_line = notebooks, env, stderr_line
        self._started: dict[Path, Kernel] = {}
        remove_stale_runtimes()
        self._stopping: list[threading.Thread] = []

    def start(self, notebook: Path) -> None:
        if notebook not in self._started:
            with _stops_held():  # recorded before a stop comes, so that `close` stops it
                self._started[notebook] = Kernel(notebook, self._env, self.stderr_line)

    def take(self, notebook: Path) -> Kernel:
        """`notebook`'s kernel (started now if it was not yet); those of the next notebooks get started."""
        self.start(notebook)
        self.start_ahead(self._order.index(notebook) + 1)  # interrupted: `close` stops it with the rest
        return self._started.pop(notebook)

    def start_ahead(self, position: int = 0) -> None:
        """Start the kernels of the next AHEAD notebooks from `position` that have none yet."""
        for notebook in self._order[position : position + AHEAD]:
            with suppress(Exception):  # not fatal ahead of time: `take` starts it again, and says why not
                self.start(notebook)

    def release(self, kernel: Kernel) -> None:
        """`kernel`'s notebook is saved: it is stopped while the run goes on."""

        def stop() -> None:
            try:
                kernel.stop()
            finally:
                close_this_threads_loop()

        stopping = threading.Thread(target=stop, name="kernel stop", daemon=True)
        stopping.start()
        self._stopping.append(stopping)

    def close(self) -> None:
        """Stop the kernels of notebooks that did not run (a refusal, a failure, an interruption), and
        wait for the released ones to be stopped. A second stop meanwhile comes once all are stopped."""
        with _stops_held():
            for kernel in self._started.values():
                kernel.stop()
            self._started.clear()
        for stopping in self._stopping:
            stopping.join()
        self._stopping.clear()

    def __enter__(self) -> Kernels:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()
