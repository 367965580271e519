"""Plain ASCII for what SNS only takes as ASCII: SMS texts, Subjects and topic DisplayNames."""

from __future__ import annotations

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
