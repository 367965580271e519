"""A run refused by the pre-run check still leaves a trace: a run folder, a manifest, an ops notice.

Only once the params are valid: they say where the trail is and which topic ops read.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from backlog_alerts.alerting.ops import notify_ops_of_refusal
from backlog_alerts.io import storage
from backlog_alerts.run.plan import RunPlan
from backlog_alerts.trail.manifest import REFUSED, new_manifest
from backlog_alerts.trail.runs import create_run_folder


def record_refusal(plan: RunPlan, reason: str, run_id: str = "", **owner: Any) -> tuple[str, str]:
    """Write the refused run's folder and manifest (its notebooks `not run`) and tell ops.

    Returns the run folder and the line saying whether ops were told. Without `run_id` a fresh
    folder is claimed; the orchestrator passes its own run id.
    """
    if run_id:
        folder = storage.join(plan.location, run_id)
        if not storage.is_s3(folder):
            Path(folder).mkdir(parents=True, exist_ok=True)
    else:
        run_id, folder = create_run_folder(plan.location)
    manifest = new_manifest(run_id, folder, plan.params_path, plan.paths, "not run", **owner)
    manifest.finish(REFUSED, "", reason)
    told = notify_ops_of_refusal(plan.params.ops_topic, plan.params.region, run_id, reason, folder)
    return folder, told
