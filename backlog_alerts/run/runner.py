"""`backlog-alerts run`: the three notebooks in order under papermill, one run folder per run."""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from contextlib import ExitStack, nullcontext, suppress
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import yaml
from botocore.exceptions import BotoCoreError, ClientError

from backlog_alerts.io import aws, emulator, storage
from backlog_alerts.io.demo import seed_demo
from backlog_alerts.io.paths import project_root, resolve_local
from backlog_alerts.run.params import (
    ParamsError,
    check_params,
    declared_parameters,
    load_params,
    runner_setting,
    split_params,
)
from backlog_alerts.run.preflight import check_inputs, effective_parameters, within
from backlog_alerts.sync.topics import existing_topic_arns
from backlog_alerts.trail.executed import first_error, read_facts
from backlog_alerts.trail.lock import run_lock
from backlog_alerts.trail.manifest import (
    FAILED,
    INTERRUPTED,
    SUCCEEDED,
    Manifest,
    NotebookEntry,
    file_sha256,
    git_commit,
    now,
)
from backlog_alerts.trail.retention import apply_retention
from backlog_alerts.trail.runs import create_run_folder

NOTEBOOKS = ("01_topic_setup.ipynb", "02_subscription_sync.ipynb", "03_alert_check.ipynb")
ALERT_CHECK = NOTEBOOKS[2]  # runs even after an earlier notebook failed
BACKTEST = "04_backtest.ipynb"  # on demand (`backlog-alerts backtest`), never in the scheduled run

EXIT_OK, EXIT_NOTEBOOK_FAILED, EXIT_BAD_INPUT, EXIT_LOCKED, EXIT_INTERRUPTED = 0, 1, 2, 3, 130
PR_SET_PDEATHSIG = 1  # from <sys/prctl.h>


@dataclass
class NotebookResult:
    """How one notebook of the run ended; `output` is a local path or an s3:// URI."""

    notebook: str
    output: str
    status: str  # succeeded | failed | timed out
    seconds: float
    error: str = ""


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
    def facts(self) -> dict[str, dict[str, Any]]:
        """What each executed notebook recorded, by name without `.ipynb`; read once, after the run."""
        return {
            Path(n.notebook).stem: read_facts(n.output) for n in self.notebooks if storage.exists(n.output)
        }


def find_notebooks_dir(explicit: str | Path | None = None) -> Path:
    """The notebooks to run: given explicitly, else those of the project we are in."""
    if explicit:
        return resolve_local(explicit)
    root = project_root() or project_root(Path(__file__).parent)
    if root is None:
        raise ParamsError("cannot find the notebooks/ folder: run from the project or pass --notebooks")
    return root / "notebooks"


def _die_with_parent() -> None:
    """In the papermill child (Linux): be killed if the runner dies, even by SIGKILL.

    The kernel papermill starts watches its own parent and exits with it.
    """
    if sys.platform.startswith("linux"):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def _forward(stream: Any, line_to: Callable[[str], None]) -> None:
    for line in stream:
        line_to(line.rstrip("\n"))


def _kill_group(process: subprocess.Popen[bytes]) -> None:
    """Stop papermill and the kernel it started, which share its process group."""
    with suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def execute_notebook(
    notebook: Path,
    output: str | Path,
    parameters: dict[str, Any],
    *,
    execution_timeout: int,
    notebook_timeout: int,
    env: dict[str, str],
    stderr_line: Callable[[str], None] | None = None,
) -> tuple[str, str]:
    """Run one notebook with papermill in its own process group; returns (status, error line).

    The outer timeout exists because papermill can hang after the last cell; the kernel's cwd is
    the notebooks folder, as in Jupyter and nbval. With `stderr_line`, what papermill and the kernel
    print to stderr goes there line by line (for JSON logs) instead of straight to our stderr.
    """
    command = [
        sys.executable,
        "-m",
        "papermill",
        str(notebook),
        str(output),
        "--parameters_yaml",
        yaml.safe_dump(parameters, sort_keys=False),
        "--cwd",
        str(notebook.parent),
        "--execution-timeout",
        str(execution_timeout),
        "--progress-bar" if sys.stderr.isatty() else "--no-progress-bar",
        "--log-level",
        "WARNING",
    ]
    process = subprocess.Popen(
        command,
        env=env,
        start_new_session=True,
        stdin=subprocess.DEVNULL,
        stderr=subprocess.PIPE if stderr_line else None,
        text=True,
        preexec_fn=_die_with_parent,
    )
    if stderr_line and process.stderr:
        threading.Thread(target=_forward, args=(process.stderr, stderr_line), daemon=True).start()
    try:
        code = process.wait(timeout=notebook_timeout)
    except subprocess.TimeoutExpired:
        _kill_group(process)
        return "timed out", f"notebook did not finish within {notebook_timeout} s"
    except BaseException:
        _kill_group(process)
        raise
    if code == 0:
        return "succeeded", ""
    error = first_error(str(output)) if storage.exists(str(output)) else None
    if error and error.startswith("KeyboardInterrupt"):  # how nbclient stops a cell that overran
        return "timed out", f"a cell did not finish within {execution_timeout} s (execution_timeout)"
    return "failed", error or f"papermill exited with code {code}"


