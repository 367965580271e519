"""A sync stopped while applying its plan: the summary, `audit` and the run page say its changes are
unknown (up to the plan), never that nothing changed; one refused by its removal guard changed nothing.
Built from hand-recorded facts ("planned" is a sync stopped past its guard, "refused" one stopped by it)."""

import csv
import io
import json

import pytest

from backlog_alerts.run.summary import summary_lines
from backlog_alerts.trail.audit import summary
from backlog_alerts.trail.audit_data import run_record
from backlog_alerts.trail.audit_formats import render
from backlog_alerts.trail.audit_rows import RUN_COLUMNS
from backlog_alerts.trail.recorded import SYNC, RecordedRun
from backlog_alerts.trail.run_page import run_page

PLAN = [
    {"department": "trash", "add": 1000, "remove": 3, "unchanged": 5, "pending": 0, "rejected_rows": 0},
    {"department": "streets", "add": 1000, "remove": 2, "unchanged": 5, "update": 1, "rejected_rows": 2},
]
APPLIED = [{**row, "pending": row["add"]} for row in PLAN]


def sync_facts(stage: str) -> dict:
    """Notebook 02's facts as recorded when it stopped at `stage` (or finished, for applied/dry run)."""
    facts: dict = {"run": {"dry_run": stage == "dry run"}, "contacts_file": {"uri": "contacts.csv"}}
    if stage in ("refused", "planned", "applied", "dry run"):
        facts["sync_plan"] = PLAN
    if stage in ("planned", "applied", "dry run"):  # past the removal guard
        facts["applying"] = {"dry_run": stage == "dry run"}
    if stage in ("applied", "dry run"):
        facts["sync_outcome"] = PLAN if stage == "dry run" else APPLIED
    return facts


def a_run(stage: str) -> dict:
    manifest = {
        "run_id": "20261129T204000.000000Z",
        "started_at": "2026-11-29T20:40:00+00:00",
        "status": "interrupted",
        "params_file": "params/local.yaml",
        "params_sha256": "a" * 64,
        "error": "KeyboardInterrupt",
        "notebooks": [],
    }
    return {"manifest": manifest, "notebooks": {SYNC: {"facts": sync_facts(stage)}}}


def subscriptions_line(stage: str) -> str:
    (line,) = [x for x in summary_lines("out", RecordedRun.of(a_run(stage))) if x.startswith("subscriptions")]
    return line


def test_a_sync_stopped_after_planning_says_its_changes_are_unknown_up_to_the_plan():
    line = subscriptions_line("planned")
    assert line.startswith("subscriptions: unknown") and "not changed" not in line and "0 added" not in line
    assert "up to 2000 adds, 5 removals and 1 filter updates may have been made" in line
    assert "the next run's plan compares the topics with the contacts file again" in line


@pytest.mark.parametrize(
    ("stage", "expected"),
    [
        ("checked", "subscriptions: not changed (the sync stopped before changing any; see its error)"),
        ("refused", "subscriptions: not changed (the sync stopped before changing any; see its error)"),
        ("applied", "subscriptions: 2000 added, 5 removed, 0 removals held, 1 filter updates"),
        ("dry run", "subscriptions: 2000 added, 5 removed"),
    ],
)
def test_a_sync_stopped_before_planning_changed_nothing_and_a_finished_one_counts(stage, expected):
    assert subscriptions_line(stage).startswith(expected)
    assert subscriptions_line(stage).endswith("(dry run: planned, not applied)") == (stage == "dry run")


def test_a_planned_dry_run_stopped_before_its_outcome_changed_nothing():
    run = a_run("planned")
    run["notebooks"][SYNC]["facts"]["run"]["dry_run"] = True
    assert RecordedRun.of(run).sync_status == "not changed"


def test_a_plan_with_nothing_to_change_changed_nothing_even_if_stopped():
    run = a_run("planned")
    run["notebooks"][SYNC]["facts"]["sync_plan"] = [{"department": "trash", "unchanged": 4, "pending": 1}]
    assert RecordedRun.of(run).sync_status == "not changed"


@pytest.mark.parametrize(
    ("stage", "status", "add", "planned_add"),
    [
        ("checked", "not changed", 0, None),
        ("planned", "unknown", None, 2000),
        ("applied", "applied", 2000, 2000),
    ],
)
def test_audit_json_gives_no_totals_for_unknown_changes_but_the_plan(stage, status, add, planned_add):
    (record,) = json.loads(render([a_run(stage)], "json"))["runs"]
    assert record["subscriptions_status"] == status
    assert (record["subscriptions"] or {}).get("add") == add
    assert (record["subscriptions_planned"] or {}).get("add") == planned_add
    if stage == "planned":
        assert record["subscriptions"] is None and record["subscriptions_planned"]["remove"] == 5


def test_audit_csv_leaves_unknown_totals_empty_and_gives_the_plan():
    rows = list(csv.DictReader(io.StringIO(render([a_run("planned"), a_run("applied")], "csv"))))
    assert tuple(rows[0]) == RUN_COLUMNS
    stopped, applied = rows
    assert (stopped["subs_status"], stopped["subs_add"], stopped["subs_planned_add"]) == (
        "unknown",
        "",
        "2000",
    )
    assert (applied["subs_status"], applied["subs_add"], applied["subs_planned_add"]) == (
        "applied",
        "2000",
        "2000",
    )


def test_audit_table_marks_unknown_totals_with_the_planned_bound():
    row = summary(a_run("planned"))
    assert (row["subs_added"], row["subs_removed"]) == ("unknown (up to 2000)", "unknown (up to 5)")
    assert "unknown (up to 2000)" in " ".join(render([a_run("planned")], "table").split())
    assert summary(a_run("checked"))["subs_added"] == 0


def test_run_page_says_the_changes_are_unknown_and_shows_the_plan():
    page = run_page(a_run("planned"), [])
    section = page.split("<h2>Subscription changes</h2>", 1)[1]
    assert "none recorded" not in section and "unknown (the sync stopped while applying its plan)" in section
    assert "up to 2000 adds, 5 removals and 1 filter updates" in section and "sync_plan" in section
    assert "none recorded" in run_page(a_run("checked"), []).split("<h2>Subscription changes</h2>", 1)[1]
    assert run_record(a_run("planned"))["subscriptions_status"] == "unknown"
