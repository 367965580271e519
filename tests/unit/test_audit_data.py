"""`audit --format json|csv` as data, from hand-built runs: each alert keeps its own MessageId."""

import csv
import io
import json

import pytest
from helpers import CONTACTS_SHA, COVERAGE_FACT, PARAMS_SHA, REPORT_SHA, hand_built_run
from helpers import recorded_decision as decision

from backlog_alerts.state.document import AlertState, StateError
from backlog_alerts.trail.audit_data import run_record
from backlog_alerts.trail.audit_formats import render
from backlog_alerts.trail.audit_rows import ALERT_COLUMNS, RUN_COLUMNS, flatten
from backlog_alerts.trail.untraced import OUTSIDE, Outside, load_outside, sent_outside


def flat(records, per="run"):
    """CSV columns and the rows of every record, as `audit --format csv` writes them."""
    columns, rows_of = flatten(per)
    return columns, [row for record in records for row in rows_of(record)]


def test_each_alert_is_an_object_with_its_own_message_id_and_topic():
    record = run_record(hand_built_run())
    by_rule = {a["rule"]: a for a in record["alerts"]}
    assert by_rule["zebra_rule"]["message_id"] == "m-1" and by_rule["apple_rule"]["message_id"] == "m-2"
    assert by_rule["zebra_rule"]["topic_arn"] == "arn:aws:sns:x:1:streets"
    assert by_rule["zebra_rule"]["recipients"] == 3 and by_rule["apple_rule"]["recipients"] == 4
    assert by_rule["quiet_rule"]["message_id"] is None
    assert record["totals"] == {"published": 2, "not_sent": 0, "suppressed": 0, "resolved": 0, "muted": 0}
    assert record["subscriptions"]["add"] == 2 and record["subscriptions"]["pending"] == 1


def test_hashes_are_whole_and_inputs_are_named():
    record = run_record(hand_built_run())
    assert record["params_sha256"] == PARAMS_SHA and record["git_commit"] == "d" * 40
    assert record["inputs"]["report"]["sha256"] == REPORT_SHA
    assert record["inputs"]["contacts"] == {
        "uri": "s3://b/contacts.csv",
        "sha256": CONTACTS_SHA,
        "etag": '"e1"',
    }
    assert record["params_file"] == "/srv/params/city.yaml"


def test_csv_per_run_is_one_flat_row_with_numbers_and_full_hashes():
    columns, rows = flat([run_record(hand_built_run()), run_record(hand_built_run("20261129T000000.0Z"))])
    assert columns == RUN_COLUMNS and len(rows) == 2
    assert rows[0]["params_sha256"] == PARAMS_SHA and rows[0]["report_sha256"] == REPORT_SHA
    assert rows[0]["contacts_sha256"] == CONTACTS_SHA and rows[0]["published"] == 2
    assert rows[0]["subs_add"] == 2 and rows[1]["run_id"] == "20261129T000000.0Z"


def test_csv_per_alert_pairs_each_rule_with_its_message_id_and_run():
    failed = hand_built_run(
        "20261129T000000.0Z",
        status="failed",
        error="PublishError: 1 alert(s) not sent",
        alerts=[decision("zebra_rule", "streets", "publish", error="not sent: AuthorizationError")],
    )
    text = render([hand_built_run(), failed], "csv", per="alert")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert tuple(rows[0]) == ALERT_COLUMNS
    assert [(r["run_id"][:8], r["rule"], r["message_id"]) for r in rows] == [
        ("20261128", "zebra_rule", "m-1"),
        ("20261128", "apple_rule", "m-2"),
        ("20261128", "quiet_rule", ""),
        ("20261129", "zebra_rule", ""),
    ]
    assert rows[3]["error"] == "not sent: AuthorizationError" and rows[3]["status"] == "failed"


def test_a_run_stopped_before_the_check_has_no_alerts_and_empty_inputs():
    run = hand_built_run(status="refused", error="ReportError: no such report")
    run["notebooks"] = {}
    record = run_record(run)
    assert (record["status"], record["error"], record["alerts"]) == (
        "refused",
        "ReportError: no such report",
        [],
    )
    assert record["inputs"]["report"]["sha256"] == "" and record["subscriptions"]["add"] == 0
    (row,) = flat([record])[1]
    assert row["status"] == "refused" and row["published"] == 0


SENDS = [
    {"run_id": "20261128T110713.084847Z", "sent_at": "2026-11-28T11:07:20+00:00", "rules": ["a"]},
    {
        "run_id": "20261128T120000.000000Z",
        "sent_at": "2026-11-28T12:00:01+00:00",
        "topic": "arn:aws:sns:x:1:streets_notifications",
        "department": "streets",
        "severity": "warning",
        "rules": ["b", "c"],
        "message_id": "hand-1",
    },
    {"run_id": "20200101T000000.000000Z", "sent_at": "2020-01-01T00:00:01+00:00", "rules": ["c"]},
]


