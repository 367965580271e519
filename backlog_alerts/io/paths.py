"""Path resolution that gives the same answer from the repo root (papermill) and notebooks/ (Jupyter)."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote

from backlog_alerts.errors import SourceError


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


def file_uri_path(uri: str) -> Path:
    """`file:///abs/path` (or `file://localhost/...`) as a path, percent-escapes decoded (RFC 8089);
    everything after the host is the path, `#` and `?` included."""
    host, slash, path = uri[len("file://") :].partition("/")
    if host.lower() not in ("", "localhost"):
        raise SourceError(f"{uri}: a file:// URI on another host ({host!r}) is not supported")
    return resolve_local(unquote(slash + path))


def local_path(uri: str | Path) -> Path | None:
    """The local file a location names (a plain path or file://), or None for s3:// and http(s)://."""
    text = str(uri)
    scheme, found, _ = text.partition("://")
    if text[:5].lower() == "file:" and not found:  # the one-slash form, file:/abs/path (RFC 8089)
        return resolve_local(unquote(text[5:]))
    if not found:
        return resolve_local(text)
    return file_uri_path(text) if scheme.lower() == "file" else None
