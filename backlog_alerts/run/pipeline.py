"""`backlog-alerts run` and `backtest`: AWS brought up, the notebooks run in order, the run recorded."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable
from contextlib import ExitStack, nullcontext
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

from backlog_alerts.alerting.ops import notify_ops_of_failure
from backlog_alerts.errors import BacklogAlertsError, RunInterrupted, raise_interrupted
from backlog_alerts.io import aws, emulator, storage
from backlog_alerts.io.demo import seed_demo
from backlog_alerts.run.kernels import INPUTS_PREFIX, Kernels
from backlog_alerts.run.model import Params
from backlog_alerts.run.notebook import NotebookResult, run_notebook
from backlog_alerts.run.params import check_params, notebook_parameters
from backlog_alerts.run.plan import ALERT_CHECK, RunPlan, plan_run, settle_state_location
from backlog_alerts.run.preflight import Checked, check_run, within
from backlog_alerts.run.refused import record_refusal
from backlog_alerts.run.summary import show_published
from backlog_alerts.trail.executed import read_facts
from backlog_alerts.trail.lock import run_lock
from backlog_alerts.trail.manifest import FAILED, INTERRUPTED, SUCCEEDED, Manifest, new_manifest, now
from backlog_alerts.trail.recorded import RecordedRun
from backlog_alerts.trail.retention import apply_retention
from backlog_alerts.trail.runs import create_run_folder

Say = Callable[[str], None]


@dataclass
class RunResult:
    """The run as a whole: its folder, its notebooks, and the AWS endpoint it used."""

    run_id: str
    folder: str
    endpoint: str
    notebooks: list[NotebookResult] = field(default_factory=list)

    @property
    def failures(self) -> list[NotebookResult]:
        return [n for n in self.notebooks if n.status != "succeeded"]

    @property
    def failed(self) -> NotebookResult | None:
        """The first notebook that failed: the run's failure, as the manifest records it."""
        return next(iter(self.failures), None)

    @cached_property
    def recorded(self) -> RecordedRun:
        """What each executed notebook recorded; read once, after the run."""
        return RecordedRun(
            {Path(n.notebook).stem: read_facts(n.output) for n in self.notebooks if storage.exists(n.output)}
        )


def enter_aws(stack: ExitStack, params: Params) -> tuple[str, bool, dict[str, str]]:
    """Real AWS, or the emulator (started if needed): its endpoint and environment."""
    local = params.target == "local"
    real_aws = nullcontext((os.environ.get("AWS_ENDPOINT_URL", "AWS"), False))
    endpoint, started = stack.enter_context(emulator.local_aws() if local else real_aws)
    env = emulator.emulator_environ(endpoint) if local else dict(os.environ)
    env.update(aws.retry_environ(params.aws_retry_mode, params.aws_max_attempts))
    stack.enter_context(emulator.patched_environ(env))
    return endpoint, started, env


def seed_emulator(params: Params, say: Say) -> None:
    """On the emulator, the demo's files where they are missing, so the demo params run as they are (a
    dry run too: they are the demo's inputs, not the deployment's topics, subscriptions or state)."""
    if params.target == "local":
        for uri in seed_demo(aws.client("s3", params.region)):
            say(f"seeded demo file {uri}")


def run_backtest(
    params_path: str | Path,
    reports: str | None = None,
    proposed_rules: list[dict[str, Any]] | None = None,
    output_dir: str | Path | None = None,
    rules_source: str = "",
    say: Say = print,
    stderr_line: Say | None = None,
) -> RunResult:
    """The backtest notebook under papermill in a run folder of its own, so a what-if is audited too.

    It changes nothing in AWS and reads no alert state, so it takes no run lock.
    """
    plan = plan_run(params_path, output_dir)
    notebook = plan.backtest
    overrides: dict[str, Any] = {"reports_uri": reports} if reports else {}
    if proposed_rules is not None:
        overrides["proposed_rules"] = proposed_rules
    source = f"{plan.params_path} + {rules_source}" if rules_source else plan.params_path
    params = check_params({**plan.params.model_dump(), **overrides}, source)
    parameters = notebook_parameters(params, notebook)
    with ExitStack() as stack:
        endpoint, _, env = enter_aws(stack, params)
        kernels = stack.enter_context(Kernels([notebook], env, stderr_line))
        kernels.start_ahead()
        seed_emulator(params, say)
        run_id, folder = create_run_folder(plan.location)
        manifest = new_manifest(run_id, folder, plan.params_path, [notebook])
        say(f"backtest {run_id}: reports {parameters['reports_uri']}, output {folder}")
        result = RunResult(run_id, folder, endpoint)
        _run_notebooks([notebook], {notebook: parameters}, result, manifest, params, kernels, say)
        failed = result.failed
        if failed:
            manifest.finish(FAILED, failed.notebook, failed.error)
        else:
            manifest.finish(SUCCEEDED)
    return result


