"""The contacts file's cell grammar, in one place: what a cell typed in a spreadsheet means.

Every cell is read by `read_cell` before anything else looks at it, in this order:

1. surrounding whitespace (and zero-width spaces) is trimmed;
2. a text-forcing apostrophe is dropped (`'0123`, `'mtanaka@...`: spreadsheets hide it, exports keep
   it), and Excel's text formula `="0123"` is unwrapped to `0123`;
3. a placeholder (`-`, `--`, `n/a`, `na`, `none`, `tbd`, `null`, `?`, `—`, any case) means no value.

Then `normalize_email` and `normalize_phone` say what an endpoint is, and `looks_like_formula` what a
spreadsheet would run. The row rules (what a missing value means in each column) are in contacts.py.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import phonenumbers
from email_validator import validate_email

PLACEHOLDERS = frozenset({"-", "--", "---", "n/a", "na", "none", "tbd", "null", "?", "—", "–"})
TRIMMED = " \t\n\r\f\v\u00a0\u200b\u200c\u200d\u2060\ufeff"  # str.strip's whitespace misses zero-width
TEXT_FORMULA = re.compile(r'="((?:[^"]|"")*)"')  # ="0123": Excel's way of keeping a cell as text
SCIENTIFIC = re.compile(r"[+-]?\d+(\.\d*)?[eE][+-]?\d+")  # 1.61956E+10: a spreadsheet's number format
WITHOUT_COUNTRY = (
    phonenumbers.CountryCodeSource.FROM_DEFAULT_COUNTRY,
    phonenumbers.CountryCodeSource.FROM_NUMBER_WITHOUT_PLUS_SIGN,  # 1 619 555 0100, read in the US
)


@dataclass(frozen=True)
class Cell:
    """One cell as meant: `value` is "" for an empty cell and for a placeholder, which `typed` keeps."""

    value: str
    typed: str  # trimmed, text-forcing marks dropped

    @property
    def placeholder(self) -> bool:
        return not self.value and bool(self.typed)


def read_cell(raw: str) -> Cell:
    """What a person meant by a cell: trimmed, text-forcing marks dropped, placeholders made empty."""
    text = raw.strip(TRIMMED)
    if text.startswith("'"):
        text = text[1:].strip(TRIMMED)
    if formula := TEXT_FORMULA.fullmatch(text):
        text = formula.group(1).replace('""', '"').strip(TRIMMED)
    if text.casefold() in PLACEHOLDERS:
        return Cell("", text)
    return Cell(text, text)


def looks_like_formula(column: str, value: str) -> bool:
    """`=HYPERLINK(...)`, `@SUM(...)`: a cell a spreadsheet would run; `+1 619...` is a phone number."""
    if column == "Phone" and value[:1] in "+-":
        return False
    return value[:1] in ("=", "@", "+", "-", "\t", "\r") if value else False


def endpoint_key(protocol: str, endpoint: str) -> tuple[str, str]:
    """Match key: an email address compares case-insensitively over its whole length.

    Mail systems treat `Dana.Okafor@` and `dana.okafor@` as one mailbox; matching them exactly would
    send every alert twice, and turn a change of case in the file into an unsubscribe and a new
    subscription that real SNS makes the director confirm again.
    """
    if protocol in ("email", "email-json"):
        return protocol, endpoint.strip().casefold()
    return protocol, endpoint.strip()


def normalize_email(value: str) -> str:
    """A syntactically valid address with its domain lower-cased; no DNS look-up."""
    return validate_email(value, check_deliverability=False).normalized


def normalize_phone(value: str, default_region: str) -> str:
    """E.164 (`+16195550100`). A number without `+country` is read in `default_region` and must be valid
    there: `(204) 234-5678` read in the US is a Canadian number that merely shares the calling code 1."""
    if SCIENTIFIC.fullmatch(value):
        raise ValueError(
            "is a number in scientific notation: the column was formatted as a number in a spreadsheet, "
            "which loses digits; format the Phone column as Text and enter the numbers again"
        )
    if any(ch.isalpha() for ch in value):
        raise ValueError("contains letters")
    try:
        number = phonenumbers.parse(value, default_region, keep_raw_input=True)
    except phonenumbers.NumberParseException as err:
        raise ValueError(str(err).split(") ", 1)[-1].rstrip(".").lower()) from err
    if number.country_code_source in WITHOUT_COUNTRY:
        if not phonenumbers.is_valid_number_for_region(number, default_region):
            raise ValueError(
                f"is not a valid {default_region} number (read in {default_region}, the "
                "default_phone_region; a number from elsewhere needs its +country code)"
            )
    elif not phonenumbers.is_valid_number(number):
        raise ValueError(f"is not a valid number for +{number.country_code}")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
