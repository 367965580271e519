"""The closing lines of a run: what the directors would have read, laid out for a terminal or a log."""

from helpers import COVERAGE_FACT

from backlog_alerts.run.summary import _coverage_lines, _indented, _reached


def test_a_messages_later_lines_are_indented_and_its_blank_lines_stay_empty():
    text = "Pothole backlog: 163 open\n\nThreshold: 100\nRun: 2019-02"
    lines = _indented(text).split("\n")
    assert lines == ["Pothole backlog: 163 open", "", "    Threshold: 100", "    Run: 2019-02"]
    assert not any(line and not line.strip() for line in lines)


def test_a_published_alert_names_what_its_topic_missed_and_the_coverage_lines_show_what_is_new():
    reach = {"people": 0, "pending": ["p*****@x.gov"], "opted_out": [], "unverified": ["+1******0142"]}
    assert _reached(reach) == ", REACHED NOBODY (1 pending, 0 opted out, 1 not verified)"
    assert _reached(reach, "would reach").startswith(", WOULD REACH NOBODY (1 pending")  # a dry run
    assert (
        _reached({"people": 2, "pending": [], "opted_out": []}) == ", reached 2 endpoints"
    )  # recorded before sandboxes
    assert _coverage_lines(COVERAGE_FACT) == [
        "coverage: 1 new, 1 told before; ops notice published ops-1",
        "  unheard: streets: Pothole 163 > 100 (rule zebra_rule), published",
    ]
    assert _coverage_lines(None) == [] and _coverage_lines(COVERAGE_FACT | {"conditions": []}) == []
