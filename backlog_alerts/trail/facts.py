"""Key facts of a run, stored as JSON outputs of the executed notebook (read back by `executed`).

An executed notebook is the audit trail; these outputs let a reader (or the runner's summary)
get the numbers without executing or scraping anything. Kept light: every kernel imports it.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pandas as pd

FACTS_MIME = "application/vnd.backlog-alerts.facts+json"


def _plain(value: Any) -> Any:
    """Dataclasses (and lists of them) as JSON-ready dicts."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def record(key: str, value: Any) -> pd.DataFrame | None:
    """Store `value` under `key` in this cell's output, and return it as a table to show."""
    from IPython.display import display

    plain = json.loads(json.dumps(_plain(value), default=str))
    summary = f"[recorded {key}: {len(plain) if isinstance(plain, list) else 1} item(s)]"
    display({FACTS_MIME: {"key": key, "value": plain}, "text/plain": summary}, raw=True)
    if isinstance(plain, list) and plain and all(isinstance(v, dict) for v in plain):
        return pd.DataFrame(plain)
    if isinstance(plain, dict):
        return pd.DataFrame([plain])
    return None
