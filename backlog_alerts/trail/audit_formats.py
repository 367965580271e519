"""`audit`'s formats: a table for people, JSON records and CSV rows for programs and spreadsheets.

Every cell of the CSV is written through one function, so no text from the trail can start a formula.
"""

from __future__ import annotations

import csv
import io
import json
import textwrap
from collections.abc import Iterable, Iterator, Sequence
from itertools import chain
from typing import Any, TextIO

from backlog_alerts.ascii_text import visible
from backlog_alerts.trail.audit import WIDE, built, summary
from backlog_alerts.trail.audit_data import run_record, run_status
from backlog_alerts.trail.audit_rows import flatten, outside_rows
from backlog_alerts.trail.audit_table import WIDTH, table, wrap
from backlog_alerts.trail.audit_table import wide as wide_table
from backlog_alerts.trail.untraced import OUTSIDE, Outside

FORMATS = ("table", "csv", "json")


# A spreadsheet takes a cell beginning with one of these for a formula (OWASP's CSV injection list).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> Any:
    """A CSV cell a spreadsheet shows as text, never runs: text beginning like a formula gets a leading
    `'` (OWASP's rule), and hidden characters are shown (`visible`). Numbers are the package's own
    (counts, totals: never negative) and are written as they are."""
    if not isinstance(value, str):
        return value
    text = visible(value)
    return f"'{text}" if text.startswith(FORMULA_START) else text


def csv_lines(columns: Sequence[str], rows: Iterable[dict[str, Any]]) -> Iterator[str]:
    """Every CSV written for people, a line at a time, each cell through `csv_cell`, the header too."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    for cells in chain(
        [[csv_cell(c) for c in columns]], ([csv_cell(row.get(c, "")) for c in columns] for row in rows)
    ):
        writer.writerow(cells)
        yield out.getvalue()
        out.seek(0)
        out.truncate()


def render(
    runs: Iterable[dict[str, Any]],
    fmt: str,
    per: str = "run",
    outside: Outside | None = None,
    not_read: list[str] | None = None,
    wide: bool = False,
) -> str:
    """`write` into a string."""
    out = io.StringIO()
    write(out, runs, fmt, per, outside, not_read, wide)
    return out.getvalue().removesuffix("\n")


def write(
    out: TextIO,
    runs: Iterable[dict[str, Any]],
    fmt: str,
    per: str = "run",
    outside: Outside | None = None,
    not_read: list[str] | None = None,
    wide: bool = False,
) -> None:
    """Runs as a table for people, or as data: JSON records, CSV per run, alert or ops notice; written
    as each run is read, so that no format holds the trail whole (but `wide`, which aligns every row).

    `outside`: sends and ops notices found in the alert state whose run left no folder on the trail, marked
    `outside a recorded run` in every format (a state that could not be read: JSON's `state_read`
    says why, and `audit` says so on stderr); `not_read`: what of the trail was skipped (in JSON, as it
    stands once the runs are read; the command says it on stderr in every format). JSON keeps hidden
    characters as JSON's own escapes (`\\u202e`), which show them and let a program read them.
    Runs read unchecked (`Trail(check=False)`) are checked only if one breaks (`audit.built`).
    """
    outside = outside or Outside()
    not_read = not_read if not_read is not None else []
    if fmt == "json":
        out.write('{\n "runs": [')
        for index, made in enumerate(built(runs, run_record, not_read)):
            record = json.dumps(made, indent=1)
            out.write(("," if index else "") + "\n" + textwrap.indent(record, "  "))
        rest = {
            "sent_outside_runs": outside.sends,
            "ops_notices_outside_runs": outside.notices,
            "state_read": outside.shown(),
            "not_read": not_read,
        }
        out.write("\n ],\n" + json.dumps(rest, indent=1).removeprefix("{\n") + "\n")
        return
    if fmt == "csv":
        columns, flat = flatten(per)
        rows = (row for record in built(runs, run_record, not_read) for row in flat(record))
        out.writelines(csv_lines(columns, chain(rows, outside_rows(outside.sends, per, outside.notices))))
        return
    summaries = built(runs, summary, not_read)
    lines = wide_table(summaries, ("run_id", *WIDE)) if wide else table(summaries)
    out.writelines(line + "\n" for line in lines)
    out.writelines(line + "\n" for line in _outside_lines(outside))


def _outside_lines(outside: Outside) -> list[str]:
    """The sends and ops notices outside recorded runs, one wrapped entry each, within the table's width."""
    checked = f"read from the alert state {outside.state_uri}" if outside.state_uri else "not checked"
    said = f"sends {OUTSIDE}: {checked}" + (f" ({outside.error})" if outside.error else "")
    lines = ["", *_wrapped(said, "")]
    if outside.sends:
        lines += [
            "",
            f"sent {OUTSIDE} (no run folder on this trail: a notebook run by hand, "
            "or a run with another output folder):",
        ]
        for send in outside.sends:
            topic = send["topic"].rsplit(":", 1)[-1]
            said = (
                f"{send['run_id']} at {send['sent_at']}: {', '.join(send['rules'])} ({send['severity']}) "
                f"to {topic} ({send['department']}), MessageId {send['message_id']}"
            )
            lines += _wrapped(said)
    if outside.notices:
        lines += ["", f"ops notices sent {OUTSIDE}:"]
        for notice in outside.notices:
            topic = notice["topic"].rsplit(":", 1)[-1]
            said = (
                f"{notice['run_id']} at {notice['sent_at']}: {notice['kind']} notice to {topic}, "
                f"MessageId {notice['message_id']}"
            )
            lines += _wrapped(said)
    return lines


def _wrapped(text: str, indent: str = "  ") -> list[str]:
    """One entry within the table's width, its later lines indented under its first."""
    return wrap(text, WIDTH, indent, indent + "  ")


def render_run(run: dict[str, Any], fmt: str) -> str:
    """One run in full: manifest, then per notebook its parameters, facts and cell timings."""
    if fmt == "json":
        return json.dumps(run, indent=1, default=str)
    if fmt == "csv":
        return render([run], "csv")
    lines = [f"run {run['manifest']['run_id']}: {run_status(run)[1]}"]
    lines += [f"  {k}: {v}" for k, v in run["manifest"].items() if k not in ("notebooks", "run_id")]
    for entry in run["manifest"].get("notebooks", []):
        lines += [
            "",
            f"{entry['notebook']}: {entry['status']} in {entry['seconds']} s {entry['error']}".rstrip(),
        ]
        notebook = run["notebooks"].get(entry["notebook"].removesuffix(".ipynb"))
        if not notebook:
            continue
        lines.append(f"  parameters: {json.dumps(notebook['parameters'], sort_keys=True)}")
        for key, value in notebook["facts"].items():
            lines.append(f"  {key}:")
            for item in value if isinstance(value, list) else [value]:
                lines.append(f"    {json.dumps(item, sort_keys=True)}")
    return "\n".join(visible(line, lines=False) for line in lines)
