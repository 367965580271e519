"""Rules over the counts history: held for N months, risen since the month before, escalated after N
firing months; examples of each kind, and properties over random monthly counts with gaps."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from backlog_alerts.alerting.rules import parse_rules
from backlog_alerts.alerting.streaks import condition, month_before, ordinal, verdict

DEPARTMENTS = {"trash": "Trash", "streets": "Streets", "city_manager": "City Manager"}
POTHOLES = {"name": "potholes", "service_name": "Pothole", "department": "streets", "threshold": 100}
RISING = {"name": "rising", "service_name": "Pothole", "department": "streets", "rise_over": 30}


def rule(**keys):
    (parsed,) = parse_rules([keys], DEPARTMENTS)
    return parsed


def history(*counts, start="2019-01"):
    """Consecutive months from `start`, one count each (None: no report that month)."""
    months = [month_before(start, -i) for i in range(len(counts))]
    return {m: {"Pothole": c} for m, c in zip(months, counts, strict=True) if c is not None}


def decide(the_rule, period, past):
    return verdict(the_rule, period, past, DEPARTMENTS)


def test_months_and_ordinals():
    assert [month_before("2019-01"), month_before("2019-03", 2), month_before("2019-12", -1)] == [
        "2018-12",
        "2019-01",
        "2020-01",
    ]
    assert [ordinal(n) for n in (1, 3, 12, 13, 21, 22, 23, 111, 112)] == [
        *["first", "third", "twelfth", "13th", "21st", "22nd", "23rd", "111th", "112th"]
    ]


def test_a_plain_rule_is_todays_rule_on_its_one_count():
    past = history(150, 90, 101)
    assert [decide(rule(**POTHOLES), p, past).fired for p in past] == [True, False, True]
    assert decide(rule(**POTHOLES), "2019-03", past).explanation == "over 100"
    at_least = decide(rule(**POTHOLES, at_least=True), "2019-01", history(100))
    assert at_least.fired and at_least.explanation == "at least 100"


def test_a_damped_rule_fires_after_n_months_over_and_says_for_how_long():
    damped = rule(**POTHOLES, for_periods=2)
    past = history(150, 218, 90, 120)
    first, second, under, again = (decide(damped, p, past) for p in past)
    assert (first.fired, first.held_for) == (False, 1)
    assert first.explanation == "over 100 for 1 month of the 2 needed; no report for 2018-12 or before"
    assert (second.fired, second.held_for, second.streak, second.since) == (True, 2, 1, "2019-02")
    assert second.explanation == "over 100 for 2 months"
    assert not under.fired and under.explanation == "not over 100"
    assert not again.fired and again.held_for == 1


def test_a_missing_month_breaks_the_chain_and_the_verdict_says_so():
    damped = rule(**POTHOLES, for_periods=2)
    past = history(150, None, 218)
    after_gap = decide(damped, "2019-03", past)
    assert (after_gap.fired, after_gap.held_for, after_gap.broken_at) == (False, 1, "2019-02")
    assert after_gap.explanation == (
        "over 100 for 1 month of the 2 needed; no report for 2019-02: the chain of months over 100 starts again"
    )
    assert decide(damped, "2019-02", past).explanation == "no report for 2019-02"


def test_a_rise_rule_compares_with_the_month_before():
    rising = rule(**RISING, min_rise=20)
    past = history(150, 218, 230, 20, 39, 0, 25, start="2018-12")
    december, january, february, march, april, may, june = (decide(rising, p, past) for p in past)
    assert not december.fired and december.explanation == "no count for 2018-11 to compare with"
    assert december.broken_at == ""  # the history starts there: no gap
    assert january.fired and january.explanation == "up 45 % from December (150 -> 218)"
    assert (january.previous, round(january.rise_percent, 2), january.count) == (150, 45.33, 218)
    assert (
        not february.fired and february.explanation == "up 6 % from January (218 -> 230), not more than 30 %"
    )
    assert not march.fired and march.explanation == "down from February (230 -> 20)"
    assert not april.fired and april.explanation == "up 95 % from March (20 -> 39), by less than 20"
    assert not may.fired
    assert june.fired and june.explanation == "up from 0 in May (0 -> 25)"  # from 0: over every percent


def test_a_rise_needs_the_previous_months_report():
    past = history(100, None, 400)
    after_gap = decide(rule(**RISING), "2019-03", past)
    assert not after_gap.fired and after_gap.broken_at == "2019-02"
    assert after_gap.explanation == "no count for 2019-02 to compare with"


def test_a_rise_of_exactly_the_percent_is_not_over_it():
    exactly = decide(rule(**RISING), "2019-02", history(10, 13))
    assert not exactly.fired and exactly.explanation == "up 30 % from January (10 -> 13), not more than 30 %"
    assert decide(rule(**RISING), "2019-02", history(10, 14)).fired
    seven = decide(
        rule(**{**RISING, "rise_over": 7}), "2019-02", history(100, 107)
    )  # 7/100*100 > 7 in floats
    assert not seven.fired and seven.explanation == "up 7 % from January (100 -> 107), not more than 7 %"


def test_a_percent_is_never_rounded_onto_the_wrong_side_of_the_limit():
    past = history(1000, 1302)
    assert decide(rule(**RISING), "2019-02", past).explanation == "up 30.2 % from January (1000 -> 1302)"
    assert decide(rule(**{**RISING, "rise_over": 30.5}), "2019-02", past).explanation == (
        "up 30 % from January (1000 -> 1302), not more than 30.5 %"
    )


def test_with_threshold_and_rise_both_must_hold():
    both = rule(**POTHOLES, rise_over=30)
    past = history(50, 90, 150, 160)
    assert [decide(both, p, past).fired for p in past] == [False, False, True, False]
    assert decide(both, "2019-03", past).explanation == "over 100 and up 67 % from February (90 -> 150)"
    assert decide(both, "2019-04", past).explanation == (
        "over 100 and up 7 % from March (150 -> 160), not more than 30 %"
    )


def test_escalation_after_n_firing_months_names_the_department_and_since_when():
    escalating = rule(**POTHOLES, escalate_after=3, escalate_to="city_manager")
    past = history(150, 160, 170, 180, 90, 200)
    verdicts = [decide(escalating, p, past) for p in past]
    assert [v.escalate for v in verdicts] == [False, False, True, True, False, False]
    assert verdicts[2].explanation == (
        "over 100; third month over: escalated from Streets to the City Manager (alerting since January 2019)"
    )
    assert verdicts[3].explanation.endswith(
        "fourth month over: escalated from Streets to the City Manager (alerting since January 2019)"
    )
    damped = rule(**POTHOLES, for_periods=2, escalate_after=3, escalate_to="city_manager")
    fourth = decide(damped, "2019-04", past)
    assert (fourth.streak, fourth.since, fourth.escalate) == (3, "2019-02", True)
    assert fourth.explanation == (
        "over 100 for 4 months; third month of alerts: escalated from Streets to the City Manager (alerting since February 2019)"
    )


def test_a_report_without_the_service_is_no_count_and_no_gap():
    past = {"2019-01": {"Pothole": 150}, "2019-02": {"Graffiti": 3}, "2019-03": {"Pothole": 200}}
    damped = rule(**POTHOLES, for_periods=2)
    assert decide(damped, "2019-02", past).explanation == "no count of Pothole in 2019-02"
    assert decide(damped, "2019-03", past).broken_at == ""
    assert condition(rule(**RISING), "2019-03", past).reason == "no count for 2019-02 to compare with"


# Properties over random monthly counts with gaps (None: no report that month); small counts, so that
# a count on the threshold, a rise of exactly the percent or of exactly min_rise come up often.
TIES = st.sampled_from([0, 4, 5, 8, 10, 15, 20])  # 4 -> 5: 25 %, 10 -> 15: 50 %, 5 -> 10: 100 %; 0 -> any
MONTHS = st.lists(st.none() | TIES | st.integers(0, 20), min_size=1, max_size=14)


@st.composite
def rules(draw):
    keys = dict(POTHOLES, threshold=draw(st.none() | st.integers(0, 20)), at_least=draw(st.booleans()))
    keys["for_periods"] = draw(st.integers(1, 4))
    rise = draw(st.none() | st.sampled_from([10, 25, 50, 100]) | st.integers(1, 200) | st.floats(0.5, 200))
    if rise is not None or keys["threshold"] is None:
        keys.update(rise_over=rise or 30, min_rise=draw(st.integers(0, 8)))
    after = draw(st.none() | st.integers(1, 4))
    if after is not None:
        keys.update(escalate_after=after, escalate_to="city_manager")
    return rule(**keys)


def over(the_rule, month, past):
    """The condition in one month, written out again plainly: the oracle the mechanism is held to."""
    count = past.get(month, {}).get("Pothole")
    if count is None:
        return False
    if the_rule.threshold is not None:
        line = the_rule.threshold
        if not (count >= line if the_rule.at_least else count > line):
            return False
    if the_rule.rise_over is not None:
        previous = past.get(month_before(month), {}).get("Pothole")
        if previous is None or count - previous < the_rule.min_rise or count <= previous:
            return False
        if previous and (count - previous) * 100 <= the_rule.rise_over * previous:
            return False
    return True


def every_month(counts):
    past = history(*counts)
    return past, [month_before("2019-01", -i) for i in range(len(counts))]


@given(rules(), MONTHS)
def test_a_rule_fires_exactly_when_its_condition_held_in_each_of_the_last_n_months(the_rule, counts):
    past, months = every_month(counts)
    for month in months:
        last_n = [month_before(month, i) for i in range(the_rule.for_periods)]
        decided = decide(the_rule, month, past)
        assert decided.fired == all(over(the_rule, m, past) for m in last_n)
        held_for = next(i for i in range(len(months) + 1) if not over(the_rule, month_before(month, i), past))
        assert decided.held_for == held_for


@given(rules(), MONTHS)
def test_a_rise_rule_never_fires_without_the_previous_months_count(the_rule, counts):
    past, months = every_month(counts)
    for month in months:
        if the_rule.rise_over is not None and month_before(month) not in past:
            assert not decide(the_rule, month, past).fired


@given(rules(), MONTHS)
def test_escalation_exactly_after_n_months_fired_in_a_row_and_never_on_a_month_not_fired(the_rule, counts):
    past, months = every_month(counts)
    fired = {m: decide(the_rule, m, past).fired for m in months}
    for month in months:
        decided = decide(the_rule, month, past)
        after = the_rule.escalate_after
        expected = after is not None and all(fired.get(month_before(month, i), False) for i in range(after))
        assert decided.escalate == expected
        assert not decided.escalate or decided.fired
        streak = next(i for i in range(len(months) + 1) if not fired.get(month_before(month, i), False))
        assert decided.streak == streak
        assert decided.since == (month_before(month, streak - 1) if streak else "")
        assert ("escalated from Streets to the City Manager" in decided.explanation) == decided.escalate


@given(st.integers(0, 20), st.booleans(), MONTHS)
def test_a_plain_rule_fires_exactly_when_rule_fires_does(threshold, at_least, counts):
    plain = rule(**POTHOLES | {"threshold": threshold, "at_least": at_least})
    past, months = every_month(counts)
    for month in months:
        expected = month in past and plain.fires(past[month]["Pothole"])
        assert decide(plain, month, past).fired == expected


@given(rules(), MONTHS)
def test_a_broken_chain_names_a_month_missing_between_reports(the_rule, counts):
    past, months = every_month(counts)
    for month in months:
        broken_at = decide(the_rule, month, past).broken_at
        assert broken_at == "" or (broken_at not in past and min(past) < broken_at <= month)


@pytest.mark.parametrize("period", ["2019-01", "2019-02"])
def test_no_history_at_all_never_fires(period):
    assert not decide(rule(**POTHOLES), period, {}).fired
