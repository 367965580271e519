"""Tests that share a fixture run on one xdist worker, which builds the fixture once.

With `--dist loadgroup` (`make test`), each worker given one of the tests of a module-scoped fixture
builds it again: for test_audit_trail.py's, three runs and ten seconds. So every test that uses an
*instance* of a fixture of a wider scope than the function (through any chain of such fixtures, and
through a fixture that overrides and requests one of the same name) is put in an `xdist_group` named
after one of those instances: a module fixture defined in a conftest has one instance per module, so
each module is its own group and modules still spread over the workers. A test already in a group keeps
it, and the other tests of its fixtures join that group. tests/unit/test_worker_groups.py checks it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

SHARED_SCOPES = ("class", "module", "package")  # "session" is per worker anyway


def _used(name: str, defs: Any) -> Iterator[Any]:
    """The definitions of `name` a test runs: the nearest, and each one it overrides and requests."""
    index = len(defs) - 1
    yield defs[index]
    while index > 0 and name in defs[index].argnames:
        index -= 1
        yield defs[index]


def _owner(item: pytest.Item, scope: str, baseid: str) -> str | None:
    """The node id of what one instance of a fixture of `scope` serves (None: a new one for each test)."""
    if scope == "package":
        return baseid
    node = item.getparent(pytest.Class if scope == "class" else pytest.Module)
    return node.nodeid if node is not None else None


def _instances(item: pytest.Item) -> list[str]:
    """The shared fixture instances the test uses, as `owner.fixture` (no `/` or `::`, which reports split)."""
    infos = getattr(item, "_fixtureinfo", None)
    names = infos.name2fixturedefs.items() if infos is not None else []
    found = set()
    for name, defs in names:
        for fixturedef in _used(name, defs) if defs else ():
            owner = _owner(item, fixturedef.scope, fixturedef.baseid)
            if fixturedef.scope in SHARED_SCOPES and owner is not None:
                path = owner.replace(".py", "").replace("::", ".").replace("/", ".")
                found.add(f"{path}.{name}".lstrip("."))
    return sorted(found)


@pytest.hookimpl(tryfirst=True)  # before xdist's own hook turns the marks into groups
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark each test that uses a shared fixture instance with its group (union-find over the instances,
    a group someone named winning); nothing without xdist, which alone knows the mark."""
    if not config.pluginmanager.hasplugin("xdist"):
        return
    parent: dict[str, str] = {}
    named: set[str] = set()

    def root(key: str) -> str:
        while parent.setdefault(key, key) != key:
            key = parent[key]
        return key

    def join(one: str, other: str) -> None:
        one, other = root(one), root(other)
        if other in named and one not in named:  # a named group stays the root
            one, other = other, one
        if one != other:
            parent[other] = one

    uses: dict[pytest.Item, list[str]] = {}
    for item in items:
        instances = _instances(item)
        mark = item.get_closest_marker("xdist_group")
        if mark is not None:
            group = str(mark.args[0] if mark.args else mark.kwargs.get("name", "default"))
            named.add(group)
            instances = [group, *instances]
        else:
            uses[item] = instances
        for other in instances[1:]:
            join(instances[0], other)
    for item, instances in uses.items():
        if instances:
            item.add_marker(pytest.mark.xdist_group(root(instances[0])))
