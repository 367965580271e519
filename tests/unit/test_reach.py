"""Who a topic's subscriptions reach: confirmed emails and SMS numbers not opted out are people."""

from dataclasses import replace

import pytest
from botocore.exceptions import ClientError

from backlog_alerts.sync.plan import ADD, REMOVE, Change
from backlog_alerts.sync.reach import listed_after, listed_reach, reach_of, topic_reach
from backlog_alerts.sync.sms_account import SmsAccount
from backlog_alerts.sync.subscriptions import PENDING, Existing
from backlog_alerts.sync.topics import Topic

ARN = "arn:aws:sns:us-east-1:123456789012:streets_notifications:1"
SUBSCRIPTIONS = [
    Existing("email", "dana.okafor@example.gov", ARN),
    Existing("email", "new.director@example.gov", PENDING),
    Existing("sms", "+16195550101", ARN),
    Existing("sms", "+16195550199", ARN),
    Existing("sqs", "arn:aws:sqs:us-east-1:123456789012:audit", ARN),
    Existing("https", "https://hooks.example.gov/alerts", ARN),
]


def test_only_confirmed_emails_and_numbers_not_opted_out_count_as_people():
    reach = reach_of("streets", SUBSCRIPTIONS, {"+16195550199", "+15550000000"})
    assert (reach.emails, reach.phones) == (("dana.okafor@example.gov",), ("+16195550101",))
    assert (reach.pending, reach.opted_out) == (("new.director@example.gov",), ("+16195550199",))
    assert [protocol for protocol, _ in reach.unmanaged] == ["sqs", "https"]
    assert reach.people == 2


def test_a_topic_of_queues_and_opted_out_numbers_reaches_nobody():
    reach = reach_of("trash", [SUBSCRIPTIONS[3], SUBSCRIPTIONS[4]], {"+16195550199"})
    assert reach.people == 0 and reach.opted_out == ("+16195550199",)


def test_what_may_be_shown_is_masked():
    shown = reach_of("streets", SUBSCRIPTIONS, {"+16195550199"}).masked()
    text = repr(shown)
    for raw in ("dana.okafor", "new.director", "5550101", "5550199"):
        assert raw not in text
    assert shown["people"] == 2 and len(shown["reached"]) == 2
    assert len(shown["pending"]) == len(shown["opted_out"]) == 1 and len(shown["unmanaged"]) == 2


def test_in_the_sms_sandbox_only_verified_numbers_are_reached():
    reach = reach_of("streets", SUBSCRIPTIONS, {"+16195550199"}, verified=frozenset())
    assert reach.phones == () and reach.unverified == ("+16195550101",) and reach.people == 1
    assert reach.masked()["unverified"] == ["+1******0101"]
    verified = reach_of("streets", SUBSCRIPTIONS, set(), verified=frozenset({"+16195550101"}))
    assert verified.phones == ("+16195550101",) and verified.unverified == ("+16195550199",)


def test_a_pending_email_carries_when_the_sync_subscribed_it():
    reach = reach_of("streets", SUBSCRIPTIONS, set(), since=lambda email: f"since-{email[:3]}")
    assert reach.pending_with_since() == [("new.director@example.gov", "since-new")]
    assert reach.masked()["pending_since"] == ["since-new"]
    assert reach_of("streets", SUBSCRIPTIONS, set()).masked()["pending_since"] == [""]


def test_the_sync_reach_is_its_listing_as_its_changes_left_it():
    listed = {
        "streets": [
            Existing("email", "dana.okafor@example.gov", f"{ARN}:a"),
            Existing("sms", "+16195550199", f"{ARN}:b"),
        ]
    }
    outcome = [
        Change("streets", "t", REMOVE, "sms", "+16195550199", subscription_arn=f"{ARN}:b", result="removed"),
        Change("streets", "t", ADD, "email", "sam@example.gov", subscription_arn=f"{ARN}:c", result="added"),
        Change("streets", "t", ADD, "sms", "+16195550142", subscription_arn=f"{ARN}:d", result="added"),
        Change("streets", "t", ADD, "sms", "+16195550143", result="failed: Throttling"),
    ]
    after = listed_after(listed, outcome)
    assert [(s.protocol, s.endpoint, s.pending) for s in after["streets"]] == [
        ("email", "dana.okafor@example.gov", False),
        ("email", "sam@example.gov", True),  # SNS asks the director to confirm
        ("sms", "+16195550142", False),
    ]
    assert listed_after(listed, [replace(c, result="") for c in outcome]) == listed  # a dry run


