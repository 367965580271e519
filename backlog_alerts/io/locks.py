"""An exclusive lock at a location, the same on a local disk and on S3: a small holder record created
only if absent (`versioned.write(..., expect=ABSENT)`), read by whoever finds it taken, and removed on
release. A holder that has gone away (same host and its process is gone, or older than `stale_after`)
is recognized and taken over, removing exactly the record it found (a conditional delete), so two
waiters never both take it.

A local lock is a file of its own: its folder may be a symbolic link, its own name never is. Every
operation names it by its folder resolved and its name as it is, so no write follows a link (a new
record is hard-linked into place, a rewrite renames over it, a release unlinks it), and a link found
there is refused with an error naming it, never followed.
"""

from __future__ import annotations

import json
import os
import socket
import time
from collections.abc import Callable
from contextlib import suppress
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from backlog_alerts.io import locations, versioned

Holder = dict[str, Any]


class LockIsLink(versioned.StorageError):
    """A symbolic link where a lock's record belongs; the message names it."""


def _own_name(uri: str) -> str:
    """The lock's place with its folder resolved and its own name not (S3 keys are as they are);
    a symbolic link there is refused."""
    if locations.is_s3(uri):
        return uri
    folder, slash, name = uri.rpartition("/")
    parent = locations.place(folder or slash or ".").path
    if parent is None:
        return uri
    path = parent / name
    if path.is_symlink():
        raise LockIsLink(
            f"{path}: is a symbolic link; remove it (a lock is a file of its own, never followed)"
        )
    return str(path)


def process_started(pid: int) -> str:
    """When a process started, as the kernel counts it (Linux), so a reused pid is not taken for the
    holder; "" where that cannot be read."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return ""


def this_process() -> Holder:
    """What identifies the lock's holder: this host, this process and when it started."""
    pid = os.getpid()
    return {"host": socket.gethostname(), "pid": pid, "pid_started": process_started(pid)}


def holder_gone(holder: Holder) -> bool:
    """The holder ran on this host and its process no longer exists (or its pid now names another)."""
    if holder.get("host") != socket.gethostname():
        return False
    pid = int(holder.get("pid") or 0)
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        pass
    started = holder.get("pid_started")
    return bool(started) and started != process_started(pid)


def _stale(holder: Holder, stale_after: float) -> bool:
    """Taken over: a holder gone, or too old; or a record no holder writes (empty, or not a JSON
    object: the empty lock file an older version left in every output folder)."""
    if not holder:
        return True
    if holder_gone(holder):
        return True
    try:
        started = datetime.fromisoformat(holder["started_at"])
    except (KeyError, TypeError, ValueError):
        return False
    return datetime.now(UTC) - started > timedelta(seconds=stale_after)


def read_holder(uri: str) -> tuple[Holder, str]:
    """The record at the lock and its version; empty when none (released as we look) or unreadable
    (not a record of ours). A lock that cannot be read at all (a symbolic link, no permission) is an
    error that names it."""
    found = versioned.read(_own_name(uri))
    if found is None:
        return {}, ""
    try:
        holder = json.loads(found.data)
    except ValueError:
        holder = {}
    return (holder if isinstance(holder, dict) else {}), found.version


def acquire(
    uri: str,
    holder: Holder,
    *,
    wait: float = 0,
    stale_after: float = 6 * 3600,
    busy: Callable[[Holder], Exception],
    poll: float = 0.2,
) -> None:
    """Create the lock record only if absent; wait up to `wait` seconds, or take over a stale one.
    `busy(found)` is the error raised when it stays taken."""
    deadline = time.monotonic() + wait
    body = json.dumps(holder).encode("utf-8")
    uri = _own_name(uri)
    while True:
        try:
            versioned.write(uri, body, expect=versioned.ABSENT, durable=False)
            return
        except versioned.Conflict:
            pass
        found, version = read_holder(uri)
        if version and _stale(found, stale_after):  # no version: released as we looked, try again
            with suppress(versioned.Conflict):  # someone else took it over first: try again
                versioned.delete(uri, expect=version)
            continue
        if time.monotonic() >= deadline:
            raise busy(found)
        time.sleep(poll)


def rewrite(uri: str, holder: Holder) -> None:
    """Update the held lock's record (e.g. once the holder knows its run id)."""
    versioned.write(_own_name(uri), json.dumps(holder).encode("utf-8"), durable=False)


def release(uri: str) -> None:
    versioned.delete(_own_name(uri))
