"""The closing lines of a run: what the directors would have read, laid out for a terminal or a log."""

from backlog_alerts.run.summary import _indented


def test_a_messages_later_lines_are_indented_and_its_blank_lines_stay_empty():
    text = "Pothole backlog: 163 open\n\nThreshold: 100\nRun: 2019-02"
    lines = _indented(text).split("\n")
    assert lines == ["Pothole backlog: 163 open", "", "    Threshold: 100", "    Run: 2019-02"]
    assert not any(line and not line.strip() for line in lines)
