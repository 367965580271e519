"""The contacts file: who should hear about which department, each row checked before any change.

An invalid email or phone drops only that endpoint; a row without a name, with an unknown
department, with no valid endpoint left or with an Alerts value we cannot read is rejected whole. Every
problem names its row and column.

Invariant: what a director hears is never decided by a guess. An Alerts cell that is neither a choice
nor empty (`critical only`, `urgent`) rejects its row, and the endpoints it lists stay in SNS exactly as
they are (not removed, filter not changed, not added), as do those of a person listed twice with
different Alerts; only an empty cell or no Alerts column means "all".
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Literal, cast, get_args

from email_validator import EmailNotValidError

from backlog_alerts.io.sources import Source, SourceError, find_columns, read_csv_text
from backlog_alerts.masking import mask_email, mask_endpoint, mask_phone, mask_text
from backlog_alerts.sync.cells import (
    Cell,
    endpoint_key,
    looks_like_formula,
    normalize_email,
    normalize_phone,
    read_cell,
)

COLUMNS = ["Name", "Email", "Phone", "Department"]
ALERTS_COLUMN = "Alerts"  # optional: "all" (default) or "critical", which severities a director wants
ALERT_CHOICES = ("all", "critical")
OnInvalidRow = Literal["skip", "fail"]  # sync the valid rows, or change nothing
ON_INVALID_ROW = get_args(OnInvalidRow)
MAX_NAME = 100  # characters; a longer "name" is a pasted paragraph, not a director


class ContactsError(SourceError):
    """Problems that stop the sync (with `on_invalid_row: fail`); each names its row and column."""

    def __init__(self, uri: str, problems: list[Problem]):
        self.problems = problems
        shown = "; ".join(str(p) for p in problems[:5])
        more = f"; and {len(problems) - 5} more" if len(problems) > 5 else ""
        super().__init__(f"{uri}: {len(problems)} problem(s): {shown}{more}")


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one row; its value and reason are masked when it is made, whatever column
    the cell came from (an address typed in Department is masked too)."""

    row: int
    column: str
    value: str
    reason: str
    effect: str  # "endpoint dropped" | "row rejected"
    department: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "value", mask_text(self.value))
        object.__setattr__(self, "reason", mask_text(self.reason))

    def __str__(self) -> str:
        value = f" {self.value!r}" if self.value else ""
        return f"row {self.row}, {self.column}:{value} {self.reason} ({self.effect})"


@dataclass(frozen=True)
class Contact:
    """One director's row, with endpoints normalized (email domain lower-cased, phone in E.164)."""

    row: int
    name: str
    email: str
    phone: str
    department: str
    alerts: str = "all"


@dataclass
class ContactsFile:
    """What a contacts file yields: usable contacts, the problems found, columns not used."""

    contacts: list[Contact] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    has_alerts_column: bool = False
    # Valid endpoints listed on rejected rows, (protocol, endpoint) -> row: the file still names them,
    # so a rejected row must not be what unsubscribes its director.
    rejected_endpoints: dict[tuple[str, str], int] = field(default_factory=dict)
    # Endpoint keys listed with conflicting or unreadable Alerts: kept as they are in SNS, whatever the
    # flags say.
    kept_endpoints: set[tuple[str, str]] = field(default_factory=set)

    @property
    def rejected_rows(self) -> list[int]:
        return sorted({p.row for p in self.problems if p.effect == "row rejected"})


def _mask(column: str, value: str) -> str:
    return mask_email(value) if column == "Email" else mask_phone(value) if column == "Phone" else value


def _alerts(cells: dict[str, Cell]) -> str:
    """What the row's Alerts cell asks for: "all" when it is empty, a placeholder or not in the file."""
    return cells[ALERTS_COLUMN].value.casefold() or "all" if ALERTS_COLUMN in cells else "all"


