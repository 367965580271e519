"""Decisions: tiers, mutes, missing services, and what a topic already heard, as tables of cases.

The properties over whole sequences of runs are in test_ledger_sequences.py.
"""

from datetime import date

import pytest
from helpers import POTHOLE_TIERS

from backlog_alerts.alerting.evaluation import (
    CLEARED,
    MUTED,
    PUBLISH,
    QUIET,
    RESOLVED,
    SKIPPED,
    SUPERSEDED,
    SUPPRESSED,
    evaluate,
    plan_actions,
)
from backlog_alerts.alerting.mutes import MuteError, parse_mutes
from backlog_alerts.alerting.rules import parse_rules
from backlog_alerts.io.sources import SourceError
from backlog_alerts.state.document import ANY_SERVICE, AlertState, Heard

DEPARTMENTS = ["streets", "trash"]
RULES = parse_rules(
    [
        *POTHOLE_TIERS,
        {"name": "dumping", "service_name": "Illegal Dumping", "department": "trash", "threshold": 30},
    ],
    DEPARTMENTS,
)
TOPICS = {"streets": "arn:streets", "trash": "arn:trash"}
TODAY = date(2019, 3, 10)


def by_rule(decisions):
    return {d.rule: d for d in decisions}


def heard(tier, period, service="Pothole", topic="arn:streets", message_id="m-1", **extra):
    return Heard(topic, service, tier, period, message_id=message_id, sent_at="2019-02-03", **extra)


def state_of(*entries, checked=()):
    return AlertState(heard=list(entries), checked=sorted(checked))


def plan(counts, state, period="2019-03", rules=RULES, notify=False, mutes=(), today=TODAY):
    decisions = evaluate(rules, {"Illegal Dumping": 0, **counts}, "r.csv", "error", period)
    return by_rule(plan_actions(decisions, state, TOPICS, notify_resolved=notify, mutes=mutes, today=today))


def test_only_the_highest_tier_that_fires_is_sent():
    planned = plan({"Pothole": 214}, AlertState())
    assert planned["pothole_crit"].action == PUBLISH
    assert (
        planned["pothole_warn"].action == SUPERSEDED
        and "pothole_crit outranks it" in planned["pothole_warn"].note
    )
    assert planned["dumping"].action == QUIET
    assert planned["pothole_crit"].topic == "arn:streets" and planned["pothole_crit"].period == "2019-03"


@pytest.mark.parametrize(
    ("mode", "expected"),
    [("zero", (0, False, QUIET)), ("skip", (None, False, SKIPPED))],
)
def test_missing_service_modes(mode, expected):
    decisions = evaluate(RULES, {"Pothole": 1}, "r.csv", mode)
    (decision,) = [
        d
        for d in plan_actions(decisions, AlertState(), TOPICS, notify_resolved=True, today=TODAY)
        if d.rule == "dumping"
    ]
    assert (decision.count, decision.fired, decision.action) == expected
    assert f"missing_service: {mode}" in decision.note, "the choice is shown"


def test_missing_service_error_names_service_report_and_near_miss():
    with pytest.raises(
        SourceError, match=r"r.csv: service 'Illegal Dumping' is not in the report \(did you mean"
    ):
        evaluate(RULES, {"Pothole": 1, "illegal dumping": 3}, "r.csv", "error")


