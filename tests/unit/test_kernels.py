"""What a kernel loads before its notebook's turn, and how it listens."""

import os
import signal
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from backlog_alerts.errors import Interrupted, raise_interrupted
from backlog_alerts.run import kernels
from backlog_alerts.run.kernels import (
    MAX_SOCKET_PATH,
    RUNTIME_PREFIX,
    imports_of,
    listen_on,
    remove_stale_runtimes,
    warm_up_of,
)


def test_the_warm_up_is_the_notebooks_top_level_imports_only():
    notebook = new_notebook(
        cells=[
            new_markdown_cell("import this is prose"),
            new_code_cell('region = "us-east-1"  # parameters'),
            new_code_cell("from datetime import date\n\nimport pandas as pd\nx = 1"),
            new_code_cell("if x:\n    import json  # not at top level: only when it runs\n"),
            new_code_cell("%matplotlib inline\nimport csv"),  # IPython syntax: left to the notebook
            new_code_cell("from backlog_alerts.io import aws, storage"),
        ]
    )
    assert imports_of(notebook).splitlines() == [
        "from datetime import date",
        "import pandas as pd",
        "from backlog_alerts.io import aws, storage",
    ]


@pytest.mark.parametrize(
    "notebook", sorted((Path(__file__).parents[2] / "notebooks").glob("*.ipynb")), ids=lambda path: path.stem
)
def test_no_kernel_warm_up_loads_jsonschema(notebook):
    # jsonschema (through nbformat) costs a process a second of CPU at import (run/__init__.py): the
    # runner pays it once, without its iri checker; a kernel would pay it in full for nothing.
    code = warm_up_of(nbformat.read(notebook, as_version=4))
    code += "\nimport sys\nprint(sorted({m.split('.')[0] for m in sys.modules} & {'jsonschema', 'nbformat'}))"
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert loaded.strip() == "[]"


@pytest.mark.skipif(os.name == "nt", reason="zmq has no IPC sockets on Windows")
def test_kernels_listen_on_ipc_sockets_unless_their_path_would_be_too_long():
    assert listen_on("/tmp/backlog-alerts-kernel-x1") == ("ipc", "/tmp/backlog-alerts-kernel-x1/ipc")
    deep = "/tmp/" + "d" * (MAX_SOCKET_PATH - 8)
    assert listen_on(deep) == ("tcp", "127.0.0.1")


def test_only_the_kernel_folders_of_runners_that_are_gone_are_stale(tmp_path):
    finished = subprocess.Popen(["true"])
    finished.wait()
    stale = tmp_path / f"{RUNTIME_PREFIX}{finished.pid}-ab12cd"
    ours = tmp_path / f"{RUNTIME_PREFIX}{os.getpid()}-ef34gh"
    unrelated = tmp_path / f"{RUNTIME_PREFIX}x9y8z7"  # no runner pid in the name: not ours to judge
    for folder in (stale, ours, unrelated):
        folder.mkdir()
        (folder / "kernel.json").write_text("{}")
    assert remove_stale_runtimes(str(tmp_path)) == [stale]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([ours.name, unrelated.name])


