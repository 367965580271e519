"""The open backlog per service from raw request records (e.g. San Diego's "Get It Done" export).

A year of a big city's records is millions of rows, so pyarrow parses the file in 1 MB blocks on
every core and keeps only the few columns the count needs, service and status dictionary-encoded
(about 12 bytes a record, against some 250 on disk): memory stays well under the file's size.
pyarrow is imported by the functions that count, not with the module: the params model imports this
one, and the commands that only read the trail (audit, report) need not load pyarrow and numpy.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from backlog_alerts.errors import SourceError, SourceMissing
from backlog_alerts.io.paths import local_path

if TYPE_CHECKING:
    import pyarrow as pa

BLOCK_SIZE = 1 << 20  # bytes per parsed block: small blocks keep the memory in flight small


@dataclass(frozen=True)
class RequestSettings:
    """How raw records become a backlog; every field is a param of the alert check."""

    service_column: str = "service_name"
    status_column: str = "status"
    # Matched ignoring case and spaces. "Referred": handed to another agency, no longer the city's backlog.
    closed_statuses: tuple[str, ...] = ("Closed", "Referred")
    min_age_days: int = 0  # only records at least this old count; needs age_column
    age_column: str = "case_age_days"
    parent_column: str = "service_request_parent_id"  # a record with a parent duplicates it
    include_duplicates: bool = False


@dataclass
class Backlog:
    """Open records per service (names trimmed, never merged across case), and what was left out."""

    counts: Counter[str] = field(default_factory=Counter)
    seen: set[str] = field(default_factory=set)  # every service named in the file, open records or not
    records: int = 0
    closed: int = 0
    duplicates: int = 0
    younger: int = 0
    unnamed: int = 0  # open records with an empty service name: counted nowhere, reported
    version: dict[str, str] = field(default_factory=dict)  # etag, sha256, or bytes and modified

    def per_service(self) -> dict[str, int]:
        """The open backlog of every service the file names: 0 for one whose records are all closed."""
        return {name: self.counts.get(name, 0) for name in sorted(self.seen)}

    @property
    def case_variants(self) -> list[list[str]]:
        """Names that differ only by case (`OTHER`, `Other`): reported, not silently merged."""
        groups: dict[str, list[str]] = {}
        for name in sorted(self.seen):
            groups.setdefault(name.casefold(), []).append(name)
        return [names for names in groups.values() if len(names) > 1]

    def summary(self) -> dict[str, Any]:
        return {
            "records": self.records,
            "open": sum(self.counts.values()) + self.unnamed,
            "closed": self.closed,
            "duplicates_left_out": self.duplicates,
            "younger_than_min_age": self.younger,
            "open_without_service_name": self.unnamed,
            "case_variants": ["/".join(names) for names in self.case_variants],
        }


def _open_stream(uri: str, region: str | None, pin: Any = None) -> tuple[Any, dict[str, str]]:
    """A readable stream and what identifies the file's version without reading it twice: the ETag on
    S3, size and modification time locally. (SHA-256 of a GB-sized export would cost more than the count.)
    With the run's pin, the copy its pre-run check made (fingerprinted then)."""
    import pyarrow as pa

    if pin is not None and pin.copy:
        return pa.OSFile(pin.copy), {"etag": pin.etag, "sha256": pin.sha256}
    path = local_path(uri)
    if path is not None:
        try:
            stat = path.stat()
            return pa.OSFile(str(path)), {"bytes": str(stat.st_size), "modified": str(stat.st_mtime_ns)}
        except FileNotFoundError as err:
            raise SourceMissing(f"{uri}: cannot read: no such file") from err
        except OSError as err:
            raise SourceError(f"{uri}: cannot read: {err.strerror or err}") from err
    from backlog_alerts.io.sources import open_binary  # only remote files need boto3 and pandas

    stream, etag = open_binary(uri, region)
    return pa.PythonFile(stream, mode="r"), {"etag": etag}


def _blank_to_null(values: pa.Array) -> Any:
    import pyarrow as pa
    import pyarrow.compute as pc

    trimmed = pc.utf8_trim_whitespace(values)
    return pc.if_else(pc.equal(trimmed, ""), pa.scalar(None, pa.string()), trimmed)


