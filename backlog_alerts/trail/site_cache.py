"""What `report` remembers of the site it wrote, so that a run's pages are rendered once and again only
when the run changed: per run, the fingerprint of what its pages were rendered from, and the few facts
the index's line for its month counts (kind, status, alerts sent) and what reading it said was not read.

A run's fingerprint is its folder's file tags (`storage.trail_listing`: sizes and times, or ETags) and
the code that renders pages: a run whose files are as they were, rendered by the same code, has the same
pages. A run still running is rendered every time (its status may change with no file changing). The
memory is the site's own file (`site.json`); one that cannot be read, is not of this form in every
entry, or was written by other code or with other options, is started afresh, which renders every run
again. One written for another trail is refused (`OtherTrail`): a site shows one trail.

The memory decides what is read again, never what a page shows as a run: it holds no HTML. A run's row
on its month's page (and the index) is built from the trail whenever that page is written (`html`); only
the counts of the index's month lines and the not-read lines come from here, checked as data (numbers,
run ids, lines of the package's form), so a planted `site.json` can make no markup appear, write no
file outside the site, and name no page but a run's.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from functools import cache
from importlib.metadata import version
from pathlib import Path
from typing import Any

import backlog_alerts.trail as trail_package
from backlog_alerts import __version__
from backlog_alerts.ascii_text import visible
from backlog_alerts.errors import BacklogAlertsError
from backlog_alerts.io import locations
from backlog_alerts.trail.runs import NOT_READ, is_run_id
from backlog_alerts.trail.site_page import month_of

STATE = "site.json"
FORMAT = 2  # of site.json itself: 2 keeps no rows (1 kept each run's row as HTML)
KINDS = ("run", "backtest")
DIGEST = re.compile(r"[0-9a-f]{64}")


class OtherTrail(BacklogAlertsError, ValueError):
    """The site folder holds the site of another trail: nothing is written over it."""


@cache
def renderer() -> str:
    """A digest of the code that renders pages: the trail package's sources and nbconvert's version."""
    digest = hashlib.sha256(f"{__version__} nbconvert {version('nbconvert')}".encode())
    for source in sorted(Path(trail_package.__file__).parent.glob("*.py")):
        digest.update(source.read_bytes())
    return digest.hexdigest()


def fingerprint(files: dict[str, str]) -> str:
    """What a run's pages were rendered from: its folder's files by tag, hidden ones (locks) left out."""
    shown = {name: tag for name, tag in sorted(files.items()) if not name.startswith(".")}
    return hashlib.sha256(json.dumps(shown).encode()).hexdigest()


@dataclass
class SiteState:
    """The runs the site shows, by run id: fingerprint, month, kind, status, alerts sent, whether it had
    ended, and its not-read lines."""

    trail: str
    options: dict[str, Any]
    runs: dict[str, dict[str, Any]] = field(default_factory=dict)

    def current(self, run_id: str, files: dict[str, str]) -> bool:
        """The run's pages were rendered from what its folder holds now, by this code."""
        entry = self.runs.get(run_id)
        return entry is not None and entry["ended"] is True and entry["fingerprint"] == fingerprint(files)


def same_trail(said: str, trail: str) -> bool:
    """The trail `site.json` names is `trail`: the same text, or the same local folder by another path."""
    if said == trail:
        return True
    try:
        here, there = locations.local_copy(trail), locations.local_copy(said)
    except (BacklogAlertsError, ValueError, OSError):  # not a location at all
        return False
    return here is not None and there is not None and here.resolve() == there.resolve()


def load_state(site: Path, trail: str, options: dict[str, Any]) -> SiteState:
    """The site's memory, if it is of this form, code and options; else a fresh one. Raises
    `OtherTrail` when it is the memory of another trail's site."""
    fresh = SiteState(trail, options)
    try:
        data = json.loads((site / STATE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return fresh
    if not isinstance(data, dict):
        return fresh
    if isinstance(data.get("trail"), str) and not same_trail(data["trail"], trail):
        raise OtherTrail(
            f"{visible(str(site), lines=False)} holds the site of another trail "
            f"({visible(str(data['trail']), lines=False)}, as its {STATE} says), not of {trail}: "
            "give each trail its own --to folder, or remove that folder first"
        )
    expected = {"format": FORMAT, "options": options, "renderer": renderer()}
    if any(data.get(key) != value for key, value in expected.items()):
        return fresh
    runs = data.get("runs")
    if not isinstance(runs, dict) or not all(_entry(run_id, e) for run_id, e in runs.items()):
        return fresh
    return SiteState(trail, options, runs)


def _entry(run_id: Any, entry: Any) -> bool:
    """An entry as `report` writes it, for a run id, in that run's month."""
    return (
        is_run_id(run_id)
        and isinstance(entry, dict)
        and set(entry) == {"fingerprint", "month", "kind", "status", "sent", "ended", "not_read"}
        and isinstance(entry["fingerprint"], str)
        and DIGEST.fullmatch(entry["fingerprint"]) is not None
        and entry["month"] == month_of(run_id)
        and entry["kind"] in KINDS
        and isinstance(entry["status"], str)
        and type(entry["sent"]) is int
        and entry["sent"] >= 0
        and isinstance(entry["ended"], bool)
        and isinstance(entry["not_read"], list)
        and all(_said_line(line) for line in entry["not_read"])
    )


def _said_line(line: Any) -> bool:
    """A line as `runs.not_read` writes it, nothing hidden in it."""
    return isinstance(line, str) and line.startswith(NOT_READ) and visible(line, lines=False) == line


def state_text(state: SiteState) -> str:
    """The site's memory as written beside its pages."""
    data = {"format": FORMAT, "trail": state.trail, "options": state.options, "renderer": renderer()}
    return json.dumps(data | {"runs": dict(sorted(state.runs.items()))}, indent=0)
