"""The site's index and month pages: a month's page lists that month's runs and backtests, each a row
built from the trail when the page is written (`html`); the index lists the months, counted from what
the site remembers of each run (`site_cache`), and shows the newest month's rows.

So no page grows without bound as the trail does: a month holds a month of runs, and the index a line
per month with the newest month's runs beside it.
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from typing import Any

from backlog_alerts.trail.audit import summary
from backlog_alerts.trail.audit_data import run_status
from backlog_alerts.trail.rendering import breakable
from backlog_alerts.trail.run_page import is_backtest, sent_lines
from backlog_alerts.trail.runs import NOT_READ
from backlog_alerts.trail.site_page import month_of, month_page, page

STOPPED = ("failed", "refused", "interrupted", "incomplete")  # a run a reviewer must look at
RUNS_HEAD = (
    "<tr><th>run</th><th>status</th><th>period</th><th>sent (rule → topic, MessageId)</th>"
    "<th>not sent, and why</th></tr>"
)
BACKTESTS_HEAD = "<tr><th>run</th><th>status</th><th>params</th><th>ended</th></tr>"


def _status_cell(run: dict[str, Any]) -> str:
    row = summary(run)
    kind = run_status(run)[0]
    detail = f"<br><small>{breakable(str(row['error']))}</small>" if row["error"] else ""  # URIs break
    return (
        f'<td><span class="status {html.escape(kind)}">{html.escape(str(row["status"]))}</span>{detail}</td>'
    )


def run_row(run: dict[str, Any]) -> str:
    """A run's row of its month's page (and of the index, for the newest month)."""
    manifest = run["manifest"]
    run_id = html.escape(manifest["run_id"])
    link = f'<td class="nowrap"><a href="{run_id}/index.html">{run_id}</a></td>'
    if is_backtest(manifest):
        params = html.escape(manifest["params_file"].rsplit("/", 1)[-1])
        ended = html.escape(manifest.get("ended_at", ""))
        return f"<tr>{link}{_status_cell(run)}<td>{params}</td><td>{ended}</td></tr>"
    sent, not_sent = sent_lines(run)
    cells = [
        link,
        _status_cell(run),
        f'<td class="nowrap">{html.escape(str(summary(run)["report_period"]))}</td>',
        "<td>" + ("<br>".join(sent) or "<em>nothing</em>") + "</td>",
        "<td>" + ("<br>".join(not_sent) or "") + "</td>",
    ]
    return f'<tr class="{html.escape(run_status(run)[0])}">{"".join(cells)}</tr>'


def entry_of(run: dict[str, Any]) -> dict[str, Any]:
    """What the site keeps of a run besides its fingerprint: month, kind, status and alerts sent."""
    run_id = run["manifest"]["run_id"]
    return {
        "month": month_of(run_id),
        "kind": kind_of(run),
        "status": run_status(run)[0],
        "sent": summary(run)["sent"],
    }


def kind_of(run: dict[str, Any]) -> str:
    """Which table of its month a run is listed in."""
    return "backtest" if is_backtest(run["manifest"]) else "run"


def _tables(rows: list[tuple[str, str]]) -> str:
    """A month's runs, then its backtests, newest first; `rows`: (kind, row) of each."""
    runs = "\n".join(row for kind, row in rows if kind == "run") or '<tr><td colspan="5">no runs</td></tr>'
    tests = "\n".join(row for kind, row in rows if kind == "backtest")
    said = f'<table class="runs"><thead>{RUNS_HEAD}</thead><tbody>\n{runs}\n</tbody></table>'
    if tests:
        said += "<h3>Backtests</h3><p>Replays of past reports (notebook 04): nothing was published.</p>"
        said += f"<table><thead>{BACKTESTS_HEAD}</thead><tbody>\n{tests}\n</tbody></table>"
    return said


def month_html(month: str, rows: list[tuple[str, str]], newer: str, older: str) -> str:
    """One month's page: its runs and backtests, newest first, with links to the months around it."""
    links = ['<a href="index.html">all months</a>']
    links += [f'<a href="{month_page(newer)}">← {newer}</a>'] if newer else []
    links += [f'<a href="{month_page(older)}">{older} →</a>'] if older else []
    content = f"<p>{' · '.join(links)}</p><h1>Runs of {html.escape(month)}</h1><p>Newest first.</p>"
    return page(f"backlog-alerts runs of {month}", content + _tables(rows))


def months(run_ids: Iterable[str]) -> dict[str, list[str]]:
    """Run ids by month, months and runs newest first."""
    by_month: dict[str, list[str]] = {}
    for run_id in sorted(run_ids, reverse=True):
        by_month.setdefault(month_of(run_id), []).append(run_id)
    return by_month


def neighbours(order: list[str], month: str) -> tuple[str, str]:
    """The months just newer and just older than `month` in `order` (newest first); "" for none."""
    at = order.index(month)
    return (order[at - 1] if at else ""), (order[at + 1] if at + 1 < len(order) else "")


def _month_line(month: str, entries: list[dict[str, Any]]) -> str:
    runs = [e for e in entries if e["kind"] == "run"]
    stopped = sum(e["status"] in STOPPED for e in runs)
    flag = f'<span class="status failed">{stopped} to look at</span>' if stopped else ""
    tests = sum(e["kind"] == "backtest" for e in entries)
    return (
        f'<tr class="{"failed" if stopped else ""}"><td class="nowrap"><a href="{month_page(month)}">'
        f"{html.escape(month)}</a></td><td>{len(runs)}</td><td>{flag}</td>"
        f"<td>{sum(e['sent'] for e in runs)}</td><td>{tests or ''}</td></tr>"
    )


def not_read_section(lines: list[str]) -> str:
    """What the trail held that is not the package's, and so was not read: said, never followed."""
    if not lines:
        return ""
    items = "".join(f"<li>{html.escape(line.removeprefix(NOT_READ))}</li>" for line in lines)
    return f"<h2>Not read</h2><p>In the trail but not written by backlog-alerts:</p><ul>{items}</ul>"


def index_html(
    by_month: dict[str, list[dict[str, Any]]],
    newest_rows: list[tuple[str, str]],
    location: str,
    not_read: list[str],
    outside: str,
) -> str:
    """The index: the newest month's runs (`newest_rows`), a line per month (runs, those to look at,
    alerts sent, backtests) from the site's entries, the sends outside recorded runs, and what was not
    read."""
    newest = next(iter(by_month), "")
    latest = (
        f'<h2>Latest: {html.escape(newest)}</h2><p><a href="{month_page(newest)}">the month\'s page</a></p>'
        + _tables(newest_rows)
        if newest
        else "<h2>Runs</h2><p><em>no runs</em></p>"
    )
    lines = "\n".join(_month_line(month, entries) for month, entries in by_month.items())
    content = f"""<h1>backlog-alerts runs</h1>
<p>Trail: <code>{html.escape(location)}</code>. Newest first, a page per month.
Emails and phone numbers are masked in every page; names are shown.</p>
{latest}
<h2>Months</h2>
<table><thead><tr><th>month</th><th>runs</th><th>stopped or incomplete</th>
<th>alerts sent</th><th>backtests</th></tr></thead><tbody>
{lines or '<tr><td colspan="5">none</td></tr>'}
</tbody></table>
{outside}
{not_read_section(not_read)}"""
    return page("backlog-alerts runs", content)
