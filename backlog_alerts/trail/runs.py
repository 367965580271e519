"""Run ids and run folders: one sortable, unique id shared by the three notebooks of a run.

What the auditor's tools read back from a trail is only what the package writes there: folders named
by a run id of exactly this form and the notebooks it names. A trail is writable by the job's own role,
so anything else in it is skipped and said (`not read: ...`), never used to build a path.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime

from backlog_alerts.ascii_text import visible
from backlog_alerts.errors import BacklogAlertsError
from backlog_alerts.io import locations, storage

RUN_ID_FORMAT = "%Y%m%dT%H%M%S.%fZ"
RUN_ID = re.compile(r"[0-9]{8}T[0-9]{6}\.[0-9]{6}Z")  # what RUN_ID_FORMAT writes, and nothing else
# The executed notebooks a run folder holds: the run's three and the backtest's.
NOTEBOOKS = frozenset(
    ("01_topic_setup.ipynb", "02_subscription_sync.ipynb", "03_alert_check.ipynb", "04_backtest.ipynb")
)


def new_run_id(now: datetime | None = None) -> str:
    """A UTC timestamp to the microsecond (`20261128T110200.123456Z`) that sorts by start time."""
    return (now or datetime.now(UTC)).strftime(RUN_ID_FORMAT)


def is_run_id(name: object) -> bool:
    """A name `new_run_id` could have made: digits, `T`, `.` and `Z` in their places, whole."""
    return isinstance(name, str) and RUN_ID.fullmatch(name) is not None


def is_notebook_name(name: object) -> bool:
    """One of the notebooks the package writes into a run folder."""
    return isinstance(name, str) and name in NOTEBOOKS


NOT_READ = "not read: "  # how every such line begins; under a "Not read" heading it is left off


def not_read(where: str, why: str) -> str:
    """The line that says what was skipped, on one line, with any hidden character in its name shown."""
    return f"{NOT_READ}{visible(where, lines=False)}: {why}"


class NotRead(BacklogAlertsError, ValueError):
    """A run folder whose manifest is not one the package writes; the message is its `not read` line."""


@dataclass
class RunFolders:
    """The run folders of a trail that are read, oldest first, each with its files' tags (`storage.
    trail_listing`), and what was skipped."""

    run_ids: list[str]
    not_read: list[str] = field(default_factory=list)
    files: dict[str, dict[str, str]] = field(default_factory=dict)


def run_folders(location: str) -> RunFolders:
    """The folders holding a manifest, from one listing; those not named by a run id are skipped and
    listed, and so are manifests at S3 keys with an empty or dot path segment (`runs//ID/`, `runs/./ID/`,
    `runs/../x/`)."""
    listing = storage.trail_listing(location)
    found = sorted(listing.folders)
    why = "a key with an empty or dot path segment; not followed"
    return RunFolders(
        [r for r in found if is_run_id(r)],
        [
            not_read(r, "not a run id; folders are named by the run's start time")
            for r in found
            if not is_run_id(r)
        ]
        + [not_read(uri, why) for uri in listing.dotted],
        {r: files for r, files in listing.folders.items() if is_run_id(r)},
    )


def create_run_folder(location: str) -> tuple[str, str]:
    """Claim a fresh run folder; locally an exclusive mkdir keeps two runs in the same instant apart."""
    while True:
        run_id = new_run_id()
        folder = locations.join(location, run_id)
        if storage.claim_folder(folder):
            return run_id, folder
