"""The kernels started in a test process, forked from one parent that has made the notebooks' imports.

A kernel started as a new process spends about a second of CPU importing ipykernel, pandas, matplotlib
and boto3, and the suite starts hundreds: most of its time. Forked, each kernel runs the same ipykernel
with the same command line, environment, working folder and standard streams, in a session of its own
(jupyter_client signals its process group), its imports already made. Only the process is made another
way: the runs that start their own process (`run_cli` without an emulator, test_run_cli.py's stops,
test_kernel_lifecycle.py, the faults trials) and nbval start kernels as the runner does.

Run as a script, this file is that parent: `python forked_kernels.py SOCKET`, the warm-up code on stdin.
"""

from __future__ import annotations

import json
import os
import select
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Mapping
from contextlib import suppress
from pathlib import Path
from typing import IO, Any

LAUNCHER = ["-m", "ipykernel_launcher"]  # what jupyter_client's kernelspec for python3 runs
STREAMS = 3  # stdin, stdout, stderr: passed to the parent with each request


# --- in the test process ---------------------------------------------------------------------------


class ForkedKernel:
    """The parts of subprocess.Popen that jupyter_client's local provisioner uses, for a kernel that is
    not our child: the parent reaps it, and it is gone when its pid is. How it ended is not known here:
    its return code is 0 (jupyter_client only logs it)."""

    def __init__(self, pid: int, stdout: IO[bytes] | None, stderr: IO[bytes] | None):
        self.pid, self.stdin, self.stdout, self.stderr = pid, None, stdout, stderr
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None:
            try:
                os.kill(self.pid, 0)
            except ProcessLookupError:
                self.returncode = 0
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired(str(self.pid), timeout or 0)
            time.sleep(0.02)
        return 0

    def send_signal(self, signum: int) -> None:
        if self.poll() is None:
            os.kill(self.pid, signum)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)


class Parent:
    """The forking parent, started at the first kernel asked for and stopped with the test session."""

    def __init__(self, warm_up: str, env: Mapping[str, str]):
        self._warm_up, self._env, self._lock = warm_up, dict(env), threading.Lock()
        self._process: subprocess.Popen | None = None
        self._socket = os.path.join(tempfile.mkdtemp(prefix="fk-"), "parent")

    def _started(self) -> None:
        if self._process is None:
            self._process = subprocess.Popen(
                [sys.executable, __file__, self._socket, str(os.getpid())],
                env=self._env,
                stdin=subprocess.PIPE,
                start_new_session=True,  # no signal to a kernel's group can reach it
            )
            assert self._process.stdin is not None
            self._process.stdin.write(self._warm_up.encode())
            self._process.stdin.close()
        if self._process.poll() is not None and os.path.exists(self._socket):
            raise RuntimeError(f"the forking parent of the tests' kernels ended ({self._process.returncode})")
        deadline = time.monotonic() + 60
        while not os.path.exists(self._socket):
            if self._process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the forking parent of the tests' kernels did not start")
            time.sleep(0.02)

    def forks(self, cmd: list[str], env: Mapping[str, str] | None) -> bool:
        """A kernel this parent can make: the python3 kernel of this Python, started as it was."""
        alike = start_settings(os.environ if env is None else env) == start_settings(self._env)
        return cmd[:1] == [sys.executable] and cmd[1:3] == LAUNCHER and alike

    def launch(self, cmd: list[str], stdout: Any = None, stderr: Any = None, **kwargs: Any) -> ForkedKernel:
        """jupyter_client.launcher.launch_kernel, for a kernel the parent `forks` (stdin: nothing, as
        launch_kernel gives it a pipe it closes at once)."""
        env = dict(kwargs.get("env") or os.environ)
        env["JPY_PARENT_PID"] = str(os.getpid())  # as launch_kernel sets it
        ours = [os.open(os.devnull, os.O_RDWR)]
        streams, readers = [ours[0]], []
        for given, default in ((stdout, 1), (stderr, 2)):
            if given == subprocess.PIPE:
                read, write = os.pipe()
                ours.append(write)
                streams.append(write)
                readers.append(os.fdopen(read, "rb"))
            else:
                streams.append(
                    default if given is None else ours[0] if given == subprocess.DEVNULL else _fileno(given)
                )
                readers.append(None)
        request = {"argv": cmd[len(LAUNCHER) + 1 :], "env": env, "cwd": kwargs.get("cwd") or os.getcwd()}
        try:
            with self._lock:
                self._started()
                with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
                    conn.connect(self._socket)
                    socket.send_fds(conn, [json.dumps(request).encode() + b"\n"], streams)
                    pid = int(conn.makefile("rb").readline())
        finally:
            for fd in ours:
                os.close(fd)
        return ForkedKernel(pid, *readers)

    def stop(self) -> None:
        if self._process is not None:
            self._process.kill()
            self._process.wait()
        Path(self._socket).unlink(missing_ok=True)
        Path(self._socket).parent.rmdir()


