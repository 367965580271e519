"""The state's log of ops notices: every notice the alert check sends to the ops topic is logged with its
run id, time, topic, kind and MessageId, kept across saves and conflicting writes, and listed `outside a
recorded run` by `audit` and the site when its run left no run folder (a notebook run by hand)."""

import csv
import io
import json
from datetime import UTC, datetime

from helpers import hand_built_run
from hypothesis import given
from hypothesis import strategies as st

from backlog_alerts.alerting.coverage import UNHEARD, Condition, send_coverage_notice
from backlog_alerts.alerting.report import Report
from backlog_alerts.alerting.report_checks import report_problem_notice
from backlog_alerts.state.document import KEPT_OPS_SENDS, AlertState
from backlog_alerts.state.ledger import merged
from backlog_alerts.state.store import StateStore, open_state
from backlog_alerts.sync.topics import Topic
from backlog_alerts.trail.audit_formats import render
from backlog_alerts.trail.run_page import outside_section
from backlog_alerts.trail.untraced import OUTSIDE, Outside, load_outside

OPS = Topic("ops", "backlog_alerts_ops", "arn:aws:sns:x:1:backlog_alerts_ops")
RUN = "20261128T110713.084847Z"  # the one run folder on the trail
BY_HAND = "20261128T120000.000000Z"


def notice(message_id, run_id=BY_HAND, sent_at="2026-11-28T12:00:01+00:00", kind="report missing"):
    return {"run_id": run_id, "sent_at": sent_at, "topic": OPS.arn, "kind": kind, "message_id": message_id}


class FakeSns:
    def __init__(self):
        self.sent = []

    def publish(self, **kwargs):
        self.sent.append(kwargs)
        return {"MessageId": f"ops-{len(self.sent)}"}


def test_the_log_survives_a_save_and_a_state_written_before_it_loads_with_none():
    state = AlertState(deployment="d-1")
    state.log_ops_send(notice("ops-1"))
    assert AlertState.from_json(state.to_json(), "s.json").ops_sends == [notice("ops-1")]
    before = json.loads(state.to_json())
    del before["ops_sends"]
    assert AlertState.from_json(json.dumps(before), "s.json").ops_sends == []


def test_the_log_keeps_the_newest_notices():
    state = AlertState()
    for i in range(KEPT_OPS_SENDS + 5):
        state.log_ops_send(notice(f"ops-{i}"))
    assert (
        len(state.ops_sends) == KEPT_OPS_SENDS
        and state.ops_sends[-1]["message_id"] == f"ops-{KEPT_OPS_SENDS + 4}"
    )


def test_a_conflicting_write_keeps_the_notices_of_both_sides_once(tmp_path):
    uri = str(tmp_path / "alert_state.json")
    first, second = open_state(uri), open_state(uri)
    first.update(lambda state: state.log_ops_send(notice("ops-1")))
    second.update(lambda state: state.log_ops_send(notice("ops-2", sent_at="2026-11-28T12:00:02+00:00")))
    assert [n["message_id"] for n in open_state(uri).state.ops_sends] == ["ops-1", "ops-2"]


NOTICES = st.lists(
    st.builds(
        notice,
        st.sampled_from([f"ops-{i}" for i in range(6)]),
        sent_at=st.sampled_from([f"2026-11-28T12:00:0{i}+00:00" for i in range(6)]),
    ),
    max_size=6,
)


@given(NOTICES, NOTICES)
def test_a_merge_keeps_every_notice_of_either_side_once_oldest_first(ours_log, theirs_log):
    ours, theirs = AlertState(ops_sends=ours_log), AlertState(ops_sends=theirs_log)
    result = merged(ours, theirs, "s.json").ops_sends
    ids = [n["message_id"] for n in result]
    assert sorted(ids) == sorted({n["message_id"] for n in ours_log + theirs_log})
    assert [n["sent_at"] for n in result] == sorted(n["sent_at"] for n in result)
    assert result == [n for n in result if n in ours_log + theirs_log]


