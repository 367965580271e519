"""The command's first instructions: a stop while importing ends it cleanly, whatever the import was doing."""

import builtins
import os
import signal

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
