"""Tests that share a fixture run on one xdist worker, which builds the fixture once.

With `--dist loadgroup` (`make test`), each worker given one of the tests of a module-scoped fixture
builds it again: for test_audit_trail.py's, three runs and ten seconds. So every test that uses a
fixture of a wider scope than the function (through any chain of such fixtures) is put in an
`xdist_group` named after one of them; tests of different fixtures still spread over the workers, and
a test already in a group keeps it. tests/unit/test_worker_groups.py checks that xdist honours it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

SHARED_SCOPES = ("class", "module", "package")  # "session" is per worker anyway


def _shared(item: pytest.Item) -> list[str]:
    """The item's fixtures of a shared scope, as `module.fixture` (or the fixture's name alone)."""
    infos = getattr(item, "_fixtureinfo", None)
    names = infos.name2fixturedefs.items() if infos is not None else []
    return sorted(
        f"{Path(defs[-1].baseid.split('::')[0]).stem}.{name}" if defs[-1].baseid.endswith(".py") else name
        for name, defs in names
        if defs and defs[-1].scope in SHARED_SCOPES
    )


@pytest.hookimpl(tryfirst=True)  # before xdist's own hook turns the marks into groups
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark each test that uses a shared fixture with its group (union-find over the fixtures)."""
    parent: dict[str, str] = {}

    def root(name: str) -> str:
        while parent.setdefault(name, name) != name:
            name = parent[name]
        return name

    uses = {item: _shared(item) for item in items if not item.get_closest_marker("xdist_group")}
    for shared in uses.values():
        for other in shared[1:]:
            parent[root(other)] = root(shared[0])
    for item, shared in uses.items():
        if shared:
            item.add_marker(pytest.mark.xdist_group(root(shared[0])))