# (case, heard before, checked periods, Pothole count, notify_resolved, expected action of pothole_warn)
CASES = [
    ("nothing heard -> publish", [], [], 150, False, PUBLISH),
    ("warning heard this period -> suppressed", [heard("warning", "2019-03")], [], 150, False, SUPPRESSED),
    (
        "heard last period only -> a new period publishes",
        [heard("warning", "2019-02")],
        ["2019-02"],
        150,
        False,
        PUBLISH,
    ),
    (
        "back under, heard last period, notify -> resolved",
        [heard("warning", "2019-02")],
        ["2019-02"],
        50,
        True,
        RESOLVED,
    ),
    (
        "back under, heard last period, no notify -> cleared",
        [heard("warning", "2019-02")],
        ["2019-02"],
        50,
        False,
        CLEARED,
    ),
    (
        "back under, resolved already told this period",
        [heard("warning", "2019-02"), heard("resolved", "2019-03")],
        ["2019-02"],
        50,
        True,
        SUPPRESSED,
    ),
    (
        "back under within the period that alerted -> nothing resolves",
        [heard("warning", "2019-03")],
        ["2019-02", "2019-03"],
        50,
        True,
        QUIET,
    ),
    ("never heard, under -> quiet", [], ["2019-02"], 50, True, QUIET),
    (
        "critical heard this period covers the warning",
        [heard("critical", "2019-03")],
        [],
        150,
        False,
        SUPPRESSED,
    ),
    (
        "another service heard says nothing of this one",
        [heard("warning", "2019-03", service="Graffiti")],
        [],
        150,
        False,
        PUBLISH,
    ),
    (
        "another topic heard says nothing of this one",
        [heard("warning", "2019-03", topic="arn:trash")],
        [],
        150,
        False,
        PUBLISH,
    ),
    (
        "a mark assumed for every service covers it",
        [heard("warning", "2019-03", service=ANY_SERVICE)],
        [],
        150,
        False,
        SUPPRESSED,
    ),
]


@pytest.mark.parametrize(
    ("case", "before", "checked", "count", "notify", "expected"), CASES, ids=[c[0] for c in CASES]
)
def test_what_the_topic_heard_decides(case, before, checked, count, notify, expected):
    planned = plan({"Pothole": count}, state_of(*before, checked=checked), notify=notify)
    assert planned["pothole_warn"].action == expected


def test_a_suppressed_alert_names_the_alert_already_heard():
    planned = plan({"Pothole": 150}, state_of(heard("warning", "2019-03", rule="old_name")))
    warn = planned["pothole_warn"]
    assert warn.note == "already sent m-1 at 2019-02-03 (warning, period 2019-03, rule old_name)"
    assert (warn.previous_message_id, warn.previous_sent_at, warn.heard_before) == (
        "m-1",
        "2019-02-03",
        "warning",
    )


def test_a_higher_tier_within_the_period_goes_out_at_once():
    planned = plan({"Pothole": 250}, state_of(heard("warning", "2019-03")))
    assert planned["pothole_crit"].action == PUBLISH
    assert planned["pothole_warn"].action == SUPERSEDED


def test_renaming_or_retuning_a_rule_sends_nothing_new():
    renamed = parse_rules(
        [
            {
                "name": "streets_potholes",
                "service_name": "Pothole",
                "department": "streets",
                "threshold": 120,
            },
            {"name": "dumping", "service_name": "Illegal Dumping", "department": "trash", "threshold": 30},
        ],
        DEPARTMENTS,
    )
    planned = plan(
        {"Pothole": 150}, state_of(heard("warning", "2019-03", rule="pothole_warn")), rules=renamed
    )
    assert planned["streets_potholes"].action == SUPPRESSED


def test_a_service_moved_to_another_department_is_news_to_that_topic():
    moved = parse_rules(
        [{"name": "pothole_warn", "service_name": "Pothole", "department": "trash", "threshold": 100}],
        DEPARTMENTS,
    )
    planned = plan({"Pothole": 150}, state_of(heard("warning", "2019-03")), rules=moved)
    assert planned["pothole_warn"].action == PUBLISH and planned["pothole_warn"].topic == "arn:trash"


def test_mutes_hold_back_and_say_why_until_their_end_date():
    mutes = parse_mutes(
        [{"department": "streets", "until": "2019-03-31", "reason": "resurfacing contract"}],
        DEPARTMENTS,
        RULES,
    )
    held = plan({"Pothole": 150, "Illegal Dumping": 40}, AlertState(), mutes=mutes)
    assert held["pothole_warn"].action == MUTED
    assert held["pothole_warn"].note == "muted until 2019-03-31: resurfacing contract"
    assert held["dumping"].action == PUBLISH
    later = plan({"Pothole": 150}, AlertState(), mutes=mutes, today=date(2019, 4, 1))
    assert later["pothole_warn"].action == PUBLISH