def run_pipeline(
    params_path: str | Path,
    output_dir: str | Path | None = None,
    notebooks_dir: str | Path | None = None,
    say: Say = print,
    stderr_line: Say | None = None,
) -> RunResult:
    """Validate the params, bring up AWS (emulator or real), then run the notebooks in order."""
    plan = plan_run(params_path, output_dir, notebooks_dir)
    params = plan.params
    with ExitStack() as stack:
        endpoint, started, env = enter_aws(stack, params)
        kernels = stack.enter_context(Kernels(plan.paths, env, stderr_line))
        kernels.start_ahead()  # they boot while the demo is seeded and the inputs are checked
        seed_emulator(params, say)
        # a dry run writes no state: it takes only the output location's lock, for its run folder
        state_lock = "" if params.dry_run else params.state_uri
        lock = stack.enter_context(run_lock(plan.location, params.lock_wait, state_uri=state_lock))
        plan = settle_state_location(plan, say)
        pins = Path(stack.enter_context(TemporaryDirectory(prefix=f"{INPUTS_PREFIX}{os.getpid()}-")))
        progress = Checked()  # how far the check got: a refusal names the input it refused
        try:  # under the locks: the check probes, and may rebuild, the alert state
            checked = within(params.execution_timeout, lambda: check_run(plan, pins, progress))
        except BacklogAlertsError as err:  # refused: on the trail and told to ops, then the same error
            _record_refusal(plan, str(err), say, progress)
            raise
        for line in checked.lines:
            say(line)
        plan = plan.with_params(pinned_inputs=checked.pins)
        run_id, folder = create_run_folder(plan.location)
        lock.claim(run_id)
        manifest = new_manifest(
            run_id,
            folder,
            plan.params_path,
            plan.paths,
            deployment=checked.deployment,
            state_uri=plan.params.state_uri,
        )
        say(f"run {run_id}: params {plan.params_path}, output {folder}")
        say(f"AWS: {'embedded moto server at ' if started else ''}{endpoint}")
        result = RunResult(run_id, folder, endpoint)
        _run_guarded(plan, result, manifest, kernels, say)
        if result.failed:
            manifest.finish(FAILED, result.failed.notebook, result.failed.error)
            if params.dry_run:  # a preview tells nobody; its folder and the command's error say why
                say("ops: a dry run, nobody was notified of the failure")
            else:
                told = notify_ops_of_failure(
                    params.ops_topic_name, params.region, run_id, result.failures, checked.deployment
                )
                manifest.add_ops_notice(vars(told))  # no notebook records it: the manifest does
                say(told.line())
        else:
            manifest.finish(SUCCEEDED)
            if params.target == "local":  # while the emulator still holds what it delivered
                show_published(endpoint, result.recorded, say)
            kept = params.dry_run  # a dry run removes no older run folder either
            for removed in [] if kept else apply_retention(plan.location, params.keep_runs, params.keep_days):
                say(f"retention: removed run {removed}")
    return result


def _record_refusal(plan: RunPlan, reason: str, say: Say, checked: Checked) -> None:
    """The refused run's folder, manifest and ops notice; a trail that cannot be written must not
    hide the reason the run was refused."""
    try:
        folder, told = record_refusal(plan, reason, checked=checked)
    except Exception as err:  # noqa: BLE001 - best effort: the refusal itself is raised by the caller
        say(f"run refused; it could not be recorded on the trail: {err}")
        return
    say(f"run refused, recorded in {folder}")
    say(told)


def _run_guarded(
    plan: RunPlan,
    result: RunResult,
    manifest: Manifest,
    kernels: Kernels,
    say: Say,
) -> None:
    """The notebooks with SIGTERM turned into an interruption that the manifest records."""
    previous = signal.signal(signal.SIGTERM, raise_interrupted)
    try:
        _run_notebooks(plan.paths, plan.per_notebook, result, manifest, plan.params, kernels, say)
    except KeyboardInterrupt as err:
        manifest.finish(INTERRUPTED, "", "the run was stopped before it finished")
        raise RunInterrupted(result.run_id, result.folder) from err
    finally:
        signal.signal(signal.SIGTERM, previous)


def _run_notebooks(
    paths: list[Path],
    per_notebook: dict[Path, dict[str, Any]],
    result: RunResult,
    manifest: Manifest,
    params: Params,
    kernels: Kernels,
    say: Say,
) -> None:
    """Each notebook in turn, the manifest rewritten as each starts and ends.

    A failure stops the run, except that the alert check runs whatever happened before it: a sync
    refused by its removal guard (or failing) must not silence every department's alerts. It finds
    its topics by name and fails clearly if they do not exist.
    """
    for path, entry in zip(paths, manifest.notebooks, strict=True):
        if result.failed and path.name != ALERT_CHECK:
            entry.status = "not run"
            continue
        entry.status, entry.started_at = "running", now()
        manifest.write()
        started = time.monotonic()
        try:
            outcome = run_notebook(
                path,
                result.folder,
                {**per_notebook[path], "run_id": result.run_id},
                execution_timeout=params.execution_timeout,
                notebook_timeout=params.notebook_timeout,
                kernels=kernels,
                say=say,
            )
        except KeyboardInterrupt:
            entry.status, entry.ended_at = INTERRUPTED, now()
            entry.seconds = round(time.monotonic() - started, 2)
            raise
        entry.status, entry.ended_at = outcome.status, now()
        entry.seconds, entry.error = round(outcome.seconds, 2), outcome.error
        result.notebooks.append(outcome)
