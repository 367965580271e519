"""A lost state is rebuilt only from run folders the package writes: a planted folder is not read."""

import json

from backlog_alerts.trail.rebuild import read_trail

RUN_ID = "20261205T120000.000000Z"


def manifest(folder, deployment):
    folder.mkdir(parents=True)
    (folder / "manifest.json").write_text(json.dumps({"run_id": folder.name, "deployment": deployment}))


def test_a_folder_not_named_by_a_run_id_names_no_deployment_to_the_rebuild(tmp_path):
    manifest(tmp_path / RUN_ID, "ours")
    manifest(tmp_path / "２0261205T130000.000000Z", "theirs")  # a full-width digit sorts last
    manifest(tmp_path / "notes", "theirs")
    assert read_trail(str(tmp_path), {}).deployments == {"ours"}


def test_a_manifest_that_is_not_an_object_is_left_out(tmp_path):
    manifest(tmp_path / RUN_ID, "ours")
    planted = tmp_path / "20261205T130000.000000Z"
    planted.mkdir()
    (planted / "manifest.json").write_text("[1, 2]")
    assert read_trail(str(tmp_path), {}).deployments == {"ours"}