def test_muting_the_critical_tier_lets_the_warning_through():
    mutes = parse_mutes(
        [{"rule": "pothole_crit", "until": "2019-03-31", "reason": "contractor"}], DEPARTMENTS, RULES
    )
    planned = plan({"Pothole": 214}, AlertState(), mutes=mutes)
    assert (planned["pothole_crit"].action, planned["pothole_warn"].action) == (MUTED, PUBLISH)
    after = plan({"Pothole": 214}, state_of(heard("warning", "2019-03")), mutes=mutes, today=date(2019, 4, 1))
    assert after["pothole_crit"].action == PUBLISH, "the critical tier goes out once its mute ends"


def test_a_department_mute_of_one_severity_silences_only_that_severity():
    mutes = parse_mutes(
        [{"department": "streets", "severity": "critical", "until": "2019-03-31", "reason": "x"}],
        DEPARTMENTS,
        RULES,
    )
    planned = plan({"Pothole": 214}, AlertState(), mutes=mutes)
    assert (planned["pothole_crit"].action, planned["pothole_warn"].action) == (MUTED, PUBLISH)


@pytest.mark.parametrize(
    ("mute", "expected"),
    [
        ({"department": "parks", "until": "2019-01-01", "reason": "x"}, "mute 1, department: 'parks'"),
        ({"rule": "nope", "until": "2019-01-01", "reason": "x"}, "mute 1, rule: 'nope'"),
        ({"rule": "dumping", "until": "soon", "reason": "x"}, "mute 1, until: 'soon'"),
        ({"rule": "dumping", "until": "2019-01-01"}, "mute 1, reason"),
        ({"rule": "dumping", "department": "trash", "until": "2019-01-01", "reason": "x"}, "exactly one"),
        (
            {"rule": "dumping", "severity": "critical", "until": "2019-01-01", "reason": "x"},
            "mute 1, severity",
        ),
        (
            {"department": "trash", "severity": "urgent", "until": "2019-01-01", "reason": "x"},
            "mute 1, severity",
        ),
        ("trash", "mute 1: must be a mapping"),
    ],
)
def test_bad_mutes_are_named(mute, expected):
    with pytest.raises(MuteError, match=expected):
        parse_mutes([mute], DEPARTMENTS, RULES)


def test_without_a_period_the_same_count_is_not_sent_again_and_a_new_count_is_news():
    sent = state_of(heard("warning", "count:150"))
    assert plan({"Pothole": 150}, sent, period="")["pothole_warn"].action == SUPPRESSED
    assert plan({"Pothole": 160}, sent, period="")["pothole_warn"].action == PUBLISH


def test_a_report_without_a_period_says_nothing_of_a_dated_period_and_the_reverse():
    assert (
        plan({"Pothole": 150}, state_of(heard("warning", "2019-03")), period="")["pothole_warn"].action
        == PUBLISH
    )
    assert plan({"Pothole": 150}, state_of(heard("warning", "count:150")))["pothole_warn"].action == PUBLISH
    undated_back_under = plan(
        {"Pothole": 50}, state_of(heard("warning", "count:150")), period="", notify=True
    )
    assert undated_back_under["pothole_warn"].action == QUIET, "resolved notices are for dated periods"


