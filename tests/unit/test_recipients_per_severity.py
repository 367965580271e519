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


def test_an_escalation_is_one_of_the_rules_of_the_department_it_goes_to():
    """`recipients` exits 4 when a severity some rule sends reaches nobody: an escalation to a department
    without rules of its own sends it warnings too."""
    escalating = [Rule("potholes", "Pothole", "streets", 100, escalate_after=3, escalate_to="city_manager")]
    nobody = Reach("city_manager", (), ())
    rows = severity_reach(nobody, escalating, notify_resolved=False)
    assert ("warning", ("potholes -> city_manager",)) in [(s, names) for s, names, _ in rows]