def test_sends_outside_recorded_runs_are_marked_so_in_json_csv_and_the_table():
    state = AlertState(sends=SENDS)
    sends = sent_outside(state, ["20261128T110713.084847Z"])
    assert [s["rules"] for s in sends] == [["b", "c"]]  # older than the oldest folder: maybe retention
    outside = Outside("s3://b/alert_state.json", sends)
    data = json.loads(render([hand_built_run()], "json", outside=outside))
    assert [r["run_id"] for r in data["runs"]] == ["20261128T110713.084847Z"]
    (send,) = data["sent_outside_runs"]
    assert (send["run_id"], send["message_id"], send["recorded"]) == (
        "20261128T120000.000000Z",
        "hand-1",
        OUTSIDE,
    )
    assert data["state_read"] == {"uri": "s3://b/alert_state.json", "error": "", "not_read": []}
    table = render([hand_built_run()], "table", outside=outside)
    assert f"sent {OUTSIDE}" in table and "20261128T120000.000000Z" in table and "hand-1" in table
    runs = list(csv.DictReader(io.StringIO(render([hand_built_run()], "csv", outside=outside))))
    assert [(r["run_id"], r["status"], r["published"]) for r in runs][1:] == [
        ("20261128T120000.000000Z", OUTSIDE, "2")
    ]
    alerts = list(csv.DictReader(io.StringIO(render([hand_built_run()], "csv", "alert", outside=outside))))
    assert [(r["rule"], r["status"], r["message_id"]) for r in alerts if r["status"] == OUTSIDE] == [
        ("b", OUTSIDE, "hand-1"),
        ("c", OUTSIDE, "hand-1"),
    ]
    assert sent_outside(state, ["20261128T110713.084847Z"], since="20261129") == []


def test_a_state_found_from_the_trail_that_cannot_be_read_is_said_not_hidden(tmp_path):
    broken = tmp_path / "alert_state.json"
    broken.write_text("not json")
    outside = load_outside(str(broken), str(tmp_path), named=False)
    assert outside.sends == [] and "not an alert state document" in outside.error
    data = json.loads(render([hand_built_run()], "json", outside=outside))
    assert data["state_read"]["error"] == outside.error and data["sent_outside_runs"] == []
    with pytest.raises(StateError):
        load_outside(str(broken), str(tmp_path))  # named by the user: an error


def test_a_state_saved_before_run_ids_and_sends_were_kept_still_loads():
    old = '{"version": 1, "rules": {"potholes": {"status": "firing", "count": 5, "report_key": "2019-02"}}}'
    state = AlertState.from_json(old, "old.json")
    assert state.sends == [] and state.legacy_rules["potholes"]["report_key"] == "2019-02"
    assert sent_outside(state, []) == []


def test_every_send_is_logged_with_its_run_id_and_survives_a_save():
    from backlog_alerts.alerting.evaluation import Decision
    from backlog_alerts.alerting.messages import Message
    from backlog_alerts.alerting.publish import mark_sent

    fired = Decision(
        "potholes", "Pothole", "streets", "warning", ">=", 10, 50, True, action="publish", topic="arn:s"
    )
    state = AlertState()
    mark_sent(state, Message("streets", "warning", "subject", "sms", "email", (fired,)), "m-1", run_id="R1")
    saved = AlertState.from_json(state.to_json(), "state.json")
    (send,) = saved.sends
    assert (send["run_id"], send["rules"], send["message_id"], send["topic"]) == (
        "R1",
        ["potholes"],
        "m-1",
        "arn:s",
    )
    (heard,) = saved.heard
    assert (heard.topic, heard.service, heard.tier, heard.run_id) == ("arn:s", "Pothole", "warning", "R1")


def test_audit_reads_the_state_the_newest_run_names_else_one_left_beside_the_runs(tmp_path):
    from backlog_alerts.trail.untraced import state_of_trail

    outputs = tmp_path / "outputs"
    (outputs / "20261205T000000.000000Z").mkdir(parents=True)
    manifest = outputs / "20261205T000000.000000Z" / "manifest.json"
    manifest.write_text(json.dumps({"run_id": "x"}))  # a run recorded before manifests named the state
    assert state_of_trail(str(outputs)) is None
    (outputs / "alert_state.json").write_text(AlertState().to_json())
    assert state_of_trail(str(outputs)) == str(outputs / "alert_state.json")
    state = tmp_path / "city" / "state" / "alert_state.json"
    manifest.write_text(json.dumps({"run_id": "x", "state_uri": str(state)}))
    assert state_of_trail(str(outputs)) == str(state), "named, and gone: not some other state"
    state.parent.mkdir(parents=True)
    state.write_text(AlertState().to_json())
    assert state_of_trail(str(outputs)) == str(state)
    manifest.write_text(json.dumps({"run_id": "x", "state_uri": "s3://demo/alert_state.json"}))
    assert state_of_trail(str(outputs)) == "s3://demo/alert_state.json", "on S3 too"


