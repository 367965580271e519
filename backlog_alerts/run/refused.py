"""A run refused by the pre-run check still leaves a trace: a run folder, a manifest, an ops notice.

Only once the params are valid: they say where the trail is and which topic ops read. The manifest
says what was refused (the input, with its ETag and SHA-256 when it could be read, and the reason),
what the check had read, and the notice sent to ops with its MessageId.
"""

from __future__ import annotations

from typing import Any

from backlog_alerts.alerting.ops import OpsNotice, notify_ops_of_refusal
from backlog_alerts.errors import BacklogAlertsError
from backlog_alerts.io import locations, storage
from backlog_alerts.run.plan import RunPlan
from backlog_alerts.run.preflight import Checked
from backlog_alerts.state.store import open_state
from backlog_alerts.trail.manifest import REFUSED, new_manifest
from backlog_alerts.trail.runs import create_run_folder


def record_refusal(
    plan: RunPlan, reason: str, run_id: str = "", *, checked: Checked | None = None, **owner: Any
) -> tuple[str, str]:
    """Write the refused run's folder and manifest (its notebooks `not run`) and tell ops.

    Returns the run folder and the line saying whether ops were told. Without `run_id` a fresh
    folder is claimed; the orchestrator passes its own run id. `checked`: how far the pre-run check
    got, which names the input it refused.
    """
    if run_id:
        folder = locations.join(plan.location, run_id)
        storage.make_folder(folder)
    else:
        run_id, folder = create_run_folder(plan.location)
    deployment = _deployment(plan)
    manifest = new_manifest(
        run_id,
        folder,
        plan.params_path,
        plan.paths,
        "not run",
        **owner,
        deployment=deployment,
        state_uri=plan.params.state_uri,
    )
    if checked is not None:
        manifest.inputs = checked.inputs
        manifest.refused_input = checked.refused(plan.params) if checked.checking else {}
    manifest.finish(REFUSED, "", reason)
    params = plan.params
    if params.dry_run:  # a preview tells nobody; its folder and the command's error say why it stopped
        told = OpsNotice(
            "refusal", params.ops_topic_name, outcome="a dry run, nobody was notified of the refusal"
        )
    else:
        told = notify_ops_of_refusal(params.ops_topic_name, params.region, run_id, reason, folder, deployment)
    manifest.add_ops_notice(vars(told))
    return folder, told.line()


def _deployment(plan: RunPlan) -> str:
    """The deployment of the run's state, if it can be read (a refusal may be about the state)."""
    try:
        return open_state(plan.params.state_uri, plan.params.region).state.deployment
    except BacklogAlertsError:
        return ""
