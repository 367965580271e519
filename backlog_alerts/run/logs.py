"""What `run` writes: plain lines for a person at a terminal, or JSON lines for a log collector.

Every line's text and fields pass the masker as they are written, whoever made them.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterator
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


class _ToRunLog(logging.Handler):
    def __init__(self, log: RunLog):
        super().__init__(logging.WARNING)
        self.log = log

    def emit(self, record: logging.LogRecord) -> None:
        self.log.warning(record.getMessage())


@contextmanager
def package_warnings(log: RunLog) -> Iterator[None]:
    """The warnings the package logs while it runs (a run's record not saved, say) written as the run's
    own lines: masked, and JSON objects in the JSON format, not bare lines from Python's logging."""
    logger = logging.getLogger("backlog_alerts")
    handler = _ToRunLog(log)
    logger.addHandler(handler)
    propagate, logger.propagate = logger.propagate, False
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.propagate = propagate
