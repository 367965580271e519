"""Who a topic's subscriptions reach: confirmed emails and SMS numbers not opted out are people."""

from backlog_alerts.sync.reach import reach_of
from backlog_alerts.sync.subscriptions import PENDING, Existing

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
