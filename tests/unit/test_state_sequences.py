"""The alert state over sequences of runs: re-exports, repeats, periods out of order, outages.

Each step is one alert check as notebook 03 makes it (state loaded from its file, report read from a
file, checked against the state, notice or decisions, publish, state saved). SNS is replaced by a
recorder here: these tests are about what the state machine decides, over many sequences; the
emulator runs of the same classes are in tests/integration/test_messy_runs.py.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from helpers import POTHOLE_TIERS
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from backlog_alerts.alerting.evaluation import PUBLISH, SUPERSEDED, plan_actions
from backlog_alerts.alerting.evaluation import evaluate as evaluate_rules
from backlog_alerts.alerting.messages import DEFAULT_TEMPLATES
from backlog_alerts.alerting.publish import (
    against_state,
    build_messages,
    publish_and_record,
    report_problem_notice,
)
from backlog_alerts.alerting.report import load_report
from backlog_alerts.alerting.rules import parse_rules
from backlog_alerts.alerting.state import load_state
from backlog_alerts.sync.topics import Topic

DEPARTMENTS = {"streets": "Streets", "trash": "Trash"}
RULES = parse_rules(
    [
        *POTHOLE_TIERS,
        {"name": "dumping", "service_name": "Illegal Dumping", "department": "trash", "threshold": 30},
    ],
    DEPARTMENTS,
)
TOPICS = {
    d: Topic(d, f"{d}_notifications", f"arn:aws:sns:us-east-1:1:{d}_notifications") for d in DEPARTMENTS
}
OPS = Topic("ops", "ops", "arn:aws:sns:us-east-1:1:ops")
PERIODS = ("2019-01", "2019-02", "2019-03", "2019-04")


class RecordingSns:
    """Stands in for SNS's Publish only: what was published, to which topic, in which step."""

    def __init__(self) -> None:
        self.published: list[dict] = []
        self.ids = itertools.count(1)

    def publish(self, **call) -> dict:
        message_id = f"m-{next(self.ids)}"
        self.published.append({"id": message_id, **call})
        return {"MessageId": message_id}


@dataclass
class Step:
    status: str
    period: str
    notice_key: str
    published: list[dict] = field(default_factory=list)  # to department topics
    notices: list[dict] = field(default_factory=list)  # to the ops topic
    sent: set[str] = field(default_factory=set)  # rules whose alert went out in this step
    winners: set[str] = field(default_factory=set)  # rules whose tier wins on this report's counts


def write_report(path: Path, counts: dict[str, int], variant: int) -> None:
    """The same counts as a person's tools re-export them: row order, line ends, BOM, spacing."""
    rows = list(counts.items())
    if variant % 2:
        rows.reverse()
    newline = "\r\n" if variant % 3 == 1 else "\n"
    lines = ["service_name,count", *(f"{s}{' ' * (variant % 2)},{c}" for s, c in rows)]
    text = newline.join(lines) + newline
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(("\ufeff" if variant % 4 == 3 else "").encode() + text.encode())


def check(root: Path, sns: RecordingSns, uri: str, expected_period: str = "") -> Step:
    """One alert check, in the order notebook 03 makes its calls."""
    state_uri = str(root / "state.json")
    before = len(sns.published)
    state = load_state(state_uri)
    report = against_state(load_report(uri, expected_period=expected_period), state)
    decisions = []
    if report.status != "ok":
        report_problem_notice(
            sns, OPS, state, report=report, state_uri=state_uri, run_id="run", dry_run=False
        )
    else:
        decisions = plan_actions(
            evaluate_rules(RULES, report.counts, report.uri, "zero", report.period),
            state,
            notify_resolved=False,
            today=date(2019, 1, 1),
        )
    messages = build_messages(
        decisions, DEFAULT_TEMPLATES, DEPARTMENTS, report_uri=uri, period=report.period, run_id="run"
    )
    alerts = publish_and_record(
        sns, messages, decisions, TOPICS, state, state_uri=state_uri, report=report, run_id="run"
    )
    new = sns.published[before:]
    return Step(
        report.status,
        report.period,
        report.notice_key,
        [m for m in new if m["TopicArn"] != OPS.arn],
        [m for m in new if m["TopicArn"] == OPS.arn],
        {d.rule for d in alerts if d.action == PUBLISH and d.message_id},
        {d.rule for d in decisions if d.fired and d.action != SUPERSEDED},
    )


# --- examples -------------------------------------------------------------------------------------


def test_february_after_march_is_stale_alerts_nobody_and_march_is_not_sent_again(tmp_path):
    sns = RecordingSns()
    march, feb = tmp_path / "2019" / "03" / "r.csv", tmp_path / "2019" / "02" / "r.csv"
    write_report(march, {"Pothole": 150, "Illegal Dumping": 10}, 0)
    write_report(feb, {"Pothole": 250, "Illegal Dumping": 40}, 0)
    assert [m["Subject"] for m in check(tmp_path, sns, str(march)).published] == [
        "[WARNING] Pothole backlog 150 > 100"
    ]

    stale = check(tmp_path, sns, str(feb))
    assert (stale.status, stale.published) == ("stale", [])
    (notice,) = stale.notices
    assert notice["Subject"] == "[OPS] backlog-alerts: report stale for 2019-02"
    assert "covers 2019-02, but 2019-03 was already checked" in notice["Message"]
    assert check(tmp_path, sns, str(feb)).notices == [], "ops are told once per stale period"

    again = check(tmp_path, sns, str(march))
    assert (again.status, again.published) == ("ok", []), "February must not have reset March"


