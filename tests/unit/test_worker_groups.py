"""Tests sharing a module-scoped fixture run on one worker under `--dist loadgroup` (tests/worker_groups.py),
which builds the fixture once: checked on a small suite run by xdist as `make test` runs ours."""

import json
import os
import subprocess
import sys
from pathlib import Path

from helpers import ROOT

SUITE = """
import json, os, time
import pytest

@pytest.fixture(scope="module")
def built(tmp_path_factory):
    worker = os.environ["PYTEST_XDIST_WORKER"]
    with open(os.environ["LOG"], "a") as log:
        log.write(json.dumps({"built": worker}) + "\\n")
    return worker

@pytest.fixture
def later(built):
    return built

@pytest.mark.parametrize("n", range(8))
def test_shared(n, later):
    time.sleep(0.05)
    with open(os.environ["LOG"], "a") as log:
        log.write(json.dumps({"test": n, "on": os.environ["PYTEST_XDIST_WORKER"]}) + "\\n")

@pytest.mark.parametrize("n", range(8))
def test_alone(n):
    time.sleep(0.05)
    with open(os.environ["LOG"], "a") as log:
        log.write(json.dumps({"alone": n, "on": os.environ["PYTEST_XDIST_WORKER"]}) + "\\n")
"""


def test_a_module_fixture_is_built_once_and_its_tests_share_its_worker(tmp_path: Path):
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    (tmp_path / "conftest.py").write_text("from worker_groups import pytest_collection_modifyitems  # noqa\n")
    (tmp_path / "test_suite.py").write_text(SUITE)
    log = tmp_path / "log.jsonl"
    env = {
        **os.environ,
        "LOG": str(log),
        "PYTHONPATH": str(ROOT / "tests"),
        "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1",
    }
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "xdist",
            "-n",
            "2",
            "--dist",
            "loadgroup",
            "-p",
            "no:cacheprovider",
            "-q",
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    lines = [json.loads(line) for line in log.read_text().splitlines()]
    builds = [line["built"] for line in lines if "built" in line]
    shared = {line["on"] for line in lines if "test" in line}
    assert len(builds) == 1, f"the module fixture was built on {builds}"
    assert shared == set(builds), "a test of the fixture ran on another worker"
    assert len([line for line in lines if "test" in line]) == 8
