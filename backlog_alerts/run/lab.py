"""`backlog-alerts lab`: JupyterLab on the notebooks and the emulator, stopped whole by SIGTERM or Ctrl-C."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path

from jupyter_core.paths import jupyter_runtime_dir
from jupyter_server.serverapp import list_running_servers

from backlog_alerts.errors import EXIT_OK, raise_interrupted
from backlog_alerts.io import emulator
from backlog_alerts.run.plan import NOTEBOOKS, find_notebooks_dir

PRE_SAVE_HOOK = "backlog_alerts.io.clean_notebooks.pre_save_hook"
Say = Callable[[str], None]
STOP_SECONDS = 10  # for jupyter-lab to shut its kernels down after SIGTERM, before SIGKILL


def lab_command(notebooks: Path, jupyter_args: list[str]) -> list[str]:
    """`jupyter lab` on the notebooks folder, saving notebooks in canonical form; usable as root, headless."""
    extra = jupyter_args[1:] if jupyter_args[:1] == ["--"] else jupyter_args
    command = [sys.executable, "-m", "jupyterlab", f"--notebook-dir={notebooks}"]
    command.append(f"--ContentsManager.pre_save_hook={PRE_SAVE_HOOK}")
    if os.geteuid() == 0 and "--allow-root" not in extra:
        command.append("--allow-root")
    headless = sys.platform.startswith("linux") and not os.environ.get(
        "DISPLAY", os.environ.get("WAYLAND_DISPLAY")
    )
    if headless and "--no-browser" not in extra:
        command.append("--no-browser")
    return [*command, *extra]


def _server_url(pid: int) -> str | None:
    """The URL (with its token) of the first notebook, once the server started as `pid` is listening."""
    for server in list_running_servers(jupyter_runtime_dir()):
        if server.get("pid") == pid:
            token = f"?token={server['token']}" if server.get("token") else ""
            return f"{server['url'].rstrip('/')}/lab/tree/{NOTEBOOKS[0]}{token}"
    return None


def _stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM to jupyter-lab's process group (it shuts its kernels down), SIGKILL if it lingers."""
    for signum, wait in ((signal.SIGTERM, STOP_SECONDS), (signal.SIGKILL, None)):
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signum)
        with suppress(subprocess.TimeoutExpired):
            process.wait(wait)
            return


def _wait(process: subprocess.Popen[bytes], say: Say) -> int:
    """Until jupyter-lab exits: says the URL to open once it is listening; its exit code."""
    url = None
    while process.poll() is None:
        if url is None and (url := _server_url(process.pid)):
            say(f"Open {url}\nCtrl-C or SIGTERM stops JupyterLab, its kernels and the emulator.")
        time.sleep(0.5)
    return process.returncode


def run_lab(
    jupyter_args: list[str], seed: Callable[[str], dict[str, str]], say: Callable[[str], None]
) -> int:
    """JupyterLab in a process group of its own, stopped with its kernels when we are stopped."""
    for signum in (signal.SIGTERM, signal.SIGINT):  # SIGINT too: a shell's background job ignores it
        signal.signal(signum, raise_interrupted)
    with emulator.local_aws() as (endpoint, _started):
        env = seed(endpoint)
        notebooks = find_notebooks_dir()
        say(f"JupyterLab on {notebooks}, AWS emulator at {endpoint}")
        process = subprocess.Popen(
            lab_command(notebooks, jupyter_args), env=env, start_new_session=True, stdin=subprocess.DEVNULL
        )
        try:
            return _wait(process, say)
        except KeyboardInterrupt:  # Ctrl-C, or SIGTERM through raise_interrupted
            return EXIT_OK
        finally:
            _stop(process)
