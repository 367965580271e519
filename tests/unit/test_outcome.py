"""The end of an alert check as an auditor reads it: who was told what, and what was held back."""

from dataclasses import replace

from backlog_alerts.alerting.evaluation import MUTED, PUBLISH, QUIET, SUPPRESSED, Decision
from backlog_alerts.alerting.messages import Message
from backlog_alerts.alerting.outcome import message_rows, publications, run_summary
from backlog_alerts.alerting.report import Report
from backlog_alerts.sync.topics import Topic

TOPICS = {
    "streets": Topic("streets", "streets_notifications", "arn:aws:sns:us-east-1:1:streets_notifications"),
    "trash": Topic("trash", "trash_notifications", "arn:aws:sns:us-east-1:1:trash_notifications"),
}
REPORT = Report("s3://r/2019/feb/final_report.csv", "ok", "2019-02", {"Pothole": 163})


def decision(rule, department, count, action, **kw):
    return Decision(
        rule, rule.title(), department, "warning", ">", 100, count, count > 100, action=action, **kw
    )


POTHOLES = decision("potholes", "streets", 163, PUBLISH)
DUMPING = decision("dumping", "trash", 147, PUBLISH)
EMAIL = "WARNING backlog alert for streets\n\n- Pothole: 163 open requests"


def message(d, subject):
    return Message(d.department, "warning", subject, "WARNING: short", EMAIL, (d,))


MESSAGES = [message(POTHOLES, "[WARNING] Pothole"), message(DUMPING, "[WARNING] Dumping")]


def test_message_rows_carry_the_topic_and_the_texts_exactly():
    (row, _) = message_rows(MESSAGES, TOPICS)
    assert row["topic"] == "streets_notifications" and row["email"] == EMAIL and row["rules"] == ["potholes"]


def test_publications_pair_each_message_with_its_message_id_or_why_not():
    alerts = [replace(POTHOLES, message_id="m-1"), replace(DUMPING, error="not sent: AuthorizationError")]
    sent, failed = publications(MESSAGES, alerts, TOPICS, dry_run=False)
    assert (sent.topic, sent.message_id, sent.outcome) == ("streets_notifications", "m-1", "published")
    assert (failed.message_id, failed.outcome) == ("", "not sent: AuthorizationError")
    dry = publications(MESSAGES, [POTHOLES, DUMPING], TOPICS, dry_run=True)
    assert {p.outcome for p in dry} == {"dry run: not published"}


def test_summary_says_what_was_sent_to_whom_and_what_was_held_back_and_why():
    alerts = [
        replace(POTHOLES, message_id="m-1"),
        replace(DUMPING, action=SUPPRESSED, note="already sent m-0 at 2019-02-03"),
        decision("graffiti", "trash", 40, QUIET),
        decision("weeds", "streets", 120, MUTED, note="muted until 2019-03-31: new contractor"),
    ]
    summary = run_summary(REPORT, alerts, publications(MESSAGES[:1], alerts, TOPICS, dry_run=False), TOPICS)
    text = summary["summary"]
    assert text.startswith("Report s3://r/2019/feb/final_report.csv (period 2019-02) was checked against 4")
    assert "3 fired" in text and "to streets_notifications (MessageId m-1)" in text
    assert "2 alert(s) held back: dumping (suppressed: already sent m-0" in text
    assert "weeds (muted: muted until 2019-03-31: new contractor)" in text
    rows = {r["rule"]: r for r in summary["rules"]}
    assert (rows["potholes"]["outcome"], rows["potholes"]["topic"], rows["potholes"]["message_id"]) == (
        "alert sent",
        "streets_notifications",
        "m-1",
    )
    assert rows["dumping"]["outcome"] == "held back: suppressed" and rows["dumping"]["topic"] == ""
    assert rows["weeds"]["why"] == "muted until 2019-03-31: new contractor"
    assert rows["graffiti"]["outcome"] == "under threshold"
    assert "ops_notice" not in summary


def test_an_unsent_alert_and_a_dry_run_are_never_reported_as_sent():
    failed = [replace(POTHOLES, error="not sent: AuthorizationError")]
    summary = run_summary(REPORT, failed, publications(MESSAGES[:1], failed, TOPICS, dry_run=False), TOPICS)
    assert summary["rules"][0]["outcome"] == "alert not sent"
    assert summary["rules"][0]["why"] == "not sent: AuthorizationError"
    assert "No message was published" in summary["summary"] and "AuthorizationError" in summary["summary"]
    dry = run_summary(
        REPORT, [POTHOLES], publications(MESSAGES[:1], [POTHOLES], TOPICS, dry_run=True), TOPICS, dry_run=True
    )
    assert (
        dry["rules"][0]["outcome"] == "would publish alert: not sent (dry run)"
        and "published:" not in dry["summary"]
    )
    assert (
        "Dry run: nothing was published; 1 message(s) would have gone out: '[WARNING] Pothole' to "
        in dry["summary"]
    )


def test_a_missing_report_alerts_nobody_and_names_the_ops_notice():
    missing = Report("s3://r/2019/mar/final_report.csv", "missing", "2019-03")
    notice = {"action": "published", "note": "no such object", "message_id": "ops-1"}
    summary = run_summary(missing, [], [], TOPICS, notice=notice)
    assert summary["summary"] == (
        "Report s3://r/2019/mar/final_report.csv (period 2019-03) is missing: no rule was checked and no "
        "department was alerted."
    )
    assert summary["ops_notice"] == "published ops-1 no such object" and summary["rules"] == []


def test_a_rule_over_months_or_on_a_rise_says_why_it_did_not_fire_and_has_no_line_of_its_own():
    damped = decision("potholes", "streets", 163, QUIET, explanation="over 100 for 1 month of the 2 needed")
    damped = replace(damped, fired=False)
    rising = replace(
        decision("rising", "streets", 163, QUIET, explanation="up 5 % from January (155 -> 163)"),
        comparison="",
        threshold=0,
        fired=False,
    )
    rows = {r["rule"]: r for r in run_summary(REPORT, [damped, rising], [], TOPICS)["rules"]}
    assert (rows["potholes"]["outcome"], rows["potholes"]["why"]) == (
        "not firing",
        "over 100 for 1 month of the 2 needed",
    )
    assert rows["potholes"]["threshold"] == "> 100 (warning)"
    assert rows["rising"]["threshold"] == "(warning)"  # a rise alone: no line to show
    plain = run_summary(REPORT, [decision("p", "streets", 90, QUIET)], [], TOPICS)["rules"][0]
    assert plain["outcome"] == "under threshold"
