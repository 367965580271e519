"""The package against a moto server over HTTP: topics, subscriptions, inputs, publishing."""

import http.server
import json
import socket
import threading
from datetime import date
from functools import partial
from urllib.parse import urlparse

import pytest
from helpers import POTHOLE_TIERS, drain, subscribe_queue

from backlog_alerts.alerting.evaluation import evaluate, plan_actions
from backlog_alerts.alerting.messages import check_templates
from backlog_alerts.alerting.publish import build_messages, publish_and_record
from backlog_alerts.alerting.report import Report
from backlog_alerts.alerting.rules import parse_rules
from backlog_alerts.io import aws
from backlog_alerts.io.demo import DEMO_CONTACTS_URI, DEMO_FILES, DEMO_REPORT_URI, demo_bytes, seed_demo
from backlog_alerts.io.sources import SourceError, read_source
from backlog_alerts.state.store import open_state
from backlog_alerts.sync.apply import apply_plan
from backlog_alerts.sync.contacts import Contact
from backlog_alerts.sync.plan import plan_sync
from backlog_alerts.sync.subscriptions import list_subscriptions, wanted_subscriptions
from backlog_alerts.sync.topics import TopicError, ensure_topics, find_topics

pytestmark = pytest.mark.integration
DEPARTMENTS = {"trash": "Trash", "streets": "Streets"}


def test_topics_can_be_encrypted_with_a_kms_key_and_stay_encrypted_on_rerun(sns):
    key = "alias/backlog-alerts"
    for _ in range(2):
        topics = ensure_topics(sns, DEPARTMENTS, kms_master_key_id=key, ops_topic="ops_alerts")
    for topic in topics:
        assert sns.get_topic_attributes(TopicArn=topic.arn)["Attributes"]["KmsMasterKeyId"] == key
    plain = ensure_topics(sns, {"parks": "Parks"})[0]
    assert "KmsMasterKeyId" not in sns.get_topic_attributes(TopicArn=plain.arn)["Attributes"]


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


def test_a_display_name_is_stored_in_ascii_as_sms_puts_it_in_front_of_each_text(sns):
    (streets,) = ensure_topics(sns, {"streets": "Calles – Vías"})
    attributes = sns.get_topic_attributes(TopicArn=streets.arn)["Attributes"]
    assert attributes["DisplayName"] == "Calles - Vias"


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
    assert seed_demo(s3) == [uri for uri in DEMO_FILES if uri != DEMO_CONTACTS_URI]
    assert s3.get_object(Bucket=bucket, Key=key)["Body"].read() == b"Name,Email,Phone,Department\n"
    assert read_source(DEMO_REPORT_URI).text.encode() == demo_bytes("final_report.csv")
    assert seed_demo(s3) == []


RULES = [
    *POTHOLE_TIERS,
    {"name": "graffiti", "service_name": "Graffiti", "department": "streets", "threshold": 10},
    {"name": "dumping", "service_name": "Illegal Dumping", "department": "trash", "threshold": 30},
]


def run_check(sns, topics, state_uri, counts, period):
    """The alert notebook's steps, in process: evaluate, plan, render, publish, record."""
    rules = parse_rules(RULES, DEPARTMENTS)
    store = open_state(state_uri)
    decisions = plan_actions(
        evaluate(rules, counts, "r.csv", "error", period),
        store.state,
        {d: t.arn for d, t in topics.items()},
        notify_resolved=True,
        today=date(2019, 3, 1),
    )
    messages = build_messages(
        decisions, check_templates({}), DEPARTMENTS, report_uri="r.csv", period=period, run_id="RUN"
    )
    report = Report("r.csv", "ok", period, counts)
    return publish_and_record(sns, messages, decisions, store, report=report, run_id="RUN")


def test_digest_per_department_and_severity_with_attributes_and_filter_policy(sns, sqs, s3, tmp_path):
    topics = {t.department: t for t in ensure_topics(sns, DEPARTMENTS)}
    everything = subscribe_queue(sqs, sns, topics["streets"].arn, "streets-all")
    critical_only = subscribe_queue(sqs, sns, topics["streets"].arn, "streets-critical")
    (sub,) = [
        s
        for s in sns.list_subscriptions_by_topic(TopicArn=topics["streets"].arn)["Subscriptions"]
        if s["Endpoint"].endswith(":streets-critical")
    ]
    sns.set_subscription_attributes(
        SubscriptionArn=sub["SubscriptionArn"],
        AttributeName="FilterPolicy",
        AttributeValue=json.dumps({"severity": ["critical"]}),
    )
    s3.create_bucket(Bucket="state-bucket")
    state_uri = "s3://state-bucket/alert_state.json"

    # Feb: Pothole warning and Graffiti warning fire on streets -> one digest; nothing critical.
    alerts = run_check(
        sns, topics, state_uri, {"Pothole": 150, "Graffiti": 20, "Illegal Dumping": 3}, "2019-02"
    )
    (digest,) = drain(sqs, everything)
    assert digest["Subject"] == "[WARNING] 2 streets backlogs: Pothole 150 > 100; Graffiti 20 > 10"
    assert (
        "Pothole: 150 open requests" in digest["Message"]
        and "Graffiti: 20 open requests" in digest["Message"]
    )
    assert digest["MessageAttributes"]["severity"]["Value"] == "warning"
    assert json.loads(digest["MessageAttributes"]["service"]["Value"]) == ["Pothole", "Graffiti"]
    assert drain(sqs, critical_only) == []
    assert {a.rule: bool(a.message_id) for a in alerts} == {
        "pothole_warn": True,
        "pothole_crit": False,
        "graffiti": True,
        "dumping": False,
    }

    # The saved state stops a repeat of the same period, read back from S3 as the next run would.
    heard = {(h.service, h.tier): h for h in open_state(state_uri).state.heard}
    assert heard["Pothole", "warning"].message_id == digest["MessageId"]
    assert heard["Pothole", "warning"].topic == topics["streets"].arn
    tags = {
        t["Key"]: t["Value"] for t in sns.list_tags_for_resource(ResourceArn=topics["streets"].arn)["Tags"]
    }
    assert tags["backlog-alerts:last-send"] == f"2019-02 warning {digest['MessageId']} RUN"
    run_check(sns, topics, state_uri, {"Pothole": 150, "Graffiti": 20, "Illegal Dumping": 3}, "2019-02")
    assert drain(sqs, everything) == []

    # Same period, Pothole now critical: the higher tier goes out at once, to both subscribers.
    run_check(sns, topics, state_uri, {"Pothole": 250, "Graffiti": 20, "Illegal Dumping": 3}, "2019-02")
    (critical,) = drain(sqs, critical_only)
    assert critical["Subject"] == "[CRITICAL] Pothole backlog 250 > 200"
    assert [m["Subject"] for m in drain(sqs, everything)] == [critical["Subject"]]


def test_the_emulator_listens_on_loopback_only(moto_endpoint):
    """Reachable on 127.0.0.1, refused on the machine's own network address."""
    port = urlparse(moto_endpoint).port
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    probe.connect(("192.0.2.1", 9))  # no packet is sent: this only picks the outgoing interface
    address = probe.getsockname()[0]
    probe.close()
    if address.startswith("127."):
        pytest.skip("this machine has no non-loopback IPv4 address")
    socket.create_connection(("127.0.0.1", port), timeout=5).close()
    with pytest.raises(OSError):
        socket.create_connection((address, port), timeout=5).close()
