"""Local paths resolve the same from the repository root (papermill) and from notebooks/ (Jupyter)."""

from helpers import ROOT

from backlog_alerts.io.paths import project_root, resolve_local


def test_relative_paths_mean_the_same_file_from_root_and_from_notebooks():
    from_root = resolve_local("params/local.yaml", ROOT)
    from_notebooks = resolve_local("params/local.yaml", ROOT / "notebooks")
    assert from_root == from_notebooks == ROOT / "params" / "local.yaml"
    assert project_root(ROOT / "notebooks") == ROOT


def test_absolute_paths_are_left_alone(tmp_path):
    assert resolve_local(tmp_path / "x.csv", ROOT) == tmp_path / "x.csv"
