"""Local paths resolve the same from the repository root (papermill) and from notebooks/ (Jupyter)."""

from helpers import ROOT

from backlog_alerts.io.paths import local_path, project_root, resolve_local


def test_relative_paths_mean_the_same_file_from_root_and_from_notebooks():
    from_root = resolve_local("params/local.yaml", ROOT)
    from_notebooks = resolve_local("params/local.yaml", ROOT / "notebooks")
    assert from_root == from_notebooks == ROOT / "params" / "local.yaml"
    assert project_root(ROOT / "notebooks") == ROOT


def test_absolute_paths_are_left_alone(tmp_path):
    assert resolve_local(tmp_path / "x.csv", ROOT) == tmp_path / "x.csv"


def test_plain_paths_and_file_uris_are_local_and_remote_locations_are_not(tmp_path):
    assert local_path(str(tmp_path / "x.csv")) == tmp_path / "x.csv"
    assert local_path(f"file://{tmp_path}/x.csv") == tmp_path / "x.csv"
    assert local_path("s3://bucket/x.csv") is None
    assert local_path("https://example.org/x.csv") is None
