"""`recipients` per severity: whom each severity (and each rule, where they differ) reaches."""

from backlog_alerts.alerting.rules import Rule
from backlog_alerts.run.recipients import severity_reach
from backlog_alerts.sync.reach import Filter, Reach

DANA, SAM = "dana.okafor@example.gov", "sam.critical@example.gov"
TOPIC = Reach(
    "streets",
    (DANA, SAM),
    (),
    filters=(
        (("email", SAM), Filter('{"severity": ["critical"]}')),
        (("email", DANA), Filter('{"service": ["Pothole"]}')),
    ),
)
RULES = [
    Rule("potholes", "Pothole", "streets", 100),
    Rule("graffiti", "Graffiti", "streets", 50),
    Rule("trash", "Illegal Dumping", "trash", 30),
]


def test_each_severity_and_each_rule_where_they_differ_with_resolved_when_sent():
    rows = {
        (severity, rules): r.emails
        for severity, rules, r in severity_reach(TOPIC, RULES, notify_resolved=True)
    }
    assert rows == {
        ("warning", ("potholes",)): (DANA,),
        ("warning", ("graffiti",)): (),  # Dana's policy names Pothole only; Sam's says critical only
        ("critical", ()): (SAM,),  # no rule sends it: judged on its attributes alone
        ("resolved", ("potholes",)): (DANA,),
        ("resolved", ("graffiti",)): (),
    }
    assert [s for s, _, _ in severity_reach(TOPIC, RULES, notify_resolved=False)] == [
        "warning",
        "warning",
        "critical",
    ]
