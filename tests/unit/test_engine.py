"""The runner's papermill engine is registered and gives kernels IPC sockets in Jupyter's runtime folder."""

import os

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
