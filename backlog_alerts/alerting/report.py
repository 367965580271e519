"""The monthly report: one count per service, checked before any rule looks at it."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal, get_args

from backlog_alerts.alerting.backlog import RequestSettings, open_backlog
from backlog_alerts.alerting.period import check_period, decide_period, unread_hint
from backlog_alerts.alerting.rules import Rule
from backlog_alerts.io.sources import (
    Pin,
    Source,
    SourceError,
    SourceMissing,
    find_columns,
    read_csv_text,
    read_source,
)

MissingService = Literal["error", "zero", "skip"]  # a watched service absent from the report
MISSING_SERVICE_MODES = get_args(MissingService)
MAX_COUNT = 10**9  # open requests for one service; more is an ID or a sum pasted into the column


def parse_counts(
    source: Source, service_column: str = "service_name", count_column: str = "count"
) -> dict[str, int]:
    """Service name (trimmed) -> count; a bad count or a service listed twice is an error.

    Every check is a column operation, so a report of a million rows takes seconds, not hours;
    the error names the first row at fault, as a row-by-row reading would.
    """
    import pandas as pd  # here, not at the top: see read_csv_text

    frame = read_csv_text(source)
    columns = find_columns(frame, [service_column, count_column], source.uri)
    if frame.empty:
        raise SourceError(f"{source.uri}: the report has no rows")
    services, values = frame[columns[service_column]], frame[columns[count_column]]
    digits = values.str.fullmatch(r"[0-9]+").fillna(False).astype(bool)
    numbers = pd.to_numeric(values.where(digits & (values.str.len() <= 10), "0")).astype("int64")
    too_big = digits & ((values.str.len() > 10) | (numbers > MAX_COUNT))
    folded = services.str.casefold()
    repeated = services.duplicated()
    checks = {
        "empty": services == "",
        "not_digits": ~digits,
        "too_big": too_big,
        "repeated": repeated,
        "twin": folded.duplicated() & ~repeated,
    }
    problems = pd.concat(checks, axis=1)
    bad_rows = problems.index[problems.any(axis=1)]
    if len(bad_rows):
        row = bad_rows[0]
        problem = next(name for name, column in checks.items() if column[row])
        service, value = services[row], values[row]
        where = f"{source.uri}: row {row}"
        raise SourceError(
            {
                "empty": f"{where}, {service_column}: empty",
                "not_digits": f"{where}, {count_column}: {value!r} is not a whole number >= 0",
                "too_big": f"{where}, {count_column}: {value} is not a plausible count "
                f"(over {MAX_COUNT:,}): is this the right column?",
                "repeated": f"{where}, {service_column}: {service!r} listed twice",
                "twin": f"{where}, {service_column}: {service!r} differs from "
                f"{services[folded == folded[row]].iloc[0]!r} only by case: which one is meant?",
            }[problem]
        )
    return dict(zip(services.tolist(), numbers.tolist(), strict=True))


def watched_counts(
    counts: dict[str, int], rules: Iterable[Rule], missing_service: str = "error"
) -> list[dict[str, Any]]:
    """The counts the rules look at, for the record (a lost state's history of counts is rebuilt from
    it), one missing under `missing_service: zero` as the 0 they see (a report not read has none). A
    report may list a million services (the file is identified by its SHA-256); recording them all made
    an executed notebook too big to save in time."""
    watched = {r.service_name for r in rules}
    zero = {s: 0 for s in sorted(watched - set(counts))} if missing_service == "zero" and counts else {}
    return [{"service_name": s, "count": c} for s, c in {**counts, **zero}.items() if s in watched]


def check_missing_service(mode: str) -> str:
    """Validate the `missing_service` param at start-up."""
    if mode not in MISSING_SERVICE_MODES:
        raise SourceError(f"missing_service must be one of {', '.join(MISSING_SERVICE_MODES)}, not {mode!r}")
    return mode


def count_for(counts: dict[str, int], service: str, uri: str, missing_service: str = "error") -> int | None:
    """The count of one service; if absent, an error with near-misses, 0, or None (skip the rule)."""
    if service in counts:
        return counts[service]
    if missing_service == "zero":
        return 0
    if missing_service == "skip":
        return None
    folded = {name.casefold(): name for name in counts}
    close = difflib.get_close_matches(service.casefold(), list(folded), n=3, cutoff=0.8)
    hint = f" (did you mean {', '.join(repr(folded[c]) for c in close)}?)" if close else ""
    raise SourceError(f"{uri}: service {service!r} is not in the report{hint}")


@dataclass(frozen=True)
class Report:
    """A report as the alert check sees it: ok with counts, or missing / late (nobody is alerted)."""

    uri: str
    status: str  # ok | missing | late
    period: str
    counts: dict[str, int] = field(default_factory=dict)
    etag: str = ""
    sha256: str = ""
    note: str = ""
    backlog: dict[str, Any] = field(default_factory=dict)  # raw records: what was counted and left out
    notice_key: str = ""  # missing, late or stale: which outage this is, so ops hear of each once

    def identity(self) -> dict[str, str]:
        return {
            "uri": self.uri,
            "status": self.status,
            "period": self.period,
            "etag": self.etag,
            "sha256": self.sha256,
            "note": self.note,
            "services": str(len(self.counts)),
        }


ReportKind = Literal["counts", "requests"]  # one row per service, or raw request records
REPORT_KINDS = get_args(ReportKind)


def request_settings(
    report_kind: str, closed_statuses: list[str], min_age_days: int, include_duplicate_requests: bool
) -> RequestSettings | None:
    """None for an aggregated counts report; for raw request records, how to count the open backlog."""
    if report_kind not in REPORT_KINDS:
        raise SourceError(f"report_kind must be one of {', '.join(REPORT_KINDS)}, not {report_kind!r}")
    if report_kind == "counts":
        return None
    return RequestSettings(
        closed_statuses=tuple(closed_statuses),
        min_age_days=min_age_days,
        include_duplicates=include_duplicate_requests,
    )


def load_report(
    uri: str,
    region: str | None = None,
    *,
    period: str = "",
    expected_period: str = "",
    service_column: str = "service_name",
    count_column: str = "count",
    requests: RequestSettings | None = None,
    pins: Mapping[str, Mapping[str, str]] | None = None,
) -> Report:
    """Read and check the report; a missing or out-of-date one is a state, any other problem an error.

    With `requests` settings the file holds raw request records, and each count is the open backlog.
    With the run's `pins`, the version its pre-run check read.
    """
    found_period = decide_period(uri, period)
    if expected_period:
        check_period(expected_period, "expected_period")
        if not found_period:  # lateness cannot be judged: never alert as if current
            raise SourceError(
                f"{uri}: expected_period is {expected_period}, but this report's period is unknown: "
                "set report_period, or put the period in the key (e.g. 2019/feb/final_report.csv)"
            )
    try:
        if requests is None:
            source = read_source(uri, region, pins)
        else:
            settings = replace(requests, service_column=service_column)
            backlog = open_backlog(uri, settings, region, Pin.of(pins, uri))
    except SourceMissing as err:
        period = found_period or expected_period
        return Report(uri, "missing", period, note=str(err), notice_key=expected_period or period or uri)
    if requests is None:
        counts = parse_counts(source, service_column, count_column)
        report = Report(uri, "ok", found_period, counts, source.etag, source.sha256)
    else:
        version = backlog.version  # ETag (S3), or size and time (local): the file is not hashed again
        etag, sha256 = version.get("etag", ""), version.get("sha256", "")
        summary = {**backlog.summary(), **version}
        report = Report(uri, "ok", found_period, backlog.per_service(), etag, sha256, backlog=summary)
    if expected_period and found_period and found_period < expected_period:
        note = f"{uri} covers {found_period}, but {expected_period} is expected"
        return replace(report, status="late", note=note, notice_key=expected_period)
    return report if found_period else replace(report, note=unread_hint(uri))
