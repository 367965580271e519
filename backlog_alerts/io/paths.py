"""Path resolution that gives the same answer from the repo root (papermill) and notebooks/ (Jupyter)."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlparse


def project_root(start: Path | None = None) -> Path | None:
    """The nearest folder at or above `start` that holds both `notebooks/` and `params/`."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / "notebooks").is_dir() and (folder / "params").is_dir():
            return folder
    return None


def resolve_local(path: str | Path, start: Path | None = None) -> Path:
    """Resolve a relative path against the project root, so `data/x.csv` means one file everywhere."""
    candidate = Path(path).expanduser()
    if candidate.is_absolute():
        return candidate
    root = project_root(start)
    return ((root or (start or Path.cwd())) / candidate).resolve()


def local_path(uri: str | Path) -> Path | None:
    """The local file a location names (a plain path or file://), or None for s3:// and http(s)://."""
    parsed = urlparse(str(uri))
    scheme = parsed.scheme.lower()
    if scheme == "file":
        return resolve_local(parsed.path)
    return resolve_local(uri) if scheme == "" else None
