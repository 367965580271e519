"""The alert state on S3 (a moto server): the pre-run check writes back exactly what it read."""

import pytest

from backlog_alerts.alerting.state import StateError, check_state_location, load_state


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
