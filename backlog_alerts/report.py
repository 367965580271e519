"""The monthly report: one count per service, checked before any rule looks at it."""

from __future__ import annotations

import difflib

from backlog_alerts.sources import Source, SourceError, find_columns, read_csv_text


def parse_counts(
    source: Source, service_column: str = "service_name", count_column: str = "count"
) -> dict[str, int]:
    """Service name (trimmed) -> count; a bad count or a service listed twice is an error."""
    frame = read_csv_text(source)
    columns = find_columns(frame, [service_column, count_column], source.uri)
    counts: dict[str, int] = {}
    for row, raw in frame.to_dict("index").items():
        service, value = raw[columns[service_column]], raw[columns[count_column]]
        if not service:
            raise SourceError(f"{source.uri}: row {row}, {service_column}: empty")
        if not value.isdigit():
            raise SourceError(
                f"{source.uri}: row {row}, {count_column}: {value!r} is not a whole number >= 0"
            )
        if service in counts:
            raise SourceError(f"{source.uri}: row {row}, {service_column}: {service!r} listed twice")
        counts[service] = int(value)
    if not counts:
        raise SourceError(f"{source.uri}: the report has no rows")
    return counts


def count_for(counts: dict[str, int], service: str, uri: str) -> int:
    """The count of one service, or an error that names the report and suggests near-misses."""
    if service in counts:
        return counts[service]
    folded = {name.casefold(): name for name in counts}
    close = difflib.get_close_matches(service.casefold(), list(folded), n=3, cutoff=0.8)
    hint = f" (did you mean {', '.join(repr(folded[c]) for c in close)}?)" if close else ""
    raise SourceError(f"{uri}: service {service!r} is not in the report{hint}")
