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
    """Kernels on IPC sockets (no "running over TCP without encryption"), not interrupted to shut down."""

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

    async def _async_interrupt_kernel(self) -> None:
        # jupyter_client interrupts (SIGINT) every kernel before asking it to shut down; one still handling
        # a message logs "KeyboardInterrupt caught in kernel" after a successful run. A cell that overran
        # is interrupted by nbclient itself (interrupt_on_timeout, through the public interrupt_kernel).
        if not self.shutting_down:
            await super()._async_interrupt_kernel()


class QuietEngine(NBClientEngine):
    """papermill's default engine with QuietKernelManager as nbclient's kernel manager."""

    @classmethod
    def execute_managed_notebook(cls, *args: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("kernel_manager_class", QuietKernelManager)
        kwargs.setdefault("interrupt_on_timeout", True)  # the cell fails with KeyboardInterrupt, as before
        return super().execute_managed_notebook(*args, **kwargs)
