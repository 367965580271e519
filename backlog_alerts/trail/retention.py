"""Optional retention of run folders: `keep_runs` (the newest N) and/or `keep_days`.

A failed or interrupted run is the only record of what went wrong, so it is kept until it is older
than `keep_days`; `keep_runs` alone never removes one.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from backlog_alerts.io import locations, storage
from backlog_alerts.trail.manifest import SUCCEEDED, effective_status


def runs_to_remove(
    manifests: list[dict[str, Any]], keep_runs: int | None, keep_days: int | None, now: datetime
) -> list[str]:
    """Which run ids fall outside the limits (manifests oldest first). Pure, for testing."""
    if not keep_runs and not keep_days:
        return []
    newest_first = list(reversed(manifests))
    remove = []
    for position, manifest in enumerate(newest_first):
        started = datetime.fromisoformat(manifest["started_at"])
        too_old = keep_days is not None and now - started > timedelta(days=keep_days)
        beyond_count = keep_runs is not None and position >= keep_runs
        succeeded = effective_status(manifest) == SUCCEEDED
        if too_old or (beyond_count and succeeded):
            remove.append(manifest["run_id"])
    return remove


def apply_retention(location: str, keep_runs: int | None, keep_days: int | None) -> list[str]:
    """After a successful run: delete the run folders the limits no longer cover."""
    if not keep_runs and not keep_days:
        return []
    manifests = [
        storage.read_json(locations.join(location, r, "manifest.json")) for r in storage.run_ids(location)
    ]
    doomed = runs_to_remove(manifests, keep_runs, keep_days, datetime.now(UTC))
    for run_id in doomed:
        storage.delete_run(location, run_id)
    return doomed
