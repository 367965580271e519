"""The alert state on S3 (a moto server): written only over the version read (If-Match), else read again."""

import pytest

from backlog_alerts.state.document import Heard, StateError
from backlog_alerts.state.ledger import record
from backlog_alerts.state.store import open_state

ENTRY = Heard("arn:streets", "Pothole", "warning", "2019-03", message_id="m-1")


@pytest.mark.integration
def test_on_s3_two_writers_from_one_version_both_land(s3):
    s3.create_bucket(Bucket="state")
    uri = "s3://state/backlog#city?a/alert_state.json"  # `#` and `?` are part of the key
    first, second = open_state(uri), open_state(uri)
    assert not first.found
    first.update(lambda state: record(state, [ENTRY]))
    second.update(lambda state: state.checked.append("2019-03"))  # If-Match fails, read again, applied
    final = open_state(uri).state
    assert final.heard == [ENTRY] and final.checked == ["2019-03"] and final.generation == 2
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket="state")["Contents"]]
    assert keys == ["backlog#city?a/alert_state.json"]


@pytest.mark.integration
def test_on_s3_a_missing_bucket_is_named(s3):
    with pytest.raises(StateError) as caught:
        open_state("s3://no-such-bucket/alert_state.json")
    assert str(caught.value).startswith("s3://no-such-bucket/alert_state.json: cannot read alert state: ")
