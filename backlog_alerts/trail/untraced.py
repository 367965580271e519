"""Sends without a trace: alerts and ops notices the state logged whose run left no run folder on the trail.

A notebook run from JupyterLab or a bare papermill call sends for real but writes no run folder; the
alert state logs every send, and every notice to the ops topic (a missing, late or stale report, the
coverage notice), with its run id, so `audit` and `report` can still name them. The state
read is the one named (`--state`, or the params' `state_uri` with `--params`), else the one the
trail's newest manifest names, on S3 too, else one an older version kept beside the run folders.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import BotoCoreError

from backlog_alerts.errors import BacklogAlertsError
from backlog_alerts.io import locations, storage
from backlog_alerts.state.document import AlertState, StateError
from backlog_alerts.state.location import STATE_FILE
from backlog_alerts.state.store import open_state
from backlog_alerts.trail.runs import RunFolders, not_read, run_folders

OUTSIDE_COLUMNS = ("run_id", "sent_at", "topic", "department", "severity", "rules", "message_id")
OPS_COLUMNS = ("run_id", "sent_at", "topic", "kind", "message_id")
OUTSIDE = "outside a recorded run"  # how every format and the site mark these sends


@dataclass(frozen=True)
class Outside:
    """The sends and ops notices outside recorded runs, and the state they were read from; `error`
    says why they could not be read (nothing is then claimed either way)."""

    state_uri: str = ""
    sends: list[dict[str, Any]] = field(default_factory=list)
    notices: list[dict[str, Any]] = field(default_factory=list)
    error: str = ""
    not_read: list[str] = field(default_factory=list)  # log entries not of the form the state writes

    def shown(self) -> dict[str, Any]:
        """For `audit --format json`: the state read, why not if it could not be, and which of its log
        entries were not read."""
        return {"uri": self.state_uri, "error": self.error, "not_read": self.not_read}


def state_of_trail(location: str, folders: RunFolders | None = None) -> str | None:
    """The alert state `audit` and `report` read when none is named: the one the trail's newest run
    names in its manifest (local or on S3), else one an older version kept beside the run folders;
    None when there is neither. `folders`: the trail's listing, if the caller has it."""
    newest = ((folders or run_folders(location)).run_ids or [""])[
        -1
    ]  # a run id's folder: no planted name sorts last
    named = _named_state(locations.join(location, newest, "manifest.json")) if newest else ""
    if named:
        return named
    legacy = locations.join(location, STATE_FILE)
    return legacy if storage.exists(legacy) else None


def _named_state(manifest_uri: str) -> str:
    """The state a manifest names; "" when it names none, or is not a manifest's JSON object."""
    try:
        manifest = storage.read_json(manifest_uri)
    except ValueError:
        return ""
    named = manifest.get("state_uri") if isinstance(manifest, dict) else ""
    return named if isinstance(named, str) else ""


def sent_outside(state: AlertState, run_ids: list[str], since: str = "") -> list[dict[str, Any]]:
    """Logged sends whose run id names no run folder, oldest first, each marked `outside a recorded run`.

    Sends older than the oldest run folder are left out: retention may have removed their folders.
    `since` (YYYYMMDD) leaves out sends from before that day, as `audit --since` does for runs.
    """
    return _outside(state.sends, OUTSIDE_COLUMNS, run_ids, since)


def told_outside(state: AlertState, run_ids: list[str], since: str = "") -> list[dict[str, Any]]:
    """Logged ops notices whose run id names no run folder, chosen and marked as `sent_outside` does."""
    return _outside(state.ops_sends, OPS_COLUMNS, run_ids, since)


def _outside(
    log: list[dict[str, Any]], columns: tuple[str, ...], run_ids: list[str], since: str
) -> list[dict[str, Any]]:
    known, oldest = set(run_ids), min(run_ids, default="")
    start = max(oldest, since)
    return [
        {**{column: send.get(column, "") for column in columns}, "recorded": OUTSIDE}
        for send in log
        if is_logged(send, columns) and send.get("run_id") not in known and _stamp(send["sent_at"]) >= start
    ]


def is_logged(entry: Any, columns: tuple[str, ...]) -> bool:
    """An entry of the form the state logs (its texts text, an alert's rules a list of them): the state is
    writable by the job's role, so any other entry is left out, and said (`unreadable`)."""
    if not isinstance(entry, dict) or not isinstance(entry.get("sent_at"), str):
        return False
    texts = all(isinstance(entry.get(c, ""), str) for c in columns if c != "rules")
    rules = entry.get("rules", [])
    return texts and isinstance(rules, list) and all(isinstance(r, str) for r in rules)


def unreadable(state: AlertState, state_uri: str) -> list[str]:
    """A `not read` line for each entry of the state's logs of sends and ops notices that is not one."""
    return [
        not_read(f"{state_uri} {name}[{index}]", "not an entry of the form the alert state logs")
        for name, log, columns in (
            ("sends", state.sends, OUTSIDE_COLUMNS),
            ("ops_sends", state.ops_sends, OPS_COLUMNS),
        )
        for index, entry in enumerate(log)
        if not is_logged(entry, columns)
    ]


def _stamp(sent_at: str) -> str:
    """An ISO time (`2026-11-28T11:07:13+00:00`) in run-id form (`20261128T110713`), to compare them."""
    return sent_at.replace("-", "").replace(":", "")[:15]


def read_state(state_uri: str, region: str | None = None) -> AlertState:
    """The state at `state_uri`, read (any failure to reach it as a StateError naming it)."""
    try:
        return open_state(state_uri, region).state
    except BotoCoreError as err:  # no credentials, no endpoint: the state could not be asked
        raise StateError(f"{state_uri}: cannot read alert state: {err}") from err


def load_outside(
    state_uri: str | None,
    location: str,
    since: str = "",
    region: str | None = None,
    *,
    named: bool = True,
    folders: RunFolders | None = None,
) -> Outside:
    """The sends and ops notices outside recorded runs in the state at `state_uri` (none when there
    is no state).

    A state the user `named` must be read; one found from the trail that cannot be read is reported
    in `error`, not raised: the runs are still listed."""
    if not state_uri:
        return Outside()
    try:
        state = read_state(state_uri, region)
    except BacklogAlertsError as err:
        if named:
            raise
        return Outside(state_uri, error=str(err))
    run_ids = (folders or run_folders(location)).run_ids
    return Outside(
        state_uri,
        sent_outside(state, run_ids, since),
        told_outside(state, run_ids, since),
        not_read=unreadable(state, state_uri),
    )
