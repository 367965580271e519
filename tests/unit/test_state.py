"""The alert state document and its store: read, written only over the version read, never lost."""

import json

import pytest

from backlog_alerts.io import versioned
from backlog_alerts.state.document import KEPT_PERIODS, AlertState, Heard, StateError
from backlog_alerts.state.ledger import LegacyRule, convert_legacy, merged, record, record_counts
from backlog_alerts.state.store import open_state

ENTRY = Heard("arn:streets", "Pothole", "warning", "2019-03", message_id="m-1", rule="potholes")


def test_a_folder_is_not_a_state_file(tmp_path):
    with pytest.raises(StateError) as caught:
        open_state(str(tmp_path))
    assert str(caught.value) == (
        f"{tmp_path}: is a folder; state_uri must name a file (e.g. {tmp_path}/alert_state.json)"
    )


def test_a_location_that_cannot_be_written_is_refused(tmp_path):
    uri = "/sys/alert_state.json"  # readable as absent, never writable, even by root
    store = open_state(uri)
    assert not store.found and store.state.heard == []
    with pytest.raises(StateError, match=r"^/sys/alert_state.json: cannot write alert state: "):
        store.update(lambda state: None)
    (tmp_path / "taken").write_text("a file where a folder should be")
    with pytest.raises(StateError, match=r"taken/alert_state.json: cannot read alert state: Not a directory"):
        open_state(str(tmp_path / "taken" / "alert_state.json"))


def test_a_new_state_gets_its_deployment_and_each_write_counts(tmp_path):
    uri = str(tmp_path / "deep" / "alert_state.json")
    store = open_state(uri)
    store.update(lambda state: record(state, [ENTRY]))
    again = open_state(uri)
    assert again.state.deployment.startswith("d-") and again.state.generation == 1
    assert again.state.heard == [ENTRY]
    again.update(lambda state: None)
    assert (
        open_state(uri).state.generation == 2 and open_state(uri).state.deployment == again.state.deployment
    )
    assert sorted(p.name for p in (tmp_path / "deep").iterdir()) == ["alert_state.json"]


def test_a_write_over_a_changed_state_reads_it_again_and_applies_its_change_to_that(tmp_path):
    uri = str(tmp_path / "alert_state.json")
    first, second = open_state(uri), open_state(uri)
    first.update(lambda state: record(state, [ENTRY]))
    other = Heard("arn:trash", "Illegal Dumping", "warning", "2019-03", message_id="m-2")
    second.update(lambda state: record(state, [other]))  # read before the first wrote: conflict, then merge
    final = open_state(uri).state
    assert final.heard == [ENTRY, other] and final.generation == 2


def test_a_version_1_state_is_converted_by_what_was_sent_not_by_todays_rules():
    old = {
        "version": 1,
        "rules": {
            "potholes": {"status": "firing", "count": 150, "report_key": "2019-03", "message_id": "m-1"},
            "illegal_dumping": {
                "status": "firing",
                "count": 47,
                "report_key": "2019-03",
                "message_id": "m-2",
            },
            "graffiti": {"status": "firing", "count": 9, "report_key": "2019-03", "message_id": "m-3"},
            "never": {"status": "ok", "count": 1, "report_key": "", "message_id": ""},
        },
        "sends": [
            {"message_id": "m-2", "department": "trash", "severity": "warning", "rules": ["illegal_dumping"]}
        ],
    }
    state = AlertState.from_json(json.dumps(old), "old.json")
    assert state.latest_period == "2019-03" and set(state.legacy_rules) == set(old["rules"])
    today = {  # potholes renamed in the same edit; illegal_dumping moved to streets
        "pothole_backlog": LegacyRule("Pothole", "streets", "warning"),
        "illegal_dumping": LegacyRule("Illegal Dumping", "streets", "warning"),
    }
    trail = {("m-1", "potholes"): LegacyRule("Pothole", "streets", "warning")}  # what the old run recorded
    lost = convert_legacy(state, today, {"streets": "arn:streets", "trash": "arn:trash"}, trail)
    assert lost == ["graffiti"] and state.legacy_rules == {}
    heard = {h.rule: (h.topic, h.service, h.tier, h.period, h.how) for h in state.heard}
    assert heard == {
        "potholes": ("arn:streets", "Pothole", "warning", "2019-03", "migrated"),  # from the trail
        "illegal_dumping": (
            "arn:trash",
            "Illegal Dumping",
            "warning",
            "2019-03",
            "migrated",
        ),  # where it went
    }


@pytest.mark.parametrize("text", ["[]", "{", '{"version": 3}', '{"version": 2, "heard": [{"topic": "x"}]}'])
def test_a_document_that_is_not_an_alert_state_is_named(tmp_path, text):
    path = tmp_path / "alert_state.json"
    path.write_text(text)
    with pytest.raises(StateError, match=rf"^{path}: not an alert state document"):
        open_state(str(path))


def test_the_store_never_follows_a_symbolic_link(tmp_path):
    real = tmp_path / "real.json"
    real.write_text(AlertState().to_json())
    (tmp_path / "link.json").symlink_to(real)
    with pytest.raises(StateError, match="symbolic link"):
        open_state(str(tmp_path / "link.json"))
    assert versioned.read(str(real)) is not None