def test_the_coverage_notice_is_in_the_record_and_counted_in_the_csv_row():
    run = hand_built_run()
    run["notebooks"]["03_alert_check"]["facts"]["coverage"] = COVERAGE_FACT
    record = run_record(run)
    assert record["coverage"] == COVERAGE_FACT
    _, (row,) = flat([record])
    assert (row["coverage_action"], row["coverage_message_id"]) == ("published", "ops-1")
    assert (row["coverage_conditions"], row["coverage_new"]) == (2, 1)
    _, (before,) = flat([run_record(hand_built_run())])  # a run recorded before the notice existed
    assert run_record(hand_built_run())["coverage"] is None and before["coverage_action"] == ""


def test_each_alert_carries_whom_its_topic_reached_and_since_when_its_pending_emails_waited():
    run = hand_built_run()
    run["notebooks"]["03_alert_check"]["facts"]["reach"] = [
        {
            "department": "streets",
            "people": 1,
            "reached": ["+1******0101"],
            "pending": ["p*****@example.gov"],
            "pending_since": ["2026-11-27T10:00:00+00:00"],
            "opted_out": [],
            "unverified": ["+1******0142"],
            "unmanaged": [],
        }
    ]
    (zebra, *_) = run_record(run)["alerts"]
    assert zebra["reached"] == 1 and zebra["reach"]["pending_since"] == ["2026-11-27T10:00:00+00:00"]
    assert zebra["reach"]["unverified"] == ["+1******0142"]
    rows = list(csv.DictReader(io.StringIO(render([run], "csv", per="alert"))))
    assert rows[0]["reach_pending_since"] == "2026-11-27T10:00:00+00:00"
    assert rows[0]["reach_unverified"] == "'+1******0142"  # a spreadsheet would read + as a formula


def dry_run():
    """A dry run's check: its alerts were decided, none was published."""
    run = hand_built_run(
        alerts=[
            decision("zebra_rule", "streets", "publish"),
            decision("apple_rule", "parks", "resolved"),
            decision("quiet_rule", "parks", "quiet", count=1),
        ]
    )
    run["notebooks"]["03_alert_check"]["facts"]["run"] = {"dry_run": True}
    return run


def test_a_dry_runs_alerts_read_would_publish_with_no_message_id_in_every_format():
    record = run_record(dry_run())
    assert record["dry_run"] is True
    assert [(a["action"], a["dry_run"], a["message_id"]) for a in record["alerts"]] == [
        ("would publish", True, None),
        ("would resolve", True, None),
        ("quiet", True, None),
    ]
    assert record["totals"]["published"] == 0 and record["totals"]["resolved"] == 0
    rows = list(csv.DictReader(io.StringIO(render([dry_run()], "csv", per="alert"))))
    assert [(r["action"], r["dry_run"], r["message_id"]) for r in rows][:2] == [
        ("would publish", "True", ""),
        ("would resolve", "True", ""),
    ]
    assert all(r["action"] not in ("publish", "resolved") for r in rows)
    (row,) = csv.DictReader(io.StringIO(render([dry_run()], "csv")))
    assert (row["dry_run"], row["published"], row["resolved"]) == ("True", "0", "0")
    table = render([dry_run()], "table").split("\n\n")[0].splitlines()
    row = " ".join(" ".join(table[1:-1]).split())  # the run's row, its details unwrapped; then the footnote
    assert "succeeded*" in table[1] and table[-1] == "* dry run: nothing was changed or sent"
    assert "zebra_rule=50 would publish" in row and " sent" not in row
    assert run_record(hand_built_run())["alerts"][0]["action"] == "publish", "a real run's stays publish"


