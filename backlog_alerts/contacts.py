"""The contacts file: who should hear about which department, validated before anything changes."""

from __future__ import annotations

from dataclasses import dataclass

import phonenumbers
from email_validator import EmailNotValidError, validate_email

from backlog_alerts.masking import mask_email, mask_phone
from backlog_alerts.sources import Source, SourceError, find_columns, read_csv_text

COLUMNS = ["Name", "Email", "Phone", "Department"]


class ContactsError(SourceError):
    """Rows of the contacts file that cannot be used; each problem names its row and column."""

    def __init__(self, uri: str, problems: list[str]):
        self.problems = problems
        listed = "; ".join(problems[:5]) + (f"; and {len(problems) - 5} more" if len(problems) > 5 else "")
        super().__init__(f"{uri}: {len(problems)} problem(s): {listed}")


@dataclass(frozen=True)
class Contact:
    """One director's row, with endpoints normalized (email domain lower-cased, phone in E.164)."""

    row: int
    name: str
    email: str
    phone: str
    department: str


def normalize_email(value: str) -> str:
    """A syntactically valid address with its domain lower-cased; no DNS look-up."""
    return validate_email(value, check_deliverability=False).normalized


def normalize_phone(value: str, default_region: str) -> str:
    """E.164 (`+16195550100`); numbers without `+country` are read in `default_region`."""
    number = phonenumbers.parse(value, default_region)
    if not phonenumbers.is_valid_number(number):
        raise ValueError("not a valid phone number for its region")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def parse_contacts(source: Source, departments: list[str], default_region: str = "US") -> list[Contact]:
    """Every row checked; any problem fails the whole file so that nothing is half-applied."""
    frame = read_csv_text(source)
    columns = find_columns(frame, COLUMNS, source.uri)
    known = {d.casefold(): d for d in departments}
    contacts: list[Contact] = []
    problems: list[str] = []
    for index, raw in enumerate(frame.to_dict("records")):
        row = index + 2  # the header is row 1, as a spreadsheet shows it
        name, email, phone, department = (raw[columns[c]] for c in COLUMNS)
        row_problems = []
        if not name:
            row_problems.append(f"row {row}, Name: empty")
        if department.casefold() not in known:
            row_problems.append(
                f"row {row}, Department: {department!r} is not one of {', '.join(departments)}"
            )
        if not email and not phone:
            row_problems.append(f"row {row}: neither Email nor Phone given")
        if email:
            try:
                email = normalize_email(email)
            except EmailNotValidError as err:
                row_problems.append(f"row {row}, Email: {mask_email(email)} is invalid ({err})")
        if phone:
            try:
                phone = normalize_phone(phone, default_region)
            except (phonenumbers.NumberParseException, ValueError) as err:
                row_problems.append(f"row {row}, Phone: {mask_phone(phone)} is invalid ({err})")
        if row_problems:
            problems.extend(row_problems)
            continue
        contacts.append(Contact(row, name, email, phone, known[department.casefold()]))
    if problems:
        raise ContactsError(source.uri, problems)
    if not contacts:
        raise SourceError(f"{source.uri}: no contacts in the file")
    return contacts


def masked_rows(contacts: list[Contact]) -> list[dict[str, str | int]]:
    """Contacts as table rows with email and phone masked, safe to print or record."""
    return [
        {
            "row": c.row,
            "name": c.name,
            "department": c.department,
            "email": mask_email(c.email) if c.email else "",
            "phone": mask_phone(c.phone) if c.phone else "",
        }
        for c in contacts
    ]
