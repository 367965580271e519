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


GROUPS_SUITE = {
    "conftest.py": """
import pytest
from worker_groups import pytest_collection_modifyitems  # noqa

@pytest.fixture(scope="module")
def server():  # one instance for each module that uses it
    return 1
""",
    "dump_groups.py": """
import json, os
import pytest

@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items):
    marks = {item.nodeid: item.get_closest_marker("xdist_group") for item in items}
    groups = {nodeid: mark and (mark.args or [mark.kwargs.get("name")])[0] for nodeid, mark in marks.items()}
    with open(os.environ["GROUPS"], "w") as out:
        json.dump(groups, out)
""",
    "test_one.py": "def test_a(server): pass\ndef test_b(server): pass\ndef test_alone(): pass\n",
    "test_two.py": "def test_a(server): pass\ndef test_b(server): pass\n",
    "test_named.py": """
import pytest

@pytest.fixture(scope="module")
def built():
    return 1

@pytest.fixture(scope="module")
def another():
    return 2

@pytest.mark.xdist_group("slow")
def test_marked(built): pass

def test_both(another, built): pass
def test_plain(built): pass
""",
    "test_override.py": """
import pytest

@pytest.fixture
def server(server):  # a function fixture over conftest's module one, which it uses
    return server + 1

def test_a(server): pass
def test_b(server): pass
""",
    "test_classes.py": """
import pytest

class TestA:
    @pytest.fixture(scope="class")
    def made(self):
        return 1

    def test_a(self, made): pass
    def test_b(self, made): pass

class TestB:
    @pytest.fixture(scope="class")
    def made(self):
        return 2

    def test_a(self, made): pass
""",
}


def collected_groups(tmp_path: Path, *options: str) -> subprocess.CompletedProcess[str]:
    for name, text in {"pytest.ini": "[pytest]\n", **GROUPS_SUITE}.items():
        (tmp_path / name).write_text(text)
    env = {
        **os.environ,
        "GROUPS": str(tmp_path / "groups.json"),
        "PYTHONPATH": os.pathsep.join([str(ROOT / "tests"), str(tmp_path)]),
        "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1",
    }
    plugins = ("-p", "no:cacheprovider", "-p", "dump_groups")
    command = [sys.executable, "-m", "pytest", "--collect-only", "-q", *plugins, *options]
    return subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)


def test_each_instance_of_a_shared_fixture_is_a_group_and_a_named_group_takes_in_its_fixtures(tmp_path: Path):
    """A conftest's module fixture is one group per module (not every module on one worker); a test
    already in a group keeps it and the other tests of its fixture join it; a fixture overriding and
    using a module one shares that one's group; each test class has its class fixture's."""
    result = collected_groups(tmp_path, "-p", "xdist")
    assert result.returncode == 0, result.stdout + result.stderr
    groups = json.loads((tmp_path / "groups.json").read_text())
    assert groups["test_one.py::test_a"] == groups["test_one.py::test_b"] is not None
    assert groups["test_two.py::test_a"] == groups["test_two.py::test_b"] is not None
    assert groups["test_one.py::test_a"] != groups["test_two.py::test_a"]
    assert groups["test_one.py::test_alone"] is None
    named = {groups[f"test_named.py::test_{name}"] for name in ("marked", "both", "plain")}
    assert named == {"slow"}
    assert groups["test_override.py::test_a"] == groups["test_override.py::test_b"] is not None
    assert groups["test_classes.py::TestA::test_a"] == groups["test_classes.py::TestA::test_b"] is not None
    assert groups["test_classes.py::TestA::test_a"] != groups["test_classes.py::TestB::test_a"]
    assert not any("/" in str(group) or "::" in str(group) for group in groups.values())  # junit splits


def test_without_xdist_no_test_is_given_a_mark_pytest_does_not_know(tmp_path: Path):
    """`pytest -p no:xdist` (or xdist not installed) neither warns of nor, with --strict-markers, fails on
    an unknown `xdist_group` mark."""
    options = ("-p", "no:xdist", "--strict-markers", "--ignore", "test_named.py")
    result = collected_groups(tmp_path, *options, "-W", "error::pytest.PytestUnknownMarkWarning")
    assert result.returncode == 0, result.stdout + result.stderr
    assert set(json.loads((tmp_path / "groups.json").read_text()).values()) == {None}