class Interrupted(KeyboardInterrupt):
    """SIGTERM (a scheduler stopping the job) handled like Ctrl-C: stop, record, exit."""


def _raise_interrupted(signum: int, frame: object) -> None:
    raise Interrupted(f"signal {signum}")


@dataclass(frozen=True)
class RunPlan:
    """A checked params file, split among the notebooks, and where its run folders go."""

    params_path: Path
    params: dict[str, Any]
    paths: list[Path]
    per_notebook: dict[Path, dict[str, Any]]
    location: str


def plan_run(
    params_path: str | Path, output_dir: str | Path | None = None, notebooks_dir: str | Path | None = None
) -> RunPlan:
    """Everything about a run that the params file decides, checked before anything starts."""
    params_path = resolve_local(params_path)
    params = load_params(params_path)
    paths = [find_notebooks_dir(notebooks_dir) / name for name in NOTEBOOKS]
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        raise ParamsError(f"notebook(s) not found: {', '.join(missing)}")
    backtest = paths[0].parent / BACKTEST  # its keys may sit in the same params file
    declared = {p: declared_parameters(p) for p in [*paths, backtest] if p.exists()}
    per_notebook = split_params(params, declared, params_path)
    per_notebook.pop(backtest, None)
    check_params(params, params_path)
    location = storage.normalize(output_dir or runner_setting(params, "output_dir"))
    if "state_uri" in params and not params["state_uri"]:  # "" means: beside the run folders
        for values in per_notebook.values():
            if "state_uri" in values:
                values["state_uri"] = storage.join(location, "alert_state.json")
    return RunPlan(params_path, params, paths, per_notebook, location)


def check_plan_inputs(plan: RunPlan) -> list[str]:
    """The contacts file and the report, read and checked as notebooks 2 and 3 will read them."""
    sync, alert = (effective_parameters(p, plan.per_notebook[p]) for p in plan.paths[1:])
    return check_inputs(sync, alert)


def _enter_aws(
    stack: ExitStack, params: dict[str, Any], say: Callable[[str], None]
) -> tuple[str, bool, dict]:
    """Real AWS, or the emulator (started if needed, seeded with the demo): its endpoint and environment."""
    target = params.get("target", "local")
    real_aws = nullcontext((os.environ.get("AWS_ENDPOINT_URL", "AWS"), False))
    endpoint, started = stack.enter_context(emulator.local_aws() if target == "local" else real_aws)
    env = emulator.emulator_environ(endpoint) if target == "local" else dict(os.environ)
    env.update(
        aws.retry_environ(
            runner_setting(params, "aws_retry_mode"), runner_setting(params, "aws_max_attempts")
        )
    )
    stack.enter_context(emulator.patched_environ(env))
    if target == "local":
        for uri in seed_demo(aws.client("s3", params.get("region"))):
            say(f"seeded demo file {uri}")
    return endpoint, started, env


def run_backtest(
    params_path: str | Path,
    reports: str | None = None,
    proposed_rules: list[dict[str, Any]] | None = None,
    output_dir: str | Path | None = None,
    rules_source: str = "",
    say: Callable[[str], None] = print,
    stderr_line: Callable[[str], None] | None = None,
) -> RunResult:
    """The backtest notebook under papermill in a run folder of its own, so a what-if is audited too.

    It changes nothing in AWS and reads no alert state, so it takes no run lock.
    """
    plan = plan_run(params_path, output_dir)
    notebook = plan.paths[0].parent / BACKTEST
    overrides = {"reports_uri": reports} if reports else {}
    if proposed_rules is not None:
        overrides["proposed_rules"] = proposed_rules
    params = {**plan.params, **overrides}
    check_params(params, f"{plan.params_path} + {rules_source}" if rules_source else plan.params_path)
    parameters = {k: v for k, v in params.items() if k in declared_parameters(notebook)}
    with ExitStack() as stack:
        endpoint, _, env = _enter_aws(stack, params, say)
        run_id, folder = create_run_folder(plan.location)
        manifest = new_manifest(run_id, folder, plan.params_path, [notebook])
        shown = parameters.get("reports_uri", "(the notebook's default)")
        say(f"backtest {run_id}: reports {shown}, output {folder}")
        result = RunResult(run_id, folder, endpoint)
        _run_notebooks([notebook], {notebook: parameters}, result, manifest, params, env, say, stderr_line)
        failed = result.failed
        _finish(
            manifest,
            FAILED if failed else SUCCEEDED,
            failed.notebook if failed else "",
            failed.error if failed else "",
        )
    return result


