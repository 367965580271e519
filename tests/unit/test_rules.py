import pytest

from backlog_alerts.alerting.rules import RuleError, parse_rules

POTHOLE = {"name": "potholes", "service_name": "Pothole", "department": "streets", "threshold": 100}


def test_defaults_are_strictly_greater_and_warning():
    (rule,) = parse_rules([POTHOLE], ["streets"])
    assert (rule.severity, rule.at_least) == ("warning", False)
    assert not rule.fires(100) and rule.fires(101)


def test_at_least_fires_on_the_threshold_itself():
    (rule,) = parse_rules([{**POTHOLE, "at_least": True}], ["streets"])
    assert rule.fires(100) and not rule.fires(99)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"threshold": -1}, r"rule potholes, threshold: -1"),
        ({"threshold": "100"}, r"rule potholes, threshold: '100'"),
        ({"threshold": True}, r"rule potholes, threshold: True"),
        ({"department": "parks"}, r"rule potholes, department: 'parks'"),
        ({"severity": "loud"}, r"rule potholes, severity: 'loud' is not one of warning, critical"),
        ({"at_least": "yes"}, r"rule potholes, at_least: 'yes'"),
        ({"service_name": ""}, r"rule potholes: missing field\(s\) service_name"),
        ({"service_name": 311}, r"rule potholes, service_name: 311 is not text \(quote it"),
        ({"name": 7}, r"rule 7, name: 7 is not text"),
        ({"subject": "x"}, r"rule potholes: unknown field\(s\) subject"),
        (
            {"threshold": None, "treshold": 5},
            r"rule potholes: missing field\(s\) threshold; unknown field\(s\) treshold$",
        ),
    ],
)
def test_bad_rules_are_named_by_rule_and_field(change, expected):
    with pytest.raises(RuleError, match=expected):
        parse_rules([{**POTHOLE, **change}], ["streets"])


def test_duplicate_rule_names_are_refused():
    with pytest.raises(RuleError, match="rule potholes, name: used by another rule"):
        parse_rules([POTHOLE, POTHOLE], ["streets"])


@pytest.mark.parametrize("bad", [[], {"a": 1}, "rules", [3]])
def test_rules_must_be_a_non_empty_list_of_mappings(bad):
    with pytest.raises(RuleError):
        parse_rules(bad, ["streets"])


DEPARTMENTS = {"trash": "Trash", "streets": "Streets", "city_manager": "City Manager"}
RISING = {"name": "p", "service_name": "Pothole", "department": "streets", "rise_over": 30}


def test_the_issues_example_rules_parse_with_their_keys():
    damped = {**POTHOLE, "for_periods": 2, "escalate_after": 3, "escalate_to": "city_manager"}
    potholes, rising = parse_rules([damped, {**RISING, "min_rise": 20}], DEPARTMENTS)
    assert (potholes.for_periods, potholes.escalate_after, potholes.escalate_to) == (2, 3, "city_manager")
    assert (rising.threshold, rising.rise_over, rising.min_rise, rising.for_periods) == (None, 30, 20, 1)
    assert not potholes.plain and not rising.plain and parse_rules([POTHOLE], DEPARTMENTS)[0].plain
    assert (potholes.periods_needed, rising.periods_needed) == (4, 2)


def test_a_rule_without_threshold_ranks_as_0_and_its_threshold_part_always_holds():
    (rule,) = parse_rules([{**RISING, "rise_over": 12.5}], DEPARTMENTS)
    assert rule.rank == (0, 0) and rule.fires(0) and rule.rise_over == 12.5


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"for_periods": 0}, r"rule p, for_periods: 0 is not a whole number >= 1$"),
        ({"for_periods": 1.5}, r"rule p, for_periods: 1.5 is not a whole number >= 1$"),
        ({"for_periods": True}, r"rule p, for_periods: True is not a whole number >= 1$"),
        ({"rise_over": -5}, r"rule p, rise_over: -5 is not a percent > 0$"),
        ({"rise_over": 0}, r"rule p, rise_over: 0 is not a percent > 0$"),
        ({"rise_over": "30%"}, r"rule p, rise_over: '30%' is not a percent > 0$"),
        ({"rise_over": True}, r"rule p, rise_over: True is not a percent > 0$"),
        ({"rise_over": float("inf")}, r"rule p, rise_over: inf is not a percent > 0$"),
        ({"min_rise": -1}, r"rule p, min_rise: -1 is not a whole number >= 0$"),
        ({"rise_over": None, "threshold": 5, "min_rise": 20}, r"rule p, min_rise: only used with rise_over"),
        ({"rise_over": None, "threshold": 5, "min_rise": 0}, r"rule p, min_rise: only used with rise_over"),
        ({"rise_over": None}, r"rule p: missing field\(s\) threshold \(or rise_over\)$"),
        ({"escalate_after": 3}, r"rule p, escalate_after: comes with escalate_to \(give both, or neither\)$"),
        (
            {"escalate_to": "trash"},
            r"rule p, escalate_to: comes with escalate_after \(give both, or neither\)$",
        ),
        (
            {"escalate_after": 0, "escalate_to": "trash"},
            r"rule p, escalate_after: 0 is not a whole number >= 1$",
        ),
        (
            {"escalate_after": 2, "escalate_to": "mayor"},
            r"rule p, escalate_to: 'mayor' is not one of city_manager, streets, trash$",
        ),
        (
            {"escalate_after": 2, "escalate_to": "streets"},
            r"rule p, escalate_to: 'streets' is the rule's own department$",
        ),
        (
            {"for_periods": 36},
            r"rule p, for_periods: the rule needs 37 months of counts; the alert state keeps 36$",
        ),
        (
            {
                "for_periods": 31,
                "escalate_after": 7,
                "escalate_to": "trash",
                "rise_over": None,
                "threshold": 1,
            },
            r"rule p, escalate_after: the rule needs 37 months of counts; the alert state keeps 36$",
        ),
    ],
)
def test_bad_new_keys_are_named_by_rule_and_key(change, expected):
    with pytest.raises(RuleError, match=expected):
        parse_rules([{**RISING, **change}], DEPARTMENTS)


def test_the_longest_history_kept_is_allowed():
    (rule,) = parse_rules(
        [{**POTHOLE, "for_periods": 30, "escalate_after": 7, "escalate_to": "trash"}], DEPARTMENTS
    )
    assert rule.periods_needed == 36


def escalating(name, department, to):
    return {**POTHOLE, "name": name, "department": department, "escalate_after": 2, "escalate_to": to}


def test_an_escalation_cycle_is_refused_naming_its_departments():
    with pytest.raises(
        RuleError, match=r"^rule b, escalate_to: escalation cycle city_manager -> streets -> city_manager$"
    ):
        parse_rules(
            [escalating("a", "streets", "city_manager"), escalating("b", "city_manager", "streets")],
            DEPARTMENTS,
        )
    three = [
        escalating("a", "trash", "streets"),
        escalating("b", "streets", "city_manager"),
        escalating("c", "city_manager", "trash"),
    ]
    with pytest.raises(
        RuleError,
        match=r"rule c, escalate_to: escalation cycle city_manager -> trash -> streets -> city_manager$",
    ):
        parse_rules(three, DEPARTMENTS)


def test_a_chain_of_escalations_without_a_cycle_is_fine():
    chain = [
        escalating("a", "trash", "streets"),
        escalating("b", "streets", "city_manager"),
        escalating("c", "trash", "city_manager"),
    ]
    assert [r.escalate_to for r in parse_rules(chain, DEPARTMENTS)] == [
        "streets",
        "city_manager",
        "city_manager",
    ]
