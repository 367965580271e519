"""Where the alert state lives: read and written as a run will, checked before the first change."""

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


@pytest.mark.integration
def test_on_s3_the_check_writes_back_exactly_what_it_read(s3):
    s3.create_bucket(Bucket="state")
    uri = "s3://state/backlog/alert_state.json"
    assert check_state_location(uri).rules == {}
    assert load_state(uri).rules == {}  # created empty, since nothing was there
    s3.put_object(
        Bucket="state", Key="backlog/alert_state.json", Body=b'{"rules": {}, "latest_period": "2019-04"}'
    )
    assert check_state_location(uri).latest_period == "2019-04"
    body = s3.get_object(Bucket="state", Key="backlog/alert_state.json")["Body"].read()
    assert body == b'{"rules": {}, "latest_period": "2019-04"}'


@pytest.mark.integration
@pytest.mark.parametrize(
    ("uri", "expected"),
    [
        (
            "s3://no-such-bucket/alert_state.json",
            "s3://no-such-bucket/alert_state.json: cannot read alert state: ",
        ),
        ("s3://state/backlog/", "s3://state/backlog/: names a folder; state_uri must name an object"),
    ],
)
def test_on_s3_a_missing_bucket_or_a_folder_is_named(s3, uri, expected):
    s3.create_bucket(Bucket="state")
    with pytest.raises(StateError) as caught:
        check_state_location(uri)
    assert str(caught.value).startswith(expected)
