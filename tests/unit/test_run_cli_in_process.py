"""`run_cli` in this process (tests/helpers.py) as a new process would run the command: a call it cannot
make leaves this process's environment and working folder as they were; logs, warnings and the temporary
folder are the command's; a thread it leaves running fails the call."""

import logging
import os
import tempfile
import threading
import warnings

import helpers
import pytest
from helpers import clean_env, run_cli

IN_PROCESS = {"AWS_ENDPOINT_URL": "http://127.0.0.1:9", "ONLY_FOR_THE_COMMAND": "1"}  # `audit`: in-process


@pytest.mark.parametrize("bad", ["cwd", "env"])
def test_a_call_that_cannot_start_leaves_this_processs_environment_and_folder(tmp_path, bad):
    before, folder = dict(os.environ), os.getcwd()
    env = {**clean_env(), **IN_PROCESS, **({"NOT_TEXT": tmp_path} if bad == "env" else {})}
    cwd = tmp_path / "missing" if bad == "cwd" else tmp_path
    with pytest.raises(FileNotFoundError if bad == "cwd" else TypeError):
        run_cli(["audit", "--help"], env, cwd=cwd)
    assert dict(os.environ) == before
    assert os.getcwd() == folder


def _command(monkeypatch, body):
    """`main` replaced by `body`, for what run_cli makes of a command's output and threads."""
    from backlog_alerts.run import cli

    monkeypatch.setattr(cli, "main", lambda argv: body() or 0)


def test_logs_and_warnings_go_to_the_commands_stderr_as_in_a_new_process(tmp_path, monkeypatch):
    def body():
        logging.getLogger("backlog_alerts.trail.record").warning("the record was not saved")
        logging.getLogger("backlog_alerts").info("not shown: below WARNING")
        warnings.warn("a user warning", UserWarning, stacklevel=1)
        warnings.warn("not shown by default", DeprecationWarning, stacklevel=1)
        print(tempfile.gettempdir())

    _command(monkeypatch, body)
    result = run_cli(["audit"], {**clean_env(), **IN_PROCESS, "TMPDIR": str(tmp_path)})
    assert result.stdout == f"{tmp_path}\n"
    assert "the record was not saved\n" in result.stderr and "UserWarning: a user warning" in result.stderr
    assert "below WARNING" not in result.stderr and "not shown by default" not in result.stderr
    assert tempfile.gettempdir() != str(tmp_path)


def test_a_thread_left_running_fails_the_call(monkeypatch):
    monkeypatch.setattr(helpers, "THREAD_GRACE", 0.1)
    stop = threading.Event()
    _command(monkeypatch, lambda: threading.Thread(target=stop.wait, name="left behind", daemon=True).start())
    try:
        with pytest.raises(AssertionError, match=r"left threads running \['left behind'\]"):
            run_cli(["audit"], {**clean_env(), **IN_PROCESS})
    finally:
        stop.set()