def _check_row(
    row: int, cells: dict[str, Cell], known: dict[str, str], default_region: str
) -> tuple[Contact | None, list[Problem]]:
    """Validate one row: endpoints are dropped one by one, the row only when nothing usable is left."""
    name, email, phone, department = (cells[c].value for c in COLUMNS)
    dept = known.get(department.casefold(), "")
    alerts = _alerts(cells)
    problems: list[Problem] = []

    def problem(column: str, value: str, reason: str, effect: str) -> None:
        problems.append(Problem(row, column, value, reason, effect, dept))

    for column in COLUMNS:
        if looks_like_formula(column, cells[column].value):
            shown = "" if column == "Name" else _mask(column, cells[column].value)
            problem(column, shown, "looks like a spreadsheet formula", "row rejected")
    if len(name) > MAX_NAME:
        problem("Name", "", f"is longer than {MAX_NAME} characters", "row rejected")
    if any(p.effect == "row rejected" for p in problems):
        return None, problems
    if email:
        try:
            email = normalize_email(email)
        except EmailNotValidError as err:
            problem("Email", mask_email(email), f"is not a valid address: {err}", "endpoint dropped")
            email = ""
    if phone:
        try:
            phone = normalize_phone(phone, default_region)
        except ValueError as err:
            problem("Phone", mask_phone(phone), str(err), "endpoint dropped")
            phone = ""
    if alerts not in ALERT_CHOICES:
        reason = f"is not one of {', '.join(ALERT_CHOICES)}; its subscriptions stay as they are until it is"
        problem(ALERTS_COLUMN, alerts, reason, "row rejected")
    if not name:
        typed = cells["Name"].typed
        problem("Name", typed, "is a placeholder, not a name" if typed else "is empty", "row rejected")
    if not dept:
        typed = cells["Department"].typed
        problem("Department", typed, f"is not one of {', '.join(known.values())}", "row rejected")
    if not email and not phone and name and dept:
        problem("Email/Phone", "", "no valid email or phone left", "row rejected")
    if any(p.effect == "row rejected" and p.column != ALERTS_COLUMN for p in problems):
        return None, problems
    return Contact(row, name, email, phone, dept, alerts), problems  # alerts may be unreadable: see below


def _valid_endpoints(cells: dict[str, Cell], default_region: str) -> list[tuple[str, str]]:
    """The (protocol, endpoint) pairs of a row that are valid on their own."""
    endpoints = []
    for protocol, value, normalize in (
        ("email", cells["Email"].value, normalize_email),
        ("sms", cells["Phone"].value, lambda v: normalize_phone(v, default_region)),
    ):
        try:
            endpoints.append((protocol, normalize(value)))
        except (EmailNotValidError, ValueError):
            continue
    return endpoints


def _endpoints(contact: Contact) -> list[tuple[str, str]]:
    return [(p, e) for p, e in (("email", contact.email), ("sms", contact.phone)) if e]


def _conflicts(contacts: list[Contact]) -> list[Problem]:
    """Rows listing one endpoint in one department with different Alerts: every one of them is a problem.

    No row wins: which one came first in the file must not decide what a director hears. An unreadable
    Alerts value differs from every other (`all` beside `critical only` may be what was meant, or not).
    """
    listed: dict[tuple[str, str, str], list[Contact]] = defaultdict(list)
    for contact in contacts:
        for protocol, endpoint in _endpoints(contact):
            listed[(contact.department, *endpoint_key(protocol, endpoint))].append(contact)
    problems = []
    for (dept, protocol, _), rows in listed.items():
        choices = sorted({c.alerts for c in rows})
        if len(choices) == 1:
            continue
        shown = mask_endpoint(protocol, min(e for c in rows for p, e in _endpoints(c) if p == protocol))
        for contact in rows:
            others = ", ".join(str(c.row) for c in rows if c.row != contact.row)
            reason = (
                f"differs from row {others}, which lists {shown} in {dept} too ({' vs '.join(choices)}); "
                "its subscription stays as it is until the rows agree"
            )
            problems.append(Problem(contact.row, ALERTS_COLUMN, contact.alerts, reason, "row rejected", dept))
    return problems


