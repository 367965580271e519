"""The command line's grammar: each subcommand's options, help text and exit codes."""

from __future__ import annotations

import argparse
from datetime import date
from typing import Any

from backlog_alerts import __version__
from backlog_alerts.errors import (
    EXIT_BAD_INPUT,
    EXIT_INTERRUPTED,
    EXIT_LOCKED,
    EXIT_NOTEBOOK_FAILED,
    EXIT_OK,
    EXIT_UNHEARD,
)
from backlog_alerts.run.logs import LOG_FORMATS
from backlog_alerts.trail.audit_data import PER
from backlog_alerts.trail.audit_formats import FORMATS

DEFAULT_PARAMS = "params/local.yaml"
STATE_ACTIONS = ("show", "rebuild", "forget")
EXIT_CODES = f"""exit codes:
  {EXIT_OK}    the run succeeded
  {EXIT_NOTEBOOK_FAILED}    a notebook failed or timed out (its executed copy is kept; the ops topic is told)
  {EXIT_BAD_INPUT}    bad params or inputs: nothing ran, nothing changed in AWS
  {EXIT_LOCKED}    another run holds the lock on this output location or this alert state
  {EXIT_INTERRUPTED}  stopped by SIGTERM or Ctrl-C (recorded as interrupted)"""
RECIPIENTS_EXIT_CODES = f"""exit codes:
  {EXIT_OK}    every severity a department's rules send reaches at least one person there
  {EXIT_UNHEARD}    a severity some rule of a department sends reaches nobody there (no confirmed email,
       no SMS number that is not opted out, or their filter policies hold it back, e.g. directors who
       asked for critical alerts only and a warning rule): its alerts would be heard by no one
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


def _trail_options(command: argparse.ArgumentParser) -> None:
    """Where `audit` and `report` read the trail, and the alert state that logs sends made outside it."""
    command.add_argument(
        "--output-dir", help="local folder or s3:// prefix (default: the --params output_dir, else outputs)"
    )
    command.add_argument(
        "--params",
        help="params file naming the alert state to read for sends outside recorded runs, and the "
        "trail (default: the state the newest run's manifest names)",
    )


def parser() -> argparse.ArgumentParser:
    """Every subcommand, its options and its --help."""
    top = argparse.ArgumentParser(prog="backlog-alerts", description=DESCRIPTION)
    top.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = top.add_subparsers(dest="command", required=True)

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
    _trail_options(audit)
    audit.add_argument("--since", type=date.fromisoformat, help="only runs started on or after YYYY-MM-DD")
    audit.add_argument("--run", metavar="RUN_ID", help="show one run in full")
    audit.add_argument(
        "--format", choices=FORMATS, default="table", help="table for people; csv or json (default: table)"
    )
    audit.add_argument(
        "--wide",
        action="store_true",
        help="table: every column, as wide as the values are (default: 120 columns, details wrapped)",
    )
    audit.add_argument(
        "--per",
        choices=PER,
        default="run",
        help="csv: one row per run, per alert or per ops notice (default: %(default)s)",
    )
    audit.add_argument(
        "--state",
        metavar="URI",
        help="alert state to check for sends outside recorded runs (default: the one --params names, "
        "else the one the newest run's manifest names)",
    )

    report = _subcommand(commands, "report", "render the trail to static HTML (nbconvert)")
    _trail_options(report)
    report.add_argument(
        "--to", default="outputs/html", help="folder for the HTML pages (default: %(default)s)"
    )
    report.add_argument(
        "--with-code", action="store_true", help="show the notebooks' code cells (hidden by default)"
    )

    recipients = _subcommand(
        commands,
        "recipients",
        "who would hear each department's alert now, per severity, through filter policies (masked); "
        "sends nothing",
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

    iam = _subcommand(
        commands, "iam-policy", "print the least-privilege IAM policy of this params file's deployment (JSON)"
    )
    iam.add_argument("--params", default=DEFAULT_PARAMS, help="params file (default: %(default)s)")
    iam.add_argument(
        "--account-id",
        help="the AWS account in the ARNs (default: the credentials' own, from STS GetCallerIdentity)",
    )
    iam.add_argument(
        "--output-dir", help="the --output-dir the job runs with, if any (default: the params' output_dir)"
    )

    lab = _subcommand(commands, "lab", "JupyterLab on the notebooks, against the emulator")
    lab.add_argument("jupyter_args", nargs=argparse.REMAINDER, help="after --, passed on to `jupyter lab`")
    return top
