"""The command line's own behaviour: what it says before any run starts, and how its lines are written."""

import io
import json
import logging

import pytest

from backlog_alerts.run.arguments import parser
from backlog_alerts.run.cli import main
from backlog_alerts.run.logs import RunLog, logged_warnings


@pytest.mark.parametrize("command", ["audit", "report"])
def test_a_trail_folder_that_does_not_exist_is_an_error_not_an_empty_list(command, tmp_path, capsys):
    missing = tmp_path / "typo"
    assert main([command, "--output-dir", str(missing)]) == 2
    assert f"no run folders at {missing}: no such folder" in capsys.readouterr().err


def test_every_subcommand_describes_itself_in_its_help():
    (commands,) = [a for a in parser()._actions if a.dest == "command"]
    for name, sub in commands.choices.items():
        assert sub.description and sub.description.endswith("."), name


def test_backtest_help_promises_no_lock_and_no_ops_notice():
    (commands,) = [a for a in parser()._actions if a.dest == "command"]
    epilog = commands.choices["backtest"].epilog
    assert "lock" not in epilog and "ops topic" not in epilog
    assert "lock" in commands.choices["run"].epilog


def test_a_warning_the_package_logs_during_a_run_is_a_masked_line_of_the_runs_log():
    out, err = io.StringIO(), io.StringIO()
    log = RunLog("json", out, err)
    with logged_warnings("backlog_alerts", log.warning):
        logging.getLogger("backlog_alerts.trail.record").warning("not saved for dana.whitfield@example.gov")
    (line,) = err.getvalue().splitlines()
    said = json.loads(line)
    assert (said["level"], said["message"]) == ("warning", "not saved for d*****@example.gov")
    assert logging.getLogger("backlog_alerts").propagate and not logging.getLogger("backlog_alerts").handlers
