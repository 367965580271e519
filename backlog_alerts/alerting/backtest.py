"""What-if over past reports: which alerts a rule set would have sent, period by period.

The replay uses the alert check's own code (evaluate, plan_actions, build_messages, mark_sent) on a
fresh in-memory state, so a backtest answers exactly as the scheduled job would have,
yet it never publishes and never touches the real alert state.
"""

from __future__ import annotations

import calendar
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from backlog_alerts.alerting.backlog import RequestSettings
from backlog_alerts.alerting.evaluation import Decision, decided_counts, evaluate, plan_actions
from backlog_alerts.alerting.messages import DEFAULT_TEMPLATES
from backlog_alerts.alerting.mutes import Mute
from backlog_alerts.alerting.period import decide_period
from backlog_alerts.alerting.publish import build_messages, mark_sent
from backlog_alerts.alerting.report import load_report
from backlog_alerts.alerting.rules import Rule
from backlog_alerts.io import storage
from backlog_alerts.io.sources import SourceError
from backlog_alerts.state.document import AlertState
from backlog_alerts.state.ledger import note_checked, record_counts
from backlog_alerts.sync.contacts import Contact
from backlog_alerts.sync.topics import topic_name

SENT = ("publish", "resolved")


@dataclass(frozen=True)
class PastReport:
    period: str
    uri: str


def list_reports(prefix: str, region: str | None = None) -> list[PastReport]:
    """Every CSV under `prefix` (s3://bucket/2019/ or a local folder), oldest period first."""
    reports: dict[str, PastReport] = {}
    for uri in storage.files_under(prefix, ".csv", region):
        period = decide_period(uri)
        if not period:
            raise SourceError(f"{uri}: no period in its name (e.g. 2019/feb/final_report.csv)")
        if period in reports:
            raise SourceError(f"{uri} and {reports[period].uri} both cover {period}")
        reports[period] = PastReport(period, uri)
    if not reports:
        raise SourceError(f"{prefix}: no reports (*.csv) found")
    return [reports[p] for p in sorted(reports)]


def _period_end(period: str) -> date:
    """Mute windows are judged on the last day of the replayed period."""
    year, month = map(int, period.split("-"))
    return date(year, month, calendar.monthrange(year, month)[1])


@dataclass
class Replay:
    """Per period and rule, what would have happened; and the messages, by period and department."""

    decisions: list[dict[str, Any]] = field(default_factory=list)
    messages: list[dict[str, str]] = field(default_factory=list)
    counts: dict[str, dict[str, int | None]] = field(default_factory=dict)  # period -> service -> count


def replay(
    reports: list[PastReport],
    rules: list[Rule],
    departments: Mapping[str, str],
    *,
    mutes: list[Mute] | None = None,
    notify_resolved: bool = False,
    missing_service: str = "error",
    service_column: str = "service_name",
    count_column: str = "count",
    requests: RequestSettings | None = None,
    region: str | None = None,
) -> Replay:
    """Run the alert check over each report in order, on a fresh state that only this replay sees."""
    state, result = AlertState(), Replay()
    topics = {d: topic_name(d) for d in departments}  # each department's topic, by name: never published to
    for past in reports:
        report = load_report(
            past.uri,
            region,
            period=past.period,
            service_column=service_column,
            count_column=count_column,
            requests=requests,
        )
        evaluated = evaluate(
            rules, report.counts, report.uri, missing_service, past.period, state.counts, departments
        )
        planned = plan_actions(
            evaluated,
            state,
            topics,
            notify_resolved=notify_resolved,
            mutes=mutes or [],
            today=_period_end(past.period),
        )
        messages = build_messages(
            planned,
            DEFAULT_TEMPLATES,
            departments,
            report_uri=report.uri,
            period=past.period,
            run_id="backtest",
        )
        for number, message in enumerate(messages, start=1):
            mark_sent(state, message, f"backtest-{past.period}-{number}", run_id="backtest")
            result.messages.append(
                {"period": past.period, "department": message.department, "severity": message.severity}
            )
        note_checked(state, past.period)
        record_counts(state, past.period, decided_counts(evaluated))
        result.decisions += [_row(past.period, d) for d in planned]
        result.counts[past.period] = {d.service_name: d.count for d in evaluated}
    return result