class RefusingSns:
    """An SNS that refuses the calls reach makes, as one without the permission would."""

    def list_phone_numbers_opted_out(self, **_):
        raise ClientError({"Error": {"Code": "AuthorizationError"}}, "ListPhoneNumbersOptedOut")

    def get_paginator(self, _name):
        raise ClientError({"Error": {"Code": "Throttling"}}, "ListSubscriptionsByTopic")


TOPICS = {"streets": Topic("streets", "streets_notifications", ARN)}


def test_reach_that_sns_will_not_tell_warns_and_stops_nothing():
    listed = {
        "streets": [Existing("sms", "+16195550101", f"{ARN}:a"), Existing("sms", "+16195550102", f"{ARN}:b")]
    }
    with pytest.warns(UserWarning, match="AuthorizationError.*all are counted as reached"):
        reach = listed_reach(RefusingSns(), listed, TOPICS, SmsAccount(), {})
    assert reach["streets"].people == 2
    with pytest.warns(UserWarning, match="whom the streets topic reaches is not known.*Throttling"):
        assert topic_reach(RefusingSns(), TOPICS, ["streets"]) == {}  # unknown, not nobody


WARNING = {"severity": {"DataType": "String", "StringValue": "warning"}}
CRITICAL = {"severity": {"DataType": "String", "StringValue": "critical"}}


class FilteringSns:
    """An SNS that lists each subscription's filter policy, and refuses to show one of them."""

    POLICIES = {f"{ARN}:dana": '{"severity": ["critical"]}', f"{ARN}:sms1": "{}"}

    def get_subscription_attributes(self, SubscriptionArn):
        if SubscriptionArn not in self.POLICIES:
            raise ClientError({"Error": {"Code": "AuthorizationError"}}, "GetSubscriptionAttributes")
        policy = self.POLICIES[SubscriptionArn]
        return {"Attributes": {"FilterPolicy": policy, "FilterPolicyScope": "MessageAttributes"}}

    def list_phone_numbers_opted_out(self, **_):
        return {"phoneNumbers": []}


def test_a_message_reaches_only_the_endpoints_whose_filter_policy_lets_it_through():
    listed = {
        "streets": [
            Existing("email", "dana.okafor@example.gov", f"{ARN}:dana"),
            Existing("sms", "+16195550101", f"{ARN}:sms1"),
            Existing("sms", "+16195550102", f"{ARN}:sms2"),  # its policy is not shown
            Existing("email", "new.director@example.gov", PENDING),
        ]
    }
    (topic,) = listed_reach(FilteringSns(), listed, TOPICS, SmsAccount(), {}, with_filters=True).values()
    assert topic.people == 3  # on the topic; who hears a message depends on the message
    warning = topic.through(WARNING, None)
    assert (warning.emails, warning.phones) == ((), ("+16195550101",))
    assert warning.held_back == (("email", "dana.okafor@example.gov"),)
    assert warning.cannot_tell == (("sms", "+16195550102", "filter policy not read: AuthorizationError"),)
    critical = topic.through(CRITICAL, None)
    assert critical.emails == ("dana.okafor@example.gov",) and critical.people == 2
    shown = warning.masked()
    assert shown["held_back"] == ["d*****@example.gov"]
    assert shown["cannot_tell"] == ["+1******0102 (filter policy not read: AuthorizationError)"]
    assert "dana.okafor" not in repr(shown) and "5550102" not in repr(shown)


def test_without_filter_policies_read_a_listing_lets_every_message_through():
    listed = {"streets": [Existing("email", "dana.okafor@example.gov", f"{ARN}:dana")]}
    (topic,) = listed_reach(FilteringSns(), listed, TOPICS, SmsAccount(), {}).values()
    assert topic.through(WARNING, None).people == 1
