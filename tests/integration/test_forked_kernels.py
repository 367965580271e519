"""The tests' forked kernels (tests/forked_kernels.py) behave as started ones where jupyter_client and
the runner look: folder, environment, streams, their own process group, interrupts, kills; and a kernel
that must start another way (the fault injector on PYTHONPATH) is started as a process."""

import os
import subprocess
import tempfile
import time

import pytest
from forked_kernels import ForkedKernel
from jupyter_client.manager import KernelManager

from backlog_alerts.run.kernels import listen_on

pytestmark = pytest.mark.integration


def _kernel(tmp_path, env, stderr=None):
    runtime = tempfile.mkdtemp(prefix="k-")
    manager = KernelManager(kernel_name="python3", connection_file=os.path.join(runtime, "kernel.json"))
    manager.transport, manager.ip = listen_on(runtime)
    manager.start_kernel(env=env, cwd=str(tmp_path), stdin=subprocess.DEVNULL, stderr=stderr)
    client = manager.client()
    client.start_channels()
    client.wait_for_ready(timeout=60)
    return manager, client


def _run(client, code, timeout=30):
    said = []
    reply = client.execute_interactive(
        code, timeout=timeout, output_hook=lambda m: said.append(m["content"].get("text", ""))
    )
    return reply["content"], "".join(said)


def test_a_forked_kernel_has_its_folder_environment_stderr_and_process_group(tmp_path):
    env = {**os.environ, "SEEN_BY_THE_KERNEL": "yes"}
    manager, client = _kernel(tmp_path, env, stderr=subprocess.PIPE)
    try:
        process = manager.provisioner.process
        assert isinstance(process, ForkedKernel)
        _, said = _run(
            client,
            "import os, sys\nfrom ipykernel.kernelapp import IPKernelApp\n"
            "print(os.getcwd(), os.environ['SEEN_BY_THE_KERNEL'], os.getpgid(0) == os.getpid())\n"
            "print(IPKernelApp.instance().parent_handle)\n"
            "print('to stderr', file=sys.__stderr__, flush=True)",
        )
        assert said.split() == [str(tmp_path), "yes", "True", str(os.getpid())]  # the parent it answers to
        assert process.stderr.readline() == b"to stderr\n"
        assert manager.provisioner.pgid == process.pid  # a signal to its group reaches it alone
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)
    assert process.poll() is not None


def test_a_forked_kernel_is_interrupted_and_killed_as_a_started_one(tmp_path):
    manager, client = _kernel(tmp_path, dict(os.environ))
    try:
        sleeping = client.execute("import time\ntime.sleep(60)")
        time.sleep(1)
        manager.interrupt_kernel()  # SIGINT to its process group
        reply = client.get_shell_msg(timeout=10)
        assert reply["parent_header"]["msg_id"] == sleeping
        assert reply["content"]["ename"] == "KeyboardInterrupt"
        assert _run(client, "print('after')")[1].strip() == "after"
        process = manager.provisioner.process
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)  # SIGKILL to its group
    assert process.poll() is not None  # gone, killed through its process group
    again, client = _kernel(tmp_path, dict(os.environ))  # the parent lives on
    try:
        assert _run(client, "print(6 * 7)")[1].strip() == "42"
    finally:
        client.stop_channels()
        again.shutdown_kernel(now=True)


def test_a_kernel_whose_python_starts_another_way_is_started_as_a_process(tmp_path):
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(p for p in (str(tmp_path), os.environ.get("PYTHONPATH")) if p),
    }
    (tmp_path / "sitecustomize.py").write_text("import os\nos.environ['STARTED_WITH'] = 'sitecustomize'\n")
    manager, client = _kernel(tmp_path, env)
    try:
        assert isinstance(manager.provisioner.process, subprocess.Popen)
        assert _run(client, "import os\nprint(os.environ.get('STARTED_WITH'))")[1].strip() == "sitecustomize"
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)
