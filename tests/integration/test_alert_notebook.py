"""The alert notebook against a moto server, month by month, observed through SQS inboxes."""

import json
import re

import nbformat
import papermill
import pytest
from helpers import ROOT, clean_env, drain, papermill_by_hand, run_cli, subscribe_queue

from backlog_alerts.sync.topics import ensure_topics
from backlog_alerts.trail.executed import read_facts
from backlog_alerts.trail.facts import FACTS_MIME

pytestmark = pytest.mark.integration
DEPARTMENTS = {"trash": "Trash", "streets": "Streets"}


@pytest.fixture
def inboxes(sns, sqs):
    """A queue on each department topic and on the ops topic, as the directors' and engineer's inboxes."""
    topics = {t.department: t.arn for t in ensure_topics(sns, DEPARTMENTS, ops_topic="ops_alerts")}
    return {d: subscribe_queue(sqs, sns, arn, f"inbox-{d}") for d, arn in topics.items()}


@pytest.fixture
def check(tmp_path):
    """Run notebooks/03 on a report for a month (None: the month's report is missing)."""
    runs = iter(range(100))

    def run(month, counts, **params):
        uri = tmp_path / "reports" / "2019" / month / "final_report.csv"
        if counts is not None:
            uri.parent.mkdir(parents=True, exist_ok=True)
            uri.write_text("service_name,count\n" + "".join(f"{s},{c}\n" for s, c in counts.items()))
        output = tmp_path / f"check-{next(runs)}.ipynb"
        papermill_by_hand(
            str(ROOT / "notebooks" / "03_alert_check.ipynb"),
            str(output),
            parameters={
                "report_uri": str(uri),
                "state_uri": str(tmp_path / "state.json"),
                "ops_topic": "ops_alerts",
                "departments": DEPARTMENTS,
                **params,
            },
            cwd=str(ROOT / "notebooks"),
            progress_bar=False,
        )
        return read_facts(output)

    return run


def subjects(sqs, url):
    return [m["Subject"] for m in drain(sqs, url)]


def test_month_by_month_no_repeats_and_a_resolved_notice(sqs, inboxes, check):
    feb = {"Pothole": 163, "Illegal Dumping": 12}
    check("feb", feb)
    assert subjects(sqs, inboxes["streets"]) == ["[WARNING] Pothole backlog 163 > 100"]
    assert subjects(sqs, inboxes["trash"]) == []

    facts = check("feb", feb)  # a daily schedule on the same monthly report
    assert subjects(sqs, inboxes["streets"]) == []
    (pothole,) = [d for d in facts["decisions"] if d["rule"] == "potholes"]
    assert pothole["action"] == "suppressed" and pothole["note"].startswith("already sent ")

    check("mar", {"Pothole": 140, "Illegal Dumping": 12})  # a new period, still over
    assert subjects(sqs, inboxes["streets"]) == ["[WARNING] Pothole backlog 140 > 100"]

    facts = check("apr", {"Pothole": 90, "Illegal Dumping": 12}, notify_resolved=True)
    (resolved,) = drain(sqs, inboxes["streets"])
    assert resolved["Subject"] == "[RESOLVED] Pothole backlog 90, no longer > 100"
    assert "Back under threshold" in resolved["Message"]
    # What streets heard: March's warning (the period before), and April's resolved notice.
    assert {(row["period"], row["service"], row["tier"]) for row in facts["state"]} == {
        ("2019-03", "Pothole", "warning"),
        ("2019-04", "Pothole", "resolved"),
    }
    # The inboxes are queues, not people: ops heard that February's and March's alerts reached nobody,
    # each once (the daily re-run of February told nothing new).
    assert subjects(sqs, inboxes["ops"]) == ["[OPS] backlog-alerts: 1 alert(s) reach nobody"] * 2
    assert all(subjects(sqs, q) == [] for q in inboxes.values())


def test_every_fact_is_shown_once_where_it_is_recorded(inboxes, check, tmp_path):
    facts = check("feb", {"Pothole": 163, "Illegal Dumping": 47})
    notebook = nbformat.read(str(tmp_path / "check-0.ipynb"), as_version=4)
    outputs = [o for cell in notebook.cells for o in cell.get("outputs", [])]
    shown = [o for o in outputs if FACTS_MIME in o.get("data", {})]
    assert [o.data[FACTS_MIME]["key"] for o in shown if "text/html" in o.data] == list(facts)
    assert not [o for o in outputs if o.output_type == "execute_result"], "a fact shown a second time"
    (summary,) = [o.data["text/html"] for o in shown if o.data[FACTS_MIME]["key"] == "run_summary"]
    summary = re.sub(r"<[^>]+>", "", summary)  # as read: identifiers whole across their <wbr> breaks
    assert "streets_notifications" in summary and facts["alerts"][0]["message_id"] in summary