@pytest.mark.parametrize("when", ["making its manager", "starting its process"])
def test_a_kernel_interrupted_while_it_starts_leaves_no_folder(when, tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    notebook = tmp_path / "n.ipynb"
    nbformat.write(new_notebook(cells=[new_code_cell("x = 1")]), str(notebook))

    def interrupted(*_args, **_kwargs):
        raise Interrupted("signal 15")

    target = "__init__" if when == "making its manager" else "start_kernel"
    monkeypatch.setattr(kernels.QuietKernelManager, target, interrupted)
    with pytest.raises(Interrupted):
        kernels.Kernel(notebook, {})
    assert [p.name for p in tmp_path.iterdir()] == ["n.ipynb"]


@pytest.fixture
def sigterm_interrupts():
    """SIGTERM raising Interrupted, as the command sets it up; the test process's handler put back after."""
    previous = signal.signal(signal.SIGTERM, raise_interrupted)
    yield
    signal.signal(signal.SIGTERM, previous)


def test_a_stop_during_a_held_step_comes_once_the_step_is_whole(sigterm_interrupts):
    done = []
    with pytest.raises(Interrupted), kernels._stops_held():
        signal.raise_signal(signal.SIGTERM)
        done.append("after the signal")  # the step goes on to its end
    assert done == ["after the signal"]
    with pytest.raises(KeyboardInterrupt), kernels._stops_held():  # Ctrl-C: Python's own handler
        signal.raise_signal(signal.SIGINT)
    assert signal.getsignal(signal.SIGTERM) is raise_interrupted


def test_a_kernel_stopped_while_jupyter_client_starts_it_is_killed_and_leaves_no_folder(
    sigterm_interrupts, tmp_path, monkeypatch
):
    """A SIGTERM mid-start (between the fork and Popen's record of the kernel, say) no longer orphans a
    kernel that then writes its connection file into the removed folder, nor is it lost to a cleanup
    error: the start completes, the kernel is killed, the folder removed, the interruption raised."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    notebook = tmp_path / "n.ipynb"
    nbformat.write(new_notebook(cells=[new_code_cell("x = 1")]), str(notebook))
    start = kernels.QuietKernelManager.start_kernel
    launched = []

    def stopped_midway(self, **kwargs):
        signal.raise_signal(signal.SIGTERM)
        start(self, **kwargs)
        launched.append(self.provisioner.process)

    monkeypatch.setattr(kernels.QuietKernelManager, "start_kernel", stopped_midway)
    with pytest.raises(Interrupted):
        kernels.Kernel(notebook, dict(os.environ))
    (process,) = launched
    assert process.wait(timeout=10) is not None, "the kernel was killed"
    assert [p.name for p in tmp_path.iterdir()] == ["n.ipynb"]


def test_a_second_stop_while_a_kernel_is_stopped_waits_until_it_is_killed_and_its_folder_gone(
    sigterm_interrupts, tmp_path, monkeypatch
):
    """SIGTERM twice, 50 ms apart: the second came while the first's cleanup stopped a booting kernel,
    and cut it short after the folder was removed but before the kernel was killed; the kernel then
    wrote a connection file of its own ("transport": "tcp") into a folder it made again, left behind."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    notebook = tmp_path / "n.ipynb"
    nbformat.write(new_notebook(cells=[new_code_cell("x = 1")]), str(notebook))
    kernel = kernels.Kernel(notebook, dict(os.environ))
    process = kernel.manager.provisioner.process
    shutdown = kernel.manager.shutdown_kernel

    def stopped_again(**kwargs):
        signal.raise_signal(signal.SIGTERM)
        shutdown(**kwargs)

    monkeypatch.setattr(kernel.manager, "shutdown_kernel", stopped_again)
    with pytest.raises(Interrupted):
        kernel.stop()
    assert process.wait(timeout=10) is not None, "the kernel was killed"
    assert [p.name for p in tmp_path.iterdir()] == ["n.ipynb"]


def test_a_stop_as_a_kernel_is_made_or_recorded_leaves_it_to_be_stopped(
    sigterm_interrupts, tmp_path, monkeypatch
):
    """Between the held start and the kernel's record in `Kernels` (the stderr forwarder's start, the
    constructor's return) a SIGTERM lost the kernel: running, unrecorded, its folder left behind."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    notebook = tmp_path / "n.ipynb"
    nbformat.write(new_notebook(cells=[new_code_cell("x = 1")]), str(notebook))
    made = []

    class Forwarder(threading.Thread):
        def start(self):
            signal.raise_signal(signal.SIGTERM)
            super().start()

    def stopped_as_made(*args, **kwargs):
        kernel = kernel_class(*args, **kwargs)
        made.append(kernel.manager.provisioner.process)
        signal.raise_signal(signal.SIGTERM)
        return kernel

    kernel_class = kernels.Kernel
    with monkeypatch.context() as patch:
        patch.setattr(kernels.threading, "Thread", Forwarder)
        with pytest.raises(Interrupted):
            kernels.Kernel(notebook, dict(os.environ), stderr_line=lambda line: None)
    assert [p.name for p in tmp_path.iterdir()] == ["n.ipynb"], "stopped as its stderr forwarder started"
    monkeypatch.setattr(kernels, "Kernel", stopped_as_made)
    with pytest.raises(Interrupted), kernels.Kernels([notebook], dict(os.environ), None) as started:
        started.take(notebook)
    assert made[0].wait(timeout=10) is not None, "the kernel was killed"
    assert [p.name for p in tmp_path.iterdir()] == ["n.ipynb"]
