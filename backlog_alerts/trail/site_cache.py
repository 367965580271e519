"""What `report` remembers of the site it wrote, so that a run's pages are rendered once and again only
when the run changed: per run, the fingerprint of what its pages were rendered from, and its row.

A run's fingerprint is its folder's file tags (`storage.trail_listing`: sizes and times, or ETags) and
the code that renders pages: a run whose files are as they were, rendered by the same code, has the same
pages. A run still running is rendered every time (its status may change with no file changing). The
memory is the site's own file (`site.json`); one that cannot be read, or was written for another trail
or other options, is started afresh, which renders every run again.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from functools import cache
from importlib.metadata import version
from pathlib import Path
from typing import Any

import backlog_alerts.trail as trail_package
from backlog_alerts import __version__

STATE = "site.json"
FORMAT = 1  # of site.json itself


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
    """The runs the site shows, by run id: fingerprint, month, kind, status, whether it had ended, and
    its row of the month page (HTML)."""

    trail: str
    options: dict[str, Any]
    runs: dict[str, dict[str, Any]] = field(default_factory=dict)

    def current(self, run_id: str, files: dict[str, str]) -> bool:
        """The run's pages are there and were rendered from what its folder holds now, by this code."""
        entry = self.runs.get(run_id)
        return entry is not None and entry["ended"] is True and entry["fingerprint"] == fingerprint(files)


def load_state(site: Path, trail: str, options: dict[str, Any]) -> SiteState:
    """The site's memory, if it is of this format, trail, options and code; else a fresh one."""
    fresh = SiteState(trail, options)
    try:
        data = json.loads((site / STATE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return fresh
    expected = {"format": FORMAT, "trail": trail, "options": options, "renderer": renderer()}
    if not isinstance(data, dict) or any(data.get(key) != value for key, value in expected.items()):
        return fresh
    runs = data.get("runs")
    if not isinstance(runs, dict) or not all(_entry(e) for e in runs.values()):
        return fresh
    return SiteState(trail, options, runs)


def _entry(entry: Any) -> bool:
    texts = ("fingerprint", "month", "kind", "status", "row")
    return (
        isinstance(entry, dict)
        and all(isinstance(entry.get(k), str) for k in texts)
        and isinstance(entry.get("ended"), bool)
        and isinstance(entry.get("sent"), int)
        and isinstance(entry.get("not_read"), list)
        and all(isinstance(line, str) for line in entry["not_read"])
    )


def state_text(state: SiteState) -> str:
    """The site's memory as written beside its pages."""
    data = {"format": FORMAT, "trail": state.trail, "options": state.options, "renderer": renderer()}
    return json.dumps(data | {"runs": dict(sorted(state.runs.items()))}, indent=0)