def test_every_ops_notice_is_a_row_with_its_topic_message_id_and_time_and_only_a_sent_one_has_an_id():
    run = hand_built_run(status="failed", error="PublishError")
    facts = run["notebooks"]["03_alert_check"]["facts"]
    facts["report_notice"] = {"status": "late", "action": "suppressed", "note": "", "message_id": "old-1"}
    facts["coverage"] = {
        **COVERAGE_FACT,
        "topic": "arn:aws:sns:x:1:ops",
        "sent_at": "2026-11-28T11:07:50+00:00",
    }
    run["manifest"]["ops_notices"] = [
        {
            "kind": "failure",
            "topic": "arn:aws:sns:x:1:ops",
            "message_id": "ops-2",
            "sent_at": "2026-11-28T11:08:00+00:00",
            "outcome": "sent",
        }
    ]
    record = run_record(run)
    assert [(n["kind"], n["message_id"], n["sent_at"][:19]) for n in record["ops_notices"]] == [
        ("report late", "", ""),  # told by an earlier run: not claimed as this run's
        ("coverage", "ops-1", "2026-11-28T11:07:50"),
        ("failure", "ops-2", "2026-11-28T11:08:00"),
    ]
    assert record["ops_notices"][0]["outcome"] == "told before (old-1), not sent again"
    assert record["ops_notices"][2]["topic"] == "arn:aws:sns:x:1:ops"
    _, (row,) = flat([record])
    assert (row["ops_notices_sent"], row["ops_message_ids"]) == (2, "ops-1; ops-2")
    rows = list(csv.DictReader(io.StringIO(render([run], "csv", per="notice"))))
    assert [(r["kind"], r["message_id"], r["status"][:6]) for r in rows] == [
        ("report late", "", "failed"),
        ("coverage", "ops-1", "failed"),
        ("failure", "ops-2", "failed"),
    ]
    table = " ".join(render([run], "table").split())
    assert "coverage:ops-1; failure:ops-2" in table


def test_a_refused_run_names_the_input_it_refused_with_its_etag_and_sha256():
    run = hand_built_run(status="refused", error="contacts.csv: row 3: not an email")
    run["notebooks"] = {}
    refused = {"input": "contacts", "uri": "s3://b/contacts.csv", "etag": "e9", "sha256": CONTACTS_SHA}
    run["manifest"] |= {
        "refused_input": refused,
        "inputs": {"contacts": {k: refused[k] for k in ("uri", "etag", "sha256")}},
        "ops_notices": [
            {"kind": "refusal", "topic": "arn:ops", "message_id": "r-1", "sent_at": "t", "outcome": "sent"}
        ],
    }
    record = run_record(run)
    assert record["refused_input"] == refused
    assert record["inputs"]["contacts"] == {
        "uri": "s3://b/contacts.csv",
        "sha256": CONTACTS_SHA,
        "etag": "e9",
    }
    assert record["ops_notices"][0]["message_id"] == "r-1"
    _, (row,) = flat([record])
    assert (row["refused_input"], row["refused_etag"], row["refused_sha256"]) == (
        "contacts",
        "e9",
        CONTACTS_SHA,
    )
    table = " ".join(render([run], "table").split())
    assert f"refused contacts s3://b/contacts.csv (SHA-256 {CONTACTS_SHA[:12]}, ETag e9)" in table
    assert "refusal:r-1" in table


STREETS_REACH = {
    "department": "streets",
    "people": 2,
    "reached": ["+1******0101", "d*****@example.gov"],
    "held_back": ["+1******0150"],
    "cannot_tell": ["+1******0160 (not JSON)"],
}


def test_reached_is_claimed_only_for_a_message_that_went_out_and_a_dry_run_says_would_reach():
    run = hand_built_run(
        alerts=[
            decision("zebra_rule", "streets", "publish", "m-1"),
            decision("cleared_rule", "streets", "cleared"),
            decision("failed_rule", "streets", "publish", error="not sent: AuthorizationError"),
        ]
    )
    run["notebooks"]["03_alert_check"]["facts"]["reach"] = [STREETS_REACH]
    sent, cleared, failed = run_record(run)["alerts"]
    reached = STREETS_REACH["reached"]
    assert (sent["reached"], sent["would_reach"], sent["reach"]["reached"]) == (2, None, reached)
    for alert in (cleared, failed):
        assert (alert["reached"], alert["would_reach"], alert["reach"]["reached"]) == (None, None, [])
    assert sent["reach"]["held_back"] == cleared["reach"]["held_back"] == ["+1******0150"]
    rows = list(csv.DictReader(io.StringIO(render([run], "csv", per="alert"))))
    assert [(r["reached"], r["reach_reached"] != "") for r in rows] == [("2", True), ("", False), ("", False)]
    assert rows[0]["reach_held_back"] == "'+1******0150"
    assert rows[0]["reach_cannot_tell"] == "'+1******0160 (not JSON)"
    dry = dry_run()
    dry["notebooks"]["03_alert_check"]["facts"]["reach"] = [STREETS_REACH]
    (zebra, *_) = run_record(dry)["alerts"]
    assert (zebra["reached"], zebra["would_reach"], zebra["reach"]["reached"]) == (None, 2, [])
    assert zebra["reach"]["would_reach"] == STREETS_REACH["reached"]
