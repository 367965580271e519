"""Plain ASCII for what SNS only takes as ASCII (SMS texts, Subjects, topic DisplayNames), and text
shown to people with its invisible characters made visible."""

from __future__ import annotations

import re
import unicodedata

# Punctuation that has no ASCII decomposition but an obvious ASCII spelling (`Calles – Vías`).
_PUNCTUATION = str.maketrans(
    {"–": "-", "—": "-", "‐": "-", "‘": "'", "’": "'", "“": '"', "”": '"', "…": "...", "\u00a0": " "}
)


def plain_ascii(text: str) -> str:
    """`Violación` -> `Violacion`, `Calles – Vías` -> `Calles - Vias`: accents and marks are dropped."""
    spelled = unicodedata.normalize("NFKD", text.translate(_PUNCTUATION))
    return spelled.encode("ascii", "ignore").decode("ascii")


def topic_display_name(name: str) -> str:
    """A topic's DisplayName as SNS stores it and puts in front of each SMS: ASCII, single spaces."""
    return " ".join(plain_ascii(name).split())


# What `visible` must look at: all but printable ASCII (and tabs and line breaks where they are kept);
# matched by a regex, so the text's plain runs are copied in C rather than a character at a time.
_UNPLAIN = {True: re.compile(r"[^\t\n\x20-\x7e]"), False: re.compile(r"[^\x20-\x7e]")}


def _hidden(char: str, kept: str) -> bool:
    """Format characters (bidi overrides and isolates, zero-width spaces and joiners, U+FEFF, U+061C,
    soft hyphen, tags), line and paragraph separators, and controls other than those `kept`."""
    category = unicodedata.category(char)
    return category in ("Cf", "Zl", "Zp") or (category == "Cc" and char not in kept)


def visible(text: str, markup: bool = False, lines: bool = True) -> str:
    """Text that cannot disguise itself: each invisible or reordering character is shown by its code
    point, a right-to-left override as `<U+202E>` (`&lt;U+202E&gt;` inside HTML: `markup`). Tabs and
    line breaks are kept, unless the text must stay on one line (`lines=False`)."""
    if text.isascii() and text.isprintable():
        return text
    left, right = ("&lt;", "&gt;") if markup else ("<", ">")
    kept = "\t\n" if lines else ""
    return _UNPLAIN[lines].sub(
        lambda m: f"{left}U+{ord(c):04X}{right}" if _hidden(c := m.group(), kept) else c, text
    )
