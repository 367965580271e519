"""The scheduler examples in deploy/ call a command that exists, with flags that exist."""

from __future__ import annotations

import re
import shlex
import tomllib
from pathlib import Path

import pytest
from helpers import DEPLOY, ROOT, systemd_unit

from backlog_alerts.run.arguments import parser

CRON_LINE = re.compile(r"^(?:#\s*)?((?:\S+\s+){5})cd (\S+) && (.+?)(?:\s+>>.*)?$")
CRON_RANGES = [(0, 59), (0, 23), (1, 31), (1, 12), (0, 7)]


def console_script() -> str:
    (name,) = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    return name


def check_command(command: str, where: str) -> list[str]:
    """The words of a `backlog-alerts ...` command line, refused unless our CLI accepts them."""
    words = shlex.split(command)
    assert Path(words[0]).name == console_script(), f"{where}: runs {words[0]}"
    assert words[0].endswith(f".venv/bin/{console_script()}"), f"{where}: not the venv `make` creates"
    try:
        args = parser().parse_args(words[1:])
    except SystemExit as err:
        pytest.fail(f"{where}: backlog-alerts refuses {words[1:]} (exit {err.code})")
    assert args.command == "run" and args.log_format == "json", where
    example = ROOT / args.params.replace("production.yaml", "production.example.yaml")
    assert example.exists(), f"{where}: {args.params} has no example to copy in params/"
    return words


def cron_entries() -> list[tuple[str, str, str]]:
    lines = (DEPLOY / "cron.example").read_text().splitlines()
    return [m.groups() for m in map(CRON_LINE.match, lines) if m and "backlog-alerts run" in m.group(3)]


def test_cron_example_has_a_monthly_and_a_daily_line_that_run_the_job():
    entries = cron_entries()
    schedules = sorted(fields.split()[2] for fields, _, _ in entries)
    assert schedules == ["*", "2"]  # day of month: every day (daily variant), the 2nd (monthly)
    for fields, folder, command in entries:
        for value, (low, high) in zip(fields.split(), CRON_RANGES, strict=True):
            assert value == "*" or low <= int(value) <= high, fields
        assert folder.startswith("/")
        check_command(command, "deploy/cron.example")


def test_systemd_service_runs_the_job_once_per_start():
    service = systemd_unit("backlog-alerts.service")["Service"]
    assert service["Type"] == "oneshot"
    words = check_command(service["ExecStart"], "backlog-alerts.service")
    assert words[0].startswith(service["WorkingDirectory"] + "/")
