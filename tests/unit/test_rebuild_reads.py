"""A lost state is rebuilt only from run folders the package writes: a planted folder is not read."""

import json

from helpers import write_run

from backlog_alerts.state.document import AlertState
from backlog_alerts.trail.rebuild import read_trail, rebuilt

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


def test_a_rebuild_brings_back_the_history_of_counts_the_newest_run_of_a_month_last(tmp_path):
    def run(run_id, period, counts):
        check = {"report": {"status": "ok", "period": period}, "counts": counts}
        write_run(
            tmp_path, {"manifest": {"run_id": run_id}, "notebooks": {"03_alert_check": {"facts": check}}}
        )

    run("20190201T000000.000000Z", "2019-01", [{"service_name": "Pothole", "count": 150}])
    run("20190301T000000.000000Z", "2019-02", [{"service_name": "Pothole", "count": 200}])
    run("20190302T000000.000000Z", "2019-02", [{"service_name": "Pothole", "count": 218}])  # corrected
    run("20190401T000000.000000Z", "2019-03", [{"service_name": "Pothole", "count": "lots"}, "junk"])
    trail = read_trail(str(tmp_path), {})
    assert trail.counts == {"2019-01": {"Pothole": 150}, "2019-02": {"Pothole": 218}, "2019-03": {}}
    assert rebuilt(AlertState(), trail, [], "d").counts == trail.counts
