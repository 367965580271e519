"""The runner's papermill engine is registered and gives kernels IPC sockets in Jupyter's runtime folder."""

import asyncio
import os
import signal

import pytest
from jupyter_core.paths import jupyter_runtime_dir
from papermill.engines import papermill_engines

from backlog_alerts.run.engine import QuietEngine, QuietKernelManager
from backlog_alerts.run.notebook import ENGINE, _engine


def test_papermill_finds_the_engine_by_the_name_the_runner_passes():
    assert _engine() == ["--engine", ENGINE]
    assert papermill_engines.get_engine(ENGINE) is QuietEngine


@pytest.mark.skipif(os.name == "nt", reason="zmq has no IPC sockets on Windows")
def test_kernels_listen_on_ipc_sockets_in_the_runtime_folder():
    manager = QuietKernelManager()
    assert manager.transport == "ipc"
    assert os.path.dirname(manager.ip) == jupyter_runtime_dir()
    assert len(manager.ip) + len("-12345") < 100  # a Unix socket's path has at most 107 bytes


def test_a_kernel_is_interrupted_on_request_but_not_to_be_shut_down(monkeypatch):
    manager = QuietKernelManager(kernel_name="python3")
    monkeypatch.setattr(QuietKernelManager, "has_kernel", True)
    sent = []

    async def signal_kernel(signum):
        sent.append(signum)

    monkeypatch.setattr(manager, "_async_signal_kernel", signal_kernel)
    manager.shutting_down = True
    asyncio.run(manager._async_interrupt_kernel())  # what shutdown_kernel() calls first
    assert sent == []
    asyncio.run(manager.interrupt_kernel())  # nbclient, when a cell overran its execution_timeout
    assert sent == [signal.SIGINT]