def open_backlog(uri: str, settings: RequestSettings, region: str | None = None, pin: Any = None) -> Backlog:
    """Count open records per service: status not closed, old enough, not a duplicate child.

    Only the needed columns are kept; service and status come dictionary-encoded, so trimming and
    comparing happen once per distinct value, not once per row.
    """
    import pyarrow as pa
    import pyarrow.csv as pacsv

    text = {settings.parent_column: pa.string(), settings.age_column: pa.string()}
    dictionary = pa.dictionary(pa.int32(), pa.string())
    coded = {settings.service_column: dictionary, settings.status_column: dictionary}
    columns = [*coded, *([settings.age_column] if settings.min_age_days else [])]
    columns += [] if settings.include_duplicates else [settings.parent_column]
    closed = pa.array(sorted({s.strip().casefold() for s in settings.closed_statuses}), pa.string())
    stream, version = _open_stream(uri, region, pin)
    backlog = Backlog(version=version)
    try:
        reader = pacsv.read_csv(
            stream,
            read_options=pacsv.ReadOptions(block_size=BLOCK_SIZE),
            convert_options=pacsv.ConvertOptions(
                include_columns=columns,
                include_missing_columns=True,
                column_types={c: coded.get(c) or text[c] for c in columns},
                strings_can_be_null=False,
            ),
        )
    except pa.ArrowInvalid as err:
        raise SourceError(f"{uri}: not a readable CSV file ({' '.join(str(err).split())})") from err
    finally:
        stream.close()
    for batch in reader.to_batches():
        _count_batch(batch, settings, closed, backlog, uri)
    if not backlog.records:
        raise SourceError(f"{uri}: no request records in the file")
    return backlog


def _per_row(column: pa.DictionaryArray, per_value: pa.Array) -> Any:
    """A value computed once per distinct dictionary entry, spread back over the rows."""
    import pyarrow.compute as pc

    return pc.take(per_value, column.indices)


def _count_batch(
    batch: pa.RecordBatch, settings: RequestSettings, closed: pa.Array, backlog: Backlog, uri: str
) -> None:
    import pyarrow as pa
    import pyarrow.compute as pc

    for column in (settings.service_column, settings.status_column, settings.age_column):
        # Absent columns come back all null (include_missing_columns); present ones never hold nulls.
        needed = column != settings.age_column or settings.min_age_days
        if needed and len(batch) and batch.column(column).null_count == len(batch):
            raise SourceError(f"{uri}: missing column {column!r}, which raw request records need")
    backlog.records += len(batch)
    status = batch.column(settings.status_column)
    closed_value = pc.is_in(pc.utf8_lower(pc.utf8_trim_whitespace(status.dictionary)), value_set=closed)
    is_open = pc.invert(_per_row(status, closed_value))
    backlog.closed += len(batch) - (pc.sum(is_open).as_py() or 0)
    if not settings.include_duplicates:
        child = pc.and_(is_open, pc.is_valid(_blank_to_null(batch.column(settings.parent_column))))
        backlog.duplicates += pc.sum(child).as_py() or 0
        is_open = pc.and_(is_open, pc.invert(child))
    if settings.min_age_days:
        try:
            age = pc.cast(_blank_to_null(batch.column(settings.age_column)), pa.float64())
        except pa.ArrowInvalid as err:
            raise SourceError(f"{uri}: column {settings.age_column!r}: not a number ({err})") from err
        old_enough = pc.fill_null(pc.greater_equal(age, settings.min_age_days), False)
        backlog.younger += pc.sum(pc.and_(is_open, pc.invert(old_enough))).as_py() or 0
        is_open = pc.and_(is_open, old_enough)
    services = batch.column(settings.service_column)
    names = [name.strip() for name in services.dictionary.to_pylist()]
    backlog.seen.update(name for name in names if name)
    for entry in pc.value_counts(pc.filter(services.indices, is_open)).to_pylist():
        if names[entry["values"]]:
            backlog.counts[names[entry["values"]]] += entry["counts"]
        else:
            backlog.unnamed += entry["counts"]
