"""The run manifest: one small JSON per run folder saying what ran, with what, and how it ended."""

from __future__ import annotations

import hashlib
import os
import socket
import subprocess
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from backlog_alerts import __version__
from backlog_alerts.io import locations, storage
from backlog_alerts.io.clean_notebooks import canonical_text
from backlog_alerts.io.paths import project_root
from backlog_alerts.masking import mask_value

RUNNING, SUCCEEDED, FAILED, INTERRUPTED = "running", "succeeded", "failed", "interrupted"
REFUSED = "refused"  # stopped by the pre-run check: no notebook ran, nothing changed


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def file_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _git(root: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(root), *args], capture_output=True, text=True, timeout=10, check=True
    ).stdout


def _same_canonical_notebook(root: Path, path: str) -> bool:
    """A notebook whose changes are all in what its canonical form drops (outputs, kernel and view metadata).

    JupyterLab without the pre-save hook (a plain `jupyter lab`) or papermill change nothing that runs.
    """
    if not path.endswith(".ipynb"):
        return False
    import nbformat  # here: the kernels import this module, and nbformat costs them jsonschema (run/__init__)

    try:
        committed = nbformat.reads(_git(root, "show", f"HEAD:{path}"), as_version=4)
        current = nbformat.reads((root / path).read_text(encoding="utf-8"), as_version=4)
        return canonical_text(committed) == canonical_text(current)
    except (OSError, ValueError, TypeError, AttributeError, KeyError, subprocess.SubprocessError):
        return False


def git_commit(root: Path | None) -> str:
    """The commit the code came from (with `-dirty` if changed), or empty outside a git checkout.

    Notebooks that differ from the commit only in what their canonical form drops (outputs, kernel and
    view metadata) do not make it dirty: the code is the same.
    """
    if root is None:
        return ""
    try:
        commit = _git(root, "rev-parse", "HEAD").strip()
        top = Path(_git(root, "rev-parse", "--show-toplevel").strip())
        changed = _git(root, "diff", "HEAD", "--name-only", "-z").split("\0")
        dirty = [path for path in changed if path and not _same_canonical_notebook(top, path)]
    except (OSError, subprocess.SubprocessError):
        return ""
    return f"{commit}-dirty" if dirty else commit


@dataclass
class NotebookEntry:
    notebook: str
    status: str = "pending"  # pending | running | succeeded | failed | timed out | interrupted | not run
    started_at: str = ""
    ended_at: str = ""
    seconds: float = 0.0
    error: str = ""


@dataclass
class Manifest:
    run_id: str
    output_location: str
    params_file: str
    params_sha256: str
    started_at: str = field(default_factory=now)
    ended_at: str = ""
    status: str = RUNNING
    failed_notebook: str = ""
    error: str = ""
    package_version: str = __version__
    git_commit: str = ""
    host: str = field(default_factory=socket.gethostname)
    pid: int = field(default_factory=os.getpid)
    notebooks: list[NotebookEntry] = field(default_factory=list)
    deployment: str = ""  # the deployment whose alert state the run used (a lost state is rebuilt by it)
    state_uri: str = ""
    # Notices the runner itself sent (or tried to) to the ops topic: a refused or a failed run's. No
    # notebook records them, so the run folder would not show them otherwise.
    ops_notices: list[dict[str, str]] = field(default_factory=list)
    # A refused run: what the pre-run check read (name -> uri, ETag, SHA-256), and what it refused.
    inputs: dict[str, dict[str, str]] = field(default_factory=dict)
    refused_input: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def write(self) -> None:
        """Replace the run folder's manifest.json whole: rewritten as each notebook starts and ends."""
        storage.write_json(locations.join(self.output_location, "manifest.json"), mask_value(self.to_dict()))

    def add_ops_notice(self, notice: dict[str, str]) -> None:
        """A notice the runner sent to the ops topic (kind, topic, MessageId, time, or why none went
        out), written at once: on the trail even if the process dies next. After the run's end (a failed
        or refused run's notice) its compact record is saved again, or it would be stale at once."""
        from backlog_alerts.trail.record import save_record  # it reads manifests: imported at the end

        self.ops_notices.append(dict(notice))
        self.write()
        if self.ended_at:
            save_record(self.output_location)

    def finish(self, status: str, failed_notebook: str = "", error: str = "") -> None:
        """The run's end: its final manifest, then its compact record (what `audit` reads of it)."""
        from backlog_alerts.trail.record import save_record  # it reads manifests: imported at the end

        self.status, self.ended_at = status, now()
        self.failed_notebook, self.error = failed_notebook, error
        self.write()
        save_record(self.output_location)


