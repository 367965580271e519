"""Runs driven by an orchestrator (Airflow) instead of `backlog-alerts run`.

The orchestrator runs the three notebooks as its own tasks; a first task (`begin`) and a last one
(`finish`) give that run what `backlog-alerts run` gives its own: the checks before any change, the
run lock (on S3, so that workers on several machines share it), a run folder with a manifest that
`backlog-alerts audit` reads, retention, and one notice to the ops topic when a notebook failed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from backlog_alerts.alerting.ops import notify_ops_of_failure
from backlog_alerts.errors import BacklogAlertsError
from backlog_alerts.io import aws, locations, storage
from backlog_alerts.run.notebook import NotebookResult
from backlog_alerts.run.pipeline import RunResult
from backlog_alerts.run.plan import RunPlan, plan_run, settle_state_location
from backlog_alerts.run.preflight import Checked, check_run, within
from backlog_alerts.run.refused import record_refusal
from backlog_alerts.trail.executed import first_error, read_notebook
from backlog_alerts.trail.lock import acquire, lock_uri, release, state_lock_uri
from backlog_alerts.trail.manifest import FAILED, SUCCEEDED, Manifest, NotebookEntry, new_manifest, now
from backlog_alerts.trail.retention import apply_retention


def notebook_parameters(plan: RunPlan, run_id: str) -> dict[str, dict[str, Any]]:
    """Each notebook's own parameters (by file name), with the run id shared by the three."""
    return {path.name: {**values, "run_id": run_id} for path, values in plan.per_notebook.items()}


def _lock_uris(plan: RunPlan) -> list[str]:
    return [lock_uri(plan.location), state_lock_uri(plan.params.state_uri)]


def begin(params_path: str | Path, run_id: str, owner: str) -> str:
    """Check params and inputs, take the locks, open the run folder; returns the folder.

    `owner` (e.g. `airflow:<dag id>`) stands in for host and pid in the manifest and the locks: the
    tasks of one run live in different processes, maybe on different machines. The notebook tasks
    read the inputs again (they are not pinned to the check's copies, which stay on this worker).
    """
    plan = plan_run(params_path)
    aws.check_target(plan.params.target)
    holder = {"run_id": run_id, "started_at": now(), "host": owner, "pid": 0, "status": "running"}
    taken: list[str] = []
    try:
        for uri in _lock_uris(plan):
            acquire(uri, holder, wait=plan.params.lock_wait)
            taken.append(uri)
        plan = settle_state_location(plan, print)  # an older version's state beside the run folders
        progress = Checked()
        try:  # under the locks, as in `backlog-alerts run`: the check probes the alert state
            checked = within(plan.params.execution_timeout, lambda: check_run(plan, progress=progress))
        except BacklogAlertsError as err:  # refused: on the trail and told to ops, as `run` does
            record_refusal(plan, str(err), run_id, checked=progress, host=owner, pid=0)
            raise
    except BaseException:
        for uri in taken:
            release(uri)
        raise
    folder = locations.join(plan.location, run_id)
    storage.make_folder(folder)
    new_manifest(
        run_id,
        folder,
        plan.params_path,
        plan.paths,
        "running",
        host=owner,
        pid=0,
        deployment=checked.deployment,
        state_uri=plan.params.state_uri,
    ).write()
    return folder


def _outcome(folder: str, notebook: str) -> tuple[NotebookEntry, NotebookResult | None]:
    """How one notebook task ended, read from its executed copy (papermill's own timings included)."""
    output = locations.join(folder, notebook)
    if not storage.exists(output):
        return NotebookEntry(notebook, status="not run"), None
    timing = read_notebook(output).metadata.get("papermill", {})
    error = first_error(output) or ""
    status = FAILED if error else SUCCEEDED
    entry = NotebookEntry(
        notebook,
        status=status,
        started_at=timing.get("start_time") or "",
        ended_at=timing.get("end_time") or "",
        seconds=round(timing.get("duration") or 0.0, 2),
        error=error,
    )
    return entry, NotebookResult(notebook, output, status, entry.seconds, error)


def finish(params_path: str | Path, run_id: str) -> RunResult:
    """Write the manifest from the executed copies, notify ops on failure, release the lock."""
    plan = plan_run(params_path)
    folder = locations.join(plan.location, run_id)
    manifest_data = storage.read_json(locations.join(folder, "manifest.json"))
    outcomes = [_outcome(folder, p.name) for p in plan.paths]
    result = RunResult(run_id, folder, aws.check_target(plan.params.target))
    result.notebooks = [r for _, r in outcomes if r is not None]
    missing = next((entry.notebook for entry, r in outcomes if r is None), None)
    if missing and result.failed is None:  # a task killed before papermill saved anything
        gone = locations.join(folder, missing)
        result.notebooks.append(NotebookResult(missing, gone, FAILED, 0.0, "the task left no executed copy"))
    manifest = Manifest(**{**manifest_data, "notebooks": [entry for entry, _ in outcomes]})
    failed = result.failed
    try:
        if failed:
            manifest.finish(FAILED, failed.notebook, failed.error)
            deployment = manifest_data.get("deployment", "")
            told = notify_ops_of_failure(
                plan.params.ops_topic_name, plan.params.region, run_id, result.failures, deployment
            )
            manifest.add_ops_notice(vars(told))
        else:
            manifest.finish(SUCCEEDED)
            apply_retention(plan.location, plan.params.keep_runs, plan.params.keep_days)
    finally:
        for uri in _lock_uris(plan):
            release(uri)
    return result
