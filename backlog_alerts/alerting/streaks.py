"""Decisions over the history of monthly counts: for how long a rule's condition held, whether it fires,
and whether it escalates, with the words a director reads.

The history maps each report period ("YYYY-MM") to its counts by service, the period decided included.
Invariants: a rule fires in a period only when its condition held in each of the last `for_periods`
calendar months, every one of them in the history (a missing month breaks the chain); a rise holds
only against the previous calendar month's count; a rule escalates exactly when it fired in each of
the last `escalate_after` months. A plain rule decides as `Rule.fires` on its one count.
"""

from __future__ import annotations

import calendar
import math
from collections.abc import Mapping
from dataclasses import dataclass

from backlog_alerts.alerting.rules import Rule

History = Mapping[str, Mapping[str, int]]
ORDINALS = [
    "first",
    "second",
    "third",
    "fourth",
    "fifth",
    "sixth",
    "seventh",
    "eighth",
    "ninth",
    "tenth",
    "eleventh",
    "twelfth",
]


def month_before(period: str, months: int = 1) -> str:
    """The calendar month some months before a YYYY-MM period: reports are monthly, so the month
    before is the previous period."""
    index = int(period[:4]) * 12 + int(period[5:7]) - 1 - months
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def month_name(period: str) -> str:
    return calendar.month_name[int(period[5:7])]


def ordinal(n: int) -> str:
    """1 -> first ... 12 -> twelfth, then 13th, 21st, 22nd, 23rd, 111th."""
    if n <= len(ORDINALS):
        return ORDINALS[n - 1]
    suffix = "th" if n % 100 in (11, 12, 13) else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


@dataclass(frozen=True)
class Condition:
    """A rule's condition in one period: whether it held, on which counts, and why in words."""

    holds: bool
    reason: str
    count: int | None = None
    previous: int | None = None
    rise_percent: float | None = None  # infinite for a rise from 0: over every percent
    missing: str = ""  # the month missing from the history that the condition could not do without


def _line(rule: Rule) -> str:
    return f"{'at least' if rule.at_least else 'over'} {rule.threshold}"


def _percent(value: float, limit: float, over: bool) -> str:
    """A percent rounded for people, with the decimals it takes not to look on the wrong side of the limit."""
    decimals = 0
    while decimals < 3 and (round(value, decimals) > limit) != over:
        decimals += 1
    return f"{value:.{decimals}f}"


def _rise(rule: Rule, count: int, previous: int, before: str) -> Condition:
    """The rise part: by more than `rise_over` % and by at least `min_rise` over the month before."""
    assert rule.rise_over is not None
    change = count - previous
    percent = change / previous * 100 if previous else (math.inf if change > 0 else 0.0)
    over = change * 100 > rule.rise_over * previous if previous else change > 0  # exact for whole counts
    counts = f"({previous} -> {count})"
    if change > 0 and previous == 0:
        words = f"up from 0 in {month_name(before)} {counts}"
    elif change > 0:
        words = f"up {_percent(percent, rule.rise_over, over)} % from {month_name(before)} {counts}"
    else:
        words = f"{'down' if change else 'unchanged'} from {month_name(before)} {counts}"
    holds = over and change >= rule.min_rise
    if change > 0 and not over:
        words += f", not more than {rule.rise_over:g} %"
    elif change > 0 and change < rule.min_rise:
        words += f", by less than {rule.min_rise}"
    return Condition(holds, words, count, previous, percent)


def condition(rule: Rule, period: str, history: History) -> Condition:
    """Whether the rule's condition held in this one period: over the threshold (as `Rule.fires`), risen
    enough since the month before, or both when the rule has both."""
    if period not in history:
        return Condition(False, f"no report for {period}", missing=period)
    count = history[period].get(rule.service_name)
    if count is None:
        return Condition(False, f"no count of {rule.service_name} in {period}")
    parts = []
    if rule.threshold is not None:
        parts.append(Condition(rule.fires(count), _line(rule) if rule.fires(count) else f"not {_line(rule)}"))
    rise = None
    if rule.rise_over is not None:
        before = month_before(period)
        previous = history.get(before, {}).get(rule.service_name)
        if previous is None:
            missing = "" if before in history else before  # a report without the service is no gap
            rise = Condition(False, f"no count for {before} to compare with", missing=missing)
        else:
            rise = _rise(rule, count, previous, before)
        parts.append(rise)
    return Condition(
        all(p.holds for p in parts),
        " and ".join(p.reason for p in parts),
        count,
        rise.previous if rise else None,
        rise.rise_percent if rise else None,
        rise.missing if rise else "",
    )


@dataclass(frozen=True)
class Verdict:
    """A rule's decision in one period over the history: fired, for how long, escalated, and why."""

    fired: bool
    held_for: int  # months in a row, ending with this one, in which the condition held
    broken_at: str  # the missing month that ended that run of months ("" when the history just starts)
    streak: int  # months in a row, ending with this one, in which the rule fired
    since: str  # the first month of that streak ("" when it did not fire)
    escalate: bool  # fired in each of the last `escalate_after` months: `escalate_to` hears it too
    explanation: str
    count: int | None = None
    previous: int | None = None
    rise_percent: float | None = None


_STATE = {(False, True): "over", (True, False): "rising", (False, False): "over and rising"}


def _summary(rule: Rule) -> str:
    """The condition in general words, for a run of months."""
    parts = [_line(rule)] if rule.threshold is not None else []
    parts += [f"up more than {rule.rise_over:g} %"] if rule.rise_over is not None else []
    return " and ".join(parts)


def verdict(rule: Rule, period: str, history: History, department_names: Mapping[str, str]) -> Verdict:
    """Walk back month by month while the condition held: the rule fires when that run is at least
    `for_periods` long, and has fired in each month of the run from its `for_periods`-th on."""
    now = condition(rule, period, history)
    held_for, stop = 0, now
    while stop.holds:
        held_for += 1
        stop = condition(rule, month_before(period, held_for), history)
    gap = any(p < stop.missing for p in history)  # a month missing in between, not before the first
    broken_at = stop.missing if stop.missing and gap else ""
    streak = max(0, held_for - rule.for_periods + 1)
    since = month_before(period, streak - 1) if streak else ""
    escalate = rule.escalate_after is not None and streak >= rule.escalate_after
    words = [now.reason]
    if rule.for_periods > 1 and held_for:
        words = [f"{_summary(rule)} for {held_for} month{'s' * (held_for > 1)}"]
        words += [now.reason] if rule.rise_over is not None else []
        if not streak:
            words[0] += f" of the {rule.for_periods} needed"
    if escalate:
        word = "of alerts" if rule.for_periods > 1 else _STATE[rule.threshold is None, rule.rise_over is None]
        name = department_names.get(rule.escalate_to or "", rule.escalate_to)
        source = department_names.get(rule.department, rule.department)  # the one who hears it, asks "whose?"
        words.append(
            f"{ordinal(streak)} month {word}: escalated from {source} to the {name} "
            f"(alerting since {month_name(since)} {since[:4]})"
        )
    if held_for and not streak and broken_at:
        words.append(f"no report for {broken_at}: the chain of months {_summary(rule)} starts again")
    elif held_for and not streak and stop.missing:
        words.append(f"no report for {stop.missing} or before")
    return Verdict(
        streak > 0,
        held_for,
        broken_at,
        streak,
        since,
        escalate,
        "; ".join(words),
        now.count,
        now.previous,
        now.rise_percent,
    )