def new_manifest(
    run_id: str, folder: str, params_path: Path, notebooks: list[Path], status: str = "pending", **owner: Any
) -> Manifest:
    """A run's manifest before its first notebook: which params (and their hash) and code it runs.

    `owner` (host, pid) stands in for this process when the run's notebooks run elsewhere.
    """
    return Manifest(
        run_id,
        folder,
        str(params_path),
        file_sha256(params_path),
        git_commit=git_commit(project_root(notebooks[0].parent)),
        notebooks=[NotebookEntry(p.name, status=status) for p in notebooks],
        **owner,
    )


def effective_status(manifest: dict[str, Any]) -> str:
    """A manifest left at `running` by a process that no longer exists was interrupted (e.g. SIGKILL)."""
    if manifest.get("status") != RUNNING:
        return manifest.get("status", "?")
    if manifest.get("host") == socket.gethostname() and not _alive(int(manifest.get("pid", 0))):
        return INTERRUPTED
    return RUNNING


def _alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def status_text(manifest: dict[str, Any]) -> str:
    """`succeeded`, `failed at notebook 2 (02_subscription_sync)`, `interrupted`, `running`."""
    status = effective_status(manifest)
    if status == FAILED and manifest.get("failed_notebook"):
        names = [n["notebook"] for n in manifest.get("notebooks", [])]
        failed = manifest["failed_notebook"]
        position = names.index(failed) + 1 if failed in names else "?"
        return f"failed at notebook {position} ({Path(failed).stem})"
    return status


# Reading a manifest back from a trail, which the job's own role can write: only what the package
# writes is used, so a tampered field cannot reach a path, a link or a page unchecked.
_TEXTS = ("run_id", "started_at", "params_file", "params_sha256")
_OPTIONAL_TEXTS = (
    "ended_at",
    "status",
    "failed_notebook",
    "error",
    "package_version",
    "git_commit",
    "host",
    "deployment",
    "state_uri",
    "output_location",
)


def manifest_problem(manifest: Any, run_id: str) -> str:
    """Why a manifest read from the run folder `run_id` is not used; "" when it is one the package
    could have written there (its own run id, its texts text, its notebooks a list of entries)."""
    if not isinstance(manifest, dict):
        return "its manifest.json is not a JSON object"
    if manifest.get("run_id") != run_id:
        return "its manifest names another run id"
    wrong = [k for k in _TEXTS if not isinstance(manifest.get(k), str)]
    wrong += [k for k in _OPTIONAL_TEXTS if not isinstance(manifest.get(k, ""), str)]
    if not isinstance(manifest.get("pid", 0), int):
        wrong.append("pid")
    entries = manifest.get("notebooks", [])
    if not isinstance(entries, list) or not all(
        isinstance(e, dict) and isinstance(e.get("notebook"), str) and isinstance(e.get("status"), str)
        for e in entries
    ):
        wrong.append("notebooks")
    notices = manifest.get("ops_notices", [])
    if not isinstance(notices, list) or not all(_texts(n) for n in notices):
        wrong.append("ops_notices")
    if not _texts(manifest.get("refused_input", {})):
        wrong.append("refused_input")
    inputs = manifest.get("inputs", {})
    if not isinstance(inputs, dict) or not all(_texts(i) for i in inputs.values()):
        wrong.append("inputs")
    return f"its manifest.json has unexpected {', '.join(wrong)}" if wrong else ""


def _texts(value: Any) -> bool:
    """An object whose values are all text (or null), as the runner writes its notices and inputs."""
    return isinstance(value, dict) and all(isinstance(v, str | None) for v in value.values())
