"""The `backlog-alerts` command: SIGTERM made Ctrl-C, the CLI imported with the garbage collector
paused."""

from __future__ import annotations

import gc
import signal
import sys

from backlog_alerts.errors import EXIT_INTERRUPTED, raise_interrupted

STOPS = (signal.SIGINT, signal.SIGTERM)


def main() -> int:
    """Imports make objects that are never garbage; collecting while they are made, and again at exit,
    costs the command about 0.3 s. Frozen, the collector skips them from then on.

    A stop (SIGTERM, Ctrl-C) while importing is held until the imports are done, then ends the command
    with nothing begun: raised inside a library's native code (pydantic building its schemas), it came
    out as that library's error and a traceback.
    """
    stops: list[int] = []
    previous = {sig: signal.signal(sig, lambda signum, _frame: stops.append(signum)) for sig in STOPS}
    gc.disable()
    try:
        from backlog_alerts.run.cli import import_command
        from backlog_alerts.run.cli import main as cli_main

        import_command(sys.argv[1:])  # only what this command needs: `audit` does not load papermill
    finally:
        gc.freeze()
        gc.enable()
        signal.signal(signal.SIGINT, previous[signal.SIGINT])
        signal.signal(signal.SIGTERM, raise_interrupted)  # a scheduler's stop, handled like Ctrl-C
    if stops:
        return EXIT_INTERRUPTED
    return cli_main()
