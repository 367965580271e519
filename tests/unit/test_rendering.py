"""What a person sees of a recorded fact: escaped, whole, line breaks kept; the JSON unchanged."""

from dataclasses import dataclass
from html.parser import HTMLParser

import nbformat
import pytest
from hypothesis import given
from hypothesis import strategies as st
from nbformat.v4 import new_code_cell, new_notebook, new_output

from backlog_alerts.ascii_text import visible
from backlog_alerts.trail.executed import read_facts
from backlog_alerts.trail.facts import FACTS_MIME, bundle
from backlog_alerts.trail.rendering import CHUNK, HARD, WHOLE, breakable, chunks, fact_html, fact_text


class Tags(HTMLParser):
    """The start tags of an HTML fragment and its text, to check structure without string matching."""

    def __init__(self, fragment):
        super().__init__()
        self.tags, self.text = [], []
        self.feed(fragment)

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)

    def handle_data(self, data):
        self.text.append(data)


def test_a_list_of_dicts_is_a_captioned_table_with_every_column():
    page = Tags(
        fact_html("topics", [{"department": "trash", "created": True}, {"department": "ops", "arn": "a"}])
    )
    assert page.tags.count("tr") == 3 and page.tags.count("th") == 3 and "caption" in page.tags
    assert page.text[:6] == ["topics", " (2 rows)", "department", "created", "arn", "trash"]
    assert "true" in page.text


def test_markup_in_values_and_keys_is_escaped():
    shown = fact_html("a<b", {"subject": "<script>alert(1)</script> & co"})
    assert "<script>" not in shown and "&lt;script&gt;alert(1)&lt;/script&gt; &amp; co" in shown
    assert "a&lt;b" in shown


def test_multi_line_and_long_texts_keep_their_line_breaks_in_pre_and_are_not_cut():
    email = "WARNING backlog alert\n\n- Pothole: 163 open requests\n" + "x" * 300
    page = Tags(fact_html("messages", [{"email": email, "sms": "short"}]))
    assert page.tags.count("pre") == 1
    assert email in "".join(page.text)  # whole, with its real line breaks
    assert Tags(fact_html("m", [{"note": "word " * 20}])).tags.count("pre") == 1
    assert Tags(fact_html("m", [{"uri": "s3://b/" + "k/" * 50}])).tags.count("pre") == 0  # one token


def test_nested_values_render_as_nested_lists_and_tables():
    value = {"summary": "two sent", "rules": [{"rule": "potholes", "message_id": "m-1"}], "tags": ["a", "b"]}
    page = Tags(fact_html("run_summary", value))
    assert page.tags[:3] == ["figure", "figcaption", "code"]
    assert page.tags.count("dl") == 1 and page.tags.count("table") == 1
    assert "a, b" in page.text and "m-1" in page.text


def test_empty_lists_and_dicts_say_none():
    assert "<em>none</em>" in fact_html("problems", [])
    assert "(0 rows)" in fact_html("problems", [])
    assert fact_text("problems", []) == "problems (0 rows)\n  (none)"
    assert "<em>none</em>" in fact_html("x", {"ignored_columns": []})
    assert Tags(fact_html("report", {"note": "", "services": "5"})).text == [
        "report",
        "note",
        "none",
        "services",
        "5",
    ]


def test_plain_text_is_one_indented_block_per_row_with_line_breaks_kept():
    text = fact_text(
        "messages", [{"subject": "[WARNING] Pothole", "email": "line 1\n\nline 3", "rules": ["p"]}]
    )
    assert text.splitlines() == [
        "messages (1 row)",
        "  - subject: [WARNING] Pothole",
        "    email:",
        "      line 1",
        "      ",
        "      line 3",
        "    rules: p",
    ]
    assert fact_text("run", {"dry_run": False, "region": None}) == "run\n  dry_run: false\n  region: "


@dataclass
class Topic:
    department: str
    arn: str


