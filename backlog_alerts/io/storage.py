"""Where files live: a local path (or `file://` URI) or an `s3://` object, behind one interface.

Read, conditional write, list and delete mean the same on both, so the alert state, the run lock and
the audit trail never ask which one they are on. A conditional write names the version it expects
(S3's ETag; locally the SHA-256 of the bytes, compared under a lock beside the file) or `ABSENT`, and
raises `Conflict` when someone else wrote in between. `http(s)://` can be read elsewhere (inputs) but
is refused here for anything the tool writes.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from backlog_alerts.errors import BacklogAlertsError, SourceError
from backlog_alerts.io import aws
from backlog_alerts.io.paths import local_path, project_root

ABSENT = "<absent>"  # the version a conditional write expects when nothing may be there yet
REMOTE_SCHEMES = ("http://", "https://")


class Conflict(BacklogAlertsError, RuntimeError):
    """A conditional write or delete found another version than the one it expected."""


class StorageError(BacklogAlertsError, RuntimeError):
    """A location that cannot be read or written; the message names it."""


@dataclass(frozen=True)
class Versioned:
    """A file's bytes and the version a conditional write of it must name."""

    data: bytes
    version: str


@dataclass(frozen=True)
class Place:
    """A parsed location: an S3 bucket and key kept verbatim (`#` and `?` included), or a local path."""

    bucket: str = ""
    key: str = ""
    path: Path | None = None

    @property
    def on_s3(self) -> bool:
        return self.path is None


def is_s3(location: str) -> bool:
    return str(location).startswith("s3://")


def split_s3_uri(uri: str) -> tuple[str, str]:
    """s3://bucket/key -> (bucket, key), the key exactly as written (a `#` or `?` is part of it)."""
    bucket, _, key = str(uri).removeprefix("s3://").partition("/")
    if not is_s3(uri) or not bucket or not key.lstrip("/"):
        raise SourceError(f"{uri}: an S3 URI must look like s3://bucket/key")
    return bucket, key


def place(location: str | Path, *, writing: bool = False) -> Place:
    """Where a location points; http(s):// only for reading inputs, never for what the tool writes."""
    text = str(location)
    lowered = text.lower()
    if is_s3(text):
        bucket, _, key = text.removeprefix("s3://").partition("/")
        if not bucket:
            raise SourceError(f"{text}: an S3 URI must look like s3://bucket/key")
        return Place(bucket=bucket, key=key)
    path = local_path(text)
    if path is not None:
        return Place(path=path)
    if lowered.startswith(REMOTE_SCHEMES) and writing:
        raise SourceError(f"{text}: the tool cannot write to http(s):// (use s3:// or a local path)")
    raise SourceError(f"{text}: not a place files are kept (use s3:// or a local path)")


def name_part(uri: str) -> str:
    """The part of a location that names the file: an S3 key without its bucket, a URL's path without
    its query, a local path from the project's root (or whole, outside a project)."""
    if is_s3(uri):
        return uri.removeprefix("s3://").partition("/")[2]
    if uri.lower().startswith(REMOTE_SCHEMES):
        return uri.partition("://")[2].partition("/")[2].split("?")[0]
    path = local_path(uri)
    root = project_root(path.parent) if path else None
    if path is None or root is None or not path.is_relative_to(root):
        return str(path or uri)
    return str(path.relative_to(root))


def missing(err: ClientError) -> str:
    """What an S3 error says is absent: "object", "bucket", or "" when it is another failure."""
    code = aws.error_code(err)
    return "object" if code in ("NoSuchKey", "404") else "bucket" if code == "NoSuchBucket" else ""


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
        if missing(err) == "object":
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
        if expect is not None and (_conflicted(err) or missing(err) == "object"):
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
        if missing(err) == "object":
            return
        if _conflicted(err):
            raise Conflict(f"{location}: changed by someone else since it was read") from err
        raise StorageError(f"{location}: cannot delete: {aws.error_code(err) or err}") from err


def normalize(location: str | Path) -> str:
    """An s3:// prefix without a trailing slash, or an absolute local path (`file://` resolved)."""
    text = str(location)
    if is_s3(text):
        return text.rstrip("/")
    where = place(text, writing=True)
    return str(where.path)


def join(location: str, *parts: str) -> str:
    return "/".join([location.rstrip("/"), *parts]) if is_s3(location) else str(Path(location, *parts))


