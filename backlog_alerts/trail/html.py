"""`backlog-alerts report`: the trail as a static, offline site for an auditor.

An index of runs (backtests apart) and one page per run with everything needed to answer "what was
sent, to whom, from which inputs and code"; the executed notebooks are linked, rendered by nbconvert
without code cells unless asked. Nothing is loaded from the internet: an auditor may read the site
offline, and a page that pulls scripts from a CDN is not a record of what was seen.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from backlog_alerts.ascii_text import visible
from backlog_alerts.errors import BacklogAlertsError
from backlog_alerts.io import locations, storage
from backlog_alerts.io.versioned import replace_file
from backlog_alerts.trail.audit import Said, load_run
from backlog_alerts.trail.executed import read_notebook
from backlog_alerts.trail.record import ended
from backlog_alerts.trail.run_page import outside_section, run_page
from backlog_alerts.trail.runs import NotRead, RunFolders, is_run_id, run_folders
from backlog_alerts.trail.sanitize import notebook_exporter, trail_notebook
from backlog_alerts.trail.site_cache import STATE, SiteState, fingerprint, load_state, state_text
from backlog_alerts.trail.site_index import entry_of, index_html, month_html, months
from backlog_alerts.trail.site_page import STYLE, STYLESHEET, month_of, month_page
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
    location: str,
    destination: Path,
    with_code: bool = False,
    outside: Outside | None = None,
    said: Said | None = None,
    folders: RunFolders | None = None,
) -> Path:
    """The index, a page per month and per run, and the runs' notebooks as HTML; returns the index.

    Only runs that are new or changed since the site was last written (`site_cache`) are read and
    rendered; the pages of runs gone from the trail are removed. Only the trail's run folders and
    notebooks that the package writes are read (`audit.load_run`); the rest is listed. `outside`: the
    sends outside recorded runs, listed on the index; `said`: what was not read, or not saved."""
    said = said if said is not None else Said()
    folders = folders or run_folders(location)
    said.not_read.extend(folders.not_read)
    state = load_state(destination, location, {"with_code": with_code})
    _write(destination, (STYLESHEET,), STYLE)  # the one stylesheet every page links
    shown: dict[str, dict[str, Any]] = {}
    changed: set[str] = set()
    exporter = None
    for run_id in folders.run_ids:
        if (
            state.current(run_id, folders.files[run_id])
            and site_file(destination, run_id, "index.html").exists()
        ):
            shown[run_id] = state.runs[run_id]
            said.not_read.extend(shown[run_id]["not_read"])
            continue
        exporter = exporter or notebook_exporter(with_code)
        entry = _render_run(location, destination, run_id, folders.files[run_id], exporter, said)
        if entry is not None:
            shown[run_id] = entry
        changed.add(month_of(run_id))
    changed |= {entry["month"] for run_id, entry in state.runs.items() if run_id not in shown}
    _prune(destination, _pages_of(destination) - set(shown))  # runs gone from the trail
    by_month = months(shown.items())
    _write_months(destination, by_month, changed, fresh=not state.runs)
    outside = outside or Outside()
    listed = outside_section(
        outside.sends, outside.error, outside.notices, outside.not_read, outside.state_uri
    )
    index = _write(destination, ("index.html",), index_html(by_month, location, said.not_read, listed))
    replace_file(site_file(destination, STATE), state_text(SiteState(location, state.options, shown)))
    return index


def _render_run(
    location: str, destination: Path, run_id: str, files: dict[str, str], exporter: Any, said: Said
) -> dict[str, Any] | None:
    """One run's page and its notebooks' pages, rendered afresh, and what the site keeps of it; None
    when the run is not read (said)."""
    try:
        run = load_run(location, run_id, files, said=said)
    except NotRead as err:
        said.not_read.append(str(err))
        return None
    said.not_read.extend(run["not_read"])
    _prune(destination, {run_id})
    pages = []
    for entry in run["manifest"]["notebooks"]:
        if entry["status"] == "pending" or entry["notebook"].removesuffix(".ipynb") not in run["notebooks"]:
            continue
        name = entry["notebook"].removesuffix(".ipynb") + ".html"
        notebook = read_notebook(locations.join(location, run_id, entry["notebook"]))
        body, _ = exporter.from_notebook_node(
            trail_notebook(notebook, f"{run_id} {name.removesuffix('.html')}")
        )
        pages.append(_write(destination, (run_id, name), body).name)
    _write(destination, (run_id, "index.html"), run_page(run, pages))
    now = storage.folder_tags(locations.join(location, run_id))  # with the record, if reading saved it
    return entry_of(run) | {"fingerprint": fingerprint(now), "ended": ended(run), "not_read": run["not_read"]}


def _prune(destination: Path, run_ids: set[str]) -> None:
    """Remove the pages of these runs (about to be rendered again)."""
    for run_id in run_ids:
        if is_run_id(run_id) and site_file(destination, run_id).is_dir():
            shutil.rmtree(site_file(destination, run_id))


def _pages_of(destination: Path) -> set[str]:
    """The runs the site holds pages of, whatever its memory says (a memory lost forgets them)."""
    return {p.name for p in destination.iterdir() if p.is_dir() and is_run_id(p.name)}


def _write_months(
    destination: Path, by_month: dict[str, list[dict[str, Any]]], changed: set[str], fresh: bool
) -> None:
    """The page of each month that changed, and of the months beside it (their links to it); the pages
    of months that no longer have a run removed."""
    order = list(by_month)
    for position, month in enumerate(order):
        newer = order[position - 1] if position else ""
        older = order[position + 1] if position + 1 < len(order) else ""
        near = {newer, older} & changed
        target = site_file(destination, month_page(month))
        if fresh or month in changed or near or not target.exists():
            _write(destination, (month_page(month),), month_html(month, by_month[month], newer, older))
    for old in destination.glob("runs-*.html"):
        if old.name not in {month_page(month) for month in order}:
            old.unlink()
