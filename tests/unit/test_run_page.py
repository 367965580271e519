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
    _, not_sent = sent_lines(run)
    assert not_sent == ["zebra_rule: dry run: not published"]