def test_a_resolved_notice_names_the_lowest_threshold_and_a_mute_holds_it():
    planned = plan({"Pothole": 50}, state_of(heard("critical", "2019-02"), checked=["2019-02"]), notify=True)
    assert planned["pothole_warn"].action == RESOLVED and planned["pothole_crit"].action == QUIET
    assert "critical alert of 2019-02" in planned["pothole_warn"].note
    mutes = parse_mutes([{"department": "streets", "until": "2019-03-31", "reason": "x"}], DEPARTMENTS, RULES)
    muted = plan(
        {"Pothole": 50}, state_of(heard("critical", "2019-02"), checked=["2019-02"]), notify=True, mutes=mutes
    )
    assert muted["pothole_warn"].action == MUTED


def test_an_assumed_mark_never_makes_a_resolved_notice():
    assumed = heard("critical", "2019-02", service=ANY_SERVICE)
    assert (
        plan({"Pothole": 50}, state_of(assumed, checked=["2019-02"]), notify=True)["pothole_warn"].action
        == QUIET
    )


def test_an_alert_a_mute_named_until_a_date_now_past_says_the_mute_has_ended():
    mutes = parse_mutes(
        [{"rule": "dumping", "until": "2019-03-01", "reason": "new contractor"}], DEPARTMENTS, RULES
    )
    planned = plan({"Pothole": 50, "Illegal Dumping": 40}, AlertState(), mutes=mutes)
    assert planned["dumping"].action == PUBLISH
    assert planned["dumping"].note == "the mute until 2019-03-01 (new contractor) has ended"
    assert planned["pothole_warn"].note == ""


def test_a_resolved_notice_is_told_by_a_rule_with_a_line_not_by_a_rise_alone():
    """A rise rule has no threshold (0 in its decision): it must not pass for the lowest line, or the
    director of a backlog back under 100 reads "no longer alerting: down from April (240 -> 90)"."""
    rules = parse_rules(
        [
            {"name": "potholes", "service_name": "Pothole", "department": "streets", "threshold": 100},
            {"name": "rising", "service_name": "Pothole", "department": "streets", "rise_over": 30},
        ],
        DEPARTMENTS,
    )
    state = state_of(heard("warning", "2019-04"), checked=["2019-04"])
    state.counts = {"2019-04": {"Pothole": 240}}
    evaluated = evaluate(rules, {"Pothole": 90}, "r.csv", "error", "2019-05", state.counts)
    planned = by_rule(plan_actions(evaluated, state, TOPICS, notify_resolved=True, today=TODAY))
    assert (planned["potholes"].action, planned["rising"].action) == (RESOLVED, QUIET)
    alone = parse_rules([rules[1].__dict__ | {"name": "alone"}], DEPARTMENTS)
    evaluated = evaluate(alone, {"Pothole": 90}, "r.csv", "error", "2019-05", state.counts)
    assert plan_actions(evaluated, state, TOPICS, notify_resolved=True, today=TODAY)[0].action == RESOLVED


def test_a_mute_may_name_an_escalation_alone_and_holds_nothing_else():
    """Escalations show as rules (`potholes -> city_manager`) in every decision, so a mute may name one."""
    departments = ["streets", "city_manager"]
    rules = parse_rules(
        [
            {"name": "potholes", "service_name": "Pothole", "department": "streets", "threshold": 100}
            | {"escalate_after": 1, "escalate_to": "city_manager"}
        ],
        departments,
    )
    mutes = parse_mutes(
        [{"rule": "potholes -> city_manager", "until": "2019-03-31", "reason": "away"}], departments, rules
    )
    topics = {"streets": "arn:streets", "city_manager": "arn:cm"}
    evaluated = evaluate(rules, {"Pothole": 150}, "r.csv", "error", "2019-03", {}, {})
    planned = by_rule(
        plan_actions(evaluated, AlertState(), topics, notify_resolved=False, mutes=mutes, today=TODAY)
    )
    assert (planned["potholes"].action, planned["potholes -> city_manager"].action) == (PUBLISH, MUTED)
    with pytest.raises(MuteError, match="'potholes -> trash' is not a rule name"):
        parse_mutes([{"rule": "potholes -> trash", "until": "2019-03-31", "reason": "x"}], departments, rules)