def run_pipeline(
    params_path: str | Path,
    output_dir: str | Path | None = None,
    notebooks_dir: str | Path | None = None,
    say: Callable[[str], None] = print,
    stderr_line: Callable[[str], None] | None = None,
) -> RunResult:
    """Validate the params, bring up AWS (emulator or real), then run the notebooks in order."""
    plan = plan_run(params_path, output_dir, notebooks_dir)
    params, params_path, paths, location = plan.params, plan.params_path, plan.paths, plan.location
    per_notebook = plan.per_notebook
    target = params.get("target", "local")

    with ExitStack() as stack:
        endpoint, started, env = _enter_aws(stack, params, say)
        lock = stack.enter_context(run_lock(location, wait=float(runner_setting(params, "lock_wait"))))
        seconds = float(runner_setting(params, "execution_timeout"))
        for line in within(seconds, lambda: check_plan_inputs(plan)):  # under the lock: it probes the state
            say(line)
        run_id, folder = create_run_folder(location)
        lock.claim(run_id)
        manifest = new_manifest(run_id, folder, params_path, paths)
        say(f"run {run_id}: params {params_path}, output {folder}")
        say(f"AWS: {'embedded moto server at ' if started else ''}{endpoint}")
        result = RunResult(run_id, folder, endpoint)
        previous = signal.signal(signal.SIGTERM, _raise_interrupted)
        try:
            _run_notebooks(paths, per_notebook, result, manifest, params, env, say, stderr_line)
        except KeyboardInterrupt:
            _finish(manifest, INTERRUPTED, "", "the run was stopped before it finished")
            raise
        finally:
            signal.signal(signal.SIGTERM, previous)
        if result.failed:
            _finish(manifest, FAILED, result.failed.notebook, result.failed.error)
            say(notify_ops_of_failure(params, result))
        else:
            _finish(manifest, SUCCEEDED)
            if target == "local":
                _show_published(endpoint, result, say)
            for removed in apply_retention(location, params):
                say(f"retention: removed run {removed}")
    return result


