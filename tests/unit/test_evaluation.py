"""Decisions: tiers, missing services, and the state transitions as a table of cases."""

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
    MuteError,
    evaluate,
    parse_mutes,
    plan_actions,
)
from backlog_alerts.alerting.rules import parse_rules
from backlog_alerts.alerting.state import AlertState, RuleState
from backlog_alerts.io.sources import SourceError

RULES = parse_rules(
    [
        *POTHOLE_TIERS,
        {"name": "dumping", "service_name": "Illegal Dumping", "department": "trash", "threshold": 30},
    ],
    ["streets", "trash"],
)
TODAY = date(2019, 3, 10)


def by_rule(decisions):
    return {d.rule: d for d in decisions}


def test_only_the_highest_tier_that_fires_is_sent():
    decisions = by_rule(evaluate(RULES, {"Pothole": 214, "Illegal Dumping": 3}, "r.csv", "error"))
    assert decisions["pothole_crit"].fired and decisions["pothole_crit"].action == QUIET
    assert (
        decisions["pothole_warn"].action == SUPERSEDED
        and "pothole_crit outranks it" in decisions["pothole_warn"].note
    )
    assert not decisions["dumping"].fired


@pytest.mark.parametrize(
    ("mode", "expected"),
    [("zero", (0, False, QUIET)), ("skip", (None, False, SKIPPED))],
)
def test_missing_service_modes(mode, expected):
    (decision,) = [d for d in evaluate(RULES, {"Pothole": 1}, "r.csv", mode) if d.rule == "dumping"]
    assert (decision.count, decision.fired, decision.action) == expected
    assert f"missing_service: {mode}" in decision.note, "the choice is shown"


def test_missing_service_error_names_service_report_and_near_miss():
    with pytest.raises(
        SourceError, match=r"r.csv: service 'Illegal Dumping' is not in the report \(did you mean"
    ):
        evaluate(RULES, {"Pothole": 1, "illegal dumping": 3}, "r.csv", "error")


def state_of(**rules):
    return AlertState(rules={name: RuleState(**value) for name, value in rules.items()})


FIRING_FEB = {"status": "firing", "report_key": "2019-02", "message_id": "m-1", "sent_at": "2019-02-03"}

# (case, state before, Pothole count, report period, notify_resolved, expected action of pothole_warn)
CASES = [
    ("ok -> firing publishes", {}, 150, "2019-02", False, PUBLISH),
    ("same report again is suppressed", {"pothole_warn": FIRING_FEB}, 150, "2019-02", False, SUPPRESSED),
    ("new period still over publishes again", {"pothole_warn": FIRING_FEB}, 150, "2019-03", False, PUBLISH),
    ("firing -> ok with notify_resolved", {"pothole_warn": FIRING_FEB}, 50, "2019-03", True, RESOLVED),
    ("firing -> ok without notify_resolved", {"pothole_warn": FIRING_FEB}, 50, "2019-03", False, CLEARED),
    ("ok stays ok quietly", {}, 50, "2019-03", True, QUIET),
    (
        "higher tier is superseding the warning",
        {"pothole_warn": FIRING_FEB},
        250,
        "2019-02",
        False,
        SUPERSEDED,
    ),
]


@pytest.mark.parametrize(
    ("case", "before", "count", "period", "notify", "expected"), CASES, ids=[c[0] for c in CASES]
)
def test_state_transitions(case, before, count, period, notify, expected):
    decisions = evaluate(RULES, {"Pothole": count, "Illegal Dumping": 0}, "r.csv", "error", period)
    planned = by_rule(plan_actions(decisions, state_of(**before), notify_resolved=notify, today=TODAY))
    assert planned["pothole_warn"].action == expected
    if expected == SUPPRESSED:
        assert planned["pothole_warn"].note == "already sent m-1 at 2019-02-03"
    if expected == SUPERSEDED:
        assert planned["pothole_crit"].action == PUBLISH, "a higher tier than last time publishes at once"


