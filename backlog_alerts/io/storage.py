"""Where the audit trail lives: a local folder or an s3:// prefix, read and written the same way.

Notebooks and JSON go through papermill's own I/O (which speaks s3:// natively); listing and
deleting run folders, which papermill does not do, use boto3 directly.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from contextlib import suppress
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from botocore.exceptions import ClientError

from backlog_alerts.errors import SourceError
from backlog_alerts.io import aws
from backlog_alerts.io.paths import resolve_local


def is_s3(location: str) -> bool:
    return location.startswith("s3://")


def split_s3_uri(uri: str) -> tuple[str, str]:
    """s3://bucket/key -> (bucket, key); a URI without a key names no object."""
    parsed = urlparse(uri)
    if not parsed.netloc or not parsed.path.lstrip("/"):
        raise SourceError(f"{uri}: an S3 URI must look like s3://bucket/key")
    return parsed.netloc, parsed.path.lstrip("/")


def missing(err: ClientError) -> str:
    """What an S3 error says is absent: "object", "bucket", or "" when it is another failure.

    Callers decide what absence means: a report not there yet, or a misconfigured state bucket.
    """
    code = aws.error_code(err)
    return "object" if code in ("NoSuchKey", "404") else "bucket" if code == "NoSuchBucket" else ""


def replace_file(path: Path, text: str) -> None:
    """Write a local file whole or not at all: a temporary file, synced, then renamed over it.

    A crash mid-write (or a full disk) leaves the previous version, never half a JSON document.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        with suppress(FileNotFoundError):
            os.unlink(temporary)
        raise


def normalize(location: str | Path) -> str:
    """An s3:// prefix without a trailing slash, or an absolute local path."""
    text = str(location)
    return text.rstrip("/") if is_s3(text) else str(resolve_local(text))


def join(location: str, *parts: str) -> str:
    return "/".join([location.rstrip("/"), *parts]) if is_s3(location) else str(Path(location, *parts))


def _bucket_prefix(location: str) -> tuple[str, str]:
    parsed = urlparse(location)
    prefix = parsed.path.strip("/")
    return parsed.netloc, f"{prefix}/" if prefix else ""


def exists(uri: str) -> bool:
    if not is_s3(uri):
        return Path(uri).exists()
    bucket, key = _bucket_prefix(uri)
    listed = aws.client("s3").list_objects_v2(Bucket=bucket, Prefix=key.rstrip("/"), MaxKeys=1)
    return listed.get("KeyCount", 0) > 0


def read_text(uri: str) -> str:
    from papermill.iorw import papermill_io  # 1.5 s to import: not in every kernel that imports `runs`

    return papermill_io.read(uri)


def read_json(uri: str) -> Any:
    return json.loads(read_text(uri))


def write_json(uri: str, data: Any) -> None:
    """Replace a JSON document whole (an S3 PUT, or a local write then rename)."""
    text = json.dumps(data, indent=1, sort_keys=True)
    if is_s3(uri):
        from papermill.iorw import papermill_io

        papermill_io.write(text, uri)
        return
    replace_file(Path(uri), text)


def run_ids(location: str) -> list[str]:
    """The run folders under `location`, oldest first (run ids sort by start time)."""
    if not is_s3(location):
        root = Path(location)
        return (
            sorted(p.name for p in root.iterdir() if (p / "manifest.json").exists()) if root.is_dir() else []
        )
    bucket, prefix = _bucket_prefix(location)
    found = []
    for page in (
        aws.client("s3")
        .get_paginator("list_objects_v2")
        .paginate(Bucket=bucket, Prefix=prefix, Delimiter="/")
    ):
        found += [p["Prefix"][len(prefix) :].rstrip("/") for p in page.get("CommonPrefixes", [])]
    return sorted(r for r in found if exists(join(location, r, "manifest.json")))


def delete_run(location: str, run_id: str) -> None:
    """Remove one run folder and everything in it."""
    if not is_s3(location):
        shutil.rmtree(Path(location, run_id))
        return
    bucket, prefix = _bucket_prefix(join(location, run_id))
    s3 = aws.client("s3")
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        keys = [{"Key": o["Key"]} for o in page.get("Contents", [])]
        if keys:
            s3.delete_objects(Bucket=bucket, Delete={"Objects": keys})