def test_a_periodless_re_export_does_not_page_again(tmp_path):
    sns = RecordingSns()
    path = tmp_path / "latest" / "final_report.csv"
    write_report(path, {"Pothole": 150, "Illegal Dumping": 40}, 0)
    assert len(check(tmp_path, sns, str(path)).published) == 2
    for variant in (1, 2, 3):  # reordered with spaces, CRLF, BOM
        write_report(path, {"Pothole": 150, "Illegal Dumping": 40}, variant)
        assert check(tmp_path, sns, str(path)).published == []
    write_report(path, {"Pothole": 151, "Illegal Dumping": 40}, 0)  # only the pothole count changed
    assert [m["Subject"] for m in check(tmp_path, sns, str(path)).published] == [
        "[WARNING] Pothole backlog 151 > 100"
    ]


def test_each_outage_of_a_periodless_report_reaches_ops_once(tmp_path):
    sns = RecordingSns()
    first, second = tmp_path / "latest" / "a.csv", tmp_path / "latest" / "b.csv"
    assert len(check(tmp_path, sns, str(first)).notices) == 1
    assert check(tmp_path, sns, str(first)).notices == []  # the same outage
    assert len(check(tmp_path, sns, str(second)).notices) == 1  # another file: another outage
    write_report(first, {"Pothole": 1, "Illegal Dumping": 1}, 0)
    assert check(tmp_path, sns, str(first)).status == "ok"  # the outage ends ...
    first.unlink()
    assert len(check(tmp_path, sns, str(first)).notices) == 1  # ... so the next one is told again


# --- properties -----------------------------------------------------------------------------------

counts_strategy = st.fixed_dictionaries(
    {"Pothole": st.integers(0, 300), "Illegal Dumping": st.integers(0, 60)}
)
period_event = st.tuples(
    st.sampled_from(["ok", "ok", "ok", "missing"]),
    st.sampled_from(PERIODS),
    st.integers(0, 11),  # the file's formatting
    st.sampled_from(["", "same", "later"]),  # expected_period: none, this one, or a later one (late)
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    per_period=st.fixed_dictionaries({p: counts_strategy for p in PERIODS}),
    events=st.lists(period_event, max_size=8),
)
def test_periods_alert_once_per_tier_never_stale_and_each_outage_reaches_ops_once(
    tmp_path_factory, per_period, events
):
    root = tmp_path_factory.mktemp("periods")
    sns = RecordingSns()
    checked: list[str] = []  # periods read ok and current, in order
    sent: set[tuple[str, str]] = set()
    told: set[tuple[str, str]] = set()
    for kind, period, variant, expect in events:
        expected = {"": "", "same": period, "later": max(period, "2019-03") if period < "2019-03" else ""}[
            expect
        ]
        path = (
            root
            / period.replace("-", "/")
            / ("final_report.csv" if kind == "ok" else "gone/final_report.csv")
        )
        if kind == "ok":
            write_report(path, per_period[period], variant)
        step = check(root, sns, str(path), expected)

        newest = max(checked, default="")
        if kind == "missing":
            assert step.status == "missing"
            outage = ("missing", expected or period)
        elif expected and period < expected:
            assert step.status == "late"
            outage = ("late", expected)
        elif newest and period < newest:
            assert step.status == "stale"
            outage = ("stale", period)
        else:
            assert step.status == "ok"
            outage = None
        if outage:
            assert step.published == [], "nobody but ops hears of a missing, late or stale report"
            assert len(step.notices) == (0 if outage in told else 1), f"each outage once: {outage}"
            told.add(outage)
            continue
        assert step.notices == []
        now = {(period, rule) for rule in step.sent}
        assert not now & sent, f"sent twice for one period and tier: {now & sent}"
        sent |= now
        # Nothing lost: every winning tier of a current period has been sent for it by now.
        assert {(period, rule) for rule in step.winners} <= sent
        checked.append(period)


periodless_event = st.tuples(
    st.sampled_from(["ok", "ok", "missing"]),
    st.sampled_from(["a.csv", "b.csv"]),
    st.integers(0, 2),  # which of three sets of counts
    st.integers(0, 11),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    counts=st.lists(counts_strategy, min_size=3, max_size=3), events=st.lists(periodless_event, max_size=8)
)
def test_without_periods_a_re_export_never_pages_and_each_outage_reaches_ops_once(
    tmp_path_factory, counts, events
):
    root = tmp_path_factory.mktemp("periodless")
    sns = RecordingSns()
    in_outage: set[str] = set()
    last_counts = None
    for kind, name, which, variant in events:
        path = root / "latest" / name
        if kind == "ok":
            write_report(path, counts[which], variant)
        elif path.exists():
            path.unlink()
        step = check(root, sns, str(path))
        if kind == "missing":
            assert (step.status, step.published) == ("missing", [])
            assert len(step.notices) == (0 if name in in_outage else 1)
            in_outage.add(name)
            continue
        in_outage.discard(name)
        if counts[which] == last_counts:
            assert step.published == [], "the same counts again, however exported, page nobody"
        last_counts = counts[which]
