"""Masking of personal data: everything we print or record shows contacts only in this form.

Invariant: every free text we write (errors, log lines, recorded facts, notices, notebook outputs)
passes `mask_text`, so an email address or phone number copied from a contacts cell into a message
shows only as `d*****@example.gov` or `+1******0101`, whatever route it took.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

# Generous on purpose: a local part of RFC 5322 characters (also '*', so masking twice changes nothing;
# not URL or quoting characters, which surround addresses), `@` or URL-encoded `%40`, and a domain whose
# last label starts with a letter (not `pkg@1.2.10`).
_EMAIL = re.compile(
    r"(?P<local>[\w!#$*+^`{|}~-][\w!#$'*+^`{|}~.-]*)(?P<at>@|%40)(?P<domain>(?:[^\W_][\w-]*\.)+[^\W\d_][\w-]*)"
)
# A run of digits with the separators people type (`+1 (619) 555-0101`, `619.555.0101`): only such
# runs, with some context, go to phonenumbers, so long texts cost little.
_DIGIT_RUN = re.compile(r"[+(]*\d(?:[ \t\u00a0().\-/]{0,3}\d)+\)?")
_DATE = re.compile(r"\d{4}-\d\d-\d\d")
_CONTEXT = 20  # characters each side: lets phonenumbers see a timestamp's `:00` and refuse it


def mask_email(address: str) -> str:
    """Keep the first letter and the domain so a reviewer can tell contacts apart, hide the rest
    (a whole cell too: `a@x.gov; b@y.gov` keeps no second address after the first `@`)."""
    local, sep, domain = address.partition("@")
    if not sep:
        return "*" * 5
    return f"{local[:1]}*****@{mask_text(domain) if '@' in domain or '%40' in domain else domain}"


def mask_phone(number: str) -> str:
    """Keep the country prefix and last four digits (`+1******0100`), as phone bills do."""
    if len(number) <= 6:
        return "*" * len(number)
    return number[:2] + "*" * (len(number) - 6) + number[-4:]


def mask_endpoint(protocol: str, endpoint: str) -> str:
    """Mask an SNS endpoint by its protocol; queue and function ARNs are not personal data."""
    if protocol == "email" or protocol == "email-json":
        return mask_email(endpoint)
    if protocol == "sms":
        return mask_phone(endpoint)
    return endpoint


def _masked_email(match: re.Match[str]) -> str:
    local, at, domain = match.group("local", "at", "domain")
    if local == "*****":  # masked already (`=*****@x.gov`: its first character was not a local part's)
        return match.group()
    return mask_email(f"{local}@{domain}").replace("@", at, 1)


def _alnum(char: str) -> bool:
    return char.isascii() and char.isalnum()


def _worth_reading(run: str) -> bool:
    """Can this digit run hold a number as people write them: `+country` and 8 to 15 digits, or at least
    the ten digits of a US number (one run of 12 or more digits, like an AWS account id, is none)."""
    digits = sum(c.isdigit() for c in run)
    if run.lstrip("(").startswith("+"):
        return digits >= 8
    return digits == 10 or digits == 11 or (digits > 11 and not run.isdigit())


def _phone_spans(text: str) -> list[tuple[int, int, str]]:
    """(start, end, masked) of each phone number in `text`, found by phonenumbers.

    Only digit runs not glued to letters or digits are read (a UUID's, ETag's or run id's digits are);
    there phonenumbers must find a valid US number, or a possible one written with `+country`, with
    no date in it (`2019-03-01 14`) and not followed by a time (`2019-03-01 14:00`).
    """
    import phonenumbers  # ~20 ms: only when a text has a long enough digit run

    spans: list[tuple[int, int, str]] = []
    for run in _DIGIT_RUN.finditer(text):
        start, end = run.span()
        glued = (start and _alnum(text[start - 1])) or (end < len(text) and _alnum(text[end]))
        if glued or not _worth_reading(run.group()):
            continue
        offset = max(0, start - _CONTEXT)
        before = "".join(c if c.isalnum() else " " for c in text[offset:start])  # `([` there hides a number
        window = before + text[start : end + _CONTEXT]
        plus = run.group().lstrip("(").startswith("+")
        region, leniency = (
            ("ZZ", phonenumbers.Leniency.POSSIBLE) if plus else ("US", phonenumbers.Leniency.VALID)
        )
        for found in phonenumbers.PhoneNumberMatcher(window, region, leniency=leniency):
            first, last = max(found.start + offset, start), min(found.end + offset, end)
            if first < last and not _DATE.search(found.raw_string):
                e164 = phonenumbers.format_number(found.number, phonenumbers.PhoneNumberFormat.E164)
                spans.append((first, last, mask_phone(e164)))
    return spans


@lru_cache(maxsize=4096)
def mask_text(text: str) -> str:
    """`text` with every email-like and phone-like part masked as `mask_email`/`mask_phone` would.

    Dates, timestamps, run ids, counts, UUIDs, ETags and hashes are left as they are.
    """
    if "@" in text or "%40" in text:
        text = _EMAIL.sub(_masked_email, text)
    if sum(c.isdigit() for c in text) < 7:
        return text
    taken: list[tuple[int, int, str]] = []
    for span in sorted(_phone_spans(text), key=lambda s: (s[0], -s[1])):
        if not taken or span[0] >= taken[-1][1]:
            taken.append(span)
    for start, end, masked in reversed(taken):
        text = text[:start] + masked + text[end:]
    return text


def mask_value(value: Any) -> Any:
    """Every string inside JSON-like data (dicts, lists) masked with `mask_text`; keys and the rest kept."""
    if isinstance(value, str):
        return mask_text(value)
    if isinstance(value, dict):
        return {key: mask_value(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [mask_value(item) for item in value]
    return value
