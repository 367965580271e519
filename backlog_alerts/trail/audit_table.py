"""`audit`'s table for people: one run per row within 120 columns, printed as each run is read.

Fixed columns for what a reviewer scans first (status, the report's period and status, alerts sent,
subscriptions added, removed and held), then a wrapped `details` column: each rule's count and outcome,
and what else the run did or could not do; a run's error below it, across the whole width. `--wide`
prints every column of the summary instead, aligned over all rows (so it holds them until the last).

Widths are a terminal's columns (`wcwidth`), not characters: a CJK rule name or department takes two
columns a character, a combining accent none, so that no line passes 120 columns whatever the trail holds.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import wcwidth

from backlog_alerts.ascii_text import visible
from backlog_alerts.trail.audit_data import INCOMPLETE

WIDTH = 120
# (summary key, heading, width, right-aligned): a value longer than its column is cut, marked `…`
COLUMNS = (
    ("run_id", "run", 23, False),
    ("short_status", "status", 12, False),
    ("report_period", "period", 7, False),
    ("report_status", "report", 7, False),
    ("sent", "sent", 4, True),
    ("subs_added", "added", 5, True),
    ("subs_removed", "removed", 7, True),
    ("subs_held", "held", 4, True),
)
GAP = "  "
DETAILS = WIDTH - sum(width for *_, width, _ in COLUMNS) - len(GAP) * len(COLUMNS)
CUT = "…"
DRY_MARK = "*"
FOOTNOTE = f"{DRY_MARK} dry run: nothing was changed or sent"


def short_status(row: dict[str, Any]) -> str:
    """The status in a word or two (the details say the rest): `failed at 03`, `incomplete`."""
    status = str(row["status"])
    dry = status.endswith(" (dry run)")
    status = status.removesuffix(" (dry run)")
    if status.startswith(INCOMPLETE):
        status = INCOMPLETE
    elif status.startswith("failed at notebook") and row["failed_notebook"]:
        status = f"failed at {row['failed_notebook'][:2]}"
    return status + (DRY_MARK if dry else "")


def details(row: dict[str, Any]) -> str:
    """The status in full when the column shortens it, each rule's count and what became of it, then what
    else there is to know (ops notices and the error follow on lines of their own)."""
    status = str(row["status"]).removesuffix(" (dry run)")
    parts = [status] if status != short_status(row).removesuffix(DRY_MARK) else []
    if not isinstance(row["subs_added"], int) or not isinstance(row["subs_removed"], int):
        parts.append(f"subscriptions: added {row['subs_added']}, removed {row['subs_removed']}")
    parts += [row["outcomes"]] if row["outcomes"] else []
    parts += [f"{row[key]} {label}" for key, label in _TALLIES if row[key] not in (0, "")]
    return "; ".join(str(part) for part in parts)


_TALLIES = (
    ("subs_pending", "pending"),
    ("rows_rejected", "rows rejected"),
)


def wrap(text: str, width: int, indent: str = "", later: str = "") -> list[str]:
    """Text shown on one line each (`visible`), wrapped within `width` terminal columns."""
    return wcwidth.wrap(
        visible(text, lines=False),
        width,
        initial_indent=indent,
        subsequent_indent=later,
        break_on_hyphens=False,
    )


def _cell(value: Any, width: int, right: bool) -> str:
    """A fixed column's text, `width` columns wide; a number column whose value is not a number
    (unknown) shows `?`."""
    text = visible(str(value), lines=False) if isinstance(value, int) or not right else "?"
    if wcwidth.width(text) > width:
        text = wcwidth.clip(text, 0, width - wcwidth.width(CUT)) + CUT
    return wcwidth.rjust(text, width) if right else wcwidth.ljust(text, width)


def header() -> str:
    cells = (heading.rjust(width) if right else heading.ljust(width) for _, heading, width, right in COLUMNS)
    return GAP.join(cells) + GAP + "details"


def row_lines(row: dict[str, Any]) -> list[str]:
    """One run: its fixed columns, and its details wrapped below each other in the last column."""
    fixed = GAP.join(
        _cell({**row, "short_status": short_status(row)}[key], width, right)
        for key, _, width, right in COLUMNS
    )
    wrapped = wrap(details(row), DETAILS) or [""]
    indent = " " * (WIDTH - DETAILS)
    lines = [(fixed + GAP + wrapped[0]).rstrip(), *(indent + line for line in wrapped[1:])]
    # Ops notices (MessageIds) and the error (paths, URIs) need the whole width: lines of their own.
    if row["ops_notices"]:
        lines += wrap(f"ops notices: {row['ops_notices']}", WIDTH, "  ", "    ")
    if row["error"]:
        lines += wrap(f"error: {row['error']}", WIDTH, "  ", "    ")
    return lines


def table(rows: Iterable[dict[str, Any]]) -> Iterator[str]:
    """The table, a line at a time; the dry-run footnote when a run was one."""
    yield header()
    dry = False
    for row in rows:
        lines = row_lines(row)
        dry = dry or short_status(row).endswith(DRY_MARK)
        yield from lines
    if dry:
        yield FOOTNOTE


def wide(rows: Iterable[dict[str, Any]], columns: tuple[str, ...]) -> list[str]:
    """Every column, aligned over all rows: nothing cut, as wide as the values are."""
    cells = [{c: visible(str(r[c]), lines=False) for c in columns} for r in rows]
    widths = {c: max([len(c), *(wcwidth.width(r[c]) for r in cells)]) for c in columns}
    lines = ["  ".join(c.ljust(widths[c]) for c in columns)]
    return lines + ["  ".join(wcwidth.ljust(r[c], widths[c]) for c in columns) for r in cells]