def test_mutes_hold_back_and_say_why_until_their_end_date():
    mutes = parse_mutes(
        [{"department": "streets", "until": "2019-03-31", "reason": "resurfacing contract"}],
        ["streets", "trash"],
        RULES,
    )
    decisions = evaluate(RULES, {"Pothole": 150, "Illegal Dumping": 40}, "r.csv", "error", "2019-03")
    held = by_rule(plan_actions(decisions, AlertState(), notify_resolved=False, mutes=mutes, today=TODAY))
    assert held["pothole_warn"].action == MUTED
    assert held["pothole_warn"].note == "muted until 2019-03-31: resurfacing contract"
    assert held["pothole_warn"].state_after == "ok", "a muted alert is not marked as sent"
    assert held["dumping"].action == PUBLISH
    later = by_rule(
        plan_actions(decisions, AlertState(), notify_resolved=False, mutes=mutes, today=date(2019, 4, 1))
    )
    assert later["pothole_warn"].action == PUBLISH


@pytest.mark.parametrize(
    ("mute", "expected"),
    [
        ({"department": "parks", "until": "2019-01-01", "reason": "x"}, "mute 1, department: 'parks'"),
        ({"rule": "nope", "until": "2019-01-01", "reason": "x"}, "mute 1, rule: 'nope'"),
        ({"rule": "dumping", "until": "soon", "reason": "x"}, "mute 1, until: 'soon'"),
        ({"rule": "dumping", "until": "2019-01-01"}, "mute 1, reason"),
        ({"rule": "dumping", "department": "trash", "until": "2019-01-01", "reason": "x"}, "exactly one"),
    ],
)
def test_bad_mutes_are_named(mute, expected):
    with pytest.raises(MuteError, match=expected):
        parse_mutes([mute], ["streets", "trash"], RULES)


def test_without_a_period_the_same_count_is_not_sent_again_whichever_file_it_came_from():
    """March's report copied to `latest.csv` (no period) once sent March's alerts a second time."""
    sent_for_march = state_of(pothole_warn={**FIRING_FEB, "report_key": "2019-03", "count": 150})
    unnamed = evaluate(RULES, {"Pothole": 150, "Illegal Dumping": 0}, "latest.csv", "error")
    planned = by_rule(plan_actions(unnamed, sent_for_march, notify_resolved=False, today=TODAY))
    assert planned["pothole_warn"].action == SUPPRESSED
    higher = evaluate(RULES, {"Pothole": 160, "Illegal Dumping": 0}, "latest.csv", "error")
    planned = by_rule(plan_actions(higher, sent_for_march, notify_resolved=False, today=TODAY))
    assert planned["pothole_warn"].action == PUBLISH, "without a period, a new count is news"


def test_a_tier_outranked_by_a_muted_tier_is_not_recorded_as_told():
    """Pothole over the critical threshold with the critical rule muted: streets hears nothing, so
    the warning must not be saved as sent 'as part of a higher tier' (a later warning would be held)."""
    from backlog_alerts.alerting.publish import settle

    mutes = parse_mutes(
        [{"rule": "pothole_crit", "until": "2019-03-31", "reason": "contractor"}], ["streets"], RULES
    )
    counts = {"Pothole": 214, "Illegal Dumping": 3}
    state = AlertState()
    planned = by_rule(
        plan_actions(
            evaluate(RULES, counts, "r.csv", "error", "2019-03"),
            state,
            notify_resolved=False,
            mutes=mutes,
            today=TODAY,
        )
    )
    assert (planned["pothole_crit"].action, planned["pothole_warn"].action) == (MUTED, SUPERSEDED)
    settle(state, list(planned.values()), sent={}, failed={}, run_id="r1")
    assert "pothole_warn" not in state.rules, "nobody was told: the warning stays as it was"

    told = AlertState(
        rules={"pothole_crit": RuleState(status="firing", report_key="2019-03", message_id="m1")}
    )
    planned = plan_actions(
        evaluate(RULES, counts, "r.csv", "error", "2019-03"), told, notify_resolved=False, today=TODAY
    )
    settle(told, planned, sent={}, failed={}, run_id="r2")
    assert told.rules["pothole_warn"].status == "firing", "covered by the critical alert sent before"