def test_a_report_notice_sent_is_logged_with_its_run_and_one_told_before_is_not_logged_again(tmp_path):
    store, sns = StateStore(str(tmp_path / "alert_state.json")), FakeSns()
    missing = Report("s3://r/2019/mar/final_report.csv", "missing", "2019-03", notice_key="2019-03")
    told = report_problem_notice(sns, OPS, store, report=missing, run_id=BY_HAND, dry_run=False)
    (logged,) = open_state(store.uri).state.ops_sends
    assert logged == {
        "run_id": BY_HAND,
        "sent_at": told["sent_at"],
        "topic": OPS.arn,
        "kind": "report missing",
        "message_id": "ops-1",
    }
    again = report_problem_notice(sns, OPS, store, report=missing, run_id="later", dry_run=False)
    assert again["action"] == "suppressed" and len(open_state(store.uri).state.ops_sends) == 1


def test_a_coverage_notice_sent_is_logged_and_one_not_sent_is_not(tmp_path):
    store, sns, now = StateStore(str(tmp_path / "alert_state.json")), FakeSns(), datetime.now(UTC)
    found = [Condition(UNHEARD, "streets:Pothole@2019-03", "streets: Pothole reaches nobody")]
    send_coverage_notice(sns, OPS, store, found, run_id=BY_HAND, dry_run=True, now=now)
    assert store.state.ops_sends == []
    record = send_coverage_notice(sns, OPS, store, found, run_id=BY_HAND, dry_run=False, now=now)
    (logged,) = open_state(store.uri).state.ops_sends
    assert (logged["run_id"], logged["kind"], logged["message_id"], logged["topic"]) == (
        BY_HAND,
        "coverage",
        "ops-1",
        OPS.arn,
    )
    assert logged["sent_at"] == record["sent_at"]
    send_coverage_notice(sns, OPS, store, found, run_id="later", dry_run=False, now=now)  # told before
    assert len(open_state(store.uri).state.ops_sends) == 1


def test_notices_outside_recorded_runs_are_listed_so_in_json_csv_the_table_and_the_site(tmp_path):
    state = AlertState(ops_sends=[notice("ops-0", run_id=RUN), notice("ops-hand")])
    (tmp_path / RUN).mkdir()
    (tmp_path / RUN / "manifest.json").write_text("{}")
    uri = str(tmp_path / "alert_state.json")
    (tmp_path / "alert_state.json").write_text(state.to_json())
    outside = load_outside(uri, str(tmp_path))
    assert [(n["message_id"], n["recorded"]) for n in outside.notices] == [("ops-hand", OUTSIDE)]

    data = json.loads(render([hand_built_run()], "json", outside=outside))
    (listed,) = data["ops_notices_outside_runs"]
    assert (listed["run_id"], listed["kind"], listed["message_id"], listed["recorded"]) == (
        BY_HAND,
        "report missing",
        "ops-hand",
        OUTSIDE,
    )
    per_notice = csv.DictReader(io.StringIO(render([hand_built_run()], "csv", "notice", outside=outside)))
    assert [(r["run_id"], r["status"], r["kind"], r["message_id"]) for r in per_notice][-1] == (
        BY_HAND,
        OUTSIDE,
        "report missing",
        "ops-hand",
    )
    per_run = csv.DictReader(io.StringIO(render([hand_built_run()], "csv", outside=outside)))
    assert [(r["status"], r["ops_message_ids"]) for r in per_run][-1] == (OUTSIDE, "ops-hand")
    table = render([hand_built_run()], "table", outside=outside)
    assert f"ops notices sent {OUTSIDE}" in table and "ops-hand" in table
    section = outside_section([], notices=outside.notices)
    assert f"Sent {OUTSIDE}" in section and "ops-hand" in section and "report missing" in section
    assert "ops-0" not in section


def test_a_state_without_notices_lists_none(tmp_path):
    assert Outside().notices == []
    assert "<em>none</em>" in outside_section([], notices=[])
