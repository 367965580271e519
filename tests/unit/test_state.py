"""The alert state document and its store: read, written only over the version read, never lost."""

import json

import pytest

from backlog_alerts.io import storage
from backlog_alerts.state.document import AlertState, Heard, StateError
from backlog_alerts.state.ledger import LegacyRule, convert_legacy, record
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


def test_a_version_1_state_is_read_and_converted_by_todays_rules(tmp_path):
    old = {
        "version": 1,
        "rules": {
            "potholes": {"status": "firing", "count": 150, "report_key": "2019-03", "message_id": "m-1"},
            "gone": {"status": "firing", "count": 9, "report_key": "2019-03", "message_id": "m-2"},
            "never": {"status": "ok", "count": 1, "report_key": "", "message_id": ""},
        },
        "sends": [{"message_id": "m-1"}],
    }
    state = AlertState.from_json(json.dumps(old), "old.json")
    assert state.latest_period == "2019-03" and set(state.legacy_rules) == {"potholes", "gone", "never"}
    lost = convert_legacy(
        state,
        {
            "potholes": LegacyRule("Pothole", "streets", "warning"),
            "never": LegacyRule("X", "streets", "warning"),
        },
        {"streets": "arn:streets"},
    )
    assert lost == ["gone"] and state.legacy_rules == {}
    (entry,) = state.heard
    assert (entry.topic, entry.service, entry.tier, entry.period, entry.how) == (
        "arn:streets",
        "Pothole",
        "warning",
        "2019-03",
        "migrated",
    )


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
    assert storage.read(str(real)) is not None
