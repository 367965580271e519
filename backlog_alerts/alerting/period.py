"""Which month a report covers, decided in one place, before anything changes.

Precedence: `report_period` from the params, which must agree with the period the key names (or, where
the key names several, pick one of them); else the one period the key names; else none (a report
without a period: each count is its own fact). A contradiction (the params against the key, or two
periods in one key) is refused, naming both. The key's own folders and file name are read, not the
bucket's name; these forms are understood, case-insensitively: `2019/mar/`, `2019-03`, `2019_3`,
`201903`, `03-2019`, `mar-2019`, `March 2019`, `March_2019`, and dates (`2019-03-01`, `20190301`),
which count as their month. A month that has not come yet is refused, whoever names it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

from backlog_alerts.errors import SourceError
from backlog_alerts.io import storage

MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_NAME = (
    r"(?P<month_name>january|february|march|april|june|july|august|september|october|november|december|"
    r"sept|jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)"
)
_YEAR = r"(?P<year>(?:19|20)\d\d)"
_MM = r"(?P<month>1[0-2]|0?[1-9])"
_DD = r"(?:3[01]|[12]\d|0?[1-9])"
_L, _R = r"(?<![a-z\d])", r"(?![a-z\d])"  # not inside a longer word or number
# In order of preference: a longer form is read first, and the text it covers is not read again.
FORMS = (
    ("date", re.compile(_L + _YEAR + r"-" + _MM + r"-" + _DD + _R, re.I)),
    ("date", re.compile(_L + _YEAR + r"(?P<month>1[0-2]|0[1-9])(?:3[01]|[12]\d|0[1-9])" + _R, re.I)),
    ("year, month name", re.compile(_L + _YEAR + r"[/_. -]?" + _NAME + _R, re.I)),
    ("year, month", re.compile(_L + _YEAR + r"[/_. -]" + _MM + _R, re.I)),
    ("month name, year", re.compile(_L + _NAME + r"[_. -]?" + _YEAR + _R, re.I)),
    ("month, year", re.compile(_L + _MM + r"[_. -]" + _YEAR + _R, re.I)),
    ("yyyymm", re.compile(_L + _YEAR + r"(?P<month>1[0-2]|0[1-9])" + _R, re.I)),
)
PERIOD = re.compile(r"\d{4}-(?:0[1-9]|1[0-2])")


@dataclass(frozen=True)
class Mention:
    """A period named in a key, with the text that names it."""

    period: str
    text: str


def _month(match: re.Match[str]) -> int:
    name = match.groupdict().get("month_name")
    return MONTHS.index(name[:3].lower()) + 1 if name else int(match["month"])


def mentions(uri: str) -> list[Mention]:
    """Every period the key names, in the order they appear."""
    text = storage.name_part(uri)
    found: list[tuple[int, Mention]] = []
    for _, form in FORMS:
        for match in form.finditer(text):
            found.append((match.start(), Mention(f"{match['year']}-{_month(match):02d}", match[0])))
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
    named = mentions(uri)
    distinct = sorted({m.period for m in named})
    shown = ", ".join(f"{m.period} ({m.text!r})" for m in named)
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
