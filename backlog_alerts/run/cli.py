"""Command line: `backlog-alerts` and its subcommands (run, backtest, audit, report, state, ...)."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import threading
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from backlog_alerts import __version__
from backlog_alerts.errors import (
    EXIT_BAD_INPUT,
    EXIT_INTERRUPTED,
    EXIT_LOCKED,
    EXIT_NOTEBOOK_FAILED,
    EXIT_OK,
    EXIT_UNHEARD,
    BacklogAlertsError,
    RunInterrupted,
)
from backlog_alerts.io import aws, emulator
from backlog_alerts.io.demo import seed_demo
from backlog_alerts.io.paths import resolve_local
from backlog_alerts.run.logs import LOG_FORMATS, RunLog
from backlog_alerts.run.params import ParamsError, parse_yaml
from backlog_alerts.run.pipeline import RunResult, run_backtest, run_pipeline
from backlog_alerts.run.plan import ALERT_CHECK
from backlog_alerts.run.recipients import show_recipients
from backlog_alerts.run.review import audit, report
from backlog_alerts.run.summary import summary_lines
from backlog_alerts.trail.audit import FORMATS
from backlog_alerts.trail.audit_data import PER

DEFAULT_PARAMS = "params/local.yaml"
STATE_ACTIONS = ("show", "rebuild", "forget")
EXIT_CODES = f"""exit codes:
  {EXIT_OK}    the run succeeded
  {EXIT_NOTEBOOK_FAILED}    a notebook failed or timed out (its executed copy is kept; the ops topic is told)
  {EXIT_BAD_INPUT}    bad params or inputs: nothing ran, nothing changed in AWS
  {EXIT_LOCKED}    another run holds the lock on this output location or this alert state
  {EXIT_INTERRUPTED}  stopped by SIGTERM or Ctrl-C (recorded as interrupted)"""
RECIPIENTS_EXIT_CODES = f"""exit codes:
  {EXIT_OK}    every department with alert rules reaches at least one person
  {EXIT_UNHEARD}    a department with alert rules reaches nobody (no confirmed email, no SMS number that
       is not opted out): its alerts would be published and heard by no one
  {EXIT_BAD_INPUT}    bad params, topics missing, or no emulator to ask (target: local)"""
BACKTEST_EXIT_CODES = f"""exit codes:
  {EXIT_OK}    the backtest ran (it changes nothing in AWS and sends nothing)
  {EXIT_NOTEBOOK_FAILED}    the notebook failed or timed out (its executed copy is kept)
  {EXIT_BAD_INPUT}    bad params, rules or reports: nothing ran
  {EXIT_INTERRUPTED}  stopped by SIGTERM or Ctrl-C"""
DESCRIPTION = (
    "Turn a monthly report of 311 service-request counts into SNS alerts for the directors in charge: "
    "topic setup, subscription sync and alert check, run as papermill notebooks whose executed copies "
    "are the audit trail."
)


def _subcommand(commands: Any, name: str, summary: str) -> argparse.ArgumentParser:
    """A subcommand whose --help opens with its one-line summary, as a sentence."""
    return commands.add_parser(name, help=summary, description=summary[0].upper() + summary[1:] + ".")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="backlog-alerts", description=DESCRIPTION)
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)

    run = commands.add_parser(
        "run",
        help="run the three notebooks in order with papermill",
        description="Run the three notebooks in order with papermill. It never asks for input.",
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    run.add_argument("--params", default=DEFAULT_PARAMS, help="params YAML (default: %(default)s)")
    run.add_argument("--output-dir", help="where run folders go (default: the params' output_dir)")
    run.add_argument("--notebooks", help="folder holding the notebooks (default: ./notebooks)")
    run.add_argument(
        "--log-format",
        choices=LOG_FORMATS,
        default="text",
        help="text for people; json: one JSON object per line, for log collectors (default: %(default)s)",
    )

    backtest = commands.add_parser(
        "backtest",
        help="replay past reports through the rules (notebook 04): what would have been sent",
        description="Replay past reports through the rules (notebook 04) in a run folder of its own: "
        "what would have been sent, and to how many directors. Nothing is published.",
        epilog=BACKTEST_EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    backtest.add_argument("--params", default=DEFAULT_PARAMS, help="params YAML (default: %(default)s)")
    backtest.add_argument(
        "--reports", help="s3:// prefix or local folder of past reports (default: reports_uri)"
    )
    backtest.add_argument("--rules", help="YAML file of proposed rules, compared with the params' rules")
    backtest.add_argument("--output-dir", help="where run folders go (default: the params' output_dir)")
    backtest.add_argument(
        "--log-format", choices=LOG_FORMATS, default="text", help="text or json lines (default: %(default)s)"
    )

    emu = _subcommand(commands, "emulator", "serve the embedded AWS emulator, seeded with demo data")
    emu.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default: a free one)")

    audit = _subcommand(commands, "audit", "list runs from the trail: status, counts, alerts, changes")
    audit.add_argument(
        "--output-dir", default="outputs", help="local folder or s3:// prefix (default: %(default)s)"
    )
    audit.add_argument("--since", type=date.fromisoformat, help="only runs started on or after YYYY-MM-DD")
    audit.add_argument("--run", metavar="RUN_ID", help="show one run in full")
    audit.add_argument(
        "--format", choices=FORMATS, default="table", help="table for people; csv or json (default: table)"
    )
    audit.add_argument(
        "--per", choices=PER, default="run", help="csv: one row per run or per alert (default: %(default)s)"
    )
    audit.add_argument(
        "--state",
        metavar="URI",
        help="alert state to check for sends outside recorded runs (default: alert_state.json beside "
        "the run folders, if there)",
    )

    report = _subcommand(commands, "report", "render the trail to static HTML (nbconvert)")
    report.add_argument(
        "--output-dir", default="outputs", help="local folder or s3:// prefix (default: %(default)s)"
    )
    report.add_argument(
        "--to", default="outputs/html", help="folder for the HTML pages (default: %(default)s)"
    )
    report.add_argument(
        "--with-code", action="store_true", help="show the notebooks' code cells (hidden by default)"
    )

    recipients = _subcommand(
        commands, "recipients", "who would hear each department's alert now (masked); sends nothing"
    )
    recipients.add_argument("--params", default=DEFAULT_PARAMS, help="params file (default: %(default)s)")
    recipients.epilog = RECIPIENTS_EXIT_CODES
    recipients.formatter_class = argparse.RawDescriptionHelpFormatter

    state = _subcommand(
        commands, "state", "show, rebuild or forget part of the alert state (the recovery steps notices name)"
    )
    state.add_argument(
        "action",
        choices=STATE_ACTIONS,
        help="show: what it holds; rebuild: from the trail and the topics' marks; forget: a period's alerts",
    )
    state.add_argument("--params", default=DEFAULT_PARAMS, help="params file (default: %(default)s)")
    state.add_argument("--trail", help="rebuild: the run folders to read (default: the params' output_dir)")
    state.add_argument("--period", help="forget: the report period (YYYY-MM) whose alerts to forget")
    state.add_argument("--department", help="forget: only what this department's topic heard")
    state.add_argument("--service", help="forget: only what was heard of this service")

    topics = _subcommand(commands, "topics", "hand this params file's topics to its deployment on purpose")
    topics.add_argument("action", choices=("adopt",), help="adopt: mark them as this deployment's")
    topics.add_argument("--params", default=DEFAULT_PARAMS, help="params file (default: %(default)s)")

    lab = _subcommand(commands, "lab", "JupyterLab on the notebooks, against the emulator")
    lab.add_argument("jupyter_args", nargs=argparse.REMAINDER, help="after --, passed on to `jupyter lab`")
    return parser


def _execute(log: RunLog, start: Callable[..., RunResult], *args: Any, **kwargs: Any) -> RunResult | int:
    """Run or backtest with its output in `log`; an exit code instead of a result when it could not run."""
    try:
        return start(*args, say=log.info, stderr_line=log.warning if log.json else None, **kwargs)
    except BacklogAlertsError as err:
        log.error(str(err), exit_code=err.exit_code)
        return err.exit_code
    except RunInterrupted as err:  # the manifest says so too; the line says where
        log.error(
            f"interrupted: the run was stopped before it finished; what ran is in {err.folder}",
            run_id=err.run_id,
            folder=err.folder,
            exit_code=EXIT_INTERRUPTED,
        )
        return EXIT_INTERRUPTED
    except KeyboardInterrupt:
        log.error("interrupted: the run was stopped before it began", exit_code=EXIT_INTERRUPTED)
        return EXIT_INTERRUPTED


def _failed(log: RunLog, result: RunResult) -> bool:
    """Log each failed notebook: one line naming it, its error and its executed copy."""
    for failed in result.failures:
        log.error(
            f"{failed.notebook} {failed.status}: {failed.error} (executed copy: {failed.output})",
            run_id=result.run_id,
            notebook=failed.notebook,
            executed_copy=failed.output,
            exit_code=EXIT_NOTEBOOK_FAILED,
        )
    return result.failed is not None


def _run(args: argparse.Namespace) -> int:
    log = RunLog(args.log_format)
    result = _execute(log, run_pipeline, args.params, args.output_dir, args.notebooks)
    if isinstance(result, int):
        return result
    if any(n.notebook == ALERT_CHECK for n in result.notebooks):  # even after a failed sync: what went out
        for line in summary_lines(result.folder, result.recorded):
            log.info(line)
    if _failed(log, result):
        return EXIT_NOTEBOOK_FAILED
    log.info("run succeeded", run_id=result.run_id, folder=result.folder, exit_code=EXIT_OK)
    return EXIT_OK


def _proposed_rules(path: str | None) -> list[dict] | None:
    """A rules file: a YAML list of rules, or a mapping with a `rules` list (a params file works)."""
    if not path:
        return None
    try:
        text = resolve_local(path).read_text(encoding="utf-8")
    except OSError as err:
        raise ParamsError(f"{path}: cannot read rules: {err.strerror or err}") from err
    data = parse_yaml(text, path)
    rules = data.get("rules") if isinstance(data, dict) else data
    if not isinstance(rules, list):
        raise ParamsError(f"{path}: must be a list of rules, or a mapping with a `rules` list")
    return rules


def _backtest(args: argparse.Namespace) -> int:
    log = RunLog(args.log_format)
    try:
        proposed = _proposed_rules(args.rules)
    except ParamsError as err:
        log.error(str(err), exit_code=err.exit_code)
        return err.exit_code
    result = _execute(
        log, run_backtest, args.params, args.reports, proposed, args.output_dir, rules_source=args.rules or ""
    )
    if isinstance(result, int):
        return result
    if _failed(log, result):
        return EXIT_NOTEBOOK_FAILED
    from backlog_alerts.alerting.backtest import backtest_lines  # pandas, matplotlib: not for every command

    (notebook,) = result.notebooks
    for line in backtest_lines(result.recorded.facts[Path(notebook.notebook).stem]):
        log.info(line)
    log.info(f"executed copy: {notebook.output}", run_id=result.run_id, exit_code=EXIT_OK)
    return EXIT_OK


def _seeded_endpoint(endpoint: str) -> dict[str, str]:
    """Environment for the emulator at `endpoint`, with the demo files in place."""
    env = emulator.emulator_environ(endpoint)
    with emulator.patched_environ(env):
        seed_demo(aws.client("s3"))
    return env


def _emulator(args: argparse.Namespace) -> int:
    with emulator.moto_server(args.port) as endpoint:
        env = _seeded_endpoint(endpoint)
        print(f"moto server on {endpoint}, seeded with the demo data. In another shell:")
        for name in ("AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION"):
            print(f"  export {name}={env[name]}")
        print("Ctrl-C stops it.", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            threading.Event().wait()
    return EXIT_OK


def _recipients(args: argparse.Namespace) -> int:
    try:
        return show_recipients(args.params, print)
    except BacklogAlertsError as err:
        print(f"error: {err}", file=sys.stderr)
        return err.exit_code


def _state(args: argparse.Namespace) -> int:
    from backlog_alerts.run import state_commands  # boto3 and the trail reader: only for this command

    try:
        if args.action == "show":
            return state_commands.show(args.params, print)
        if args.action == "rebuild":
            return state_commands.rebuild(args.params, args.trail, print)
        if not args.period:
            raise ParamsError("state forget needs --period YYYY-MM")
        return state_commands.forget(args.params, args.period, args.department, args.service, print)
    except BacklogAlertsError as err:
        print(f"error: {err}", file=sys.stderr)
        return err.exit_code


def _topics(args: argparse.Namespace) -> int:
    from backlog_alerts.run import state_commands

    try:
        return state_commands.adopt(args.params, print)
    except BacklogAlertsError as err:
        print(f"error: {err}", file=sys.stderr)
        return err.exit_code


def _lab(args: argparse.Namespace) -> int:
    from backlog_alerts.run.lab import run_lab  # jupyter_server: only for JupyterLab

    return run_lab(args.jupyter_args, _seeded_endpoint, lambda line: print(line, flush=True))


def main(argv: list[str] | None = None) -> int:
    """Entry point of the console script and of `python -m backlog_alerts`."""
    args = _parser().parse_args(argv)
    handlers = {
        "run": _run,
        "backtest": _backtest,
        "audit": audit,
        "report": report,
        "emulator": _emulator,
        "lab": _lab,
        "recipients": _recipients,
        "state": _state,
        "topics": _topics,
    }
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    try:
        return handlers[args.command](args)
    except KeyboardInterrupt:  # Ctrl-C or SIGTERM in audit or report: nothing to undo
        print("interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
