"""`backlog-alerts lab` as a user runs it: the URL to open, and SIGTERM stops JupyterLab, kernels and emulator."""

import os
import signal
import socket
import subprocess
import time
from pathlib import Path
from urllib.parse import urlparse

import pytest
import requests
from helpers import CLI, ROOT, clean_env

pytestmark = pytest.mark.integration


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def descendants(pid):
    """Every process below `pid`, from /proc (Linux)."""
    children = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            parent = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(parent, []).append(int(stat.parent.name))
    found, todo = [], [pid]
    while todo:
        kids = children.get(todo.pop(), [])
        found += kids
        todo += kids
    return found


def running(pid):
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def port_free(port):
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads the process tree from /proc")
def test_sigterm_stops_jupyterlab_its_kernels_and_the_emulator(tmp_path):
    port = free_port()
    with open(tmp_path / "lab.err", "w") as err:
        process = subprocess.Popen(
            [*CLI, "lab", "--", "--port", str(port), "--no-browser"],
            env=clean_env(),
            cwd=ROOT,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=err,
            text=True,
        )
    try:
        lines = []
        for line in process.stdout:
            lines.append(line)
            if line.startswith("Open "):
                break
        url = urlparse(lines[-1].split()[1])
        assert (url.port, url.path) == (port, "/lab/tree/01_topic_setup.ipynb"), lines
        assert url.query.startswith("token="), lines
        emulator = urlparse(next(ln for ln in lines if "AWS emulator at" in ln).rsplit(" ", 1)[1].strip())
        api = f"http://127.0.0.1:{port}/api/kernels?{url.query}"
        assert requests.post(api, json={"name": "python3"}, timeout=30).status_code == 201
        deadline = time.monotonic() + 60
        while len(tree := descendants(process.pid)) < 2 and time.monotonic() < deadline:
            time.sleep(0.5)  # jupyter-lab, then the kernel it started
        assert len(tree) >= 2, tree

        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
        deadline = time.monotonic() + 5
        while any(running(pid) for pid in tree) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert [pid for pid in tree if running(pid)] == []
        assert port_free(port)
        with pytest.raises(OSError), socket.create_connection((emulator.hostname, emulator.port), timeout=2):
            pass
    finally:
        if process.poll() is None:
            process.kill()
        for pid in [pid for pid in tree if running(pid)] if "tree" in locals() else []:
            os.kill(pid, signal.SIGKILL)  # what a failed test left behind
