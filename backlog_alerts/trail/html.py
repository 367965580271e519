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
from backlog_alerts.trail.executed import NotANotebook, read_notebook
from backlog_alerts.trail.record import RECORD, ended
from backlog_alerts.trail.run_folder import UNREADABLE, unreadable_reason
from backlog_alerts.trail.run_page import outside_section, run_page
from backlog_alerts.trail.runs import NotRead, RunFolders, is_run_id, not_read, run_folders
from backlog_alerts.trail.sanitize import notebook_exporter, trail_notebook
from backlog_alerts.trail.site_cache import STATE, SiteState, fingerprint, load_state, state_text
from backlog_alerts.trail.site_index import (
    entry_of,
    index_html,
    kind_of,
    month_html,
    months,
    neighbours,
    run_row,
)
from backlog_alerts.trail.site_page import STYLE, STYLESHEET, month_page
from backlog_alerts.trail.untraced import Outside


class OutsideSite(BacklogAlertsError, ValueError):
    """A page would be written outside the site's folder: nothing more is written."""


class TrailFolder(BacklogAlertsError, ValueError):
    """The site's folder is the trail's, or a run folder's, or holds the trail: nothing is written."""


Row = tuple[str, str]  # a run's table on its month's page ("run" or "backtest") and its row there


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

    Only runs that are new or changed since the site was last written (`site_cache`) are rendered; a
    month's page is written again when its runs or the months beside it changed, each row on it read
    from the trail (`_rows`); the pages of runs gone from the trail are removed. Only the trail's run
    folders and notebooks that the package writes are read (`audit.load_run`); the rest is listed.
    `outside`: the sends outside recorded runs, listed on the index; `said`: what was not read, or not
    saved."""
    said = said if said is not None else Said()
    folders = folders or run_folders(location)
    _own_folder(location, destination, folders)
    state = load_state(destination, location, {"with_code": with_code})
    said.not_read.extend(folders.not_read)
    _write(destination, (STYLESHEET,), STYLE)  # the one stylesheet every page links
    shown: dict[str, dict[str, Any]] = {}
    rows: dict[str, Row] = {}  # of the runs read by this report
    exporter = None
    for run_id in folders.run_ids:
        if state.current(run_id, folders.files[run_id]) and _pages_there(destination, run_id):
            shown[run_id] = state.runs[run_id]
            said.not_read.extend(shown[run_id]["not_read"])
            continue
        exporter = exporter or notebook_exporter(with_code)
        rendered = _render_run(location, destination, run_id, folders.files[run_id], exporter, said)
        if rendered is not None:
            shown[run_id], rows[run_id] = rendered
    stale = _rows(location, destination, folders, months(state.runs), shown, rows, said)
    _prune(destination, _pages_of(destination) - set(shown))  # runs gone from the trail
    by_month = months(shown)
    order = list(by_month)
    for month in stale:
        newer, older = neighbours(order, month)
        _write(
            destination,
            (month_page(month),),
            month_html(month, [rows[r] for r in by_month[month]], newer, older),
        )
    for old in destination.glob("runs-*.html"):
        if old.name not in {month_page(month) for month in order}:
            old.unlink()
    outside = outside or Outside()
    listed = outside_section(
        outside.sends, outside.error, outside.notices, outside.not_read, outside.state_uri
    )
    counted = {month: [shown[r] for r in ids] for month, ids in by_month.items()}
    newest = [rows[r] for r in next(iter(by_month.values()), [])]
    index = _write(destination, ("index.html",), index_html(counted, newest, location, said.not_read, listed))
    replace_file(site_file(destination, STATE), state_text(SiteState(location, state.options, shown)))
    return index


def _own_folder(location: str, destination: Path, folders: RunFolders) -> None:
    """Refuse a site folder that is the trail's own, in one of its run folders, or that holds the trail
    in a folder named as a run (whose pages a report replaces): nothing of the trail is written over or
    removed by a report."""
    trail = locations.local_copy(location)
    if trail is None:
        return
    trail, site = trail.resolve(), destination.resolve()
    said = f"--to {visible(str(site), lines=False)}"
    if site == trail:
        raise TrailFolder(f"{said}: the trail's own folder; give the site a folder of its own ({trail}/html)")
    if site.is_relative_to(trail):
        first = site.relative_to(trail).parts[0]
        if first in folders.files or is_run_id(first):
            raise TrailFolder(
                f"{said}: inside the run folder {trail / first}; give the site a folder of its own"
            )
    if trail.is_relative_to(site) and is_run_id(trail.relative_to(site).parts[0]):
        raise TrailFolder(
            f"{said}: holds the trail {trail} where a run's pages go; give the site another folder"
        )


def _rows(
    location: str,
    destination: Path,
    folders: RunFolders,
    before: dict[str, list[str]],
    shown: dict[str, dict[str, Any]],
    rows: dict[str, Row],
    said: Said,
) -> list[str]:
    """The months whose page must be written again (`_stale`); every row they and the index show is in
    `rows` on return, those of runs not rendered now read from the trail. A run that cannot be read
    now (its folder removed since the trail was listed) is no longer shown, and said."""
    rendered = set(rows)
    while True:
        by_month = months(shown)
        stale = _stale(destination, before, by_month, rendered)
        wanted = dict.fromkeys([r for m in stale for r in by_month[m]] + next(iter(by_month.values()), []))
        lost = False
        for run_id in wanted:
            if run_id not in rows:
                row = _row(location, run_id, folders.files[run_id], said)
                if row is None:
                    del shown[run_id]
                    lost = True
                else:
                    rows[run_id] = row
        if not lost:
            return stale


def _stale(
    destination: Path, before: dict[str, list[str]], after: dict[str, list[str]], read: set[str]
) -> list[str]:
    """The months whose page is not the one a first report would write now: new, or with a run added,
    removed or rendered again, or with other months beside it than before, or whose page is gone."""
    old, new = list(before), list(after)
    return [
        month
        for month in new
        if before.get(month) != after[month]
        or read.intersection(after[month])
        or neighbours(old, month) != neighbours(new, month)
        or not site_file(destination, month_page(month)).is_file()
    ]


def _row(location: str, run_id: str, files: dict[str, str], said: Said) -> Row | None:
    """A run's row, read from the trail as rendering it reads it (what reading it says is already in the
    site's memory); None when it cannot be read now, said."""
    try:
        run = load_run(location, run_id, files, said=Said())
    except NotRead as err:
        said.not_read.append(str(err))
        return None
    return kind_of(run), run_row(run)


