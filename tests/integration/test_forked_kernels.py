"""The tests' forked kernels (tests/forked_kernels.py) behave as started ones where jupyter_client, the
runner and a notebook look: folder, environment (the time zone too), streams, the package's modules not
yet imported, their own process group, interrupts, kills; they end with the test process that asked for
them; and a kernel that must start another way (the fault injector on PYTHONPATH) is started as one."""

import json
import os
import subprocess
import sys
import tempfile
import textwrap
import time
from contextlib import contextmanager

import pytest
from forked_kernels import ForkedKernel
from helpers import ROOT
from jupyter_client.manager import KernelManager

from backlog_alerts.run.kernels import listen_on

pytestmark = pytest.mark.integration


@contextmanager
def _kernel(tmp_path, env, stderr=None):
    """A started kernel's manager and client, as the runner makes them; stopped and removed after."""
    with tempfile.TemporaryDirectory(prefix="k-") as runtime:
        manager = KernelManager(kernel_name="python3", connection_file=os.path.join(runtime, "kernel.json"))
        manager.transport, manager.ip = listen_on(runtime)
        manager.start_kernel(env=env, cwd=str(tmp_path), stdin=subprocess.DEVNULL, stderr=stderr)
        client = manager.client()
        try:
            client.start_channels()
            client.wait_for_ready(timeout=60)
            yield manager, client
        finally:
            client.stop_channels()
            manager.shutdown_kernel(now=True)


def _run(client, code, timeout=30):
    said = []
    reply = client.execute_interactive(
        code, timeout=timeout, output_hook=lambda m: said.append(m["content"].get("text", ""))
    )
    return reply["content"], "".join(said)


def test_a_forked_kernel_has_its_folder_environment_stderr_and_process_group(tmp_path):
    env = {**os.environ, "SEEN_BY_THE_KERNEL": "yes", "TZ": "Asia/Tokyo"}
    with _kernel(tmp_path, env, stderr=subprocess.PIPE) as (manager, client):
        process = manager.provisioner.process
        assert isinstance(process, ForkedKernel)
        _, said = _run(
            client,
            "import os, sys, time\nfrom ipykernel.kernelapp import IPKernelApp\n"
            "print(os.getcwd(), os.environ['SEEN_BY_THE_KERNEL'], time.strftime('%Z'))\n"
            "print(os.getpgid(0) == os.getpid(), IPKernelApp.instance().parent_handle)\n"
            "print(sorted(m for m in sys.modules if m.startswith('backlog_alerts')))\n"
            "print('to stderr', file=sys.__stderr__, flush=True)",
        )
        assert said.split() == [str(tmp_path), "yes", "JST", "True", str(os.getpid()), "[]"]
        assert process.stderr.readline() == b"to stderr\n"
        assert manager.provisioner.pgid == process.pid  # a signal to its group reaches it alone
    assert process.poll() is not None


def test_a_forked_kernel_is_interrupted_and_killed_as_a_started_one(tmp_path):
    with _kernel(tmp_path, dict(os.environ)) as (manager, client):
        sleeping = client.execute("import time\ntime.sleep(60)")
        time.sleep(1)
        manager.interrupt_kernel()  # SIGINT to its process group
        reply = client.get_shell_msg(timeout=10)
        assert reply["parent_header"]["msg_id"] == sleeping
        assert reply["content"]["ename"] == "KeyboardInterrupt"
        assert _run(client, "print('after')")[1].strip() == "after"
        process = manager.provisioner.process
    assert process.poll() is not None  # gone, killed through its process group
    with _kernel(tmp_path, dict(os.environ)) as (_, client):  # the parent lives on
        assert _run(client, "print(6 * 7)")[1].strip() == "42"


def test_a_kernel_whose_python_starts_another_way_is_started_as_a_process(tmp_path):
    path = os.pathsep.join(p for p in (str(tmp_path), os.environ.get("PYTHONPATH")) if p)
    (tmp_path / "sitecustomize.py").write_text("import os\nos.environ['STARTED_WITH'] = 'sitecustomize'\n")
    with _kernel(tmp_path, {**os.environ, "PYTHONPATH": path}) as (manager, client):
        assert isinstance(manager.provisioner.process, subprocess.Popen)
        assert _run(client, "import os\nprint(os.environ.get('STARTED_WITH'))")[1].strip() == "sitecustomize"


def test_the_parent_and_its_kernels_end_with_the_test_process_that_asked(tmp_path):
    """A test process killed (a CI timeout, say) leaves no parent and no kernel running."""
    script = textwrap.dedent(
        f"""
        import json, os, sys, tempfile, time
        sys.path.insert(0, {str(ROOT / "tests")!r})
        from forked_kernels import Parent
        from jupyter_client.provisioning import local_provisioner
        from jupyter_client.manager import KernelManager
        parent = Parent("import pandas", os.environ)
        local_provisioner.launch_kernel = parent.launch
        manager = KernelManager(kernel_name="python3", transport="ipc", ip=tempfile.mkdtemp() + "/k")
        manager.start_kernel()
        print(json.dumps([parent._process.pid, manager.provisioner.process.pid]), flush=True)
        time.sleep(600)
        """
    )
    asker = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        pids = json.loads(asker.stdout.readline())
        assert all(_alive(pid) for pid in pids)
    finally:
        asker.kill()
        asker.wait()
    deadline = time.monotonic() + 10
    while any(_alive(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [pid for pid in pids if _alive(pid)]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as stat:  # a zombie is gone, only not yet reaped
        return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