def test_an_empty_state_uri_is_found_from_the_params_never_from_a_runs_output_folder(tmp_path):
    from backlog_alerts.state.location import state_uri_for

    project = tmp_path / "project"
    for folder in ("notebooks", "params/airflow"):
        (project / folder).mkdir(parents=True)
    anchor = project / "params" / "airflow"
    assert state_uri_for("", anchor) == str(project / "state" / "alert_state.json")
    assert state_uri_for("", anchor, "nyc") == str(project / "state" / "nyc" / "alert_state.json")
    shared = "s3://trail/backlog-alerts/"  # every machine of the deployment finds it there
    assert state_uri_for("", anchor, "", shared) == "s3://trail/backlog-alerts/alert_state.json"
    assert state_uri_for("", anchor, "nyc", shared) == "s3://trail/backlog-alerts/alert_state.nyc.json"
    assert state_uri_for(f"file://{tmp_path}/s.json", anchor, "", shared) == str(tmp_path / "s.json")


def months(n, first_year=2019):
    return [f"{first_year + i // 12}-{i % 12 + 1:02d}" for i in range(n)]


def test_counts_are_recorded_per_dated_period_replaced_whole_and_the_newest_kept():
    state = AlertState()
    record_counts(state, "2019-02", {"Pothole": 218, "Graffiti": 4})
    record_counts(state, "2019-01", {"Pothole": 150})
    record_counts(state, "2019-02", {"Pothole": 219})  # the same period read again: its counts replaced
    record_counts(state, "count:17", {"Pothole": 17})  # a report without a period has no place in a history
    assert state.counts == {"2019-01": {"Pothole": 150}, "2019-02": {"Pothole": 219}}
    for period in months(KEPT_PERIODS + 5):
        record_counts(state, period, {"Pothole": 1})
    assert list(state.counts) == months(KEPT_PERIODS + 5)[-KEPT_PERIODS:]


def test_counts_survive_a_save_and_a_state_without_them_loads_with_none():
    state = AlertState(deployment="d-1")
    record_counts(state, "2019-03", {"Pothole": 163})
    assert AlertState.from_json(state.to_json(), "s.json").counts == {"2019-03": {"Pothole": 163}}
    before = json.loads(state.to_json())
    del before["counts"]
    assert AlertState.from_json(json.dumps(before), "s.json").counts == {}


@pytest.mark.parametrize(
    ("counts", "expected"),
    [
        ([1], r"counts: \[1\] is not a mapping of periods"),
        ({"March": {}}, r"counts: 'March' is not a YYYY-MM period"),
        (
            {"2019-03": {"Pothole": "163"}},
            r"counts, 2019-03: \{'Pothole': '163'\} is not a mapping of services",
        ),
        ({"2019-03": {"Pothole": True}}, r"counts, 2019-03: .* is not a mapping of services to whole counts"),
        ({"2019-03": [163]}, r"counts, 2019-03: \[163\] is not a mapping of services"),
    ],
)
def test_a_junk_counts_history_is_refused_naming_the_field(counts, expected):
    text = json.dumps({"version": 2, "counts": counts})
    with pytest.raises(StateError, match=rf"^s.json: not an alert state document \({expected}"):
        AlertState.from_json(text, "s.json")


def test_merged_counts_take_ours_per_period_and_not_theirs_of_a_period_we_unchecked():
    ours, theirs = AlertState(unchecked=["2019-04"]), AlertState()
    record_counts(ours, "2019-02", {"Pothole": 1})
    record_counts(theirs, "2019-02", {"Pothole": 2, "Graffiti": 3})
    record_counts(theirs, "2019-03", {"Pothole": 4})
    record_counts(theirs, "2019-04", {"Pothole": 5})
    assert merged(ours, theirs, "s.json").counts == {"2019-02": {"Pothole": 1}, "2019-03": {"Pothole": 4}}
    for period in months(KEPT_PERIODS, 2020):
        record_counts(theirs, period, {"Pothole": 6})
    assert len(merged(ours, theirs, "s.json").counts) == KEPT_PERIODS


def test_a_checked_report_leaves_the_counts_of_the_watched_services_and_a_correction_replaces_them(tmp_path):
    from backlog_alerts.alerting.report import Report
    from backlog_alerts.alerting.report_checks import remember_checked

    uri = str(tmp_path / "alert_state.json")
    report = Report("r.csv", "ok", "2019-03", counts={"Pothole": 171, "Graffiti Removal": 95, "Noise": 3})
    remember_checked(open_state(uri), report, {"Pothole": 171, "Graffiti Removal": 95})
    assert open_state(uri).state.counts == {"2019-03": {"Pothole": 171, "Graffiti Removal": 95}}
    corrected = Report("r.csv", "ok", "2019-03", counts={"Pothole": 175, "Graffiti Removal": 95})
    remember_checked(open_state(uri), corrected, {"Pothole": 175, "Graffiti Removal": 95})
    assert open_state(uri).state.counts == {"2019-03": {"Pothole": 175, "Graffiti Removal": 95}}
