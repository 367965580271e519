"""Masking of personal data: everything we print or record shows contacts only in this form.

Invariant: every free text we write (errors, log lines, recorded facts, notices, notebook outputs)
passes `mask_text`, so an email address or phone number copied from a contacts cell into a message
shows only as `d*****@example.gov`, `+1******0101` or `0******3456`, whatever route it took.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

# Generous on purpose: a local part of RFC 5322 characters (also '*', so masking twice changes nothing;
# not URL or quoting characters, which surround addresses), `@` or URL-encoded `%40`, and a domain whose
# last label starts with a letter (not `pkg@1.2.10`), or a single label of letters (`ann.b@EXAMPLE`, an
# intranet address; `HEAD@{0}` has none).
_EMAIL = re.compile(
    r"(?P<local>[\w!#$*+^`{|}~-][\w!#$'*+^`{|}~.-]*)(?P<at>@|%40)"
    r"(?P<domain>(?:[^\W_][\w-]*\.)+[^\W\d_][\w-]*|[^\W\d_]+(?![\w-]))"
)
# A run of digits with the separators people type (`+1 (619) 555-0101`, `619.555.0101`): only such
# runs, with some context, go to phonenumbers, so long texts cost little.
_DIGIT_RUN = re.compile(r"[+(]*\d(?:[ \t\u00a0().\-/]{0,3}\d)+\)?")
_DATE = re.compile(r"\d{4}-\d\d-\d\d")
# A number written with its trunk `0` or the international `00` (`07911 123456`, `020 7946 0958`,
# `04 12 34 56 78`, `(020) 7946 0958`, `0033 1 41 23 45 67`), in any region: groups of digits with one
# separator between them (a table's columns have two spaces), at most one group of one digit (`0 0 1 0`
# is counts).
_PREFIXED = re.compile(r"(?:\(0\d{1,5}\) ?|0\d*)(?:[ \u00a0.\-/]?\d+)+")
_GROUP = re.compile(r"\d+")
_DAY_FIRST_DATE = re.compile(r"\d\d?[./-]\d\d?[./-]\d{4}")
# Characters people paste into numbers, each folded to its ASCII form one for one (full-width digits and
# plus, dashes, thin and narrow spaces), and `+ 33` read as ` +33`, so that `＋３３ ６…`, `06–12–34…` and
# `+ 33 6 12…` are found like their plain forms.
_FOLD = str.maketrans(
    {
        **{chr(0xFF10 + d): str(d) for d in range(10)},
        "\uff0b": "+",
        **dict.fromkeys(["\u2010", "\u2011", "\u2012", "\u2013", "\u2014", "\u2015", "\u2212"], "-"),
        **dict.fromkeys(["\u2007", "\u2009", "\u200a", "\u202f", "\u3000"], " "),
    }
)
_PLUS_SPACE = re.compile(r"\+ (?=\d)")
_JOINERS = "-./"  # `abcdefab-0123-4567-8901-...`, `runs/0123456789/`: digits that are part of an id
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
    if "." not in domain and not any(c.isalpha() for c in local):  # a key such as `2026-11@10.0@over`
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


def _joined(text: str, start: int, end: int) -> bool:
    """Is the digit run text[start:end] part of a longer word: glued to a letter or digit, or to one through
    `-./` (a UUID's group), `_`, or a time's `:` (`14:00:00.0123456789`; `Phone:0791...` is not)."""
    before, after = text[max(0, start - 2) : start], text[end : end + 2]
    if before[-1:] == "_" or after[:1] in ("_", ":"):  # `:` after: a time (`01/03/2019 14:00`), an ARN
        return True
    if before[-1:].isalnum() or after[:1].isalnum():
        return True
    if (
        len(before) == 2
        and _alnum(before[0])
        and (before[1] in _JOINERS or before[1] == ":" and before[0].isdigit())
    ):
        return True
    return len(after) == 2 and after[0] in _JOINERS and _alnum(after[1])


def _prefixed_spans(text: str) -> list[tuple[int, int, str]]:
    """(start, end, masked) of each number written with a trunk `0` or international `00` prefix, in no
    particular region: 9 to 15 digits, not part of an id, no date or fraction, not the 12 bare digits of
    an AWS account id. `00` numbers are masked as their `+country` form (`+4*******3456`), the others keep
    the `0` and the last four digits (`0******3456`)."""
    import phonenumbers

    spans: list[tuple[int, int, str]] = []
    for run in _PREFIXED.finditer(text):
        start, end = run.span()
        digits = "".join(c for c in run.group() if c.isdigit())
        if (
            not 9 <= len(digits) <= 15
            or _joined(text, start, end)
            or _DATE.search(run.group())
            or _DAY_FIRST_DATE.search(run.group())
            or run.group()[:2] in ("0.", "0,")  # a decimal fraction
            or sum(len(group) == 1 for group in _GROUP.findall(run.group())) > 1
            or (run.group().isdigit() and len(digits) == 12 and not digits.startswith("00"))
        ):
            continue
        masked = digits[0] + "*" * (len(digits) - 5) + digits[-4:]
        if digits.startswith("00"):
            try:
                number = phonenumbers.parse("+" + digits[2:])
            except phonenumbers.NumberParseException:
                number = None
            if number is not None and phonenumbers.is_possible_number(number):
                masked = mask_phone(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))
        spans.append((start, end, masked))
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
    folded = _PLUS_SPACE.sub(" +", text.translate(_FOLD))  # same length: spans found there fit `text`
    taken: list[tuple[int, int, str]] = []
    for span in sorted(_phone_spans(folded) + _prefixed_spans(folded), key=lambda s: (s[0], -s[1])):
        if not taken or span[0] >= taken[-1][1]:
            taken.append(span)
    for start, end, masked in reversed(taken):
        start -= start > 0 and folded[start] == "+" and text[start - 1] == "+"  # the `+` of `+ 33`
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
