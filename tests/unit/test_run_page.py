"""A run's HTML page tells the auditor who was told what: the coverage notice and whom messages reached."""

from helpers import COVERAGE_FACT, hand_built_run, recorded_decision

from backlog_alerts.trail.recorded import RecordedRun
from backlog_alerts.trail.run_page import _coverage, _messages, sent_lines

REACH = {
    "department": "streets",
    "people": 0,
    "reached": [],
    "pending": [],
    "pending_since": [],
    "opted_out": ["+1******0199"],
    "unverified": [],
    "unmanaged": [],
}
MESSAGE = {
    "department": "streets",
    "rules": ["zebra_rule"],
    "subject": "[WARNING] Pothole",
    "sms": "",
    "email": "",
}


def with_check_facts(folder, **facts):
    folder["notebooks"]["03_alert_check"]["facts"].update(facts)
    return folder


def test_the_coverage_notice_is_listed_with_what_was_told_now_and_before():
    run = with_check_facts(hand_built_run(), coverage=COVERAGE_FACT)
    page = _coverage(RecordedRun.of(run))
    assert "ops notice: published ops-1" in page
    assert "<strong>alert reaches nobody</strong> (told by this run): streets: Pothole 163" in page
    assert "<strong>number opted out (replied STOP)</strong> (told before): streets: +1******0199" in page
    sent, _ = sent_lines(run)
    assert "coverage notice → ops, <code>ops-1</code>" in sent
    assert _coverage(RecordedRun.of(hand_built_run())) == ""  # recorded before the notice existed


def test_a_dry_run_says_what_it_would_have_reached_and_told_and_why_nothing_went():
    dry = {**COVERAGE_FACT, "action": "dry run: would notify the ops topic", "message_id": ""}
    alerts = [recorded_decision("zebra_rule", "streets", "publish")]
    run = with_check_facts(
        hand_built_run(alerts=alerts),
        coverage=dry,
        run={"dry_run": True},
        reach=[REACH],
        messages=[MESSAGE],
    )
    recorded = RecordedRun.of(run)
    assert "(new, not told: dry run: would notify the ops topic)" in _coverage(recorded)
    assert "<dt>would reach</dt><dd>nobody</dd>" in _messages(run, recorded)
    sent, not_sent = sent_lines(run)
    assert sent == [], "a dry run sent nothing: no MessageId is shown"
    assert not_sent == [
        "coverage notice to ops: dry run: would notify the ops topic",
        "zebra_rule: dry run: would publish",
    ]
    from backlog_alerts.trail.run_page import run_page

    assert "(dry run: nothing was changed or sent)</span>" in run_page(run, [])  # said at the top, too


def test_a_refused_runs_page_shows_the_input_it_refused_and_the_notice_ops_got():
    from backlog_alerts.trail.run_page import run_page

    run = hand_built_run(status="refused", error="bad contacts")
    run["notebooks"] = {}
    run["manifest"] |= {
        "refused_input": {"input": "contacts", "uri": "s3://b/c.csv", "etag": "e9", "sha256": "f" * 64},
        "ops_notices": [
            {"kind": "refusal", "topic": "arn:ops", "message_id": "r-1", "sent_at": "2026", "outcome": "sent"}
        ],
    }
    page = run_page(run, [])
    assert "Refused:" in page and "f" * 64 in page and "e9" in page
    assert "<h2>Ops notices</h2>" in page and "arn:ops" in page
    sent, _ = sent_lines(run)
    assert sent == ["refusal notice → ops, <code>r-1</code>"]


def test_the_index_lists_sends_outside_recorded_runs_or_says_they_were_not_checked():
    from backlog_alerts.trail.run_page import outside_section

    send = {
        "run_id": "20261128T120000.000000Z",
        "sent_at": "2026-11-28T12:00:01+00:00",
        "topic": "arn:aws:sns:x:1:streets_notifications",
        "department": "streets",
        "severity": "warning",
        "rules": ["potholes"],
        "message_id": "hand-1",
    }
    section = outside_section([send])
    assert "Sent outside a recorded run" in section and "hand-1" in section and "20261128T120000" in section
    assert "Not checked" in outside_section([], "s3://b/s.json: cannot read alert state: AccessDenied")