def test_missing_report_tells_ops_once_and_directors_nothing(sqs, inboxes, check):
    facts = check("mar", None, expected_period="2019-03")
    assert facts["report"]["status"] == "missing" and facts["decisions"] == []
    (notice,) = drain(sqs, inboxes["ops"])
    assert notice["Subject"] == "[OPS] backlog-alerts: report missing for 2019-03"
    assert (
        "2019/mar/final_report.csv" in notice["Message"] and "Directors were not alerted" in notice["Message"]
    )
    check("mar", None, expected_period="2019-03")
    assert all(subjects(sqs, q) == [] for q in inboxes.values()), "once per period"


def test_late_report_is_not_all_clear(sqs, inboxes, check):
    facts = check("feb", {"Pothole": 500, "Illegal Dumping": 500}, expected_period="2019-03")
    assert facts["report"]["status"] == "late"
    # The outage is March's report not having arrived: named by the period expected.
    assert subjects(sqs, inboxes["ops"]) == ["[OPS] backlog-alerts: report late for 2019-03"]
    assert subjects(sqs, inboxes["streets"]) == [] and subjects(sqs, inboxes["trash"]) == []


def test_mute_holds_back_and_records_why(sqs, inboxes, check):
    mutes = [{"department": "trash", "until": "2999-01-01", "reason": "new contractor"}]
    facts = check("feb", {"Pothole": 163, "Illegal Dumping": 47}, mutes=mutes)
    assert subjects(sqs, inboxes["trash"]) == []
    (delivered,) = drain(sqs, inboxes["streets"])
    assert delivered["Subject"] == "[WARNING] Pothole backlog 163 > 100"
    (dumping,) = [d for d in facts["decisions"] if d["rule"] == "illegal_dumping"]
    assert (dumping["action"], dumping["note"]) == ("muted", "muted until 2999-01-01: new contractor")
    # The trail pairs what was delivered with its topic and MessageId, and the summary says why not the rest.
    (published,) = facts["published"]
    assert (published["topic"], published["message_id"]) == ("streets_notifications", delivered["MessageId"])
    (message,) = facts["messages"]
    assert message["topic"] == "streets_notifications" and "\n\nReport: " in message["email"]
    rows = {r["rule"]: r for r in facts["run_summary"]["rules"]}
    assert rows["potholes"]["message_id"] == delivered["MessageId"]
    assert (rows["illegal_dumping"]["outcome"], rows["illegal_dumping"]["why"]) == (
        "held back: muted",
        "muted until 2999-01-01: new contractor",
    )
    assert "1 alert(s) held back: illegal_dumping (muted" in facts["run_summary"]["summary"]


def test_dry_run_shows_messages_sends_nothing_and_keeps_state(sqs, inboxes, check, tmp_path):
    facts = check("feb", {"Pothole": 163, "Illegal Dumping": 47}, dry_run=True)
    assert [m["subject"] for m in facts["messages"]] == [
        "[WARNING] Pothole backlog 163 > 100",
        "[WARNING] Illegal Dumping backlog 47 > 30",
    ]
    assert all(subjects(sqs, q) == [] for q in inboxes.values())
    assert {p["outcome"] for p in facts["published"]} == {"dry run: not published"}
    assert facts["run_summary"]["summary"].count("Dry run: nothing was published") == 1
    assert not (tmp_path / "state.json").exists()
    check("feb", {"Pothole": 163, "Illegal Dumping": 47})
    assert len(subjects(sqs, inboxes["streets"])) == 1, "a dry run must not count as sent"


def test_bad_rule_stops_before_anything_is_read_or_sent(sqs, inboxes, check):
    bad = [{"name": "p", "service_name": "Pothole", "department": "streets", "threshold": -5}]
    with pytest.raises(papermill.PapermillExecutionError) as caught:
        check("feb", {"Pothole": 163}, rules=bad)
    assert caught.value.ename == "RuleError" and "rule p, threshold: -5" in caught.value.evalue
    assert all(subjects(sqs, q) == [] for q in inboxes.values())


