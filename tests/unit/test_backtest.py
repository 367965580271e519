"""The backtest: past reports replayed through the alert check's own code, never publishing."""

from __future__ import annotations

import pytest
from helpers import HISTORY_MONTHS, POTHOLE_RULE

from backlog_alerts.alerting.backtest import (
    action_table,
    list_reports,
    messages_per_director,
    plain_thresholds,
    replay,
    side_by_side,
)
from backlog_alerts.alerting.rules import parse_rules
from backlog_alerts.io.sources import SourceError
from backlog_alerts.sync.contacts import Contact

DEPARTMENTS = {"streets": "Streets", "trash": "Trash"}
# The `history` fixture (tests/conftest.py) holds five monthly reports with the Pothole and Illegal
# Dumping counts of helpers.HISTORY_MONTHS; the expectations below follow from these numbers.


def rules(*specs):
    return parse_rules(list(specs), DEPARTMENTS)


WARN = POTHOLE_RULE
CRIT = {**WARN, "name": "potholes_crit", "threshold": 200, "severity": "critical"}
DUMP = {"name": "dumping", "service_name": "Illegal Dumping", "department": "trash", "threshold": 30}


def test_reports_are_found_and_ordered_by_the_period_in_their_key(history):
    assert [r.period for r in list_reports(str(history))] == [
        "2019-01",
        "2019-02",
        "2019-03",
        "2019-04",
        "2019-05",
    ]


def test_a_report_without_a_period_or_two_for_one_period_is_refused(history):
    (history / "notes.csv").write_text("service_name,count\n")
    with pytest.raises(SourceError, match="notes.csv: no period in its name"):
        list_reports(str(history))
    (history / "notes.csv").unlink()
    (history / "feb" / "final_report_v2.csv").write_text("service_name,count\nPothole,1\n")
    with pytest.raises(SourceError, match="both cover 2019-02"):
        list_reports(str(history))


def test_each_period_is_a_new_report_so_a_rule_above_its_threshold_sends_every_month(history):
    result = replay(list_reports(str(history)), rules(WARN, CRIT, DUMP), DEPARTMENTS)
    grid = action_table(result)
    expected_warn = {
        "2019-01": "quiet",
        "2019-02": "publish",
        "2019-03": "publish",
        "2019-04": "superseded",
        "2019-05": "cleared",  # back under every threshold: told by the lowest
    }
    assert {p: row["potholes"] for p, row in grid.items()} == expected_warn
    assert grid["2019-04"]["potholes_crit"] == "publish"  # 214 > 200: the critical tier wins that month
    expected_dump = {
        p: "publish" if d > 30 else ("quiet" if p == "2019-01" else "cleared")
        for p, (_, d) in zip(grid, HISTORY_MONTHS.values(), strict=True)
    }
    assert {p: row["dumping"] for p, row in grid.items()} == expected_dump
    assert result.counts["2019-04"] == {"Pothole": 214, "Illegal Dumping": 52}


def test_directors_count_their_departments_messages_and_critical_only_ones_only_critical(history):
    result = replay(list_reports(str(history)), rules(WARN, CRIT, DUMP), DEPARTMENTS)
    contacts = [
        Contact(2, "Priya", "p@x.gov", "", "streets"),
        Contact(3, "Tom", "t@x.gov", "", "streets", alerts="critical"),
        Contact(4, "Dana", "d@x.gov", "", "trash"),
    ]
    counts = {row["name"]: row["messages"] for row in messages_per_director(result, contacts)}
    # streets: warnings in feb and mar, critical in apr; trash: feb, apr, may above 30.
    assert counts == {"Priya": 3, "Tom": 1, "Dana": 3}


def test_side_by_side_shows_what_a_higher_threshold_would_have_spared(history):
    reports = list_reports(str(history))
    current = replay(reports, rules(WARN), DEPARTMENTS)
    proposed = replay(reports, rules({**WARN, "name": "potholes_150", "threshold": 150}), DEPARTMENTS)
    cells = {row["period"]: (row["current"], row["proposed"]) for row in side_by_side(current, proposed)}
    assert cells["2019-02"] == ("warning (potholes)", "warning (potholes_150)")  # 163
    assert cells["2019-05"] == ("cleared", "cleared")  # 96: under both
    assert cells["2019-01"] == ("quiet", "quiet")


