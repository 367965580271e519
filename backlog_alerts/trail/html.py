"""`backlog-alerts report`: the trail as static HTML (nbconvert), readable in any browser."""

from __future__ import annotations

import html
from pathlib import Path

from nbconvert import HTMLExporter

from backlog_alerts.io import storage
from backlog_alerts.trail.audit import HEADLINE, load_run, summary
from backlog_alerts.trail.executed import read_notebook


def render_trail(location: str, destination: Path) -> Path:
    """One HTML page per executed notebook and an index of runs, newest first; returns the index."""
    exporter = HTMLExporter()
    rows = []
    for run_id in reversed(storage.run_ids(location)):
        run = load_run(location, run_id)
        pages = []
        for entry in run["manifest"]["notebooks"]:
            uri = storage.join(location, run_id, entry["notebook"])
            if entry["status"] == "pending" or not storage.exists(uri):
                continue
            body, _ = exporter.from_notebook_node(read_notebook(uri))
            page = destination / run_id / entry["notebook"].replace(".ipynb", ".html")
            page.parent.mkdir(parents=True, exist_ok=True)
            page.write_text(body, encoding="utf-8")
            pages.append(page.relative_to(destination).as_posix())
        rows.append((summary(run), pages))
    index = destination / "index.html"
    destination.mkdir(parents=True, exist_ok=True)
    index.write_text(_index_html(rows, location), encoding="utf-8")
    return index


def _index_html(rows: list[tuple[dict[str, object], list[str]]], location: str) -> str:
    head = "".join(f"<th>{html.escape(c.replace('_', ' '))}</th>" for c in ("run", *HEADLINE, "notebooks"))
    body = []
    for row, pages in rows:
        links = " ".join(f'<a href="{html.escape(p)}">{html.escape(Path(p).stem)}</a>' for p in pages)
        cells = "".join(f"<td>{html.escape(str(row[c]))}</td>" for c in HEADLINE)
        status_class = html.escape(str(row["status"]).split()[0])
        run_id = html.escape(str(row["run_id"]))
        body.append(f'<tr class="{status_class}"><td>{run_id}</td>{cells}<td>{links}</td></tr>')
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>backlog-alerts runs</title>
<style>
body {{ font-family: sans-serif; margin: 2em; }}
table {{ border-collapse: collapse; }}
th, td {{ border: 1px solid #ccc; padding: 4px 8px; text-align: left; vertical-align: top; }}
tr.failed td, tr.interrupted td, tr.refused td {{ background: #fdecea; }}
tr.succeeded td:nth-child(2) {{ color: #1e7e34; }}
</style></head>
<body><h1>backlog-alerts runs</h1>
<p>Trail: {html.escape(location)}. Newest first. Personal data is masked in every page.</p>
<table><thead><tr>{head}</tr></thead><tbody>
{chr(10).join(body)}
</tbody></table></body></html>
"""
