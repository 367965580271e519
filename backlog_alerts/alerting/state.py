"""Alert state: what was sent for which rule and report, so a re-run never repeats an alert.

Kept as one JSON document at `state_uri` (a local path or an s3:// object), rewritten whole after each
successful publish: a crash between a publish and the write costs at most one repeat, never a loss.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from backlog_alerts.errors import BacklogAlertsError
from backlog_alerts.io import aws, storage
from backlog_alerts.io.paths import resolve_local

VERSION = 1
KEPT_SENDS = 1000  # the send log keeps the newest ones: enough to audit months of runs, bounded
PERIOD = re.compile(r"\d{4}-\d{2}")  # a report_key that is a period (YYYY-MM), not a count


class StateError(BacklogAlertsError, RuntimeError):
    """The state document cannot be read or written; the message names where it lives."""


@dataclass
class RuleState:
    """The last thing that happened to one rule."""

    status: str = "ok"  # ok | firing
    count: int | None = None
    report_key: str = ""  # the report period, or `count:N` for a report without one
    message_id: str = ""
    sent_at: str = ""
    run_id: str = ""


@dataclass
class AlertState:
    """Every rule's state, the operator notices already sent (by kind, then outage or condition), the
    newest report period checked (periods only move forward), a log of sends with the run that sent
    each (`audit` finds sends from runs that left no run folder: JupyterLab, a bare papermill call),
    and when the sync subscribed each email still pending (`sync.pending`)."""

    rules: dict[str, RuleState] = field(default_factory=dict)
    notices: dict[str, dict[str, str]] = field(default_factory=dict)
    latest_period: str = ""
    sends: list[dict[str, Any]] = field(default_factory=list)
    subscribed: dict[str, dict[str, str]] = field(default_factory=dict)

    def log_send(self, send: dict[str, Any]) -> None:
        """One message that went out: run id, time, department, severity, rules, MessageId."""
        self.sends = [*self.sends, send][-KEPT_SENDS:]

    def to_json(self) -> str:
        return json.dumps({"version": VERSION, **asdict(self)}, indent=1, sort_keys=True)

    @classmethod
    def from_json(cls, text: str, where: str) -> AlertState:
        try:
            data = json.loads(text)
            rules = {name: RuleState(**value) for name, value in data.get("rules", {}).items()}
            return cls(
                rules=rules,
                notices=data.get("notices", {}),
                latest_period=data.get("latest_period") or _newest_period(rules.values()),
                sends=list(data.get("sends", [])),  # none in a state saved before sends were logged
                subscribed=dict(data.get("subscribed", {})),
            )
        except (ValueError, TypeError, AttributeError) as err:
            raise StateError(f"{where}: not an alert state document ({err})") from err


def _newest_period(rules: Iterable[RuleState]) -> str:
    """For a state saved before `latest_period` was kept: the newest period a rule was sent for."""
    return max((r.report_key for r in rules if PERIOD.fullmatch(r.report_key)), default="")


def _read_s3(uri: str, region: str | None) -> tuple[bytes | None, str]:
    """The state object's bytes and ETag; no bytes when nothing was saved yet."""
    bucket, key = storage.split_s3_uri(uri)
    try:
        response = aws.client("s3", region).get_object(Bucket=bucket, Key=key)
    except ClientError as err:
        if storage.missing(err) == "object":  # a missing bucket is a mistake in state_uri, not a first run
            return None, ""
        raise StateError(f"{uri}: cannot read alert state: {err}") from err
    return response["Body"].read(), response.get("ETag", "")


def load_state(uri: str, region: str | None = None) -> AlertState:
    """The saved state, or an empty one when nothing was saved yet."""
    if storage.is_s3(uri):
        body, _ = _read_s3(uri, region)
        return AlertState() if body is None else AlertState.from_json(body.decode("utf-8"), uri)
    path = resolve_local(uri)
    if path.is_dir():
        raise StateError(
            f"{uri}: is a folder; state_uri must name a file (e.g. {uri.rstrip('/')}/alert_state.json)"
        )
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return AlertState()
    except OSError as err:
        raise StateError(f"{uri}: cannot read alert state: {err.strerror or err}") from err
    return AlertState.from_json(text, str(path))


def check_state_location(uri: str, region: str | None = None, *, write: bool = True) -> AlertState:
    """Before the first change to AWS: the state can be read, and written where the run will write it.

    Locally a temporary file is made and removed beside it. On S3 the object is written back exactly
    as read, only if nobody changed it meanwhile (If-Match), or created empty if missing
    (If-None-Match), so the check never overwrites another run's state.
    """
    if not storage.is_s3(uri):
        state = load_state(uri)
        if write:
            path = resolve_local(uri)
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                handle, temporary = tempfile.mkstemp(
                    dir=path.parent, prefix=f".{path.name}.", suffix=".check"
                )
                os.close(handle)
                os.unlink(temporary)
            except OSError as err:
                raise StateError(f"{uri}: cannot write alert state there: {err.strerror or err}") from err
        return state
    bucket, key = storage.split_s3_uri(uri)
    if key.endswith("/"):
        raise StateError(f"{uri}: names a folder; state_uri must name an object (e.g. {uri}alert_state.json)")
    body, etag = _read_s3(uri, region)
    state = AlertState() if body is None else AlertState.from_json(body.decode("utf-8"), uri)
    if write:
        condition = {"IfMatch": etag} if body is not None else {"IfNoneMatch": "*"}
        try:
            aws.client("s3", region).put_object(
                Bucket=bucket,
                Key=key,
                Body=body if body is not None else state.to_json().encode(),
                ContentType="application/json",
                **condition,
            )
        except ClientError as err:  # a failed condition means we could write: someone just did
            if aws.error_code(err) not in ("PreconditionFailed", "ConditionalRequestConflict"):
                raise StateError(f"{uri}: cannot write alert state: {err}") from err
    return state


def save_state(uri: str, state: AlertState, region: str | None = None) -> None:
    """Replace the state in one step: an S3 PUT, or a temporary file renamed over the old one."""
    text = state.to_json()
    if storage.is_s3(uri):
        bucket, key = storage.split_s3_uri(uri)
        try:
            aws.client("s3", region).put_object(
                Bucket=bucket, Key=key, Body=text.encode(), ContentType="application/json"
            )
        except ClientError as err:
            raise StateError(f"{uri}: cannot write alert state: {err}") from err
        return
    try:
        storage.replace_file(resolve_local(uri), text)
    except OSError as err:
        raise StateError(f"{uri}: cannot write alert state: {err.strerror or err}") from err


def as_rows(state: AlertState) -> list[dict[str, Any]]:
    """The state as table rows, for showing it in the notebook."""
    return [{"rule": name, **asdict(value)} for name, value in sorted(state.rules.items())]
