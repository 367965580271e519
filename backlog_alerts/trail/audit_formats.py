"""`audit`'s formats: a table for people, JSON records and CSV rows for programs and spreadsheets.

Every cell of the CSV is written through one function, so no text from the trail can start a formula.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from typing import Any

from backlog_alerts.ascii_text import visible
from backlog_alerts.trail.audit import HEADLINE, summary
from backlog_alerts.trail.audit_data import run_record, run_status
from backlog_alerts.trail.audit_rows import flatten, outside_rows
from backlog_alerts.trail.untraced import OPS_COLUMNS, OUTSIDE, OUTSIDE_COLUMNS, Outside

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


def write_csv(columns: Sequence[str], rows: list[dict[str, Any]]) -> str:
    """Every CSV written for people, each cell through `csv_cell`, the header too."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([csv_cell(c) for c in columns])
    writer.writerows([csv_cell(row.get(c, "")) for c in columns] for row in rows)
    return out.getvalue()


def render(
    runs: list[dict[str, Any]],
    fmt: str,
    per: str = "run",
    outside: Outside | None = None,
    not_read: list[str] | None = None,
) -> str:
    """Loaded runs as a table for people, or as data: JSON records, CSV per run, alert or ops notice.

    `outside`: sends and ops notices found in the alert state whose run left no folder on the trail, marked
    `outside a recorded run` in every format (a state that could not be read: JSON's `state_read`
    says why, and `audit` says so on stderr); `not_read`: what of the trail was skipped (in JSON; the
    command says it on stderr in every format). JSON keeps hidden characters as JSON's own escapes
    (`\\u202e`), which show them and let a program read them.
    """
    outside = outside or Outside()
    if fmt == "json":
        records = [run_record(run) for run in runs]
        data = {
            "runs": records,
            "sent_outside_runs": outside.sends,
            "ops_notices_outside_runs": outside.notices,
            "state_read": outside.shown(),
            "not_read": not_read or [],
        }
        return json.dumps(data, indent=1)
    if fmt == "csv":
        columns, rows = flatten([run_record(run) for run in runs], per)
        return write_csv(columns, rows + outside_rows(outside.sends, per, outside.notices))
    lines = _table([summary(run) for run in runs], ("run_id", *HEADLINE))
    checked = f"read from the alert state {outside.state_uri}" if outside.state_uri else "not checked"
    lines += ["", f"sends {OUTSIDE}: {checked}" + (f" ({outside.error})" if outside.error else "")]
    if outside.sends:
        lines += [
            "",
            f"sent {OUTSIDE} (no run folder on this trail: a notebook run by hand, "
            "or a run with another output folder):",
        ]
        shown = [
            {**send, "rules": ", ".join(send["rules"]), "topic": send["topic"].rsplit(":", 1)[-1]}
            for send in outside.sends
        ]
        lines += ["  " + line for line in _table(shown, OUTSIDE_COLUMNS)]
    if outside.notices:
        lines += ["", f"ops notices sent {OUTSIDE}:"]
        told = [{**notice, "topic": notice["topic"].rsplit(":", 1)[-1]} for notice in outside.notices]
        lines += ["  " + line for line in _table(told, OPS_COLUMNS)]
    return "\n".join(line.rstrip() for line in lines)


def _table(rows: list[dict[str, Any]], shown: tuple[str, ...]) -> list[str]:
    cells = [{c: visible(str(r[c]), lines=False) for c in shown} for r in rows]
    widths = {c: max([len(c), *(len(r[c]) for r in cells)]) for c in shown}
    lines = ["  ".join(c.ljust(widths[c]) for c in shown)]
    return lines + ["  ".join(r[c].ljust(widths[c]) for c in shown) for r in cells]


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
