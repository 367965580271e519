"""The repository keeps its promises: conda and pip agree, notebooks are committed clean."""

import tomllib

import nbformat
import pytest
import yaml
from helpers import ROOT
from packaging.requirements import Requirement

from backlog_alerts.run.plan import NOTEBOOKS


def requirement(spec: str) -> tuple[str, str]:
    """(normalized name, version bounds): conda and pip spell both the same way here."""
    parsed = Requirement(spec)
    return parsed.name.lower().replace("_", "-"), str(parsed.specifier)


def test_environment_yml_lists_the_same_dependencies_as_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = {requirement(d) for d in project["dependencies"]}
    wanted |= {requirement(d) for d in project["optional-dependencies"]["test"]}
    environment = yaml.safe_load((ROOT / "environment.yml").read_text())
    listed = set()
    for entry in environment["dependencies"]:
        if isinstance(entry, dict):
            listed |= {requirement(d) for d in entry["pip"] if not d.startswith("-e")}
        elif requirement(entry)[0] not in ("python", "pip"):
            listed.add(requirement(entry))
    assert listed == wanted


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_is_committed_clean_and_parameterized(name):
    notebook = nbformat.read(str(ROOT / "notebooks" / name), as_version=4)
    code = [c for c in notebook.cells if c.cell_type == "code"]
    assert all(not c.outputs and c.execution_count is None for c in code), "outputs must be stripped"
    tagged = [c for c in notebook.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1
    assert notebook.cells[0].cell_type == "markdown"


def test_only_io_asks_whether_a_location_is_local_or_on_s3():
    """Local against S3 is decided behind one storage interface (`backlog_alerts/io/`)."""
    outside = [
        str(path.relative_to(ROOT))
        for path in (ROOT / "backlog_alerts").rglob("*.py")
        if path.parent.name != "io"
        and ("is_s3(" in path.read_text() or 'startswith("s3://")' in path.read_text())
    ]
    assert outside == []
