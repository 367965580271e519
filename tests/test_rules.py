import pytest

from backlog_alerts.alerts import decide
from backlog_alerts.rules import Rule, RuleError, alert_message, parse_rules
from backlog_alerts.sources import SourceError

POTHOLE = {
    "name": "potholes",
    "service_name": "Pothole",
    "department": "streets",
    "threshold": 100,
    "subject": "Streets Alert",
}


def test_rule_fires_only_strictly_above_threshold():
    (rule,) = parse_rules([POTHOLE], ["streets"])
    assert not rule.fires(100)
    assert rule.fires(101)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"threshold": -1}, r"rule potholes, threshold: -1"),
        ({"threshold": "100"}, r"rule potholes, threshold: '100'"),
        ({"department": "parks"}, r"rule potholes, department: 'parks'"),
        ({"subject": ""}, r"rule potholes: missing field\(s\) subject"),
        ({"severity": "loud"}, r"rule potholes: unknown field\(s\) severity"),
    ],
)
def test_bad_rules_are_named_by_rule_and_field(change, expected):
    with pytest.raises(RuleError, match=expected):
        parse_rules([{**POTHOLE, **change}], ["streets"])


def test_duplicate_rule_names_are_refused():
    with pytest.raises(RuleError, match="rule potholes, name: used by another rule"):
        parse_rules([POTHOLE, POTHOLE], ["streets"])


def test_message_says_service_count_and_threshold():
    rule = Rule("potholes", "Pothole", "streets", 100, "Streets Alert")
    text = alert_message(rule, 163, "s3://r/2019/feb/final_report.csv")
    assert "Pothole" in text and "163" in text and "threshold of 100" in text


def test_decide_checks_every_rule_before_any_verdict():
    rules = parse_rules(
        [POTHOLE, {**POTHOLE, "name": "dumping", "service_name": "Illegal Dumping"}], ["streets"]
    )
    with pytest.raises(SourceError, match="'Illegal Dumping' is not in the report"):
        decide(rules, {"Pothole": 500}, "r.csv")
    (decision, other) = decide(rules, {"Pothole": 500, "Illegal Dumping": 3}, "r.csv")
    assert (decision.fired, decision.count, other.fired) == (True, 500, False)
