"""One file read with its version, and written or deleted only over the version read, the same on a
local path and on S3.

The alert state and the run lock never ask which one they are on. A conditional write names the version
it expects (S3's ETag; locally the SHA-256 of the bytes, compared under a lock on the folder) or `ABSENT`,
and raises `Conflict` when someone else wrote in between.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

from botocore.exceptions import ClientError

from backlog_alerts.errors import BacklogAlertsError
from backlog_alerts.io import aws
from backlog_alerts.io.locations import place

ABSENT = "<absent>"  # the version a conditional write expects when nothing may be there yet


class Conflict(BacklogAlertsError, RuntimeError):
    """A conditional write or delete found another version than the one it expected."""


class StorageError(BacklogAlertsError, RuntimeError):
    """A location that cannot be read or written; the message names it."""


@dataclass(frozen=True)
class Versioned:
    """A file's bytes and the version a conditional write of it must name."""

    data: bytes
    version: str


def _conflicted(err: ClientError) -> bool:
    return aws.error_code(err) in ("PreconditionFailed", "412", "ConditionalRequestConflict", "409")


@contextmanager
def _written_aside(path: Path, data: bytes, durable: bool = True) -> Iterator[str]:
    """The bytes in a temporary file beside `path` (synced to disk, if `durable`), removed afterwards
    unless moved into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            if durable:
                os.fsync(out.fileno())
        yield temporary
    finally:
        with suppress(FileNotFoundError):
            os.unlink(temporary)


def replace_file(path: Path, text: str | bytes, durable: bool = True) -> None:
    """Write a local file whole or not at all: a temporary file, synced, then renamed over it.

    A crash mid-write (or a full disk) leaves the previous version, never half a document.
    """
    data = text.encode("utf-8") if isinstance(text, str) else text
    with _written_aside(path, data, durable) as temporary:
        os.replace(temporary, path)


def _create_new(path: Path, data: bytes, durable: bool = True) -> None:
    """A whole file, only where none is: written aside, then hard-linked into place (which fails, with
    no trace, if a file is already there)."""
    with _written_aside(path, data, durable) as temporary:
        try:
            os.link(temporary, path)
        except FileExistsError as err:
            raise Conflict(f"{path}: already exists") from err


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@contextmanager
def _guarded(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on the file's folder while its version is compared and replaced: the
    operating system releases it if the holder dies, and it leaves no file behind."""
    path.parent.mkdir(parents=True, exist_ok=True)
    folder = os.open(path.parent, os.O_RDONLY)
    try:
        fcntl.flock(folder, fcntl.LOCK_EX)
        yield
    finally:
        os.close(folder)


def _read_local(path: Path) -> Versioned | None:
    if path.is_symlink():
        raise StorageError(f"{path}: is a symbolic link; name the file itself")
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    except IsADirectoryError as err:
        raise StorageError(f"{path}: is a folder, not a file") from err
    except OSError as err:
        raise StorageError(f"{path}: cannot read: {err.strerror or err}") from err
    return Versioned(data, _sha(data))


def _write_local(path: Path, data: bytes, expect: str | None, durable: bool) -> None:
    if expect is None:
        replace_file(path, data, durable)
    elif expect == ABSENT:
        _create_new(path, data, durable)
    else:
        with _guarded(path):
            found = _read_local(path)
            if (found.version if found else ABSENT) != expect:
                raise Conflict(f"{path}: changed by someone else since it was read")
            replace_file(path, data, durable)


def read(location: str | Path, region: str | None = None) -> Versioned | None:
    """The bytes at a location and their version; None when nothing is there (a missing bucket is
    an error: it is a mistake in the location, not an empty place)."""
    where = place(location)
    if where.path is not None:
        return _read_local(where.path)
    try:
        response = aws.client("s3", region, shared=True).get_object(Bucket=where.bucket, Key=where.key)
    except ClientError as err:
        if aws.missing(err) == "object":
            return None
        raise StorageError(f"{location}: cannot read: {aws.error_code(err) or err}") from err
    return Versioned(response["Body"].read(), response.get("ETag", ""))


def write(
    location: str | Path,
    data: bytes,
    *,
    expect: str | None = None,
    region: str | None = None,
    durable: bool = True,
) -> str:
    """Replace the bytes at a location whole; returns the new version.

    With `expect`, only if the version there is still that one (`ABSENT`: only if nothing is there);
    else `Conflict`, and nothing was written. Not `durable` (a lock's record, which a crash may as well
    lose): a local file is not synced to disk first.
    """
    where = place(location, writing=True)
    if where.path is not None:
        try:
            _write_local(where.path, data, expect, durable)
        except OSError as err:
            raise StorageError(f"{location}: cannot write: {err.strerror or err}") from err
        return _sha(data)
    condition = {} if expect is None else {"IfNoneMatch": "*"} if expect == ABSENT else {"IfMatch": expect}
    try:
        response = aws.client("s3", region, shared=True).put_object(
            Bucket=where.bucket, Key=where.key, Body=data, **condition
        )
    except ClientError as err:
        if expect is not None and (_conflicted(err) or aws.missing(err) == "object"):
            raise Conflict(f"{location}: changed by someone else since it was read") from err
        raise StorageError(f"{location}: cannot write: {aws.error_code(err) or err}") from err
    return str(response.get("ETag", ""))


def probe_write(location: str | Path, current: Versioned, region: str | None = None) -> None:
    """Show that a file can be written there, changing nothing: locally a temporary file made and removed
    beside it; on S3 the same bytes put back over the same version (a conflict says someone just did)."""
    where = place(location, writing=True)
    if where.path is not None:
        try:
            with _written_aside(where.path, b"", durable=False):
                pass
        except OSError as err:
            raise StorageError(f"{location}: cannot write: {err.strerror or err}") from err
        return
    with suppress(Conflict):
        write(location, current.data, expect=current.version, region=region)


def delete(location: str | Path, *, expect: str | None = None, region: str | None = None) -> None:
    """Remove one file (nothing if it is gone); with `expect`, only that version of it."""
    where = place(location, writing=True)
    if where.path is not None:
        path = where.path
        if expect is None:
            path.unlink(missing_ok=True)
            return
        with _guarded(path):
            found = _read_local(path)
            if found is not None and found.version != expect:
                raise Conflict(f"{location}: changed by someone else since it was read")
            path.unlink(missing_ok=True)
        return
    condition = {} if expect is None else {"IfMatch": expect}
    try:
        aws.client("s3", region, shared=True).delete_object(Bucket=where.bucket, Key=where.key, **condition)
    except ClientError as err:
        if aws.missing(err) == "object":
            return
        if _conflicted(err):
            raise Conflict(f"{location}: changed by someone else since it was read") from err
        raise StorageError(f"{location}: cannot delete: {aws.error_code(err) or err}") from err
