"""What `run` writes: plain lines for a person at a terminal, or JSON lines for a log collector.

Every line's text and fields pass the masker as they are written, whoever made them.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, TextIO

from backlog_alerts.masking import mask_text, mask_value

LOG_FORMATS = ("text", "json")


class RunLog:
    """Info to stdout, warnings and errors to stderr; `json` makes each line one JSON object."""

    def __init__(self, log_format: str = "text", out: TextIO | None = None, err: TextIO | None = None):
        self.json = log_format == "json"
        self.out, self.err = out or sys.stdout, err or sys.stderr

    def _write(self, stream: TextIO, level: str, message: str, fields: dict[str, Any]) -> None:
        message, fields = mask_text(message), mask_value(fields)
        if self.json:
            record = {"time": datetime.now(UTC).isoformat(timespec="milliseconds"), "level": level}
            line = json.dumps({**record, "message": message, **fields})
        else:
            line = message if level == "info" else f"{level}: {message}"
        print(line, file=stream, flush=True)

    def info(self, message: str, **fields: Any) -> None:
        self._write(self.out, "info", message, fields)

    def warning(self, message: str, **fields: Any) -> None:
        self._write(self.err, "warning", message, fields)

    def error(self, message: str, **fields: Any) -> None:
        self._write(self.err, "error", message, fields)

    def passed_on(self, line: str) -> None:
        """A line the kernels or papermill wrote to stderr, passed on as it was, masked."""
        print(mask_text(line), file=self.err, flush=True)


class _Lines(logging.Handler):
    def __init__(self, line_to: Callable[[str], None], prefix: str):
        super().__init__(logging.WARNING)
        self.line_to, self.prefix = line_to, prefix

    def emit(self, record: logging.LogRecord) -> None:
        self.line_to(f"{self.prefix}{record.getMessage()}")


@contextmanager
def logged_warnings(logger_name: str, line_to: Callable[[str], None], prefix: str = "") -> Iterator[None]:
    """The warnings a logger of this process logs (papermill's; the package's, a run's record not saved,
    say) written by `line_to` as the run's own lines, not as bare lines from Python's last-resort
    handler: masked, and JSON objects in the JSON format."""
    logger = logging.getLogger(logger_name)
    handler = _Lines(line_to, prefix)
    logger.addHandler(handler)
    propagate, logger.propagate = logger.propagate, False
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.propagate = propagate
