"""Where a deployment's alert state lives when `state_uri` is left empty, and moving it there.

The state must not move with `--output-dir`: every run of one deployment (cron's, one by hand from
another folder, a notebook in JupyterLab, a worker of an orchestrator) must find the same one. Left
empty, `state_uri` means `alert_state.json` beside the params file's own `output_dir` when that is an
S3 prefix (shared by every machine, as it always was), else `state/alert_state.json` in the project
(the folder holding `notebooks/` and `params/`, found from the params file, else from where the notebook
runs); with a namespace, `alert_state.<namespace>.json` and `state/<namespace>/alert_state.json`. A
state that an older version kept beside a run's folders elsewhere is moved there by the first run that
finds it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from backlog_alerts.io import locations, versioned
from backlog_alerts.io.paths import project_root
from backlog_alerts.state.document import AlertState, StateError
from backlog_alerts.state.ledger import merged

STATE_FILE = "alert_state.json"


def default_state_uri(anchor: Path | None = None, namespace: str = "") -> str:
    """The project's own state location: from the params file's folder (`anchor`), else from here."""
    root = project_root(anchor) or anchor or project_root() or Path.cwd()
    folder = Path(root, "state", namespace) if namespace else Path(root, "state")
    return str(folder / STATE_FILE)


def state_uri_for(
    state_uri: str, anchor: Path | None = None, namespace: str = "", output_dir: str = ""
) -> str:
    """The state a run uses: `state_uri` as given (normalized); left empty, beside the params file's
    own `output_dir` when that is on S3 (where every machine of the deployment finds it, whatever a run's
    --output-dir), else the project's own location."""
    if state_uri:
        return locations.normalize(state_uri)
    if output_dir and locations.local_copy(output_dir) is None:
        name = f"alert_state.{namespace}.json" if namespace else STATE_FILE
        return locations.join(locations.normalize(output_dir), name)
    return default_state_uri(anchor, namespace)


@dataclass(frozen=True)
class Moved:
    """A state found where an older version kept it, and what became of it."""

    source: str
    target: str
    merged: bool  # a state was already at the target: the two were merged

    def line(self) -> str:
        how = "merged into the one at" if self.merged else "moved to"
        return (
            f"alert state: the state beside the run folders ({self.source}) was {how} {self.target}, "
            "where every run of this deployment finds it (state_uri left empty)"
        )


def move_legacy_state(output_location: str, target: str, *, dry_run: bool) -> Moved | None:
    """Move `alert_state.json` from beside the run folders to `target` (merging with one already
    there), then remove it from its old place; a dry run moves nothing and reads the old one."""
    source = locations.join(output_location, STATE_FILE)
    if locations.same_place(source, target):
        return None
    old = versioned.read(source)
    if old is None:
        return None
    there = versioned.read(target)
    if dry_run:
        return Moved(source, target, there is not None)
    state = AlertState.from_json(old.data, source)
    if there is not None:
        state = merged(AlertState.from_json(there.data, target), state, target)
    try:
        versioned.write(
            target,
            state.to_json().encode("utf-8"),
            expect=there.version if there is not None else versioned.ABSENT,
        )
        versioned.delete(source, expect=old.version)
    except versioned.Conflict as err:
        raise StateError(f"{target}: the alert state changed while it was being moved; run again") from err
    return Moved(source, target, there is not None)
