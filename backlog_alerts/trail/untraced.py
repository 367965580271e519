"""Sends without a trace: alerts in the state's send log whose run left no run folder on the trail.

A notebook run from JupyterLab or a bare papermill call sends for real but writes no run folder; the
alert state logs every send with its run id, so `audit` can still name them.
"""

from __future__ import annotations

from typing import Any

from backlog_alerts.io import locations, storage
from backlog_alerts.state.document import AlertState
from backlog_alerts.state.location import STATE_FILE
from backlog_alerts.state.store import open_state

OUTSIDE_COLUMNS = ("run_id", "sent_at", "department", "severity", "rules", "message_id")


def state_of_trail(location: str) -> str | None:
    """The alert state `audit` reads without `--state`: the local one the trail's newest run names in
    its manifest, else one an older version kept beside the run folders; None when there is neither.
    A state on S3 is read only when named with `--state` (reading a local trail needs no AWS)."""
    newest = (storage.run_ids(location) or [""])[-1]
    named = (
        storage.read_json(locations.join(location, newest, "manifest.json")).get("state_uri")
        if newest
        else ""
    )
    if named and locations.local_copy(named) is not None:
        return named if storage.exists(named) else None
    legacy = locations.join(location, STATE_FILE)
    return legacy if storage.exists(legacy) else None


def sent_outside(state: AlertState, run_ids: list[str], since: str = "") -> list[dict[str, Any]]:
    """Logged sends whose run id names no run folder, oldest first.

    Sends older than the oldest run folder are left out: retention may have removed their folders.
    `since` (YYYYMMDD) leaves out sends from before that day, as `audit --since` does for runs.
    """
    known, oldest = set(run_ids), min(run_ids, default="")
    start = max(oldest, since)
    return [
        {column: send.get(column, "") for column in OUTSIDE_COLUMNS}
        for send in state.sends
        if send.get("run_id") not in known and _stamp(send.get("sent_at", "")) >= start
    ]


def _stamp(sent_at: str) -> str:
    """An ISO time (`2026-11-28T11:07:13+00:00`) in run-id form (`20261128T110713`), to compare them."""
    return sent_at.replace("-", "").replace(":", "")[:15]


def load_outside(state_uri: str | None, location: str, since: str = "") -> list[dict[str, Any]]:
    """The sends outside recorded runs in the state at `state_uri` (none when there is no state)."""
    if not state_uri:
        return []
    return sent_outside(open_state(state_uri).state, storage.run_ids(location), since)
