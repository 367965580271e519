"""Shared fixtures: a moto server over HTTP for integration tests, the real 311 files, a report history.

Plain helpers (ROOT, clean_env, run_cli, ...) are in tests/helpers.py.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from forked_kernels import Parent
from helpers import HISTORY_MONTHS, REAL_DATA, ROOT, reset_emulator
from worker_groups import pytest_collection_modifyitems  # noqa: F401 (a hook: pytest finds it here)

from backlog_alerts.io import emulator

MEMORY = Path("/dev/shm")
MEMORY_FREE = 2 << 30  # bytes /dev/shm must have free: a session writes a few hundred MB


def _temporary_files_in_memory() -> None:
    """The tests' temporary files (tmp_path, the commands' and kernels' own) in RAM, where TMPDIR is not
    set and /dev/shm has room: they make and delete thousands of small files (run folders, locks, executed
    notebooks saved at every cell, kernels' sockets), and on a disk mounted with `discard` each delete
    waits for the device (the unit tests: 96 s on disk, 62 s in RAM, the same CPU time). Set here, as
    conftest is imported, before pytest or xdist pick their base folder; subprocesses inherit it."""
    if os.environ.get("TMPDIR") or not MEMORY.is_dir() or not os.access(MEMORY, os.W_OK):
        return
    stats = os.statvfs(MEMORY)
    if stats.f_bavail * stats.f_frsize >= MEMORY_FREE:
        os.environ["TMPDIR"] = str(MEMORY)
        tempfile.tempdir = None  # gettempdir() looks again


_temporary_files_in_memory()
# As `backlog-alerts` sets it for its kernels: the kernels this process starts, and the parent they are
# forked from (tests/forked_kernels.py), then start alike.
os.environ["PYTHONUNBUFFERED"] = "1"


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int | None:
    """`-n auto`: three workers for two cores. A worker waits on its kernels, commands and the emulator
    about a fifth of the time (two workers on two cores left 18 % of the CPU idle), so a half worker more
    per core keeps the cores busy: 295 s against 320-340 s, the same CPU. PYTEST_XDIST_AUTO_NUM_WORKERS
    and `-n logical` are xdist's own."""
    if os.environ.get("PYTEST_XDIST_AUTO_NUM_WORKERS") or config.option.numprocesses == "logical":
        return None
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return max(2, cores * 3 // 2)


@pytest.fixture(scope="session", autouse=True)
def forked_kernels() -> Iterator[None]:
    """Every python3 kernel this process starts is forked from a parent that has made the imports of
    every notebook (tests/forked_kernels.py): about a second of CPU less per kernel."""
    import nbformat
    from jupyter_client.provisioning import local_provisioner

    from backlog_alerts.run.kernels import warm_up_of

    notebooks = sorted((ROOT / "notebooks").glob("*.ipynb"))
    warm_up = [warm_up_of(nbformat.read(n, as_version=4)) for n in notebooks]
    # boto3's and botocore's client machinery, made once; each kernel still parses the service models
    # itself (io/aws.py's shared loader goes with the package's modules, which a kernel imports afresh)
    warm_up.append(
        "from backlog_alerts.io import aws\nfor service in ('s3', 'sns', 'sts'):\n    aws.client(service, 'us-east-1')"
    )
    parent = Parent("\n".join(warm_up), os.environ)
    launch = local_provisioner.launch_kernel

    def forked(cmd: list[str], **kwargs):
        return parent.launch(cmd, **kwargs) if parent.forks(cmd, kwargs.get("env")) else launch(cmd, **kwargs)

    local_provisioner.launch_kernel = forked
    try:
        yield
    finally:
        local_provisioner.launch_kernel = launch
        parent.stop()


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    """One moto server on loopback for the whole session; tests reset it before use."""
    with emulator.moto_server() as endpoint:
        yield endpoint


@pytest.fixture
def aws_endpoint(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """A freshly reset emulator, with this process's boto3 pointed at it."""
    reset_emulator(moto_endpoint)
    for name, value in emulator.emulator_environ(moto_endpoint, {}).items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    return moto_endpoint


@pytest.fixture
def sns(aws_endpoint: str):
    return boto3.client("sns", region_name="us-east-1")


@pytest.fixture
def s3(aws_endpoint: str):
    return boto3.client("s3", region_name="us-east-1")


@pytest.fixture
def sqs(aws_endpoint: str):
    return boto3.client("sqs", region_name="us-east-1")


@pytest.fixture
def real_file():
    """Path of a real public 311 file from ../shared/data/real/ (skips if the folder is absent)."""

    def find(relative: str) -> Path:
        path = REAL_DATA / relative
        if not path.exists():
            pytest.skip(f"real data file {path} not available")
        return path

    return find


@pytest.fixture
def history(tmp_path):
    """Five monthly reports, 2019/jan ... 2019/may, with the counts of helpers.HISTORY_MONTHS."""
    for month, (potholes, dumping) in HISTORY_MONTHS.items():
        folder = tmp_path / "2019" / month
        folder.mkdir(parents=True)
        (folder / "final_report.csv").write_text(
            f"service_name,count\nPothole,{potholes}\nIllegal Dumping,{dumping}\n"
        )
    return tmp_path / "2019"
