"""The frame of every page of the site: one shared stylesheet, a Content-Security-Policy, no character
hidden.

Every page fits a 1,280 px window: nothing in the style makes a page or a box scroll sideways. Tables
wrap their cells at spaces and at the breaks `rendering.breakable` puts in long identifiers (never
`overflow-wrap: anywhere`, which lets a squeezed column wrap one character per line), and a fact too
wide for a page is laid out a record per column (`rendering.WIDE`). Tested in Chromium
(tests/integration/test_report_browser.py).
"""

from __future__ import annotations

import html

from backlog_alerts.ascii_text import visible

STYLESHEET = "style.css"  # the one stylesheet of the site, at its root, linked from every page

_SITE = """
body { font-family: system-ui, sans-serif; margin: 1.5em; max-width: 1200px; color: #222; }
table { border-collapse: collapse; margin: .5em 0 1em; }
caption { text-align: left; }
th, td { border: 1px solid #ccc; padding: 4px 8px; text-align: left; vertical-align: top; }
td.nowrap, .status, td code { white-space: nowrap; }
th { background: #f3f3f3; }
code, pre { font-size: 90%; }
pre { white-space: pre-wrap; overflow-wrap: break-word; background: #f7f7f7; padding: .5em; margin: .2em 0; }
img { max-width: 100%; height: auto; }
.status { font-weight: bold; padding: 1px 6px; border-radius: 3px; }
.status.succeeded { color: #1e7e34; }
.status.failed, .status.refused, .status.interrupted, .status.incomplete { color: #fff; background: #b00020; }
tr.failed td, tr.refused td, tr.interrupted td, tr.incomplete td { background: #fdecea; }
.message { border: 1px solid #ccc; padding: .5em 1em; margin: .5em 0 1em; }
dl.kv { display: grid; grid-template-columns: max-content 1fr; gap: 2px 1em; }
dl.kv dt { font-weight: bold; } dl.kv dd { margin: 0; }
"""
# Executed notebooks (nbconvert's lab markup without its 260 KB stylesheet): prompts and collapsers
# hidden, outputs in the page's flow (no box of their own that scrolls), stderr tinted.
_NOTEBOOK = """
.jp-Collapser, .jp-InputPrompt, .jp-OutputPrompt { display: none; }
.jp-Cell { margin: .4em 0; }
.jp-OutputArea-output { margin: .2em 0; }
.jp-OutputArea-output > figure, .jp-OutputArea-output figure { margin: .5em 0; }
.jp-RenderedText pre, .jp-InputArea pre { margin: 0; }
.jp-RenderedText[data-mime-type="application/vnd.jupyter.stderr"] pre { background: #fdf1e6; }
.jp-RenderedText pre .ansi-red-fg { color: #b00020; }
.jp-RenderedText pre .ansi-green-fg { color: #1e7e34; }
.jp-InputArea pre { background: #eef3f8; }
.jp-MarkdownOutput h1 { margin-top: .2em; }
.jp-RenderedHTML dl { display: grid; grid-template-columns: max-content 1fr; gap: 2px 1em; margin: .3em 0; }
.jp-RenderedHTML dd { margin: 0; }
"""
STYLE = _SITE + _NOTEBOOK

# Every page we write says what it may do: no script of any kind, no image but inline data, the site's
# own stylesheet (`'self'`: a file beside the pages, whether read from disk or served) and inline style
# attributes (the facts' tables align and wrap with them), no frames, forms or <base>. None of our pages
# needs a script; against a tampered trail this is the second layer behind escaping and `sanitize`.
CSP = (
    "default-src 'none'; img-src data:; style-src 'self' 'unsafe-inline'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
CSP_META = f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'


def month_of(run_id: str) -> str:
    """The month a run started in (UTC), as its id says: `2026-11`; its runs are listed on one page."""
    return f"{run_id[:4]}-{run_id[4:6]}"


def month_page(month: str) -> str:
    """The file of a month's page, at the site's root beside the index."""
    return f"runs-{month}.html"


def stylesheet_link(root: str) -> str:
    """The link to the site's stylesheet from a page `root` away from the site's root ("", "../")."""
    return f'<link rel="stylesheet" href="{html.escape(root)}{STYLESHEET}">'


def page(title: str, content: str, *, root: str = "") -> str:
    """A whole HTML document that links the site's stylesheet (`root`: the way from the page up to the
    site's root, "" or "../"): nothing else is fetched, nothing runs, and no text in it hides a
    character (`visible`)."""
    return visible(
        f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">{CSP_META}<title>{html.escape(title)}</title>
{stylesheet_link(root)}</head>
<body>
{content}
</body></html>
""",
        markup=True,
    )
