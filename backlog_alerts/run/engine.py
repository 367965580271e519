"""The papermill engine `backlog-alerts` runs notebooks with: nbclient's, with a quieter kernel manager.

papermill loads it through its `papermill.engine` entry point (pyproject.toml) when it imports
papermill.engines; so import that first, never this module alone (the import would go round in a circle).
"""

from __future__ import annotations

import os
import uuid
from typing import Any

from jupyter_client.manager import AsyncKernelManager
from jupyter_core.paths import jupyter_runtime_dir
from papermill.engines import NBClientEngine
from traitlets import default


class QuietKernelManager(AsyncKernelManager):
    """Kernels on IPC sockets: no "running over TCP without encryption" warning from each kernel."""

    @default("transport")
    def _transport_default(self) -> str:
        return "tcp" if os.name == "nt" else "ipc"  # zmq has no IPC sockets on Windows

    @default("ip")
    def _ip_default(self) -> str:
        """IPC socket files in Jupyter's runtime folder, not in the notebooks folder (the kernel's cwd)."""
        if self.transport != "ipc":
            return str(super()._ip_default())
        runtime = jupyter_runtime_dir()
        os.makedirs(runtime, mode=0o700, exist_ok=True)
        return os.path.join(runtime, f"kernel-{uuid.uuid4().hex[:12]}-ipc")  # short: sockets' path limit


class QuietEngine(NBClientEngine):
    """papermill's default engine with QuietKernelManager as nbclient's kernel manager."""

    @classmethod
    def execute_managed_notebook(cls, *args: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("kernel_manager_class", QuietKernelManager)
        return super().execute_managed_notebook(*args, **kwargs)
