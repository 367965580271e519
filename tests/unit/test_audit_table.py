"""`audit`'s table fits 120 terminal columns whatever the trail holds: wide (CJK) characters take two
columns each, combining marks none, and no line of the table or of the sends outside runs passes 120."""

from pathlib import Path

import wcwidth
from helpers import hand_built_run, recorded_decision, write_run
from hypothesis import given, settings
from hypothesis import strategies as st

from backlog_alerts.trail.audit import WIDE, Trail
from backlog_alerts.trail.audit_formats import _outside_lines, render
from backlog_alerts.trail.audit_table import WIDTH, table, wide
from backlog_alerts.trail.untraced import Outside

TEXT = st.text(
    st.sampled_from("aZ09 -/:;ポット坑洼道路😀é\u0301\u200b\u202e\t\nñ…") | st.characters(), max_size=300
)
NUMBER = st.integers(0, 10**12) | TEXT


def _columns(line: str) -> int:
    return wcwidth.width(line)


@settings(max_examples=150, deadline=None)
@given(text=st.fixed_dictionaries({key: TEXT for key in WIDE if key not in ("sent", "subs_added")}), n=NUMBER)
def test_every_line_of_the_table_fits_120_columns(text, n):
    row = {
        "run_id": "20261128T110713.084847Z",
        **text,
        "sent": n,
        "subs_added": n,
        "subs_removed": n,
        "subs_held": n,
        "subs_pending": n,
        "rows_rejected": n,
    }
    lines = list(table([row]))
    assert all(_columns(line) <= WIDTH for line in lines), lines
    shown = wide([row, row], ("run_id", *WIDE))  # --wide: every row as wide as its header, aligned
    assert len({_columns(line) for line in shown}) == 1


@settings(max_examples=60, deadline=None)
@given(rule=TEXT, department=TEXT, uri=TEXT)
def test_the_sends_outside_runs_fit_120_columns(rule, department, uri):
    send = {
        "run_id": "manual",
        "sent_at": "2026-11-28T11:07:13Z",
        "rules": [rule, rule],
        "severity": "warning",
        "topic": f"arn:aws:sns:x:1:{department}",
        "department": department,
        "message_id": "m-1",
    }
    notice = {"run_id": "manual", "sent_at": "t", "kind": rule, "topic": department, "message_id": "m-2"}
    lines = _outside_lines(Outside(uri, [send], [notice], error=uri))
    assert all(_columns(line) <= WIDTH for line in lines), lines


def test_a_run_with_cjk_rule_names_and_a_long_error_fits(tmp_path: Path):
    alerts = [
        recorded_decision(f"道路の穴_{n}_ポットホール", "streets", "publish", f"m-{n}") for n in range(6)
    ]
    error = "報告書を読めません: " + "s3://バケット/" + "とても長い名前" * 20
    write_run(tmp_path, hand_built_run(status="failed", alerts=alerts, error=error))
    said = render(Trail(str(tmp_path), check=False), "table")
    assert "道路の穴_5_ポットホール" in said.replace("\n", "").replace(" ", "")
    assert max(_columns(line) for line in said.splitlines()) <= WIDTH
