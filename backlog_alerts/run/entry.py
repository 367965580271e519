"""The `backlog-alerts` command: SIGTERM made Ctrl-C at once, the CLI imported with the garbage
collector paused."""

from __future__ import annotations

import gc
import signal

from backlog_alerts.errors import EXIT_INTERRUPTED, raise_interrupted


def main() -> int:
    """Imports make objects that are never garbage; collecting while they are made, and again at exit,
    costs the command about 0.3 s. Frozen, the collector skips them from then on."""
    signal.signal(signal.SIGTERM, raise_interrupted)  # a scheduler's stop, from the first instruction
    gc.disable()
    try:
        from backlog_alerts.run.cli import main as cli_main
    except KeyboardInterrupt:  # stopped while starting: nothing has begun
        return EXIT_INTERRUPTED
    finally:
        gc.freeze()
        gc.enable()
    return cli_main()
