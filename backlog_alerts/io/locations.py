"""What a location names: an `s3://` bucket and key, or a local path (`file://` URIs and paths relative
to the project resolved), and the arithmetic on locations that needs no I/O.

`http(s)://` can be read elsewhere (inputs) but is refused for anything the tool writes.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from backlog_alerts.errors import SourceError
from backlog_alerts.io.paths import local_path, project_root

REMOTE_SCHEMES = ("http://", "https://")


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


def local_copy(uri: str) -> Path | None:
    """The local file a location names, or None when it is on S3."""
    return place(uri).path
