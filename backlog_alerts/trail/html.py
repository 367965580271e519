"""`backlog-alerts report`: the trail as a static, offline site for an auditor.

An index of runs (backtests apart) and one page per run with everything needed to answer "what was
sent, to whom, from which inputs and code"; the executed notebooks are linked, rendered by nbconvert
without code cells unless asked. Nothing is loaded from the internet: an auditor may read the site
offline, and a page that pulls scripts from a CDN is not a record of what was seen.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

from backlog_alerts.ascii_text import visible
from backlog_alerts.errors import BacklogAlertsError
from backlog_alerts.io import locations
from backlog_alerts.trail.audit import load_trail, summary
from backlog_alerts.trail.audit_data import run_status
from backlog_alerts.trail.executed import read_notebook
from backlog_alerts.trail.run_page import is_backtest, outside_section, run_page, sent_lines
from backlog_alerts.trail.runs import NOT_READ
from backlog_alerts.trail.sanitize import notebook_exporter, trail_notebook
from backlog_alerts.trail.site_page import STYLE, STYLESHEET, page
from backlog_alerts.trail.untraced import Outside


class OutsideSite(BacklogAlertsError, ValueError):
    """A page would be written outside the site's folder: nothing more is written."""


def site_file(destination: Path, *parts: str) -> Path:
    """Where a page goes: under `destination`, checked once every link is resolved. The parts are
    validated run ids and notebook names already (`runs`); this is the second layer."""
    root = destination.resolve()
    target = root.joinpath(*parts).resolve()
    if target == root or not target.is_relative_to(root):
        raise OutsideSite(f"{visible(str(target), lines=False)}: outside {root}; not written")
    return target


def _write(destination: Path, parts: tuple[str, ...], text: str) -> Path:
    """Every page of the site is written here, each hidden character in it shown (`visible`)."""
    target = site_file(destination, *parts)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(visible(text, markup=True), encoding="utf-8")
    return target


def render_trail(
    location: str, destination: Path, with_code: bool = False, outside: Outside | None = None
) -> Path:
    """The index, a page per run and its notebooks as HTML; returns the index. Only the trail's run
    folders and notebooks that the package writes are read (`audit.load_trail`); the rest is listed.
    `outside`: the sends outside recorded runs, listed on the index."""
    exporter = notebook_exporter(with_code)
    trail = load_trail(location)
    _write(destination, (STYLESHEET,), STYLE)  # the one stylesheet every page links
    runs: list[dict[str, Any]] = []
    backtests: list[dict[str, Any]] = []
    for run in reversed(list(trail)):
        run_id = run["manifest"]["run_id"]
        pages = []
        for entry in run["manifest"]["notebooks"]:
            uri = locations.join(location, run_id, entry["notebook"])
            if (
                entry["status"] == "pending"
                or entry["notebook"].removesuffix(".ipynb") not in run["notebooks"]
            ):
                continue
            name = entry["notebook"].removesuffix(".ipynb") + ".html"
            shown = trail_notebook(read_notebook(uri), f"{run_id} {name.removesuffix('.html')}")
            body, _ = exporter.from_notebook_node(shown)
            pages.append(_write(destination, (run_id, name), body).name)
        _write(destination, (run_id, "index.html"), run_page(run, pages))
        (backtests if is_backtest(run["manifest"]) else runs).append(run)
    outside = outside or Outside()
    listed = outside_section(
        outside.sends, outside.error, outside.notices, outside.not_read, outside.state_uri
    )
    index = _index_html(runs, backtests, location, trail.not_read, listed)
    return _write(destination, ("index.html",), index)


def _status_cell(run: dict[str, Any]) -> str:
    row = summary(run)
    status = str(row["status"])
    kind = run_status(run)[0]
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
    return f'<tr class="{html.escape(run_status(run)[0])}">{"".join(cells)}</tr>'


def _backtest_row(run: dict[str, Any]) -> str:
    manifest = run["manifest"]
    run_id = html.escape(manifest["run_id"])
    params = html.escape(manifest["params_file"].rsplit("/", 1)[-1])
    return (
        f'<tr><td><a href="{run_id}/index.html">{run_id}</a></td>{_status_cell(run)}'
        f"<td>{params}</td><td>{html.escape(manifest.get('ended_at', ''))}</td></tr>"
    )


def _not_read(lines: list[str]) -> str:
    """What the trail held that is not the package's, and so was not read: said, never followed."""
    if not lines:
        return ""
    items = "".join(f"<li>{html.escape(line.removeprefix(NOT_READ))}</li>" for line in lines)
    return f"<h2>Not read</h2><p>In the trail but not written by backlog-alerts:</p><ul>{items}</ul>"


def _index_html(
    runs: list[dict[str, Any]],
    backtests: list[dict[str, Any]],
    location: str,
    not_read: list[str],
    outside: str = "",
) -> str:
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
{outside}
<h2>Backtests</h2>
<p>Replays of past reports (notebook 04): nothing was published.</p>
<table><thead><tr><th>run</th><th>status</th><th>params</th><th>ended</th></tr></thead><tbody>
{tests}
</tbody></table>
{_not_read(not_read)}"""
    return page("backlog-alerts runs", content)
