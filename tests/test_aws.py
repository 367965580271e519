"""The package against a moto server over HTTP: topics, subscriptions, inputs, publishing."""

import http.server
import json
import threading
from functools import partial

import pytest

from backlog_alerts import aws
from backlog_alerts.alerts import decide, publish_fired
from backlog_alerts.contacts import Contact
from backlog_alerts.demo import DEMO_CONTACTS_URI, DEMO_REPORT_URI, demo_bytes, seed_demo
from backlog_alerts.rules import parse_rules
from backlog_alerts.sources import SourceError, read_source
from backlog_alerts.subscriptions import list_subscriptions, wanted_subscriptions
from backlog_alerts.sync import apply_plan, plan_sync
from backlog_alerts.topics import TopicError, ensure_topics, find_topics

pytestmark = pytest.mark.integration
DEPARTMENTS = {"trash": "Trash", "streets": "Streets"}


def subscribe_queue(sqs, sns, topic_arn: str, name: str) -> str:
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=arn)
    return url


def test_topics_are_created_once_with_display_name_and_tags(sns):
    first = ensure_topics(sns, DEPARTMENTS, tags={"app": "backlog-alerts"})
    again = ensure_topics(sns, DEPARTMENTS, tags={"app": "backlog-alerts"})
    assert [t.arn for t in first] == [t.arn for t in again]
    assert [t.created for t in first] == [True, True] and [t.created for t in again] == [False, False]
    assert len(sns.list_topics()["Topics"]) == 2
    trash = first[0]
    assert trash.name == "trash_notifications"
    attributes = sns.get_topic_attributes(TopicArn=trash.arn)["Attributes"]
    assert attributes["DisplayName"] == "Trash"
    assert sns.list_tags_for_resource(ResourceArn=trash.arn)["Tags"] == [
        {"Key": "app", "Value": "backlog-alerts"}
    ]


def test_finding_topics_never_creates_them(sns):
    with pytest.raises(TopicError, match="streets_notifications not found: run notebooks/01_topic_setup"):
        find_topics(sns, ["streets"])
    assert sns.list_topics()["Topics"] == []


def test_sync_applies_once_and_reads_every_page(sns):
    topics = {t.department: t for t in ensure_topics(sns, {"trash": ""})}
    contacts = [
        Contact(i + 2, f"Director {i}", f"d{i}@example.gov", f"+1619555{i:04d}", "trash") for i in range(60)
    ]
    wanted = wanted_subscriptions(contacts, topics)
    first = apply_plan(sns, plan_sync(topics, wanted, {"trash": []}))
    assert {c.result for c in first} == {"added"}
    # 120 subscriptions: ListSubscriptionsByTopic pages at 100, so the re-plan must read both pages.
    listed = list_subscriptions(sns, topics["trash"].arn)
    assert len(listed) == 120
    again = plan_sync(topics, wanted, {"trash": listed})
    assert {c.action for c in again} == {"unchanged"}
    assert sorted(c.subscription_arn for c in again) == sorted(c.subscription_arn for c in first)


def test_pacing_holds_an_operation_to_its_rate(sns):
    import time

    paced = aws.pace(aws.client("sns", "us-east-1"), {"ListTopics": 20})
    calls = aws.count_calls(paced)
    started = time.monotonic()
    for _ in range(11):
        paced.list_topics()
    assert time.monotonic() - started >= 0.5  # 10 gaps of 1/20 s
    assert calls == {"ListTopics": 11}


def test_s3_source_has_etag_and_missing_objects_are_named(s3):
    seed_demo(s3)
    source = read_source(DEMO_REPORT_URI)
    assert source.text.startswith("service_name,count")
    assert source.etag and len(source.sha256) == 64
    with pytest.raises(SourceError, match=r"s3://backlog-alerts-demo-reports/nope.csv: cannot read: no such"):
        read_source("s3://backlog-alerts-demo-reports/nope.csv")
    with pytest.raises(SourceError, match="no such bucket 'no-such-bucket'"):
        read_source("s3://no-such-bucket/x.csv")


def test_https_and_local_sources(tmp_path):
    (tmp_path / "report.csv").write_bytes(b"\xef\xbb\xbfservice_name,count\nPothole,1\n")
    handler = partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_port}/report.csv"
        assert read_source(url).text == "service_name,count\nPothole,1\n"
        with pytest.raises(SourceError, match="missing.csv: cannot read: 404"):
            read_source(f"http://127.0.0.1:{server.server_port}/missing.csv")
    finally:
        server.shutdown()
    assert read_source(str(tmp_path / "report.csv")).text.startswith("service_name")
    (tmp_path / "latin1.csv").write_bytes("service_name,count\nCaj\xf3n,1\n".encode("latin-1"))
    with pytest.raises(SourceError, match="latin1.csv: not UTF-8 text"):
        read_source(str(tmp_path / "latin1.csv"))


def test_seeding_creates_what_is_missing_and_never_overwrites(s3):
    s3.create_bucket(Bucket="backlog-alerts-demo-contacts")
    bucket, key = DEMO_CONTACTS_URI.removeprefix("s3://").split("/", 1)
    s3.put_object(Bucket=bucket, Key=key, Body=b"Name,Email,Phone,Department\n")
    assert seed_demo(s3) == [DEMO_REPORT_URI]
    assert s3.get_object(Bucket=bucket, Key=key)["Body"].read() == b"Name,Email,Phone,Department\n"
    assert read_source(DEMO_REPORT_URI).text.encode() == demo_bytes("final_report.csv")
    assert seed_demo(s3) == []


def test_fired_rules_are_delivered_with_subject_and_text(sns, sqs):
    topics = {t.department: t for t in ensure_topics(sns, DEPARTMENTS)}
    queues = {d: subscribe_queue(sqs, sns, t.arn, f"q-{d}") for d, t in topics.items()}
    rules = parse_rules(
        [
            {
                "name": "potholes",
                "service_name": "Pothole",
                "department": "streets",
                "threshold": 100,
                "subject": "Streets Alert",
            },
            {
                "name": "dumping",
                "service_name": "Illegal Dumping",
                "department": "trash",
                "threshold": 30,
                "subject": "Trash Alert",
            },
        ],
        DEPARTMENTS,
    )
    decisions = decide(rules, {"Pothole": 101, "Illegal Dumping": 30}, "r.csv")
    sent = publish_fired(aws.client("sns", "us-east-1"), rules, decisions, topics, "r.csv")
    assert [bool(d.message_id) for d in sent] == [True, False]
    (message,) = sqs.receive_message(QueueUrl=queues["streets"], MaxNumberOfMessages=10)["Messages"]
    body = json.loads(message["Body"])
    assert body["Subject"] == "Streets Alert" and body["MessageId"] == sent[0].message_id
    assert "Pothole: 101" in body["Message"] and "threshold of 100" in body["Message"]
    assert "Messages" not in sqs.receive_message(QueueUrl=queues["trash"], WaitTimeSeconds=0)