def test_the_bundle_keeps_the_json_exactly_and_read_facts_reads_it(tmp_path):
    data = bundle("topics", [Topic("trash", "arn:1")])
    assert data[FACTS_MIME] == {"key": "topics", "value": [{"department": "trash", "arn": "arn:1"}]}
    assert "arn:1" in data["text/html"] and "arn: arn:1" in data["text/plain"]
    notebook = new_notebook(cells=[new_code_cell("x", outputs=[new_output("display_data", data=data)])])
    nbformat.write(notebook, str(tmp_path / "n.ipynb"))
    assert read_facts(tmp_path / "n.ipynb") == {"topics": [{"department": "trash", "arn": "arn:1"}]}


UUID = "f88de2ae-cafe-4925-bc28-c6dcd88f8de4"
ARN = "arn:aws:sns:us-east-1:123456789012:streets_notifications"
SHA = "9bdd880ee515b403d90ae105177e574169c43b42845904a2dfc846e839de70ee"


@pytest.mark.parametrize(
    ("token", "pieces"),
    [
        (UUID, ["f88de2ae-cafe-4925-bc28-", "c6dcd88f8de4"]),  # two lines at most
        (ARN, ["arn:aws:sns:us-east-1:", "123456789012:", "streets_notifications"]),
        (
            "s3://backlog-alerts-demo-reports/2019/feb/final_report.csv",
            ["s3://backlog-alerts-", "demo-reports/2019/feb/", "final_report.csv"],
        ),
        (SHA, [SHA]),  # no separator: whole
        ("20261205T150737.555525Z", ["20261205T150737.555525Z"]),  # a run id: whole
        ("j***@e***-very-long-domain-name.example.com", ["j***@e***-very-long-domain-name.example.com"]),
        ("+1******0101", ["+1******0101"]),
    ],
)
def test_identifiers_break_only_between_separated_chunks(token, pieces):
    assert chunks(token) == pieces
    assert breakable(token).count("<wbr>") == len(pieces) - 1


TOKENS = st.text(alphabet=st.sampled_from("ab09-:/._*@"), max_size=150)


@given(TOKENS)
def test_a_token_breaks_only_after_a_separator_and_no_chunk_is_wider_than_hard(token):
    pieces = chunks(token)
    assert "".join(pieces) == token
    assert all(len(p) <= HARD for p in pieces)
    if len(token) <= WHOLE or "*" in token:
        assert len(pieces) <= 1  # short and masked values never break
    for piece in pieces[:-1]:  # after a separator, or inside a separator-less run over HARD
        assert piece[-1] in "-:/." or (len(piece) == CHUNK and not set(piece) & set("-:/."))


@given(st.text(alphabet=st.sampled_from("ab09-:/._*@ <&\n\u202e"), max_size=200))
def test_breakable_text_reads_as_the_text_with_hidden_characters_shown(text):
    shown = Tags(f"<p>{breakable(text)}</p>")
    assert "".join(shown.text) == visible(text)
    assert set(shown.tags) <= {"p", "span", "wbr"}


def test_masked_values_and_free_text_wrap_only_at_spaces():
    assert breakable("sent to j***@e***.com and +1******0101 today") == (
        'sent to <span style="white-space:nowrap">j***@e***.com</span> and '
        '<span style="white-space:nowrap">+1******0101</span> today'
    )


def test_a_fact_too_wide_for_a_page_shows_its_records_as_columns_a_few_to_a_table():
    row = {f"column_{i}": UUID for i in range(10)}
    narrow = Tags(fact_html("ok", [{"rule": "potholes", "topic": ARN}] * 3))
    assert narrow.tags.count("table") == 1 and narrow.text[2:4] == ["rule", "topic"]
    wide = Tags(fact_html("wide", [row] * 9))
    assert wide.tags.count("table") == 3  # 3 records of 26 characters to a table of at most WIDE
    assert wide.text[:5] == ["wide", " (9 rows)", "row 1", "row 2", "row 3"]
    assert wide.text.count("column_0") == 3 and "".join(wide.text).count(UUID) == 90


def test_only_a_run_longer_than_a_sha_256_without_separators_is_cut_and_into_chunk_pieces():
    assert chunks("ab" * 100) == ["ab" * (CHUNK // 2)] * 8 + ["ab" * 4]
