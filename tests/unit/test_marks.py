"""What a topic says of itself: whose it is, its last alerts, the newest period checked."""

import pytest

from backlog_alerts.sync.marks import (
    LastSend,
    Mark,
    OwnershipError,
    behind,
    check_owner,
    next_send,
    tag_value,
)

ARN = "arn:aws:sns:us-east-1:1:streets_notifications"


def mark(**fields):
    return Mark("streets_notifications", ARN, **fields)


def test_another_deployments_topic_is_refused_naming_both_and_the_ways_forward():
    theirs = {"streets_notifications": mark(deployment="d-a", state="s3://a/alert_state.json")}
    check_owner(theirs, "d-a", "s3://a/alert_state.json")  # its own: fine
    check_owner({"streets_notifications": mark()}, "d-b", "b.json")  # unmarked: adopted
    with pytest.raises(OwnershipError) as caught:
        check_owner(theirs, "d-b", "b.json", "--params p.yaml")
    assert str(caught.value).startswith(
        "topic(s) streets_notifications are managed by another deployment (deployment d-a, alert state "
        "s3://a/alert_state.json); this run's alert state (b.json) is deployment d-b. Nothing was changed. "
        "To keep both, give this params file topics of its own"
    )
    assert "backlog-alerts topics adopt --params p.yaml" in str(caught.value)
    with pytest.raises(
        OwnershipError, match=r"names no deployment yet: it is new, or it was lost.*If this is d-a"
    ):
        check_owner(theirs, "", "b.json", "--params p.yaml")


def test_the_last_send_keeps_the_periods_highest_tier_and_a_new_period_starts_again():
    first = next_send(None, "2019-03", "critical", "m-1", "r1")
    assert next_send(first, "2019-03", "warning", "m-2", "r2") == LastSend("2019-03", "critical", "m-2", "r2")
    assert next_send(first, "2019-04", "warning", "m-3", "r3") == LastSend("2019-04", "warning", "m-3", "r3")
    assert LastSend.parse(first.value()) == first and LastSend.parse("garbage") is None


def test_a_state_is_behind_a_topic_whose_last_alerts_or_newest_period_it_does_not_know():
    sends = mark(
        last_send=LastSend("2019-03", "warning", "m-1", "r"),
        last_undated=LastSend("count:5", "warning", "m-2", "r"),
    )
    assert behind({"t": sends}, {"m-1", "m-2"}, "2019-03") == []
    assert behind({"t": sends}, {"m-1"}, "2019-03") == [sends], "the undated one is checked too"
    checked = mark(checked="2019-04")
    assert (
        behind({"t": checked}, set(), "2019-03") == [checked]
        and behind({"t": checked}, set(), "2019-04") == []
    )


def test_a_tag_value_keeps_only_what_sns_takes():
    assert tag_value("s3://bucket/a#b/state.json") == "s3://bucket/a_b/state.json"
    assert len(tag_value("x" * 300)) == 256
