"""Which month a report covers, decided in one place, before anything changes.

Precedence: `report_period` from the params, which must agree with the period the key names (or, where
the key names several, pick one of them); else the one period the key names; else none (a report
without a period: each count is its own fact). A contradiction (the params against the key, or two
periods in one key) is refused, naming both. The key's own folders and file name are read, not the
bucket's name; these forms are understood, case-insensitively: `2019/mar/`, `2019-03`, `2019_3`,
`201903`, `03-2019`, `mar-2019`, `March 2019`, `March_2019`, and dates (`2019-03-01`, `20190301`,
`March 31, 2019`, `31-Mar-2019`, `03-31-2019`), which count as their month; a numeric date that reads
two ways (`05-12-2019`) is refused. A month that has not come yet is refused, whoever names it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

from backlog_alerts.errors import SourceError
from backlog_alerts.io import locations

MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_NAME = (
    r"(?P<month_name>january|february|march|april|june|july|august|september|october|november|december|"
    r"sept|jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)"
)
_YEAR = r"(?P<year>(?:19|20)\d\d)"
_MM = r"(?P<month>1[0-2]|0?[1-9])"
_DD = r"(?:3[01]|[12]\d|0?[1-9])"
_L, _R = r"(?<![a-z\d])", r"(?![a-z\d])"  # not inside a longer word or number
_LY = r"(?<!\d)(?<!fy)"  # a year may follow letters (`reports2019/`), but not a fiscal year's `FY`
# In order of preference: a longer form is read first, and the text it covers is not read again.
FORMS = (
    (
        "month name, day, year",
        re.compile(_L + _NAME + r"[ _.-]?" + _DD + r"(?:st|nd|rd|th)?,?[ _.-]?" + _YEAR + _R, re.I),
    ),
    ("day, month name, year", re.compile(_L + _DD + r"[ _.-]?" + _NAME + r"[ _.-]?" + _YEAR + _R, re.I)),
    ("date", re.compile(_L + r"(?P<first>\d{1,2})[-_./](?P<second>\d{1,2})[-_./]" + _YEAR + _R, re.I)),
    ("date", re.compile(_LY + _YEAR + r"-" + _MM + r"-" + _DD + _R, re.I)),
    ("date", re.compile(_LY + _YEAR + r"(?P<month>1[0-2]|0[1-9])(?:3[01]|[12]\d|0[1-9])" + _R, re.I)),
    ("year, month name", re.compile(_LY + _YEAR + r"[/_. -]?" + _NAME + _R, re.I)),
    ("year, month", re.compile(_LY + _YEAR + r"[/_. -]" + _MM + _R, re.I)),
    ("month name, year", re.compile(_L + _NAME + r"[_. -]?" + _YEAR + _R, re.I)),
    ("month, year", re.compile(_L + _MM + r"[_. -]" + _YEAR + _R, re.I)),
    ("yyyymm", re.compile(_LY + _YEAR + r"(?P<month>1[0-2]|0[1-9])" + _R, re.I)),
)
PERIOD = re.compile(r"\d{4}-(?:0[1-9]|1[0-2])")


@dataclass(frozen=True)
class Mention:
    """A period named in a key, with the text that names it; a date that reads two ways (`05-12-2019`:
    May or December) has both months and no period."""

    period: str
    text: str
    readings: tuple[str, ...] = ()


def _months(match: re.Match[str]) -> list[int]:
    """The month a match names; for a numeric date, each way of reading it (month first, day first)."""
    found = match.groupdict()
    if found.get("month_name"):
        return [MONTHS.index(found["month_name"][:3].lower()) + 1]
    if found.get("first"):
        first, second = int(found["first"]), int(found["second"])
        readings = [m for m, day in ((first, second), (second, first)) if 1 <= m <= 12 and 1 <= day <= 31]
        return sorted(set(readings))
    return [int(found["month"])]


def mentions(uri: str) -> list[Mention]:
    """Every period the key names, in the order they appear."""
    text = locations.name_part(uri)
    found: list[tuple[int, Mention]] = []
    for _, form in FORMS:
        for match in form.finditer(text):
            periods = [f"{match['year']}-{month:02d}" for month in _months(match)]
            if not periods:
                continue  # not a date (13-13-2019)
            mention = (
                Mention(periods[0], match[0]) if len(periods) == 1 else Mention("", match[0], tuple(periods))
            )
            found.append((match.start(), mention))
            text = text[: match.start()] + " " * len(match[0]) + text[match.end() :]
    return [mention for _, mention in sorted(found, key=lambda pair: pair[0])]


def this_month() -> str:
    return datetime.now(UTC).strftime("%Y-%m")


def check_period(value: str, what: str) -> str:
    """A `YYYY-MM` given in the params: well formed and not in the future."""
    if not PERIOD.fullmatch(value):
        raise SourceError(f"{what} {value!r} is not YYYY-MM")
    now = this_month()
    if value > now:
        raise SourceError(f"{what} is {value}, a month that has not come yet (this is {now}): a typo?")
    return value


def decide_period(uri: str, report_period: str = "") -> str:
    """The period a report covers (see the module's precedence), or "" when nothing names one."""
    named = [m for m in mentions(uri) if m.period]
    distinct = sorted({m.period for m in named})
    shown = ", ".join(f"{m.period} ({m.text!r})" for m in named)
    for two_ways in (m for m in mentions(uri) if m.readings and report_period not in m.readings):
        raise SourceError(
            f"{uri}: {two_ways.text!r} reads as {' or '.join(two_ways.readings)} (a date written month "
            "first or day first); set report_period to the month this report covers"
        )
    if report_period:
        check_period(report_period, "report_period")
        if distinct and report_period not in distinct:
            raise SourceError(
                f"{uri}: report_period is {report_period}, but the key names {shown}: fix one of them "
                "(a report_period left in the params file from another month?)"
            )
        return report_period
    if len(distinct) > 1:
        raise SourceError(
            f"{uri}: the key names more than one period: {shown}; set report_period to the one this "
            "report covers"
        )
    if distinct:
        now = this_month()
        if distinct[0] > now:
            raise SourceError(
                f"{uri}: covers {distinct[0]}, a month that has not come yet (this is {now}): "
                "a typo in the key or in report_period?"
            )
        return distinct[0]
    return ""


_YEARISH = re.compile(r"(?<!\d)(?:19|20)\d\d(?!\d)|(?<![a-z])" + _NAME + "(?![a-z])", re.I)


def unread_hint(uri: str) -> str:
    """For a key that names no period this tool reads, what in it looks like one (a year, a month), to
    say why the report has no period; "" when nothing does."""
    if mentions(uri):
        return ""
    seen = sorted({m[0] for m in _YEARISH.finditer(locations.name_part(uri))}, key=str.lower)
    return (
        f"the key mentions {', '.join(repr(s) for s in seen)} but in no form read as a period (such as "
        "2019/mar/ or 2019-03): set report_period, or alerts are about the counts alone"
        if seen
        else ""
    )
