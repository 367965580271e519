"""A recorded fact as a person reads it: HTML for nbconvert and JupyterLab, and plain text.

The machine JSON of a fact is rendered by nobody; these views are what an auditor sees in the
executed notebook. Values are shown whole (no truncation), escaped, with any invisible or reordering
character shown by its code point (`ascii_text.visible`: a name cannot disguise itself), and long or
multi-line texts keep their line breaks. Standard library only: every kernel imports this through `facts`.
"""

from __future__ import annotations

import html
import math
import re
from typing import Any

from backlog_alerts.ascii_text import visible

LONG_TEXT = 80  # longer texts of words (and any with a line break) go in a <pre> block, wrapped
_CELL = ' style="text-align:left;vertical-align:top"'
_FIELD = ' style="text-align:left;vertical-align:top;white-space:nowrap"'
# Wrapped at spaces only, never inside a word: a wrapped line must not read as a different text.
_PRE = (
    ' style="white-space:pre-wrap;word-break:normal;overflow-wrap:break-word;min-width:40ch;'
    'margin:0;padding:0;background:transparent;text-align:left"'
)

# How a long token (MessageId, ARN, S3 URI, SHA-256, run id) may break: only after a run of these
# separators, into pieces of at most CHUNK characters, each kept whole (`white-space:nowrap`). A token
# of at most WHOLE characters (a run id, a timestamp) and a masked value (`j***@e***.com`) never breaks;
# a UUID breaks once (24 + 12), an ARN at its colons. A run of HARD characters without a separator (a
# SHA-256 is 64) stays whole; only a longer one is cut every CHUNK characters, so that no token can make
# a column wider than HARD characters.
CHUNK, WHOLE, HARD = 24, 32, 64
_SEPARATED = re.compile(r"[^-:/.]*[-:/.]+|[^-:/.]+$")
_NOWRAP = '<span style="white-space:nowrap">'
# A table whose columns need more characters side by side than this (each at its longest unbroken
# piece, plus padding) would be wider than a page: its records are shown as columns instead, a few to
# a table (`_html_table`), so that no page scrolls sideways. Measured in Chromium with 16 px DejaVu
# Sans (wider than most sans fonts), a table takes at most 9.1 px per character so counted (a table of
# ten numeric columns): 125 is 1,140 px, in a page 1,200 px wide.
WIDE = 125
_PADDING = 2  # a cell's padding and border, in characters
_BOLD = 1.1  # a header's character is wider


def _pieces(token: str) -> list[str]:
    """A token cut after each run of separators; a piece longer than HARD cut every CHUNK characters."""
    pieces = []
    for piece in _SEPARATED.findall(token):
        parts = [piece] if len(piece) <= HARD else [piece[i : i + CHUNK] for i in range(0, len(piece), CHUNK)]
        pieces += parts
    return pieces


def chunks(token: str) -> list[str]:
    """The pieces a token without spaces may be broken into, in order: the token whole when it is short
    or masked; else its separated pieces joined greedily up to CHUNK characters each."""
    if len(token) <= WHOLE or "*" in token:
        return [token]
    joined: list[str] = []
    for piece in _pieces(token):
        if joined and len(joined[-1]) + len(piece) <= CHUNK:
            joined[-1] += piece
        else:
            joined.append(piece)
    return joined


def breakable(text: str) -> str:
    """Text as HTML (escaped, hidden characters shown) that wraps at its spaces and, inside a long
    identifier, only between its `chunks`: the one function every writer of a cell uses."""
    out = []
    for token in re.split(r"(\s+)", visible(text)):
        parts = chunks(token) if token and not token.isspace() else [token]
        if len(parts) == 1 and "*" not in token:
            out.append(html.escape(token))
        else:
            out.append("<wbr>".join(f"{_NOWRAP}{html.escape(p)}</span>" for p in parts))
    return "".join(out)


def widest(text: str) -> int:
    """The characters of the longest piece of `text` that `breakable` never breaks."""
    return max((len(c) for t in visible(text).split() for c in chunks(t)), default=0)


def _escape(text: str) -> str:
    """Text as HTML: escaped, hidden characters shown, long identifiers breakable at separators."""
    return breakable(text)


def _is_table(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, dict) for v in value)


