"""A recorded fact as a person reads it: HTML for nbconvert and JupyterLab, and plain text.

The machine JSON of a fact is rendered by nobody; these views are what an auditor sees in the
executed notebook. Values are shown whole (no truncation), escaped, with any invisible or reordering
character shown by its code point (`ascii_text.visible`: a name cannot disguise itself), and long or
multi-line texts keep their line breaks. Standard library only: every kernel imports this through `facts`.
"""

from __future__ import annotations

import html
from typing import Any

from backlog_alerts.ascii_text import visible

LONG_TEXT = 80  # longer texts (and any with a line break) go in a <pre> block, wrapped
_CELL = ' style="text-align:left;vertical-align:top"'
# Wrapped at spaces only, never inside a word: a wrapped line must not read as a different text.
_PRE = (
    ' style="white-space:pre-wrap;word-break:normal;overflow-wrap:break-word;min-width:40ch;'
    'margin:0;padding:0;background:transparent;text-align:left"'
)


def _escape(text: str) -> str:
    """Text as HTML: escaped, hidden characters shown."""
    return html.escape(visible(text))


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
    if "\n" in text or len(text) > LONG_TEXT:
        return f"<pre{_PRE}>{_escape(text)}</pre>"
    return _escape(text)


def _html_table(rows: list[dict[str, Any]], caption: str = "") -> str:
    columns = list(dict.fromkeys(k for row in rows for k in row))
    head = "".join(f"<th{_CELL}>{_escape(str(c))}</th>" for c in columns)
    body = "".join(
        "<tr>" + "".join(f"<td{_CELL}>{_html_value(row.get(c))}</td>" for c in columns) + "</tr>"
        for row in rows
    )
    return f"<table>{caption}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _html_dl(mapping: dict[str, Any]) -> str:
    """Empty values say so: an empty <dd> collapses and shifts every later value up a line."""
    items = "".join(
        f'<dt style="font-weight:bold">{_escape(str(k))}</dt><dd>{_html_value(v) or "<em>none</em>"}</dd>'
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
