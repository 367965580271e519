"""What `run` writes: plain lines for a person at a terminal, or JSON lines for a log collector."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from typing import Any, TextIO

LOG_FORMATS = ("text", "json")


class RunLog:
    """Info to stdout, warnings and errors to stderr; `json` makes each line one JSON object."""

    def __init__(self, log_format: str = "text", out: TextIO | None = None, err: TextIO | None = None):
        self.json = log_format == "json"
        self.out, self.err = out or sys.stdout, err or sys.stderr

    def _write(self, stream: TextIO, level: str, message: str, fields: dict[str, Any]) -> None:
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
