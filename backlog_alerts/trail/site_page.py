"""The frame of every page of the site: one style, a Content-Security-Policy, no character hidden."""

from __future__ import annotations

import html

from backlog_alerts.ascii_text import visible

STYLE = """
body { font-family: system-ui, sans-serif; margin: 1.5em; max-width: 1200px; color: #222; }
table { border-collapse: collapse; margin: .5em 0 1em; max-width: 100%; }
th, td { border: 1px solid #ccc; padding: 4px 8px; text-align: left; vertical-align: top; }
td { overflow-wrap: anywhere; }
td.nowrap, .status, td code { white-space: nowrap; }
th { background: #f3f3f3; }
code, pre { font-size: 90%; }
pre { white-space: pre-wrap; overflow-wrap: anywhere; background: #f7f7f7; padding: .5em; margin: .2em 0; }
.status { font-weight: bold; padding: 1px 6px; border-radius: 3px; }
.status.succeeded { color: #1e7e34; }
.status.failed, .status.refused, .status.interrupted, .status.incomplete { color: #fff; background: #b00020; }
tr.failed td, tr.refused td, tr.interrupted td, tr.incomplete td { background: #fdecea; }
.message { border: 1px solid #ccc; padding: .5em 1em; margin: .5em 0 1em; }
dl.kv { display: grid; grid-template-columns: max-content 1fr; gap: 2px 1em; }
dl.kv dt { font-weight: bold; } dl.kv dd { margin: 0; overflow-wrap: anywhere; }
"""


# Every page we write says what it may do: no script of any kind, nothing fetched (images are inline
# data), styles only inline, no frames, forms or <base>. None of our pages needs a script; against a
# tampered trail this is the second layer behind escaping and `sanitize`.
CSP = (
    "default-src 'none'; img-src data:; style-src 'unsafe-inline'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
CSP_META = f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'


def page(title: str, content: str, style: str = STYLE) -> str:
    """A whole HTML document with its style inline: nothing is fetched, nothing runs, and no text in it
    hides a character (`visible`)."""
    return visible(
        f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">{CSP_META}<title>{html.escape(title)}</title>
<style>{style}</style></head>
<body>
{content}
</body></html>
""",
        markup=True,
    )