def _row(period: str, d: Decision) -> dict[str, Any]:
    return {
        "period": period,
        "rule": d.rule,
        "service_name": d.service_name,
        "department": d.department,
        "severity": d.severity,
        "count": d.count,
        "threshold": f"{d.comparison} {d.threshold}" if d.comparison else "",
        "action": d.action,
        "why": d.explanation,
    }


def action_table(result: Replay) -> dict[str, dict[str, str]]:
    """period -> rule -> action: the grid a director reads to see how often they would be paged."""
    grid: dict[str, dict[str, str]] = {}
    for row in result.decisions:
        grid.setdefault(row["period"], {})[row["rule"]] = row["action"]
    return grid


def messages_per_director(result: Replay, contacts: list[Contact]) -> list[dict[str, Any]]:
    """How many messages each director would have received (critical-only directors: critical only)."""
    per_department = Counter(m["department"] for m in result.messages)
    critical = Counter(m["department"] for m in result.messages if m["severity"] == "critical")
    return [
        {
            "name": c.name,
            "department": c.department,
            "alerts": c.alerts,
            "messages": critical[c.department] if c.alerts == "critical" else per_department[c.department],
        }
        for c in contacts
    ]


def plain_thresholds(rules: list[Rule]) -> list[Rule]:
    """The rules as plain thresholds (no months, rises or escalation): what they are weighed against.
    A rule on a rise alone has no plain form."""
    return [
        replace(r, for_periods=1, rise_over=None, min_rise=0, escalate_after=None, escalate_to=None)
        for r in rules
        if r.threshold is not None
    ]


def side_by_side(
    current: Replay, proposed: Replay, labels: tuple[str, str] = ("current", "proposed")
) -> list[dict[str, Any]]:
    """Per period, service and department: what the current and the proposed rules would have done."""

    def sent(result: Replay) -> dict[tuple[str, str, str], str]:
        cells: dict[tuple[str, str, str], str] = {}
        for row in result.decisions:
            key = (row["period"], row["service_name"], row["department"])
            if row["action"] in SENT:
                kind = row["severity"] if row["action"] == "publish" else "resolved"
                cells[key] = f"{kind} ({row['rule']})"
            elif cells.get(key, "quiet") == "quiet":  # a rule's cleared or muted says more than quiet
                cells[key] = row["action"]
        return cells

    now, then = sent(current), sent(proposed)
    return [
        {
            "period": period,
            "service_name": service,
            "department": department,
            labels[0]: now.get((period, service, department), "-"),
            labels[1]: then.get((period, service, department), "-"),
        }
        for period, service, department in sorted(set(now) | set(then))
    ]


def sends(cell: str) -> str:
    """What a side-by-side cell sends ("warning", "critical", "resolved"), "" for nothing: a cell that
    sends is `kind (rule)`, one that does not is an action (quiet, cleared, ...) or "-"."""
    return cell.split(" (")[0] if " (" in cell else ""


def backtest_lines(facts: Mapping[str, Any]) -> list[str]:
    """A few lines for the terminal, from what the executed backtest notebook recorded."""
    reports = facts.get("reports", [])
    lines = [f"backtest over {len(reports)} report(s): {', '.join(r['period'] for r in reports)}"]
    for name in ("backtest", "proposed_backtest"):
        rows = facts.get(name)
        if rows:
            sent = Counter(r["period"] for r in rows if r["action"] in SENT)
            label = "current rules" if name == "backtest" else "proposed rules"
            lines.append(f"{label}: rules sent in {len(sent)} period(s), {sum(sent.values())} rule alert(s)")
    if against := facts.get("against_plain_thresholds"):
        differ = [row for row in against if sends(row["plain thresholds"]) != sends(row["rules"])]
        lines.append(
            f"against plain thresholds: {len(differ)} of {len(against)} cells (period, service, topic) "
            "would have sent something else"
        )
    lines += [
        f"  {d['name']} ({d['department']}): {d['messages']} message(s)"
        for d in facts.get("messages_per_director", [])
    ]
    return lines
