"""Reading input files (contacts, reports) from s3://, https:// or a local path, as text."""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, cast
from urllib.parse import urlparse

import requests
from botocore.exceptions import BotoCoreError, ClientError

from backlog_alerts.errors import SourceError, SourceMissing
from backlog_alerts.io import aws, locations
from backlog_alerts.io.paths import local_path
from backlog_alerts.masking import mask_text

if TYPE_CHECKING:
    import pandas as pd


@dataclass(frozen=True)
class Source:
    """The text of one input file and what identifies that exact version of it."""

    uri: str
    text: str
    etag: str
    sha256: str


def open_binary(uri: str, region: str | None = None) -> tuple[BinaryIO, str]:
    """A stream of an input's bytes and the server's ETag (empty for local files)."""
    path, scheme = local_path(uri), urlparse(uri).scheme.lower()
    if path is not None:
        try:
            return path.open("rb"), ""
        except FileNotFoundError as err:
            raise SourceMissing(f"{uri}: cannot read: no such file") from err
        except OSError as err:
            raise SourceError(f"{uri}: cannot read: {err.strerror or err}") from err
    if scheme == "s3":
        bucket, key = locations.split_s3_uri(uri)
        try:
            obj = aws.client("s3", region, shared=True).get_object(Bucket=bucket, Key=key)
            return obj["Body"], obj.get("ETag", "").strip('"')
        except ClientError as err:
            raise s3_read_error(uri, err) from err
        except BotoCoreError as err:
            raise SourceError(f"{uri}: cannot read: {err}") from err
    if scheme in ("http", "https"):
        try:
            response = requests.get(uri, timeout=30, stream=True)
            if response.status_code == 404:
                raise SourceMissing(f"{uri}: cannot read: 404 not found")
            response.raise_for_status()
        except requests.RequestException as err:
            raise SourceError(f"{uri}: cannot read: {err}") from err
        response.raw.decode_content = True
        return cast(BinaryIO, response.raw), response.headers.get("ETag", "").strip('"')
    raise SourceError(f"{uri}: unsupported location (use s3://, https:// or a local path)")


def _read_bytes(uri: str, region: str | None) -> tuple[bytes, str]:
    """Fetch raw bytes and the server's ETag (empty for local files)."""
    stream, etag = open_binary(uri, region)
    try:
        with stream:
            return stream.read(), etag
    except (OSError, BotoCoreError, requests.RequestException) as err:
        raise SourceError(f"{uri}: cannot read: {err}") from err


def s3_read_error(uri: str, err: ClientError) -> SourceError:
    """A missing object or bucket is a missing input (for a report, a state of its own)."""
    absent = aws.missing(err)
    if absent:
        bucket = locations.split_s3_uri(uri)[0]
        return SourceMissing(
            f"{uri}: cannot read: no such {absent}" + (f" {bucket!r}" if absent == "bucket" else "")
        )
    return SourceError(f"{uri}: cannot read: {aws.error_code(err) or err}")


@dataclass(frozen=True)
class Pin:
    """The exact version of an input that a run's pre-run check read: its SHA-256 and ETag, and a private
    copy of those bytes that the run's notebooks read instead of the file (which may be replaced)."""

    sha256: str
    etag: str = ""
    copy: str = ""

    @classmethod
    def of(cls, pins: Mapping[str, Mapping[str, str]] | None, uri: str) -> Pin | None:
        found = (pins or {}).get(uri)
        return cls(**found) if found else None


def pin_input(uri: str, folder: Path, region: str | None = None) -> Pin:
    """Copy an input into `folder` (private to the run), fingerprinting it on the way, a block at a
    time: the notebooks then read what the check read, whatever happens to the file meanwhile."""
    stream, etag = open_binary(uri, region)
    copy = folder / f"{len(list(folder.iterdir())) + 1}-{Path(uri.rstrip('/')).name or 'input'}"
    digest = hashlib.sha256()
    try:
        with stream, copy.open("wb") as out:
            copy.chmod(0o600)
            while block := stream.read(1 << 20):
                digest.update(block)
                out.write(block)
    except (OSError, BotoCoreError, requests.RequestException) as err:
        raise SourceError(f"{uri}: cannot read: {err}") from err
    return Pin(digest.hexdigest(), etag, str(copy))


def pinned_bytes(uri: str, pin: Pin, region: str | None) -> tuple[bytes, str]:
    """The checked version's bytes: from the run's copy, else read again and compared."""
    copy = Path(pin.copy) if pin.copy else None
    data = copy.read_bytes() if copy is not None and copy.is_file() else _read_bytes(uri, region)[0]
    found = hashlib.sha256(data).hexdigest()
    if found != pin.sha256:
        raise SourceError(
            f"{uri}: replaced since the pre-run check read it (SHA-256 {pin.sha256[:12]}..., now "
            f"{found[:12]}...); nothing was changed from it. Run again to use the new file"
        )
    return data, pin.etag