def _run_notebooks(
    paths: list[Path],
    per_notebook: dict[Path, dict[str, Any]],
    result: RunResult,
    manifest: Manifest,
    params: dict[str, Any],
    env: dict[str, str],
    say: Callable[[str], None],
    stderr_line: Callable[[str], None] | None,
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
        write_manifest(manifest)
        try:
            outcome = _run_one(
                path, result.folder, per_notebook[path], result.run_id, params, env, say, stderr_line
            )
        except KeyboardInterrupt:
            entry.status, entry.ended_at = INTERRUPTED, now()
            raise
        entry.status, entry.ended_at = outcome.status, now()
        entry.seconds, entry.error = round(outcome.seconds, 2), outcome.error
        result.notebooks.append(outcome)


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


def write_manifest(manifest: Manifest) -> None:
    storage.write_json(storage.join(manifest.output_location, "manifest.json"), manifest.to_dict())


def _finish(manifest: Manifest, status: str, failed_notebook: str = "", error: str = "") -> None:
    manifest.status, manifest.ended_at = status, now()
    manifest.failed_notebook, manifest.error = failed_notebook, error
    write_manifest(manifest)


def _run_one(
    notebook: Path,
    folder: str,
    parameters: dict[str, Any],
    run_id: str,
    params: dict[str, Any],
    env: dict[str, str],
    say: Callable[[str], None],
    stderr_line: Callable[[str], None] | None,
) -> NotebookResult:
    output = storage.join(folder, notebook.name)
    say(f"[{notebook.stem}] running")
    started = time.monotonic()
    status, error = execute_notebook(
        notebook,
        output,
        {**parameters, "run_id": run_id},
        execution_timeout=int(runner_setting(params, "execution_timeout")),
        notebook_timeout=int(runner_setting(params, "notebook_timeout")),
        env=env,
        stderr_line=stderr_line,
    )
    seconds = time.monotonic() - started
    say(f"[{notebook.stem}] {status} in {seconds:.1f} s")
    return NotebookResult(notebook.name, output, status, seconds, error)


def notify_ops_of_failure(params: dict[str, Any], result: RunResult) -> str:
    """A scheduled job must not fail silently: one short notice to the ops topic, if there is one."""
    failed = result.failed
    name = params.get("ops_topic", "")
    if not name or failed is None:
        return "ops: no ops_topic configured, nobody was notified of the failure"
    try:
        sns = aws.client("sns", params.get("region"))
        arn = existing_topic_arns(sns).get(name)
        if arn is None:
            return f"ops: topic {name} does not exist, nobody was notified of the failure"
        message_id = sns.publish(
            TopicArn=arn,
            Subject=f"[OPS] backlog-alerts run failed at {Path(failed.notebook).stem}"[:99],
            Message="\n\n".join(
                f"Run {result.run_id}: {n.notebook} {n.status}.\nError: {n.error}\nExecuted copy: {n.output}"
                for n in result.failures
            ),
            MessageAttributes={"severity": {"DataType": "String", "StringValue": "ops"}},
        )["MessageId"]
    except (ClientError, BotoCoreError) as err:
        return f"ops: could not notify {name}: {err}"
    return f"ops: failure notice sent to {name} (MessageId {message_id})"


def _show_published(endpoint: str, result: RunResult, say: Callable[[str], None]) -> None:
    """What the emulator delivered to each topic in this run: what the directors would have read."""
    alerts = result.facts.get("03_alert_check", {}).get("alerts", [])
    ids = {a["message_id"] for a in alerts if a["message_id"]}
    try:
        messages = [m for m in emulator.published_messages(endpoint) if m["message_id"] in ids]
    except OSError:
        return  # an endpoint that is not moto has no /moto-api; nothing to show
    for message in messages:
        say(f"published to {message['topic']}: Subject {message['subject']!r}")
        for channel, text in emulator.channel_texts(message["message"]).items():
            say(f"  {channel}: " + text.replace("\n", "\n    "))


def summary_lines(result: RunResult) -> list[str]:
    """A few lines a person reads at the end of a run."""
    facts = result.facts
    topics = facts.get("01_topic_setup", {}).get("topics", [])
    sync_facts = facts.get("02_subscription_sync", {})
    sync = sync_facts.get("sync_outcome")
    alert_facts = facts.get("03_alert_check", {})
    alerts = alert_facts.get("alerts", [])
    report = alert_facts.get("report", {})
    keys = ("add", "remove", "held", "update", "unchanged", "pending", "rejected_rows")
    totals = {k: sum(row[k] for row in sync or []) for k in keys}
    dry = " (dry run: planned, not applied)" if sync_facts.get("run", {}).get("dry_run") else ""
    dropped = sum(p["effect"] == "endpoint dropped" for p in sync_facts.get("problems", []))
    subscriptions = (
        f"subscriptions: {totals['add']} added, {totals['remove']} removed, {totals['held']} removals held, "
        f"{totals['update']} filter updates, {totals['unchanged']} unchanged, {totals['pending']} pending, "
        f"{totals['rejected_rows']} rows rejected, {dropped} invalid emails or phones dropped{dry}"
        if sync is not None
        else "subscriptions: not changed (the sync stopped before applying its plan; see its error)"
    )
    sent = [a for a in alerts if a["message_id"] and a["action"] in ("publish", "resolved")]
    actions = Counter(a["action"] for a in alerts)
    lines = [
        f"run folder: {result.folder}",
        f"topics: {len(topics)} ({sum(1 for t in topics if t['created'])} created)",
        subscriptions,
        f"report: {report.get('status', '?')}, period {report.get('period') or 'unknown'} "
        f"({report.get('uri', '')})",
        f"alerts: {len({a['message_id'] for a in sent})} message(s) published; rules: "
        + (", ".join(f"{n} {action}" for action, n in sorted(actions.items())) or "none checked"),
    ]
    lines += [
        f"  {a['rule']}: {a['service_name']} {a['count']} {a['comparison']} {a['threshold']} "
        f"({a['severity']}) -> {a['department']}, {a['action']} (MessageId {a['message_id']})"
        for a in sent
    ]
    notice = alert_facts.get("report_notice")
    if notice:
        lines.append(
            f"  report {notice['status']}: ops notice {notice['action']} {notice['message_id']}".rstrip()
        )
    return lines
