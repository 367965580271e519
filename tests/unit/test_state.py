"""The alert state file: where it lives, checked before the first change, written whole and read back."""

import pytest

from backlog_alerts.alerting.state import (
    AlertState,
    RuleState,
    StateError,
    check_state_location,
    load_state,
    save_state,
)


def test_a_folder_is_not_a_state_file(tmp_path):
    with pytest.raises(StateError) as caught:
        check_state_location(str(tmp_path))
    assert str(caught.value) == (
        f"{tmp_path}: is a folder; state_uri must name a file (e.g. {tmp_path}/alert_state.json)"
    )


def test_a_location_that_cannot_be_written_is_refused_before_anything_runs(tmp_path):
    uri = "/sys/alert_state.json"  # readable as absent, never writable, even by root
    with pytest.raises(StateError) as caught:
        check_state_location(uri)
    assert str(caught.value) == f"{uri}: cannot write alert state there: Permission denied"
    assert check_state_location(uri, write=False).rules == {}  # a dry run writes nothing, so needs nothing
    (tmp_path / "taken").write_text("a file where a folder should be")
    with pytest.raises(StateError, match=r"taken/alert_state.json: cannot read alert state: Not a directory"):
        check_state_location(str(tmp_path / "taken" / "alert_state.json"))


def test_a_local_check_leaves_the_state_as_it_was(tmp_path):
    uri = str(tmp_path / "state" / "alert_state.json")
    assert check_state_location(uri).rules == {} and list((tmp_path / "state").iterdir()) == []
    save_state(uri, AlertState(rules={"p": RuleState("firing", 150, "2019-03", "m-1")}))
    before = (tmp_path / "state" / "alert_state.json").read_bytes()
    assert check_state_location(uri).latest_period == "2019-03"
    assert (tmp_path / "state" / "alert_state.json").read_bytes() == before
    assert sorted(p.name for p in (tmp_path / "state").iterdir()) == ["alert_state.json"]


def test_local_state_is_replaced_whole(tmp_path):
    state_uri = str(tmp_path / "deep" / "alert_state.json")
    assert load_state(state_uri).rules == {}
    state = AlertState()
    state.notices["report_missing"] = {"2019-03": "m-9"}
    save_state(state_uri, state)
    assert load_state(state_uri).notices == {"report_missing": {"2019-03": "m-9"}}
    assert [p.name for p in (tmp_path / "deep").iterdir()] == ["alert_state.json"]


def test_a_state_saved_before_latest_period_was_kept_knows_it_from_its_rules(tmp_path):
    text = AlertState(rules={"potholes": RuleState("firing", 150, "2019-03", "m-1")}).to_json()
    legacy = text.replace('"latest_period": "",', "")
    assert '"latest_period"' not in legacy
    assert AlertState.from_json(legacy, "s.json").latest_period == "2019-03"
