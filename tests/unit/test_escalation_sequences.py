"""Rules over months, on rises and escalating, through the alert check's own planning and ledger, month
after month: what each topic hears, and that a re-run of a month sends nothing new."""

from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from backlog_alerts.alerting.evaluation import evaluate, plan_actions
from backlog_alerts.alerting.messages import DEFAULT_TEMPLATES
from backlog_alerts.alerting.publish import build_messages, mark_sent
from backlog_alerts.alerting.rules import parse_rules
from backlog_alerts.state.document import AlertState
from backlog_alerts.state.ledger import note_checked, record_counts

DEPARTMENTS = {"trash": "Trash", "streets": "Streets", "city_manager": "City Manager"}
TOPICS = {d: f"arn:aws:sns:us-east-1:000000000000:{d}_notifications" for d in DEPARTMENTS}
RULES = parse_rules(
    [
        {
            "name": "potholes",
            "service_name": "Pothole",
            "department": "streets",
            "threshold": 100,
            "for_periods": 2,
            "escalate_after": 3,
            "escalate_to": "city_manager",
        },
        {
            "name": "potholes_rising",
            "service_name": "Pothole",
            "department": "trash",
            "rise_over": 30,
            "min_rise": 20,
        },
    ],
    DEPARTMENTS,
)


def month(n: int) -> str:
    return f"{2019 + n // 12}-{n % 12 + 1:02d}"


def check(state: AlertState, period: str, pothole: int) -> dict[str, list[str]]:
    """One run of the alert check on a report of `period`: the messages each department's topic got."""
    counts = {"Pothole": pothole}
    decided = evaluate(RULES, counts, "r.csv", "error", period, state.counts, DEPARTMENTS)
    planned = plan_actions(decided, state, TOPICS, notify_resolved=False, today=date(2030, 1, 1))
    messages = build_messages(
        planned, DEFAULT_TEMPLATES, DEPARTMENTS, report_uri="r.csv", period=period, run_id="t"
    )
    heard: dict[str, list[str]] = {}
    for number, message in enumerate(messages):
        mark_sent(state, message, f"{period}-{number}", run_id="t")
        heard.setdefault(message.department, []).append(message.email)
    note_checked(state, period)
    record_counts(state, period, counts)
    return heard


def test_the_issues_rules_over_five_months():
    state = AlertState()
    heard = [check(state, month(n), count) for n, count in enumerate([150, 218, 230, 240, 90])]
    assert "streets" not in heard[0]  # one month over: not yet
    assert "over 100 for 2 months" in heard[1]["streets"][0]
    assert "up 45 % from January (150 -> 218)" in heard[1]["trash"][0]
    assert "city_manager" not in heard[2]
    assert (
        "third month of alerts: escalated from Streets to the City Manager (alerting since February 2019)"
        in (heard[3]["city_manager"][0])
    )
    assert heard[4] == {}  # cleared: nobody hears, the escalation stops with the rule
    assert check(state, month(3), 240) == {}  # April again: every topic heard April already


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 300), min_size=1, max_size=10))
def test_escalation_reaches_the_city_manager_once_per_period_after_three_months_of_alerts(counts):
    state = AlertState()
    over = [c > 100 for c in counts]
    for n, count in enumerate(counts):
        heard = check(state, month(n), count)
        fired = [
            n >= i and all(over[i - 1 : i + 1]) for i in range(n + 1)
        ]  # over this month and the one before
        streak = 0
        for i in range(n, -1, -1):
            if not (i >= 1 and over[i] and over[i - 1]):
                break
            streak += 1
        assert ("streets" in heard) == (fired[n] and n >= 1), (n, counts)
        assert len(heard.get("city_manager", [])) == (1 if streak >= 3 else 0), (n, counts)
        assert check(state, month(n), count) == {}  # re-run: nothing twice
        rose = n >= 1 and count - counts[n - 1] >= 20 and (count - counts[n - 1]) * 100 > 30 * counts[n - 1]
        assert ("trash" in heard) == rose, (n, counts)


def test_an_outranked_rule_of_the_same_service_and_topic_gives_its_reason_in_the_email():
    rules = parse_rules(
        [
            {"name": "potholes", "service_name": "Pothole", "department": "streets", "threshold": 100},
            {"name": "rising", "service_name": "Pothole", "department": "streets", "rise_over": 30},
        ],
        DEPARTMENTS,
    )
    state = AlertState()
    record_counts(state, "2019-01", {"Pothole": 150})
    decided = evaluate(rules, {"Pothole": 218}, "r.csv", "error", "2019-02", state.counts, DEPARTMENTS)
    planned = plan_actions(decided, state, TOPICS, notify_resolved=False, today=date(2030, 1, 1))
    assert [d.action for d in planned] == ["publish", "superseded"]
    (message,) = build_messages(
        planned, DEFAULT_TEMPLATES, DEPARTMENTS, report_uri="r", period="2019-02", run_id="t"
    )
    assert "- Pothole: 218 open requests, threshold > 100 (over by 118, warning)\n" in message.email
    assert "  also: up 45 % from January (150 -> 218) (rule rising)\n" in message.email
    assert message.subject == "[WARNING] Pothole backlog 218 > 100"  # one alert: the Subject is the winner's


def test_a_chain_broken_by_a_missing_month_while_still_over_the_line_resolves_nothing():
    rules = parse_rules(
        [
            {
                "name": "potholes",
                "service_name": "Pothole",
                "department": "streets",
                "threshold": 100,
                "for_periods": 2,
            }
        ],
        DEPARTMENTS,
    )

    def check_month(state, period, pothole):
        decided = evaluate(rules, {"Pothole": pothole}, "r.csv", "error", period, state.counts, DEPARTMENTS)
        planned = plan_actions(decided, state, TOPICS, notify_resolved=True, today=date(2030, 1, 1))
        messages = build_messages(
            planned, DEFAULT_TEMPLATES, DEPARTMENTS, report_uri="r", period=period, run_id="t"
        )
        for number, message in enumerate(messages):
            mark_sent(state, message, f"{period}-{number}", run_id="t")
        note_checked(state, period)
        record_counts(state, period, {"Pothole": pothole})
        return planned[0], [m.severity for m in messages]

    state = AlertState()
    check_month(state, "2019-01", 150)
    assert check_month(state, "2019-02", 160)[1] == ["warning"]
    # no report for March: April is over the line, but its chain starts again; nothing is back under it
    april, sent = check_month(state, "2019-04", 170)
    assert (april.action, sent) == ("quiet", [])
    assert "no report for 2019-03" in april.explanation
    # May is under the line, but resolved is judged against the month checked just before (April heard
    # nothing): no notice then either, rather than a "back under threshold" while the count was 170
    may, sent = check_month(state, "2019-05", 90)
    assert sent == [] and may.action == "quiet"