def test_rules_over_months_rises_and_escalation_are_shown_beside_their_plain_thresholds(history):
    departments = {**DEPARTMENTS, "city_manager": "City Manager"}
    damped = {**WARN, "for_periods": 2, "escalate_after": 2, "escalate_to": "city_manager"}
    rising = {"name": "rising", "service_name": "Illegal Dumping", "department": "trash", "rise_over": 50}
    current = parse_rules([damped, rising], departments)
    assert [r.name for r in plain_thresholds(current)] == ["potholes"]  # a rise alone has no plain form
    reports = list_reports(str(history))
    plain = replay(reports, plain_thresholds(current), departments)
    months = replay(reports, current, departments)
    cells = {
        (row["period"], row["department"]): (row["plain thresholds"], row["rules"])
        for row in side_by_side(plain, months, labels=("plain thresholds", "rules"))
    }
    # Pothole 88, 163, 171, 214, 96: over from February; the damped rule hears March first
    assert cells["2019-02", "streets"] == ("warning (potholes)", "quiet")
    assert cells["2019-03", "streets"] == ("warning (potholes)", "warning (potholes)")
    assert cells["2019-04", "city_manager"] == (
        "-",
        "warning (potholes -> city_manager)",
    )  # 2nd month of alerts
    assert cells.get(("2019-03", "city_manager"), ("-", "quiet")) == ("-", "quiet")  # 1st month of alerts
    # Illegal Dumping 25, 47, 29, 52, 41: up 88 % in February and 79 % in April
    sent = {
        row["period"] for row in months.decisions if row["rule"] == "rising" and row["action"] == "publish"
    }
    assert sent == {"2019-02", "2019-04"}
    (why,) = [
        row["why"] for row in months.decisions if row["rule"] == "rising" and row["period"] == "2019-02"
    ]
    assert why == "up 88 % from January (25 -> 47)"


def test_mutes_are_judged_on_the_replayed_period(history):
    from backlog_alerts.alerting.mutes import parse_mutes

    current = rules(WARN)
    mutes = parse_mutes(
        [{"rule": "potholes", "until": "2019-02-28", "reason": "new crew"}], DEPARTMENTS, current
    )
    grid = action_table(replay(list_reports(str(history)), current, DEPARTMENTS, mutes=mutes))
    assert (grid["2019-02"]["potholes"], grid["2019-03"]["potholes"]) == ("muted", "publish")


def test_cells_differ_only_where_something_else_would_have_been_sent():
    """A department no plain rule writes to ("-") against a quiet escalation, or quiet against cleared,
    sends nothing either way: not a difference a director would notice."""
    from backlog_alerts.alerting.backtest import Replay, backtest_lines

    def rows(*actions):
        return [
            {"period": "2019-05", "service_name": "Pothole", "department": d, "rule": r, "action": a}
            | {"severity": "warning"}
            for d, r, a in actions
        ]

    plain = Replay(decisions=rows(("streets", "potholes", "cleared")))
    months = Replay(
        decisions=rows(
            ("streets", "potholes", "quiet"),
            ("streets", "rising", "cleared"),
            ("city_manager", "potholes -> city_manager", "quiet"),
        )
    )
    against = side_by_side(plain, months, labels=("plain thresholds", "rules"))
    assert [(r["department"], r["plain thresholds"], r["rules"]) for r in against] == [
        ("city_manager", "-", "quiet"),
        ("streets", "cleared", "cleared"),
    ]
    sent = Replay(decisions=rows(("city_manager", "potholes -> city_manager", "publish")))
    against += side_by_side(Replay(), sent, labels=("plain thresholds", "rules"))
    assert (
        "against plain thresholds: 1 of 3 cells (period, service, topic) would have sent something else"
        in (backtest_lines({"against_plain_thresholds": against}))
    )


def test_a_service_counted_as_0_is_0_in_the_history_a_rise_compares_with(tmp_path):
    """`missing_service: zero`: the month the rules saw 0 is a month of 0, not a month with no count,
    for the next month's rise ("up from 0"), in the replay as in the alert state and its trail."""
    from backlog_alerts.alerting.report import watched_counts

    for month, rows in (("jan", "Graffiti,3\n"), ("feb", "Pothole,50\n")):
        (tmp_path / "2019" / month).mkdir(parents=True)
        (tmp_path / "2019" / month / "report.csv").write_text(f"service_name,count\n{rows}")
    rising = rules({"name": "rising", "service_name": "Pothole", "department": "streets", "rise_over": 30})
    result = replay(list_reports(str(tmp_path)), rising, DEPARTMENTS, missing_service="zero")
    assert [(r["period"], r["action"], r["why"]) for r in result.decisions] == [
        ("2019-01", "quiet", "no count for 2018-12 to compare with"),
        ("2019-02", "publish", "up from 0 in January (0 -> 50)"),
    ]
    assert watched_counts({"Graffiti": 3}, rising, "zero") == [{"service_name": "Pothole", "count": 0}]
    assert watched_counts({"Graffiti": 3}, rising, "skip") == []