def parse_contacts(
    source: Source,
    departments: list[str],
    default_region: str = "US",
    on_invalid_row: str = "skip",
    max_contacts: int = 5000,
) -> ContactsFile:
    """Validate every row; with `on_invalid_row: fail` any problem stops the sync before any change.

    A file longer than `max_contacts` is refused whole: it is most likely the wrong file.
    """
    if on_invalid_row not in ON_INVALID_ROW:
        raise ValueError(f"on_invalid_row must be one of {', '.join(ON_INVALID_ROW)}, not {on_invalid_row!r}")
    frame = read_csv_text(source)
    columns = find_columns(frame, COLUMNS, source.uri)
    alerts_column = next((c for c in frame.columns if c.casefold() == ALERTS_COLUMN.casefold()), None)
    if alerts_column:
        columns[ALERTS_COLUMN] = alerts_column
    result = ContactsFile(
        ignored_columns=[c for c in frame.columns if c not in columns.values()],
        has_alerts_column=alerts_column is not None,
    )
    if frame.empty:
        raise SourceError(f"{source.uri}: no contacts in the file (only a header)")
    if len(frame) > max_contacts:
        raise SourceError(
            f"{source.uri}: {len(frame)} rows, more than max_contacts ({max_contacts}): "
            "is this the contacts file? Raise max_contacts if it is"
        )
    known = {d.casefold(): d for d in departments}
    rows = cast(dict[int, dict[str, str]], frame.to_dict("index"))  # keyed by line number: read_csv_text
    for row, raw in rows.items():
        cells = {c: read_cell(raw[col]) for c, col in columns.items()}
        contact, problems = _check_row(row, cells, known, default_region)
        result.problems.extend(problems)
        if contact:
            result.contacts.append(contact)  # one whose Alerts is unreadable is taken out with conflicts
        else:
            for endpoint in _valid_endpoints(cells, default_region):
                result.rejected_endpoints.setdefault(endpoint, row)  # rows come in order: the first
                if _alerts(cells) not in ALERT_CHOICES:  # rejected for more, its Alerts unreadable too
                    result.kept_endpoints.add(endpoint_key(*endpoint))
    _reject_conflicts(result)
    if result.problems and on_invalid_row == "fail":
        raise ContactsError(source.uri, result.problems)
    return result


def _reject_conflicts(result: ContactsFile) -> None:
    """Take the rows in conflict, and those whose Alerts is unreadable, out of the contacts; their
    endpoints are kept as they are in SNS. An unreadable row has its problem already."""
    unreadable = {c.row for c in result.contacts if c.alerts not in ALERT_CHOICES}
    conflicts = [p for p in _conflicts(result.contacts) if p.row not in unreadable]
    rows = {p.row for p in conflicts} | unreadable
    if not rows:
        return
    for contact in [c for c in result.contacts if c.row in rows]:
        for protocol, endpoint in _endpoints(contact):
            result.rejected_endpoints[(protocol, endpoint)] = min(
                contact.row, result.rejected_endpoints.get((protocol, endpoint), contact.row)
            )
            result.kept_endpoints.add(endpoint_key(protocol, endpoint))
    result.contacts = [c for c in result.contacts if c.row not in rows]
    result.problems = sorted([*result.problems, *conflicts], key=lambda p: p.row)


def masked_rows(contacts: list[Contact]) -> list[dict[str, str | int]]:
    """Contacts as table rows with email and phone masked, safe to print or record."""
    return [
        {
            "row": c.row,
            "name": c.name,
            "department": c.department,
            "email": mask_email(c.email) if c.email else "",
            "phone": mask_phone(c.phone) if c.phone else "",
            "alerts": c.alerts,
        }
        for c in contacts
    ]