def _fileno(stream: Any) -> int:
    return stream if isinstance(stream, int) else stream.fileno()


def start_settings(env: Mapping[str, str]) -> dict[str, str]:
    """What a Python process reads as it starts or imports, which a fork cannot give it afresh:
    PYTHON* (PYTHONPATH naming the fault injector's sitecustomize, say), matplotlib's backend and
    botocore's model path."""
    return {k: v for k, v in env.items() if k.startswith("PYTHON") or k in ("MPLBACKEND", "AWS_DATA_PATH")}


# --- in the parent ---------------------------------------------------------------------------------


def _serve(path: str, test_process: int) -> None:
    del sys.path[0]  # this file's folder; a kernel's path is its own (ipykernel_launcher does the same)
    os.environ.setdefault("MPLBACKEND", "module://matplotlib_inline.backend_inline")  # as ipykernel does
    import ipykernel.kernelapp  # noqa: F401 - made once, for every kernel

    exec(sys.stdin.read(), {})  # the notebooks' imports, as each kernel's warm-up makes them
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # kernels are reaped as they end
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(path + ".new")
    server.listen(16)
    os.rename(path + ".new", path)  # the test process waits for the path: the socket listens by then
    kernels: set[int] = set()
    while True:
        if not select.select([server], [], [], 1)[0]:
            if os.getppid() != test_process:  # killed (a CI timeout, say): so are its kernels
                for pid in kernels:
                    with suppress(OSError):
                        os.killpg(pid, signal.SIGKILL)
                return
            kernels = {pid for pid in kernels if _alive(pid)}
            continue
        conn, _ = server.accept()
        with conn:
            message, fds, _, _ = socket.recv_fds(conn, 1 << 20, STREAMS)
            reader = conn.makefile("rb")
            while not message.endswith(b"\n"):
                message += reader.readline()
            request = json.loads(message)
            ready_read, ready_write = os.pipe()
            sys.stdout.flush()
            sys.stderr.flush()
            pid = os.fork()
            if pid == 0:
                _become_kernel(request, fds, ready_write)
            os.close(ready_write)
            os.read(ready_read, 1)  # its session is its own before its pid is told
            os.close(ready_read)
            for fd in fds:
                os.close(fd)
            kernels.add(pid)
            conn.sendall(f"{pid}\n".encode())


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _become_kernel(request: dict[str, Any], fds: list[int], ready: int) -> None:
    code = 1
    try:
        os.setsid()
        os.write(ready, b"!")
        os.close(ready)
        for target, fd in enumerate(fds):
            os.dup2(fd, target)
        for fd in map(int, os.listdir("/proc/self/fd")):  # as Popen's close_fds: the parent's socket too
            if fd > 2:
                with suppress(OSError):
                    os.close(fd)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        time.tzset()  # TZ: read as the process starts
        if "numpy" in sys.modules:  # seeded from the OS in a new process; the same in every fork
            sys.modules["numpy"].random.seed()
        for name in [m for m in sys.modules if m.split(".")[0] == "backlog_alerts"]:
            del sys.modules[name]  # the package's modules: each notebook imports its own, as in a new kernel
        # ipykernel reads JPY_PARENT_PID as it is imported, here in the parent: given again
        parent = [f"--IPKernelApp.parent_handle={os.environ['JPY_PARENT_PID']}"]
        sys.argv = [sys.argv[0], *parent, *request["argv"]]
        from ipykernel import kernelapp

        kernelapp.launch_new_instance()
        code = 0
    except SystemExit as stop:
        code = stop.code if isinstance(stop.code, int) else int(stop.code is not None)
    except BaseException:
        traceback.print_exc()
    finally:
        for stream in (sys.stdout, sys.stderr):
            if stream is not None:
                stream.flush()
        os._exit(code)


if __name__ == "__main__":
    _serve(sys.argv[1], int(sys.argv[2]))
