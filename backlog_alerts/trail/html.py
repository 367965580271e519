"""`backlog-alerts report`: the trail as a static, offline site for an auditor.

An index of runs (backtests apart) and one page per run with everything needed to answer "what was
sent, to whom, from which inputs and code"; the executed notebooks are linked, rendered by nbconvert
without code cells unless asked. Nothing is loaded from the internet: an auditor may read the site
offline, and a page that pulls scripts from a CDN is not a record of what was seen.
"""

from __future__ import annotations

import html
import re
from pathlib import Path
from typing import Any

from nbconvert import HTMLExporter

from backlog_alerts.io import locations, storage
from backlog_alerts.trail.audit import load_run, summary
from backlog_alerts.trail.executed import read_notebook
from backlog_alerts.trail.manifest import effective_status
from backlog_alerts.trail.run_page import STYLE, is_backtest, page, run_page, sent_lines

# Scripts with an empty or remote src (MathJax, require.js): an empty src reloads the page itself.
_REMOTE_SCRIPT = re.compile(r'<script[^>]*\ssrc="(?:https?:)?(?://[^"]*)?"[^>]*>\s*</script>', re.I)
_REMOTE_LINK = re.compile(r'<link[^>]*\shref="(?:https?:)?//[^"]*"[^>]*>', re.I)


def offline(body: str) -> str:
    """The page without any script or stylesheet it would fetch from elsewhere."""
    return _REMOTE_LINK.sub("", _REMOTE_SCRIPT.sub("", body))


def notebook_exporter(with_code: bool = False) -> HTMLExporter:
    """nbconvert's lab template, inputs hidden unless `with_code`, no MathJax or require.js URL."""
    return HTMLExporter(template_name="lab", exclude_input=not with_code, mathjax_url="", require_js_url="")


def render_trail(location: str, destination: Path, with_code: bool = False) -> Path:
    """The index, a page per run and its notebooks as HTML; returns the index."""
    exporter = notebook_exporter(with_code)
    runs: list[dict[str, Any]] = []
    backtests: list[dict[str, Any]] = []
    for run_id in reversed(storage.run_ids(location)):
        run = load_run(location, run_id)
        pages = []
        for entry in run["manifest"]["notebooks"]:
            uri = locations.join(location, run_id, entry["notebook"])
            if entry["status"] == "pending" or not storage.exists(uri):
                continue
            body, _ = exporter.from_notebook_node(read_notebook(uri))
            target = destination / run_id / entry["notebook"].replace(".ipynb", ".html")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(offline(body), encoding="utf-8")
            pages.append(target.name)
        folder = destination / run_id
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "index.html").write_text(run_page(run, pages), encoding="utf-8")
        (backtests if is_backtest(run["manifest"]) else runs).append(run)
    index = destination / "index.html"
    index.write_text(_index_html(runs, backtests, location), encoding="utf-8")
    return index


def _status_cell(run: dict[str, Any]) -> str:
    row = summary(run)
    status = str(row["status"])
    kind = effective_status(run["manifest"])
    detail = f"<br><small>{html.escape(str(row['error']))}</small>" if row["error"] else ""
    return f'<td><span class="status {html.escape(kind)}">{html.escape(status)}</span>{detail}</td>'


def _run_row(run: dict[str, Any]) -> str:
    row = summary(run)
    run_id = html.escape(str(row["run_id"]))
    sent, not_sent = sent_lines(run)
    cells = [
        f'<td class="nowrap"><a href="{run_id}/index.html">{run_id}</a></td>',
        _status_cell(run),
        f'<td class="nowrap">{html.escape(str(row["report_period"]))}</td>',
        "<td>" + ("<br>".join(sent) or "<em>nothing</em>") + "</td>",
        "<td>" + ("<br>".join(not_sent) or "") + "</td>",
    ]
    return f'<tr class="{html.escape(effective_status(run["manifest"]))}">{"".join(cells)}</tr>'


def _backtest_row(run: dict[str, Any]) -> str:
    manifest = run["manifest"]
    run_id = html.escape(manifest["run_id"])
    params = html.escape(manifest["params_file"].rsplit("/", 1)[-1])
    return (
        f'<tr><td><a href="{run_id}/index.html">{run_id}</a></td>{_status_cell(run)}'
        f"<td>{params}</td><td>{html.escape(manifest.get('ended_at', ''))}</td></tr>"
    )


def _index_html(runs: list[dict[str, Any]], backtests: list[dict[str, Any]], location: str) -> str:
    head = "<tr><th>run</th><th>status</th><th>period</th><th>sent (rule → topic, MessageId)</th>"
    head += "<th>not sent, and why</th></tr>"
    body = "\n".join(_run_row(run) for run in runs) or '<tr><td colspan="5">no runs</td></tr>'
    tests = "\n".join(_backtest_row(run) for run in backtests) or '<tr><td colspan="4">none</td></tr>'
    content = f"""<h1>backlog-alerts runs</h1>
<p>Trail: <code>{html.escape(location)}</code>. Newest first.
Emails and phone numbers are masked in every page; names are shown.</p>
<h2>Runs</h2>
<table class="runs"><thead>{head}</thead><tbody>
{body}
</tbody></table>
<h2>Backtests</h2>
<p>Replays of past reports (notebook 04): nothing was published.</p>
<table><thead><tr><th>run</th><th>status</th><th>params</th><th>ended</th></tr></thead><tbody>
{tests}
</tbody></table>"""
    return page("backlog-alerts runs", content, STYLE)
