"""The planner is a pure function: listings (with pending rows moto never produces) in, plan out."""

import pytest

from backlog_alerts.contacts import Problem
from backlog_alerts.subscriptions import FILTER_POLICIES, Existing, Wanted
from backlog_alerts.sync import SyncGuardError, check_removal_guard, plan_sync, summarize
from backlog_alerts.topics import Topic

TOPICS = {
    "trash": Topic("trash", "trash_notifications", "arn:t"),
    "streets": Topic("streets", "streets_notifications", "arn:s"),
}


def want(dept, protocol, endpoint, name="N"):
    return Wanted(dept, TOPICS[dept].arn, protocol, endpoint, name)


def actions(plan):
    return sorted((c.department, c.action, c.protocol, c.endpoint, c.note) for c in plan)


def test_plan_adds_removes_keeps_and_leaves_foreign_subscriptions():
    wanted = [want("trash", "email", "a@example.gov"), want("trash", "sms", "+16195550100")]
    existing = {
        "trash": [
            Existing("email", "a@EXAMPLE.gov", "arn:t:1"),
            Existing("sms", "+16195550999", "arn:t:2"),
            Existing("sqs", "arn:aws:sqs:us-east-1:1:q", "arn:t:3"),
        ]
    }
    assert actions(plan_sync(TOPICS, wanted, existing)) == [
        ("trash", "add", "sms", "+16195550100", ""),
        ("trash", "remove", "sms", "+16195550999", "no longer in the contacts file"),
        ("trash", "unchanged", "email", "a@EXAMPLE.gov", ""),
        ("trash", "unmanaged", "sqs", "arn:aws:sqs:us-east-1:1:q", "not email/sms: left alone"),
    ]


def test_pending_confirmation_is_never_resubscribed_nor_removed():
    wanted = [want("streets", "email", "new@example.gov")]
    existing = {
        "streets": [
            Existing("email", "new@example.gov", "PendingConfirmation"),
            Existing("email", "gone@example.gov", "PendingConfirmation"),
        ]
    }
    plan = plan_sync(TOPICS, wanted, existing)
    assert actions(plan) == [
        (
            "streets",
            "pending",
            "email",
            "gone@example.gov",
            "not in the file; expires unconfirmed after 48 h",
        ),
        ("streets", "pending", "email", "new@example.gov", "awaiting confirmation"),
    ]


def test_moving_a_director_is_a_removal_on_one_topic_and_an_add_on_the_other():
    existing = {"trash": [Existing("email", "d@example.gov", "arn:t:1")], "streets": []}
    plan = plan_sync(TOPICS, [want("streets", "email", "d@example.gov")], existing)
    assert [(c.department, c.action) for c in plan] == [("trash", "remove"), ("streets", "add")]


def test_duplicate_listing_of_one_endpoint_keeps_one():
    existing = {"trash": [Existing("sms", "+16195550100", "arn:1"), Existing("sms", "+16195550100", "arn:2")]}
    plan = plan_sync(TOPICS, [want("trash", "sms", "+16195550100")], existing)
    assert [(c.action, c.subscription_arn) for c in plan] == [("unchanged", "arn:1"), ("remove", "arn:2")]


def existing_managed(n):
    return [Existing("sms", f"+1619555{i:04d}", f"arn:{i}") for i in range(n)]


@pytest.mark.parametrize(("kept", "refused"), [(10, False), (5, False), (4, True), (0, True)])
def test_guard_refuses_removing_more_than_the_share(kept, refused):
    wanted = [want("trash", "sms", f"+1619555{i:04d}") for i in range(kept)]
    plan = plan_sync(TOPICS, wanted, {"trash": existing_managed(10)})
    if refused:
        with pytest.raises(SyncGuardError, match=rf"trash: {10 - kept} of 10. Nothing was changed"):
            check_removal_guard(plan, 0.5, allow_mass_removal=False)
        check_removal_guard(plan, 0.5, allow_mass_removal=True)
    else:
        check_removal_guard(plan, 0.5, allow_mass_removal=False)


def test_summary_counts_per_topic_with_rejected_rows():
    existing = {"trash": existing_managed(3) + [Existing("sqs", "q", "arn:q")]}
    wanted = [want("trash", "sms", "+16195550000"), want("streets", "email", "x@example.gov")]
    problems = [
        Problem(4, "Name", "", "is empty", "row rejected", "trash"),
        Problem(5, "Phone", "", "bad", "endpoint dropped", "trash"),
    ]
    rows = summarize(plan_sync(TOPICS, wanted, existing), problems, ["trash", "streets"])
    assert rows == [
        {
            "department": "trash",
            "add": 0,
            "remove": 2,
            "update": 0,
            "unchanged": 1,
            "pending": 0,
            "unmanaged": 1,
            "rejected_rows": 1,
            "failed": 0,
        },
        {
            "department": "streets",
            "add": 1,
            "remove": 0,
            "update": 0,
            "unchanged": 0,
            "pending": 0,
            "unmanaged": 0,
            "rejected_rows": 0,
            "failed": 0,
        },
    ]


CRITICAL = FILTER_POLICIES["critical"]


@pytest.mark.parametrize(
    ("listed", "wanted", "expected"),
    [
        (None, CRITICAL, "unchanged"),  # not fetched (no Alerts column): never compared
        ("{}", "{}", "unchanged"),
        ("", "{}", "unchanged"),
        ('{"severity":["critical"]}', CRITICAL, "unchanged"),  # same JSON, other spacing
        ("{}", CRITICAL, "update"),
        (CRITICAL, "{}", "update"),
    ],
)
def test_filter_policy_changes_are_planned_as_updates(listed, wanted, expected):
    existing = {"trash": [Existing("sms", "+16195550100", "arn:1", listed)]}
    w = Wanted("trash", "arn:t", "sms", "+16195550100", "N", wanted)
    (change,) = plan_sync(TOPICS, [w], existing)
    assert change.action == expected
    if expected == "update":
        assert change.filter_policy == wanted and change.subscription_arn == "arn:1"
