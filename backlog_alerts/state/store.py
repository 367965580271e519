"""The alert state at its location: read once, then changed only over the version read.

Every write is conditional (S3 `If-Match`, locally the file's hash compared under a lock): a writer
that finds the state changed since it read it (another run, the sync's pending dates, a notebook run
by hand) reads it again and applies its change to what is there now, so no write is ever lost.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import TypeVar

from backlog_alerts.errors import SourceError
from backlog_alerts.io import read_only, versioned
from backlog_alerts.state.document import AlertState, StateError, new_deployment_id

T = TypeVar("T")
ATTEMPTS = 20  # a state that changes under us this often is being rewritten in a loop: stop


class StateStore:
    """One alert state document and the version of it this process last read or wrote."""

    def __init__(self, uri: str, region: str | None = None):
        self.uri = uri
        self.region = region
        self.version = versioned.ABSENT
        self.state = AlertState()
        self.read: versioned.Versioned | None = None

    @property
    def found(self) -> bool:
        """A document was there when last read (else this is a first run, or a lost state)."""
        return self.version != versioned.ABSENT

    def load(self) -> AlertState:
        """Read the document (an empty state when there is none yet)."""
        try:
            read = versioned.read(self.uri, self.region)
        except versioned.StorageError as err:
            raise StateError(_worded(self.uri, err)) from err
        except SourceError as err:
            raise StateError(f"{self.uri}: {err}") from err
        self.read = read
        if read is None:
            self.version, self.state = versioned.ABSENT, AlertState()
        else:
            self.version, self.state = read.version, AlertState.from_json(read.data, self.uri)
        return self.state

    def check_writable(self) -> None:
        """Show the state can be written where it lives; a state that names no deployment yet is
        written (it gets its id), any other is left exactly as it is."""
        read_only.refuse(f"write the alert state at {self.uri}")
        if self.read is None or not self.state.deployment:
            self.update(lambda state: None)
            return
        try:
            versioned.probe_write(self.uri, self.read, self.region)
        except versioned.StorageError as err:
            raise StateError(_worded(self.uri, err, writing=True)) from err

    def update(self, change: Callable[[AlertState], T]) -> T:
        """Apply `change` to the state and write it over the version read; on a conflict, read the
        state again and apply `change` to that. Returns what `change` returned. Never in a dry run."""
        read_only.refuse(f"write the alert state at {self.uri}")
        for _ in range(ATTEMPTS):
            candidate = copy.deepcopy(self.state)
            result = change(candidate)
            candidate.generation += 1
            candidate.deployment = candidate.deployment or new_deployment_id()
            data = candidate.to_json().encode("utf-8")
            try:
                self.version = versioned.write(self.uri, data, expect=self.version, region=self.region)
            except versioned.Conflict:
                self.load()
                continue
            except versioned.StorageError as err:
                raise StateError(_worded(self.uri, err, writing=True)) from err
            self.state, self.read = candidate, versioned.Versioned(data, self.version)
            return result
        raise StateError(f"{self.uri}: the alert state kept changing while this run wrote it; try again")

    def rewrite(self, make: Callable[[AlertState], AlertState]) -> AlertState:
        """Replace the state with `make(state)`, conditionally, as `update` does."""

        def change(state: AlertState) -> AlertState:
            new = make(state)
            for name in vars(state):
                setattr(state, name, getattr(new, name))
            return state

        return self.update(change)


def _worded(uri: str, err: Exception, *, writing: bool = False) -> str:
    """A storage failure in the words of the state: what to name in state_uri instead."""
    text = str(err)
    if "is a folder" in text:
        return f"{uri}: is a folder; state_uri must name a file (e.g. {uri.rstrip('/')}/alert_state.json)"
    detail = text.split(": ", 1)[1] if ": " in text else text
    detail = detail.removeprefix("cannot read: ").removeprefix("cannot write: ")
    return f"{uri}: cannot {'write' if writing else 'read'} alert state: {detail}"


def open_state(uri: str, region: str | None = None) -> StateStore:
    """The state at `uri`, read."""
    store = StateStore(uri, region)
    store.load()
    return store