def test_a_send_from_a_bare_papermill_call_is_listed_by_audit_as_outside_a_recorded_run(
    sqs, inboxes, check, tmp_path
):
    trail = tmp_path / "out"
    recorded = "20000101T000000.000000Z"  # a run of the trail, with its folder and manifest
    (trail / recorded).mkdir(parents=True)
    manifest = {"run_id": recorded, "started_at": "2000-01-01T00:00:00+00:00", "status": "succeeded"}
    manifest |= {"params_file": "p.yaml", "params_sha256": "0" * 64, "notebooks": []}
    (trail / recorded / "manifest.json").write_text(json.dumps(manifest))
    check("feb", {"Pothole": 163, "Illegal Dumping": 12}, run_id=recorded)
    bare = check("mar", {"Pothole": 175, "Illegal Dumping": 90})["run"]["run_id"]  # makes its own run id
    assert len(drain(sqs, inboxes["streets"])) == 2

    state = str(tmp_path / "state.json")
    args = ["audit", "--output-dir", str(trail), "--state", state]
    data = json.loads(run_cli([*args, "--format", "json"], clean_env()).stdout)
    assert [r["run_id"] for r in data["runs"]] == [recorded]
    outside = data["sent_outside_runs"]
    assert {s["run_id"] for s in outside} == {bare} and len(outside) == 2  # streets and trash
    assert sorted(rule for s in outside for rule in s["rules"]) == ["illegal_dumping", "potholes"]
    table = run_cli(args, clean_env()).stdout
    assert "sent outside a recorded run" in table and bare in table
    missing = run_cli(
        ["audit", "--output-dir", str(trail), "--state", str(tmp_path / "nope.json")], clean_env()
    )
    assert missing.returncode == 2 and "no alert state at" in missing.stderr


def test_rules_over_months_rises_and_escalation_reach_each_inbox_as_the_months_go(sns, sqs, tmp_path, check):
    departments = {**DEPARTMENTS, "city_manager": "City Manager"}
    topics = {t.department: t.arn for t in ensure_topics(sns, departments, ops_topic="ops_alerts")}
    inbox = {d: subscribe_queue(sqs, sns, arn, f"months-{d}") for d, arn in topics.items()}
    rules = [
        {"name": "potholes", "service_name": "Pothole", "department": "streets", "threshold": 100,
         "for_periods": 2, "escalate_after": 3, "escalate_to": "city_manager"},
        {"name": "potholes_rising", "service_name": "Pothole", "department": "streets",
         "rise_over": 30, "min_rise": 20},
    ]  # fmt: skip
    said, rising = {}, {}
    for month, pothole in [("jan", 150), ("feb", 218), ("mar", 230), ("apr", 240), ("may", 90)]:
        facts = check(month, {"Pothole": pothole}, rules=rules, departments=departments)
        said[month] = {d: subjects(sqs, inbox[d]) for d in ("streets", "city_manager")}
        rising[month] = next(d for d in facts["decisions"] if d["rule"] == "potholes_rising")
    assert said["jan"] == {"streets": [], "city_manager": []}  # one month over, no month before: nothing
    assert rising["jan"]["explanation"] == "no count for 2018-12 to compare with"
    # one alert per service and topic in a period: the rise is outranked by the months over, and says why
    assert said["feb"]["streets"] == ["[WARNING] Pothole backlog 218, over 100 for 2 months"]
    assert (rising["feb"]["action"], rising["feb"]["explanation"]) == (
        "superseded",
        "up 45 % from January (150 -> 218)",
    )
    assert said["mar"] == {
        "streets": ["[WARNING] Pothole backlog 230, over 100 for 3 months"],
        "city_manager": [],
    }
    (escalated,) = said["apr"]["city_manager"]
    assert (
        escalated
        == "[WARNING] Pothole backlog 240, third month of alerts: escalated from Streets to the City Manager"
    )
    assert said["may"] == {"streets": [], "city_manager": []}
    check("apr", {"Pothole": 240}, rules=rules, departments=departments)  # April again, after May: stale
    assert {d: subjects(sqs, inbox[d]) for d in ("streets", "city_manager")} == {
        "streets": [],
        "city_manager": [],
    }
