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
