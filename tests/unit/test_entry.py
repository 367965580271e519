"""The command's first instructions: a stop while importing ends it cleanly, whatever the import was doing."""

import builtins
import os
import signal
import subprocess
import sys

import pytest

from backlog_alerts.errors import EXIT_INTERRUPTED
from backlog_alerts.run import entry

STOPS = (signal.SIGINT, signal.SIGTERM)


@pytest.fixture
def handlers():
    """The process's SIGINT and SIGTERM handlers, put back after the test."""
    saved = {sig: signal.getsignal(sig) for sig in STOPS}
    yield
    for sig, handler in saved.items():
        signal.signal(sig, handler)


@pytest.mark.parametrize("sig", STOPS)
def test_a_stop_during_a_librarys_native_code_waits_for_the_imports_then_ends_the_command(
    sig, handlers, monkeypatch
):
    real_import = builtins.__import__

    def importing(name, *args, **kwargs):
        if name == "backlog_alerts.run.cli":
            try:  # like pydantic-core: an exception raised in a callback comes out as its own error
                os.kill(os.getpid(), sig)
                sum(range(1000))  # a few instructions, where Python runs the handler
            except BaseException as err:
                raise RuntimeError(f"SchemaError: {err!r}") from err
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", importing)
    assert entry.main() == EXIT_INTERRUPTED
    assert signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL  # from here a stop raises Interrupted


def test_the_command_runs_without_the_grammar_jsonschema_would_compile_and_nbformat_validates_alike():
    """In a new process, as the command starts: rfc3987_syntax is never loaded, jsonschema has no `iri`
    checker, and nbformat still validates (and refuses) notebooks."""
    script = """
import sys
from backlog_alerts.run import entry
entry.skip_unused_imports()
import jsonschema, nbformat, papermill
from nbformat.v4 import new_code_cell, new_notebook
nbformat.validate(new_notebook(cells=[new_code_cell("x = 1")]))
try:
    cell = new_code_cell("x = 1", execution_count="one")  # a count must be a number
    nbformat.validate(new_notebook(cells=[cell]))
except nbformat.ValidationError:
    refused = True
print(sys.modules.get("rfc3987_syntax", "absent"), "iri" in jsonschema.FormatChecker.checkers, refused)
"""
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["None", "False", "True"]