def parent(location: str) -> str:
    """The folder (or S3 prefix) a file's location is in."""
    return location.rsplit("/", 1)[0] if is_s3(location) else str(Path(location).parent)


def same_place(a: str, b: str) -> bool:
    """Two locations that name one file, however each was written."""
    return normalize(a) == normalize(b)


def _bucket_prefix(location: str) -> tuple[str, str]:
    bucket, _, prefix = location.removeprefix("s3://").partition("/")
    prefix = prefix.strip("/")
    return bucket, f"{prefix}/" if prefix else ""


def exists(uri: str) -> bool:
    """A file or folder is there (on S3: an object, or any object under the prefix)."""
    where = place(uri)
    if where.path is not None:
        return where.path.exists()
    bucket, key = _bucket_prefix(uri)
    listed = aws.client("s3", shared=True).list_objects_v2(Bucket=bucket, Prefix=key.rstrip("/"), MaxKeys=1)
    return listed.get("KeyCount", 0) > 0


def is_folder(location: str) -> bool:
    """A local folder that exists, or any S3 prefix (S3 has no empty folders to tell apart)."""
    where = place(location)
    return where.path.is_dir() if where.path is not None else True


def make_folder(location: str) -> None:
    """A local folder made, parents too (an S3 prefix needs nothing)."""
    where = place(location, writing=True)
    if where.path is not None:
        where.path.mkdir(parents=True, exist_ok=True)


def claim_folder(location: str) -> bool:
    """Make a folder that must be new: False if it is already there (locally an exclusive mkdir)."""
    where = place(location, writing=True)
    if where.path is None:
        return not exists(location)
    where.path.parent.mkdir(parents=True, exist_ok=True)
    try:
        where.path.mkdir()
    except FileExistsError:
        return False
    return True


def files_under(location: str, suffix: str = "", region: str | None = None) -> list[str]:
    """Every file under a folder or prefix whose name ends with `suffix`, as locations, sorted."""
    where = place(location)
    if where.path is not None:
        if not where.path.is_dir():
            raise SourceError(f"{location}: not a folder")
        return sorted(str(p) for p in where.path.rglob(f"*{suffix}") if p.is_file())
    pages = (
        aws.client("s3", region, shared=True)
        .get_paginator("list_objects_v2")
        .paginate(Bucket=where.bucket, Prefix=where.key)
    )
    keys = [o["Key"] for page in pages for o in page.get("Contents", [])]
    return sorted(f"s3://{where.bucket}/{k}" for k in keys if k.endswith(suffix))


def read_text(uri: str) -> str:
    """A text file whole; s3:// through papermill's own I/O."""
    where = place(uri)
    if where.path is not None:
        return where.path.read_text(encoding="utf-8")
    from papermill.iorw import papermill_io  # 1.5 s to import: not in every kernel that imports `runs`

    return papermill_io.read(uri)


def read_json(uri: str) -> Any:
    return json.loads(read_text(uri))


def write_json(uri: str, data: Any) -> None:
    """Replace a JSON document whole (an S3 PUT, or a local write then rename)."""
    write(uri, json.dumps(data, indent=1, sort_keys=True).encode("utf-8"))


def local_copy(uri: str) -> Path | None:
    """The local file a location names, or None when it is on S3."""
    return place(uri).path


def run_ids(location: str) -> list[str]:
    """The run folders under `location`, oldest first (run ids sort by start time)."""
    where = place(location)
    if where.path is not None:
        root = where.path
        return (
            sorted(p.name for p in root.iterdir() if (p / "manifest.json").exists()) if root.is_dir() else []
        )
    bucket, prefix = _bucket_prefix(location)
    found = []
    for page in (
        aws.client("s3", shared=True)
        .get_paginator("list_objects_v2")
        .paginate(Bucket=bucket, Prefix=prefix, Delimiter="/")
    ):
        found += [p["Prefix"][len(prefix) :].rstrip("/") for p in page.get("CommonPrefixes", [])]
    return sorted(r for r in found if exists(join(location, r, "manifest.json")))


def delete_run(location: str, run_id: str) -> None:
    """Remove one run folder and everything in it."""
    where = place(join(location, run_id), writing=True)
    if where.path is not None:
        shutil.rmtree(where.path)
        return
    bucket, prefix = _bucket_prefix(join(location, run_id))
    s3 = aws.client("s3", shared=True)
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        keys = [{"Key": o["Key"]} for o in page.get("Contents", [])]
        if keys:
            s3.delete_objects(Bucket=bucket, Delete={"Objects": keys})
