"""One run at a time per output location and per alert state, so two overlapping runs cannot send the
same alert twice.

A run holds two locks (`io.locks`): one in its output location, one beside its alert state, which
runs with different output folders share. Each is a small holder record saying which run holds it,
where, since when; a holder that has gone away is recognized and taken over. A symbolic link in a
lock's place is refused with an error naming it, never written through (`io.locks`).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

from backlog_alerts.errors import EXIT_LOCKED, BacklogAlertsError
from backlog_alerts.io import locations, locks, versioned
from backlog_alerts.state.document import StateError
from backlog_alerts.trail.manifest import now

LOCK_NAME = ".backlog-alerts.lock"
STALE_AFTER = 6 * 3600  # seconds after which a lock whose holder cannot be checked is taken over


class RunLockBusy(BacklogAlertsError, RuntimeError):
    """Another run holds the lock; the message says which and since when."""

    exit_code = EXIT_LOCKED


def lock_uri(location: str) -> str:
    """The output location's lock record."""
    return locations.join(location, LOCK_NAME)


def state_lock_uri(state_uri: str) -> str:
    """The alert state's lock record, beside it: runs writing one state share it."""
    return f"{state_uri}.lock"


class RunLock:
    """The held locks; `claim(run_id)` records which run holds them, for whoever finds them busy."""

    def __init__(self, uris: list[str]):
        self.uris = uris
        self.holder: dict[str, Any] = {
            "run_id": "",
            "started_at": now(),
            **locks.this_process(),
            "status": "running",
        }

    def claim(self, run_id: str) -> None:
        self.holder["run_id"] = run_id
        for uri in self.uris:
            locks.rewrite(uri, self.holder)


def _busy(uri: str) -> Any:
    def busy(holder: dict[str, Any]) -> RunLockBusy:
        return RunLockBusy(
            f"another run is in progress (run id {holder.get('run_id') or 'not yet known'}, "
            f"started at {holder.get('started_at', 'unknown')} on {holder.get('host', 'unknown host')}); "
            f"lock: {uri}"
        )

    return busy


def acquire(uri: str, holder: dict[str, Any], wait: float = 0, stale_after: float = STALE_AFTER) -> None:
    """Take one lock, or raise `RunLockBusy` naming its holder. Separate from `run_lock` so that an
    orchestrator can hold it across tasks in several processes."""
    locks.acquire(uri, holder, wait=wait, stale_after=stale_after, busy=_busy(uri))


def release(uri: str) -> None:
    locks.release(uri)


@contextmanager
def run_lock(
    location: str, wait: float = 0, stale_after: float = STALE_AFTER, state_uri: str = ""
) -> Iterator[RunLock]:
    """Hold the output location's lock, and the alert state's, for the duration of a run, waiting up
    to `wait` seconds for each."""
    uris = [lock_uri(location)]
    if state_uri:
        uris.append(state_lock_uri(state_uri))
    lock = RunLock(uris)
    with ExitStack() as held:
        for uri in uris:
            try:
                acquire(uri, lock.holder, wait, stale_after)
            except versioned.StorageError as err:
                if uri == lock_uri(location) or isinstance(err, locks.LockIsLink):  # names the lock
                    raise
                why = str(err).rsplit(": ", 1)[-1]  # the state's own place cannot be written
                raise StateError(f"{state_uri}: cannot write alert state there: {why}") from err
            held.callback(release, uri)
        yield lock


@contextmanager
def state_lock(state_uri: str, run_id: str, wait: float = 60) -> Iterator[bool]:
    """The alert state's lock around a notebook's writes: already held when `backlog-alerts run` runs
    the notebook for this run id (yields False: nobody else could have sent anything since the run
    read the state); taken here, and released, when the notebook runs by hand (yields True)."""
    uri = state_lock_uri(state_uri)
    holder, _ = locks.read_holder(uri)
    if run_id and holder.get("run_id") == run_id:
        yield False
        return
    mine = {"run_id": run_id, "started_at": now(), **locks.this_process(), "status": "running"}
    acquire(uri, mine, wait)
    try:
        yield True
    finally:
        release(uri)
