"""Folders and whole documents, local or on S3: whether something is there, what files a folder holds,
a JSON document read or replaced whole, and the run folders of the audit trail.
"""

from __future__ import annotations

import json
import shutil
from typing import Any

from backlog_alerts.errors import SourceError
from backlog_alerts.io import aws
from backlog_alerts.io.locations import join, place
from backlog_alerts.io.versioned import write


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


DOT_SEGMENTS = ("", ".", "..")  # path segments that are no folder's name


def dotted_keys(location: str, suffix: str) -> list[str]:
    """Objects under an S3 prefix ending in `suffix` whose key below it has an empty or dot segment
    (`runs//ID/`, `runs/../x/`): S3 holds them, no local folder can, and no path may be built of them."""
    if place(location).path is not None:
        return []
    prefix = location.rstrip("/") + "/"
    return [
        uri
        for uri in files_under(prefix, suffix)
        if any(part in DOT_SEGMENTS for part in uri.removeprefix(prefix).split("/"))
    ]


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