def _render_run(
    location: str, destination: Path, run_id: str, files: dict[str, str], exporter: Any, said: Said
) -> tuple[dict[str, Any], Row] | None:
    """One run's page and its notebooks' pages, rendered afresh, what the site keeps of it and its row;
    None when the run is not read (said)."""
    start = len(said.not_read)
    try:
        run = load_run(location, run_id, files, said=said)
    except NotRead as err:
        said.not_read.append(str(err))
        return None
    now = _tags(location, run_id)  # with the record, if reading saved it
    # What reading said of the run's record holds while the record is the one read; one rebuilt now is sound.
    about_record = said.not_read[start:] if now.get(RECORD) == files.get(RECORD) else []
    lines = [*about_record, *run["not_read"]]
    said.not_read.extend(run["not_read"])
    _prune(destination, {run_id})
    pages = []
    for entry in run["manifest"]["notebooks"]:
        if entry["status"] == "pending" or entry["notebook"].removesuffix(".ipynb") not in run["notebooks"]:
            continue
        name = entry["notebook"].removesuffix(".ipynb") + ".html"
        try:
            notebook = read_notebook(locations.join(location, run_id, entry["notebook"]))
        except NotANotebook:  # a record naming this file's tag over a file that is none (planted)
            line = not_read(f"{run_id}/{entry['notebook']}", "not a notebook (not JSON, or not nbformat)")
            said.not_read.append(line)
            lines.append(line)
            continue
        except UNREADABLE as err:  # removed since the trail was listed
            line = not_read(f"{run_id}/{entry['notebook']}", f"cannot be read ({unreadable_reason(err)})")
            said.not_read.append(line)
            lines.append(line)
            continue
        body, _ = exporter.from_notebook_node(
            trail_notebook(notebook, f"{run_id} {name.removesuffix('.html')}")
        )
        pages.append(_write(destination, (run_id, name), body).name)
    _write(destination, (run_id, "index.html"), run_page(run, pages))
    entry = entry_of(run) | {"fingerprint": fingerprint(now), "ended": ended(run), "not_read": lines}
    return entry, (kind_of(run), run_row(run))


def _tags(location: str, run_id: str) -> dict[str, str]:
    """The run folder's files by tag now; none when it is gone (it is then rendered again next time)."""
    try:
        return storage.folder_tags(locations.join(location, run_id))
    except UNREADABLE:
        return {}


def _pages_there(destination: Path, run_id: str) -> bool:
    """The run's page is in the site, in a folder of its own (not a link)."""
    folder = destination.resolve() / run_id
    return not folder.is_symlink() and (folder / "index.html").is_file()


def _prune(destination: Path, run_ids: set[str]) -> None:
    """Remove the pages of these runs (about to be rendered again, or gone); a link in a run's place is
    removed, never followed."""
    root = destination.resolve()
    for run_id in run_ids:
        if not is_run_id(run_id):
            continue
        if (root / run_id).is_symlink():
            (root / run_id).unlink()
        elif site_file(destination, run_id).is_dir():
            shutil.rmtree(site_file(destination, run_id))


def _pages_of(destination: Path) -> set[str]:
    """The runs the site holds pages of (or links in their place), whatever its memory says (a memory
    lost forgets them)."""
    return {p.name for p in destination.iterdir() if is_run_id(p.name) and (p.is_dir() or p.is_symlink())}
