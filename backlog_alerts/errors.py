"""The exit codes and the base of every expected failure, so the CLI can catch one class.

Kept light (only the masker, whose phonenumbers loads when a message has a long digit run): light
readers (and every kernel) raise these without loading pandas or boto3.
"""

from backlog_alerts.masking import mask_text

EXIT_OK, EXIT_NOTEBOOK_FAILED, EXIT_BAD_INPUT, EXIT_LOCKED, EXIT_INTERRUPTED = 0, 1, 2, 3, 130
EXIT_UNHEARD = 4  # `recipients`: a department with alert rules reaches nobody


class BacklogAlertsError(Exception):
    """A failure we expect and explain; the message names the file or key at fault.

    Its text arguments are masked when it is made: a cell's value quoted in the message (an address in
    the wrong column, a data row read as the header) shows masked wherever the error goes, a notebook's
    traceback included.
    """

    exit_code = EXIT_BAD_INPUT  # most of them are bad input: nothing ran, nothing changed

    def __init__(self, *args: object):
        super().__init__(*(mask_text(a) if isinstance(a, str) else a for a in args))


class SourceError(BacklogAlertsError, ValueError):
    """An input that cannot be read or is not the CSV we expect; the message names the file."""


class SourceMissing(SourceError):
    """The input does not exist (yet): for a report, a state of its own rather than a crash."""


class Interrupted(KeyboardInterrupt):
    """SIGTERM (a scheduler stopping the job) handled like Ctrl-C: stop, record, exit 130."""


def raise_interrupted(signum: int, frame: object) -> None:
    raise Interrupted(f"signal {signum}")


class RunInterrupted(KeyboardInterrupt):
    """An interruption after the run had its folder: which run, and where what ran is kept."""

    def __init__(self, run_id: str, folder: str):
        super().__init__(f"run {run_id} interrupted")
        self.run_id, self.folder = run_id, folder
