"""Run ids and run folders: one sortable, unique id shared by the three notebooks of a run."""

from __future__ import annotations

from datetime import UTC, datetime

from backlog_alerts.io import locations, storage


def new_run_id(now: datetime | None = None) -> str:
    """A UTC timestamp to the microsecond (`20261128T110200.123456Z`) that sorts by start time."""
    return (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%S.%fZ")


def create_run_folder(location: str) -> tuple[str, str]:
    """Claim a fresh run folder; locally an exclusive mkdir keeps two runs in the same instant apart."""
    while True:
        run_id = new_run_id()
        folder = locations.join(location, run_id)
        if storage.claim_folder(folder):
            return run_id, folder