def read_source(
    uri: str, region: str | None = None, pins: Mapping[str, Mapping[str, str]] | None = None
) -> Source:
    """Read a UTF-8 text file (BOM or not, any line ends) and fingerprint it, so a run can say what it
    saw; with the run's `pins`, the version its pre-run check read."""
    pin = Pin.of(pins, uri)
    data, etag = pinned_bytes(uri, pin, region) if pin else _read_bytes(uri, region)
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise SourceError(f"{uri}: UTF-16 text (Excel's 'Unicode Text'); save it as CSV UTF-8")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        row = data.count(b"\n", 0, err.start) + 1
        raise SourceError(
            f"{uri}: not UTF-8 text (row {row}, byte {err.start}); if a spreadsheet saved it, save it "
            "again as CSV UTF-8"
        ) from err
    text = text.replace("\r\n", "\n").replace("\r", "\n")  # Excel for Mac ends lines with CR alone
    return Source(uri=uri, text=text, etag=etag, sha256=hashlib.sha256(data).hexdigest())


def check_looks_like_csv(source: Source) -> None:
    """Refuse what is plainly not our CSV, with the reason, before pandas guesses at it."""
    text = source.text
    if not text.strip():
        raise SourceError(f"{source.uri}: the file is empty")
    if "\x00" in text:
        raise SourceError(f"{source.uri}: contains NUL bytes: a binary file, not CSV text")
    start = text.lstrip()[:200].casefold()
    if start.startswith(("<!doctype html", "<html", "<?xml", "<head", "<body")):
        raise SourceError(f"{source.uri}: an HTML or XML page, not CSV (an error page served instead?)")
    if start.startswith("sep="):
        raise SourceError(f"{source.uri}: starts with Excel's 'sep=' line; remove it, the header goes first")
    records = csv.reader(io.StringIO(text), skipinitialspace=True)
    header = next(records, [])
    seen: set[str] = set()
    for name in (column.strip() for column in header):
        if name and name.casefold() in seen:
            raise SourceError(f"{source.uri}: column {name!r} appears twice in the header")
        seen.add(name.casefold())
    for row, record in enumerate(records, start=2):  # numbered as read_csv_text numbers rows
        if any(value.strip() for value in record[len(header) :]):
            raise SourceError(
                f"{source.uri}: row {row} has {len(record)} values but the header has {len(header)} "
                "columns (an unquoted comma inside a value?)"
            )


def read_csv_text(source: Source) -> pd.DataFrame:
    """Parse CSV with every column as text: `+16195550100` must stay a string, not a number.

    The index is each row's line number in the file (header = 1), so problems can point at it;
    blank lines are dropped after numbering. pandas is imported here, at the first CSV read: the
    commands that never read one (audit, report, state) start a quarter of a second sooner.
    """
    import pandas as pd

    check_looks_like_csv(source)
    try:
        with warnings.catch_warnings():  # extra values were checked above: only empty ones remain
            warnings.simplefilter("ignore", pd.errors.ParserWarning)
            frame = pd.read_csv(
                io.StringIO(source.text),
                dtype=str,
                keep_default_na=False,
                skipinitialspace=True,
                skip_blank_lines=False,
                index_col=False,  # a row with one value too many must not turn column 1 into an index
            )
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as err:
        reason = " ".join(str(err).split())
        raise SourceError(f"{source.uri}: not a readable CSV file ({reason})") from err
    frame.columns = [str(column).strip() for column in frame.columns]
    frame.index = pd.RangeIndex(2, len(frame) + 2)
    frame = frame.apply(lambda column: column.str.strip())
    return frame[(frame != "").any(axis=1)]


def find_columns(frame: pd.DataFrame, wanted: list[str], uri: str) -> dict[str, str]:
    """Map each wanted column to the file's header, matched case-insensitively; name what is missing."""
    by_folded = {column.casefold(): column for column in frame.columns}
    missing = [name for name in wanted if name.casefold() not in by_folded]
    if missing:
        masked = [mask_text(c) for c in frame.columns]  # before cutting: half an address is not masked
        shown = [repr(c) if len(c) <= 40 else repr(c[:40]) + "..." for c in masked[:10]]
        found = ", ".join(shown + (["..."] if len(masked) > 10 else [])) or "none"
        other = [d for d in ";\t|" if len(frame.columns) == 1 and d in frame.columns[0]]
        hint = f"; the file looks {other[0]!r}-separated, but it must use commas" if other else ""
        if not other and masked != list(frame.columns):
            hint = "; its first row holds an email or phone number: is the header row missing?"
        raise SourceError(f"{uri}: missing column(s) {', '.join(missing)} (found: {found}){hint}")
    return {name: by_folded[name.casefold()] for name in wanted}
