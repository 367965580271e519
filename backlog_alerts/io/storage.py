"""Folders and whole documents, local or on S3: whether something is there, what files a folder holds,
a JSON document read or replaced whole, and the run folders of the audit trail.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterable
from dataclasses import dataclass, field
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


DOT_SEGMENTS = ("", ".", "..")  # path segments that are no folder's name
MANIFEST = "manifest.json"  # what makes a folder a run folder


@dataclass
class TrailListing:
    """One listing of a trail: each folder holding a manifest, with its files' tags (`_tag` for a local
    file, an S3 object's ETag: what changes when the file does), and the manifests at
    S3 keys with an empty or dot segment below the trail (`runs//ID/`, `runs/../x/`), which S3 holds, no
    local folder can, and no path may be built of."""

    folders: dict[str, dict[str, str]] = field(default_factory=dict)
    dotted: list[str] = field(default_factory=list)


def trail_listing(location: str) -> TrailListing:
    """The run folders under `location` and their files in one listing (one paginated LIST on S3, not
    one request per folder): what a trail of years costs to look at, before any file is read."""
    where = place(location)
    listing = TrailListing()
    if where.path is not None:
        if where.path.is_dir():
            for folder in os.scandir(where.path):
                if folder.is_dir():
                    files = {f.name: _tag(f) for f in os.scandir(folder.path) if f.is_file()}
                    if MANIFEST in files:
                        listing.folders[folder.name] = files
        return listing
    bucket, prefix = _bucket_prefix(location)
    pages = (
        aws.client("s3", shared=True).get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
    )
    return listing_of_keys(
        bucket, prefix, ((o["Key"], o["ETag"]) for page in pages for o in page.get("Contents", []))
    )


def listing_of_keys(bucket: str, prefix: str, objects: Iterable[tuple[str, str]]) -> TrailListing:
    """A trail's listing from its S3 keys (and ETags) under `prefix`: folders one level down holding a
    manifest, and the manifests below an empty or dot segment, said apart."""
    listing = TrailListing()
    for key, etag in objects:
        parts = key[len(prefix) :].split("/")
        if any(part in DOT_SEGMENTS for part in parts[:-1]) and parts[-1] == MANIFEST:
            listing.dotted.append(f"s3://{bucket}/{key}")
        elif len(parts) == 2 and parts[1]:
            listing.folders.setdefault(parts[0], {})[parts[1]] = etag
    listing.folders = {k: v for k, v in listing.folders.items() if MANIFEST in v}
    return listing


def folder_tags(folder: str) -> dict[str, str]:
    """The files directly in one folder, by tag as `trail_listing` gives them."""
    where = place(folder)
    if where.path is not None:
        return {f.name: _tag(f) for f in os.scandir(where.path) if f.is_file()}
    bucket, prefix = _bucket_prefix(folder)
    pages = (
        aws.client("s3", shared=True).get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
    )
    found = (o for page in pages for o in page.get("Contents", []))
    return {o["Key"][len(prefix) :]: o["ETag"] for o in found if "/" not in o["Key"][len(prefix) :]}


def _tag(entry: os.DirEntry[str]) -> str:
    """What changes whenever a local file is written: its inode (a file put in its place by a rename, as
    rsync, tar and editors do, even with its times kept), size and modification time. Not its change
    time: a hard-link backup of the trail (`cp -al`, `rsync --link-dest`) changes that of every file,
    and would make every record and page be built again after each backup. A file rewritten in place to
    the same size with its time set back on purpose is not told apart: whoever can do that to a notebook
    can as well write its record (both are the job's, in the same folder). A copy of the trail is read
    from its notebooks once."""
    stat = entry.stat()
    return f"{stat.st_ino}:{stat.st_size}:{stat.st_mtime_ns}"


def run_ids(location: str) -> list[str]:
    """The run folders under `location`, oldest first (run ids sort by start time)."""
    return sorted(trail_listing(location).folders)


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