def _scalar(value: Any) -> str:
    """JSON scalars as read: true/false, an empty cell for null; hidden characters shown."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return visible(str(value))


def _count(value: Any) -> str:
    if isinstance(value, list):
        return f"{len(value)} row{'' if len(value) == 1 else 's'}"
    return ""


def _html_value(value: Any) -> str:
    if _is_table(value):
        return _html_table(value)
    if isinstance(value, dict):
        return _html_dl(value) if value else "<em>none</em>"
    if isinstance(value, list):
        if not value:
            return "<em>none</em>"
        return ", ".join(_html_value(v) for v in value)
    text = _scalar(value)
    if "\n" in text or (len(text) > LONG_TEXT and " " in text):
        return f"<pre{_PRE}>{_escape(text)}</pre>"
    return _escape(text)


def _key(name: str) -> str:
    """A column or field name (`previous_message_id`) breakable after its underscores."""
    return "<wbr>".join(_escape(part) for part in re.findall(r"[^_]*_+|[^_]+$", name) or [name])


def _key_width(name: str) -> int:
    """The characters a header needs: its longest part between underscores, in bold."""
    return math.ceil(_BOLD * max((len(part) for part in re.findall(r"[^_]*_+|[^_]+$", name)), default=0))


def _width(value: Any) -> int:
    """The characters a value needs side by side, broken wherever it may be (its min-content width)."""
    if _is_table(value):
        columns = _columns(value)
        table = sum(_column_widths(value, columns))
        return table if table <= WIDE else _field_width(columns) + max(_record_widths(value, columns))
    if isinstance(value, dict):
        return 4 + max((max(_key_width(k), _width(v)) for k, v in value.items()), default=4)
    if isinstance(value, list):
        return max((_width(v) for v in value), default=4)
    return widest(_scalar(value))


def _columns(rows: list[dict[str, Any]]) -> list[str]:
    return list(dict.fromkeys(k for row in rows for k in row))


def _column_widths(rows: list[dict[str, Any]], columns: list[str]) -> list[int]:
    return [_PADDING + max(_key_width(c), *(_width(row.get(c)) for row in rows)) for c in columns]


def _field_width(columns: list[str]) -> int:
    """A transposed table's first column: its field names, whole."""
    return _PADDING + math.ceil(_BOLD * max(len(c) for c in columns))


def _record_widths(rows: list[dict[str, Any]], columns: list[str]) -> list[int]:
    return [_PADDING + max(_width(row.get(c)) for c in columns) for row in rows]


def _html_table(rows: list[dict[str, Any]], caption: str = "") -> str:
    """A row per record when the columns fit side by side (WIDE); else a column per record, as many
    records to a table as fit, each field a row: no table is wider than a page."""
    columns = _columns(rows)
    if sum(_column_widths(rows, columns)) <= WIDE:
        head = "".join(f"<th{_CELL}>{_key(c)}</th>" for c in columns)
        body = "".join(
            "<tr>" + "".join(f"<td{_CELL}>{_html_value(row.get(c))}</td>" for c in columns) + "</tr>"
            for row in rows
        )
        return f"<table>{caption}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
    groups: list[list[int]] = []
    used = WIDE
    for number, width in enumerate(_record_widths(rows, columns)):
        if used + width > WIDE:
            groups.append([])
            used = _field_width(columns)
        groups[-1].append(number)
        used += width
    return "".join(
        _transposed(rows, columns, group, caption if i == 0 else "") for i, group in enumerate(groups)
    )


def _transposed(rows: list[dict[str, Any]], columns: list[str], numbers: list[int], caption: str) -> str:
    """Records `numbers` of `rows` side by side, a row per field."""
    head = f"<th{_CELL}></th>" + "".join(f"<th{_CELL}>row {n + 1}</th>" for n in numbers)
    body = "".join(
        f"<tr><th{_FIELD}>{_escape(c)}</th>"
        + "".join(f"<td{_CELL}>{_html_value(rows[n].get(c))}</td>" for n in numbers)
        + "</tr>"
        for c in columns
    )
    return f"<table>{caption}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _html_dl(mapping: dict[str, Any]) -> str:
    """Empty values say so: an empty <dd> collapses and shifts every later value up a line."""
    items = "".join(
        f'<dt style="font-weight:bold">{_key(str(k))}</dt><dd>{_html_value(v) or "<em>none</em>"}</dd>'
        for k, v in mapping.items()
    )
    return f"<dl>{items}</dl>"


def fact_html(key: str, value: Any) -> str:
    """The fact as a captioned table (list of dicts), definition list (dict) or text."""
    count = _count(value)
    label = f"<code>{_escape(key)}</code>" + (f" ({count})" if count else "")
    if _is_table(value):
        return _html_table(value, f'<caption style="text-align:left">{label}</caption>')
    return f'<figure style="margin:0"><figcaption>{label}</figcaption>{_html_value(value)}</figure>'


def _text_lines(value: Any, indent: str) -> list[str]:
    if _is_table(value):
        lines = []
        for row in value:
            block = _text_lines(row, indent + "  ")
            lines.append(f"{indent}- {block[0].lstrip()}" if block else f"{indent}-")
            lines += block[1:]
        return lines
    if isinstance(value, dict):
        lines = []
        for k, v in value.items():
            nested = isinstance(v, dict | list) and bool(v) and not _flat_list(v)
            text = _scalar_text(v)
            if nested or "\n" in text:
                lines.append(f"{indent}{k}:")
                lines += (
                    _text_lines(v, indent + "  ") if nested else [indent + "  " + t for t in text.split("\n")]
                )
            else:
                lines.append(f"{indent}{k}: {text}")
        return lines or [f"{indent}(none)"]
    return [indent + t for t in _scalar_text(value).split("\n")]


def _flat_list(value: Any) -> bool:
    return isinstance(value, list) and not any(isinstance(v, dict | list) for v in value)


def _scalar_text(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(_scalar(v) for v in value) if value else "(none)"
    if isinstance(value, dict) and not value:
        return "(none)"
    return _scalar(value)


def fact_text(key: str, value: Any) -> str:
    """The fact as indented `field: value` lines, one block per row, for consoles and plain viewers."""
    count = _count(value)
    title = f"{key} ({count})" if count else key
    return visible("\n".join([title, *_text_lines(value, "  ")]))
