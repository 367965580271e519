"""One run at a time per output location, so two overlapping runs cannot send the same alert twice.

Locally a `filelock` lock (released by the OS if the holder dies); on S3 a lock object created with a
conditional write (`If-None-Match: *`). A holder that has gone away leaves a stale S3 lock, which is
recognized (same host and its process is gone, or older than `stale_after`) and taken over.
"""

from __future__ import annotations

import json
import os
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError
from filelock import FileLock, Timeout

from backlog_alerts.errors import EXIT_LOCKED, BacklogAlertsError
from backlog_alerts.io import aws, storage
from backlog_alerts.trail.manifest import effective_status, now

LOCK_NAME = ".backlog-alerts.lock"


class RunLockBusy(BacklogAlertsError, RuntimeError):
    """Another run holds the lock; the message says which and since when."""

    exit_code = EXIT_LOCKED


class RunLock:
    """The held lock; `claim(run_id)` records which run holds it, for whoever finds it busy."""

    def __init__(self, location: str):
        self.location = location
        self.holder: dict[str, Any] = {
            "run_id": "",
            "started_at": now(),
            "host": socket.gethostname(),
            "pid": os.getpid(),
            "status": "running",
        }

    def claim(self, run_id: str) -> None:
        self.holder["run_id"] = run_id
        _write_holder(self.location, self.holder)


def _holder_uri(location: str) -> str:
    return storage.join(location, f"{LOCK_NAME}.json" if not storage.is_s3(location) else LOCK_NAME)


def _write_holder(location: str, holder: dict[str, Any], *, exclusive: bool = False) -> None:
    body = json.dumps(holder)
    if not storage.is_s3(location):
        Path(_holder_uri(location)).write_text(body, encoding="utf-8")
        return
    bucket, key = storage.split_s3_uri(_holder_uri(location))
    conditional = {"IfNoneMatch": "*"} if exclusive else {}
    aws.client("s3").put_object(Bucket=bucket, Key=key, Body=body.encode(), **conditional)


def _read_holder(location: str) -> dict[str, Any]:
    uri = _holder_uri(location)
    try:
        if not storage.is_s3(location):
            return json.loads(Path(uri).read_text(encoding="utf-8"))
        bucket, key = storage.split_s3_uri(uri)
        return json.loads(aws.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read())
    except (ValueError, OSError, ClientError):  # released as we look, or unreadable: describe it as unknown
        return {}


def _busy(location: str, holder: dict[str, Any]) -> RunLockBusy:
    return RunLockBusy(
        f"another run is in progress (run id {holder.get('run_id') or 'not yet known'}, "
        f"started at {holder.get('started_at', 'unknown')} on {holder.get('host', 'unknown host')}); "
        f"lock: {_holder_uri(location)}"
    )


def _stale(holder: dict[str, Any], stale_after: float) -> bool:
    if not holder:
        return False
    if effective_status(holder) == "interrupted":  # same host, process gone
        return True
    started = datetime.fromisoformat(holder["started_at"])
    return datetime.now(UTC) - started > timedelta(seconds=stale_after)


@contextmanager
def run_lock(location: str, wait: float = 0, stale_after: float = 6 * 3600) -> Iterator[RunLock]:
    """Hold the location's run lock for the duration of a run, waiting up to `wait` seconds for it."""
    lock = RunLock(location)
    if not storage.is_s3(location):
        Path(location).mkdir(parents=True, exist_ok=True)
        file_lock = FileLock(str(Path(location, LOCK_NAME)))
        try:
            file_lock.acquire(timeout=wait)
        except Timeout:
            raise _busy(location, _read_holder(location)) from None
        try:
            _write_holder(location, lock.holder)
            yield lock
        finally:
            Path(_holder_uri(location)).unlink(missing_ok=True)
            file_lock.release()
        return
    acquire_s3(location, lock.holder, wait, stale_after)
    try:
        yield lock
    finally:
        release_s3(location)


def acquire_s3(location: str, holder: dict[str, Any], wait: float = 0, stale_after: float = 6 * 3600) -> None:
    """Create the lock object only if absent (`If-None-Match: *`); wait, or take over a stale one.

    Separate from `run_lock` so that an orchestrator can hold the lock across tasks on several machines.
    """
    deadline = time.monotonic() + wait
    while True:
        try:
            _write_holder(location, holder, exclusive=True)
            return
        except ClientError as err:
            if err.response.get("Error", {}).get("Code") not in ("PreconditionFailed", "412"):
                raise
        found = _read_holder(location)
        if _stale(found, stale_after):
            release_s3(location)
            continue
        if time.monotonic() >= deadline:
            raise _busy(location, found)
        time.sleep(1)


def release_s3(location: str) -> None:
    bucket, key = storage.split_s3_uri(_holder_uri(location))
    aws.client("s3").delete_object(Bucket=bucket, Key=key)
