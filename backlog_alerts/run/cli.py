"""Command line: `backlog-alerts` and its subcommands (run, backtest, audit, report, state, ...)."""

from __future__ import annotations

import argparse
import contextlib
import functools
import importlib
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from backlog_alerts.errors import (
    EXIT_INTERRUPTED,
    EXIT_NOTEBOOK_FAILED,
    EXIT_OK,
    BacklogAlertsError,
    RunInterrupted,
)
from backlog_alerts.io import aws, emulator
from backlog_alerts.io.demo import seed_demo
from backlog_alerts.io.paths import resolve_local
from backlog_alerts.masking import mask_text
from backlog_alerts.run.arguments import parser
from backlog_alerts.run.logs import RunLog, logged_warnings
from backlog_alerts.run.params import ParamsError, parse_yaml

if TYPE_CHECKING:
    from backlog_alerts.run.pipeline import RunResult

# What each command needs beyond this module, imported by `import_command` (the runner's papermill and
# kernels, the trail's readers and renderers): `audit` or `state` need not load what `run` needs.
COMMAND_MODULES = {
    "run": ("backlog_alerts.run.pipeline", "backlog_alerts.run.summary"),
    "backtest": ("backlog_alerts.run.pipeline",),
    "audit": ("backlog_alerts.run.review",),
    "report": ("backlog_alerts.run.review",),
    "recipients": ("backlog_alerts.run.recipients",),
    "state": ("backlog_alerts.run.state_commands",),
    "topics": ("backlog_alerts.run.state_commands",),
    "iam-policy": ("backlog_alerts.run.iam_policy",),
}


def import_command(argv: list[str]) -> None:
    """Import the modules of the command `argv` names (its first word that is not an option), so that
    entry.py imports them with the rest, its stops held and its garbage collector paused; each handler
    imports its own too, for `main(argv)` called in-process."""
    command = next((arg for arg in argv if not arg.startswith("-")), "")
    for module in COMMAND_MODULES.get(command, ()):
        importlib.import_module(module)


def _execute(log: RunLog, start: Callable[..., RunResult], *args: Any, **kwargs: Any) -> RunResult | int:
    """Run or backtest with its output in `log`; an exit code instead of a result when it could not run."""
    stderr_line = log.warning if log.json else log.passed_on
    try:
        with logged_warnings("backlog_alerts", log.warning):
            return start(*args, say=log.info, stderr_line=stderr_line, **kwargs)
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
    from backlog_alerts.run.pipeline import run_pipeline
    from backlog_alerts.run.plan import ALERT_CHECK
    from backlog_alerts.run.summary import summary_lines

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
    from backlog_alerts.run.pipeline import run_backtest

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


EXPORTS = ("AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION")


def _emulator(args: argparse.Namespace) -> int:
    """Ctrl-C is how it stops: exit 0 once the server is up and seeded, whenever it comes."""
    with emulator.moto_server(args.port) as endpoint:
        env = _seeded_endpoint(endpoint)
        with contextlib.suppress(KeyboardInterrupt):
            print(f"moto server on {endpoint}, seeded with the demo data. In another shell:")
            for name in EXPORTS:
                print(f"  export {name}={env[name]}")
            print("Ctrl-C stops it.", flush=True)
            # Not one endless wait: the kernel may hand Ctrl-C to the server's thread, and a main thread
            # blocked without a timeout would never run the handler (the command then never stopped).
            while True:
                time.sleep(0.5)
    return EXIT_OK


def _recipients(args: argparse.Namespace) -> int:
    from backlog_alerts.run.recipients import show_recipients

    return show_recipients(args.params, print)


def _audit(args: argparse.Namespace) -> int:
    from backlog_alerts.run.review import audit

    return audit(args)


def _report(args: argparse.Namespace) -> int:
    from backlog_alerts.run.review import report

    return report(args)


def _state(args: argparse.Namespace) -> int:
    from backlog_alerts.run import state_commands

    if args.action == "show":
        return state_commands.show(args.params, print)
    if args.action == "rebuild":
        return state_commands.rebuild(args.params, args.trail, print)
    if not args.period:
        raise ParamsError("state forget needs --period YYYY-MM")
    return state_commands.forget(args.params, args.period, args.department, args.service, print)


def _topics(args: argparse.Namespace) -> int:
    from backlog_alerts.run import state_commands

    return state_commands.adopt(args.params, print)


def _iam_policy(args: argparse.Namespace) -> int:
    from backlog_alerts.run.iam_policy import print_policy

    return print_policy(
        args.params, args.account_id, print, functools.partial(print, file=sys.stderr), args.output_dir
    )


def _lab(args: argparse.Namespace) -> int:
    from backlog_alerts.run.lab import run_lab  # jupyter_server: only for JupyterLab

    return run_lab(args.jupyter_args, _seeded_endpoint, lambda line: print(line, flush=True))


def main(argv: list[str] | None = None) -> int:
    """Entry point of the console script and of `python -m backlog_alerts`."""
    args = parser().parse_args(argv)
    handlers = {
        "run": _run,
        "backtest": _backtest,
        "audit": _audit,
        "report": _report,
        "emulator": _emulator,
        "lab": _lab,
        "recipients": _recipients,
        "state": _state,
        "topics": _topics,
        "iam-policy": _iam_policy,
    }
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    try:
        return handlers[args.command](args)
    except BacklogAlertsError as err:  # run and backtest log their own, in the chosen log format
        print(f"error: {mask_text(str(err))}", file=sys.stderr)  # masked when made; a subclass's __str__ too
        return err.exit_code
    except KeyboardInterrupt:  # Ctrl-C or SIGTERM in audit or report: nothing to undo
        print("interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
