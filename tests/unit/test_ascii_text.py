"""Text shown to people: plain ASCII for SNS, and every invisible or reordering character made visible."""

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from backlog_alerts.ascii_text import visible

HIDDEN = {"Cf", "Zl", "Zp"}


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("Ana \u202eLópez", "Ana <U+202E>López"),
        (
            "a\u2066b\u2069c\u200bd\u200fe\ufeff\u061c",
            "a<U+2066>b<U+2069>c<U+200B>d<U+200F>e<U+FEFF><U+061C>",
        ),
        ("one\u2028two\u2029", "one<U+2028>two<U+2029>"),
        ("clear\x1b[2J\rfake", "clear<U+001B>[2J<U+000D>fake"),
        ("Calles – Vías\tline\nnext", "Calles – Vías\tline\nnext"),  # letters, tabs and line breaks kept
        ("مرحبا שלום", "مرحبا שלום"),  # right-to-left letters are letters
    ],
)
def test_hidden_characters_are_shown_by_their_code_point(text, shown):
    assert visible(text) == shown


@given(st.text())
def test_nothing_shown_can_hide_or_reorder_text(text):
    shown = visible(text, lines=False)
    assert not [c for c in shown if unicodedata.category(c) in HIDDEN or unicodedata.category(c) == "Cc"]
    assert visible(shown, lines=False) == shown  # idempotent: what is shown is shown as it is
    markup = visible(text, markup=True)
    assert not [c for c in markup if unicodedata.category(c) in HIDDEN]
    assert "<U+" not in markup.replace(text, "") or "<U+" in text  # in HTML, the marks are escaped


def test_in_html_the_mark_is_escaped_text():
    assert visible("a\u202eb", markup=True) == "a&lt;U+202E&gt;b"
    assert visible("x\ny", lines=False) == "x<U+000A>y"


@given(st.text(), st.booleans(), st.booleans())
def test_only_hidden_characters_change_each_into_its_code_point(text, markup, lines):
    """The fast path (a regex over what is not printable ASCII) keeps the character-by-character rule."""
    left, right = ("&lt;", "&gt;") if markup else ("<", ">")
    kept = "\t\n" if lines else ""
    expected = "".join(
        f"{left}U+{ord(c):04X}{right}"
        if unicodedata.category(c) in HIDDEN or (unicodedata.category(c) == "Cc" and c not in kept)
        else c
        for c in text
    )
    assert visible(text, markup=markup, lines=lines) == expected
