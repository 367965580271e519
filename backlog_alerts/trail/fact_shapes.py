"""The shapes of the facts `audit` and `report` rely on, checked as a run folder is read back.

A trail is writable by the job's own role, so a fact read back may be anything JSON can hold. Each fact a
record, a row or a page is built from is checked here (pydantic, strict: no coercion) before it is used;
one of the wrong shape is left out and said (`not read: RUN/NOTEBOOK: fact KEY: ...`). Only the fields
that are used are checked, and extra fields are kept as recorded.
"""

from __future__ import annotations

from typing import Any, NotRequired

from pydantic import ConfigDict, TypeAdapter, ValidationError, with_config
from typing_extensions import TypedDict  # pydantic reads TypedDicts from here before 3.12

_STRICT = ConfigDict(strict=True)


@with_config(_STRICT)
class _Verdict(TypedDict):
    rule: str
    department: str
    action: str
    count: NotRequired[Any]
    severity: NotRequired[str]
    message_id: NotRequired[str | None]
    topic: NotRequired[str | None]
    error: NotRequired[str]
    note: NotRequired[str]


@with_config(_STRICT)
class _Reach(TypedDict):
    department: str
    people: int
    reached: NotRequired[list[str]]
    pending: NotRequired[list[str]]
    pending_since: NotRequired[list[str]]
    opted_out: NotRequired[list[str]]
    unverified: NotRequired[list[str]]
    unmanaged: NotRequired[list[str]]
    held_back: NotRequired[list[str]]
    cannot_tell: NotRequired[list[str]]


@with_config(_STRICT)
class _Topic(TypedDict):
    department: NotRequired[str]
    arn: NotRequired[str]


@with_config(_STRICT)
class _Message(TypedDict):
    rules: NotRequired[list[str]]
    topic: NotRequired[str]
    subject: NotRequired[str]
    sms: NotRequired[str]
    email: NotRequired[str]


@with_config(_STRICT)
class _SyncRow(TypedDict):
    department: NotRequired[str]
    add: NotRequired[int]
    remove: NotRequired[int]
    held: NotRequired[int]
    update: NotRequired[int]
    unchanged: NotRequired[int]
    pending: NotRequired[int]
    rejected_rows: NotRequired[int]


@with_config(_STRICT)
class _Notice(TypedDict):
    status: NotRequired[str]
    note: NotRequired[str]
    action: NotRequired[str]
    message_id: NotRequired[str]
    topic: NotRequired[str]
    sent_at: NotRequired[str]
    error: NotRequired[str]


@with_config(_STRICT)
class _Condition(TypedDict):
    kind: str
    text: str
    new: bool


@with_config(_STRICT)
class _Coverage(_Notice):
    action: str  # type: ignore[misc]
    message_id: str  # type: ignore[misc]
    conditions: list[_Condition]


@with_config(_STRICT)
class _Run(TypedDict):
    dry_run: NotRequired[bool]


@with_config(_STRICT)
class _Report(TypedDict):
    uri: NotRequired[str]
    status: NotRequired[str]
    period: NotRequired[str]
    etag: NotRequired[str | None]
    sha256: NotRequired[str | None]
    note: NotRequired[str]


@with_config(_STRICT)
class _ContactsFile(TypedDict):
    uri: NotRequired[str]
    etag: NotRequired[str | None]
    sha256: NotRequired[str | None]
    contacts: NotRequired[int]
    rejected_rows: NotRequired[int]
    problems: NotRequired[int]
    ignored_columns: NotRequired[list[str]]


@with_config(_STRICT)
class _Problem(TypedDict):
    effect: NotRequired[str]


_SHAPES: dict[str, TypeAdapter[Any]] = {
    "alerts": TypeAdapter(list[_Verdict]),
    "decisions": TypeAdapter(list[_Verdict]),
    "reach": TypeAdapter(list[_Reach]),
    "topics": TypeAdapter(list[_Topic]),
    "messages": TypeAdapter(list[_Message]),
    "sync_outcome": TypeAdapter(list[_SyncRow] | None),
    "sync_plan": TypeAdapter(list[_SyncRow] | None),
    "changes": TypeAdapter(list[dict[str, Any]] | None),
    "problems": TypeAdapter(list[_Problem]),
    "run": TypeAdapter(_Run),
    "report": TypeAdapter(_Report),
    "contacts_file": TypeAdapter(_ContactsFile),
    "report_notice": TypeAdapter(_Notice | None),
    "coverage": TypeAdapter(_Coverage | None),
}


def misshapen(facts: dict[str, Any]) -> dict[str, str]:
    """Each fact (by key) not of the shape the audit relies on, with where and what is wrong (the
    value itself is not quoted)."""
    wrong = {}
    for key, shape in _SHAPES.items():
        if key not in facts:
            continue
        try:
            shape.validate_python(facts[key])
        except ValidationError as err:
            first = err.errors()[0]
            where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in first["loc"][:3])
            wrong[key] = f"{where.lstrip('.') or 'value'}: {first['msg']}".lower()
    return wrong
