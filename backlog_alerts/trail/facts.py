"""Key facts of a run, stored as JSON outputs of the executed notebook (read back by `executed`).

An executed notebook is the audit trail; these outputs let a reader (or the runner's summary)
get the numbers without executing or scraping anything, and show a person the same fact where it
is recorded. Kept light (no pandas): every kernel imports it.

Every string of a recorded value passes the masker (values already masked and ids stay as they are):
a reason, note or error text that quotes a cell shows it masked in the notebook, the manifest's
summary, `audit` and the site alike.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from backlog_alerts.masking import mask_value
from backlog_alerts.trail.rendering import fact_html, fact_text

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


def bundle(key: str, value: Any) -> dict[str, Any]:
    """One display bundle: the machine JSON (what `executed` reads) and its HTML and text views."""
    plain = mask_value(json.loads(json.dumps(_plain(value), default=str)))
    return {
        FACTS_MIME: {"key": key, "value": plain},
        "text/html": fact_html(key, plain),
        "text/plain": fact_text(key, plain),
    }


def record(key: str, value: Any) -> None:
    """Store `value` under `key` in this cell's output and show it there, once.

    Returns nothing, so that a cell ending in `record(...)` does not show the fact a second time.
    """
    from IPython.display import display

    display(bundle(key, value), raw=True)
