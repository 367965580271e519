"""A notebook read from a trail renders as HTML that cannot act, while our own facts read the same."""

from html.parser import HTMLParser

import nbformat
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from inert_html import active_content, has_csp

from backlog_alerts.trail.facts import FACTS_MIME, bundle
from backlog_alerts.trail.rendering import fact_html
from backlog_alerts.trail.sanitize import notebook_exporter, sanitizer, trail_notebook

ATTACKS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    '<a href="javascript:alert(1)">click</a>',
    '<a href="JaVa&#x09;Script:alert(1)">tab</a>',
    "<svg><script>alert(1)</script></svg>",
    '<svg onload="alert(1)"><a xlink:href="javascript:alert(1)">s</a></svg>',
    '<iframe src="https://example.org"></iframe>',
    '<div style="position:fixed;top:0;left:0;width:100%;height:100%;background:white">overlay</div>',
    '<p style="color:white;direction:rtl">hidden</p>',
    '<object data="x.swf"></object><embed src="x"><base href="https://evil/">',
    '<form action="https://evil/"><input name=a></form>',
    '<meta http-equiv="refresh" content="0;url=https://evil/">',
    "<style>body{display:none}</style>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "<!--<script>alert(1)</script>-->",
]


def tampered_notebook() -> nbformat.NotebookNode:
    html = "".join(ATTACKS)
    cell = nbformat.v4.new_code_cell("print(1)")
    cell.outputs = [
        nbformat.v4.new_output("display_data", data={"text/html": html, "text/plain": "x"}),
        nbformat.v4.new_output("display_data", data={"application/javascript": "alert(1)"}),
        nbformat.v4.new_output("display_data", data={"image/svg+xml": "<svg onload=alert(1)></svg>"}),
        nbformat.v4.new_output("display_data", data={"image/png": 'AAAA" onerror="alert(1)'}),
        nbformat.v4.new_output("execute_result", data={"text/html": html}, execution_count=1),
        nbformat.v4.new_output("stream", name="stdout", text=html),
    ]
    markdown = nbformat.v4.new_markdown_cell(
        "# Notes\n[click](javascript:alert(1)) ![i](javascript:alert(2)) <javascript:alert(3)>\n\n" + html
    )
    raw = nbformat.v4.new_raw_cell(html, metadata={"raw_mimetype": "text/html"})
    notebook = nbformat.v4.new_notebook(cells=[markdown, cell, raw])
    notebook.metadata["title"] = "</title><script>alert(1)</script>"
    state = {"state": {}, "version_major": 2, "version_minor": 0, "x": "</script><script>alert(1)</script>"}
    notebook.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": state}
    return notebook


@pytest.mark.parametrize("with_code", [False, True])
def test_nothing_in_a_notebook_from_the_trail_can_act_in_the_page(with_code):
    page, _ = notebook_exporter(with_code).from_notebook_node(trail_notebook(tampered_notebook(), "run 03"))
    assert active_content(page, depth=1) == []
    assert has_csp(page)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page  # shown as text: the tampering is visible
    assert "<title>run 03</title>" in page


def test_without_the_rebuild_and_the_sanitizer_the_same_notebook_acts():
    """The check above can fail: nbconvert's plain lab template lets every attack through."""
    from nbconvert import HTMLExporter

    page, _ = HTMLExporter(template_name="lab").from_notebook_node(tampered_notebook())
    assert len(active_content(page)) > 10


def test_only_base64_goes_into_an_image_and_only_known_outputs_are_kept():
    rebuilt = trail_notebook(tampered_notebook(), "t")
    kept = [sorted(o.get("data", {})) for o in rebuilt.cells[1].outputs]
    assert kept == [["text/html", "text/plain"], ["text/html"], []]  # no script, SVG or non-base64 image
    assert rebuilt.metadata == {"title": "t", "language_info": {"name": "python"}}


class _Shape(HTMLParser):
    """The tags and the text of a fragment, in order."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.items = []

    def handle_starttag(self, tag, attrs):
        self.items.append(tag)

    def handle_data(self, data):
        if self.items and self.items[-1] == "pre":  # as a browser reads it: one newline after <pre> is
            data = data.removeprefix("\n")  # not text (and a sanitizer that parses HTML drops it)
        if data:
            self.items.append(data)


def shape(html: str) -> list[str]:
    parser = _Shape()
    parser.feed(html)
    return parser.items


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)
ROWS = st.lists(
    st.dictionaries(st.sampled_from(["rule", "count", "to"]), JSON, min_size=1), min_size=1, max_size=3
)


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=12), JSON | ROWS)
@example("", "\n")  # a text that begins with a line break, in a <pre>
def test_our_own_facts_read_the_same_after_the_sanitizer(key, value):
    """Every tag and every text of a fact's HTML survives; only styles outside the allow-list go."""
    html = fact_html(key, value)
    assert shape(sanitizer().sanitize_html_tags(html)) == shape(html)


@pytest.mark.parametrize("style", ["padding:0 0 30000px 0", "min-width:90000px", "width:9000px", "margin:0"])
def test_no_style_from_the_trail_sizes_or_moves_text_only_aligns_and_wraps_it(style):
    clean = sanitizer().sanitize_html_tags(f'<p style="{style};text-align:left;white-space:pre-wrap">x</p>')
    assert clean == '<p style="text-align:left;white-space:pre-wrap;">x</p>'


def test_a_notebook_page_links_the_site_s_stylesheet_and_inlines_no_css():
    page, _ = notebook_exporter().from_notebook_node(trail_notebook(nbformat.v4.new_notebook(), "t"))
    assert '<link href="../style.css" rel="stylesheet"/>' in page
    assert "<style" not in page and len(page) < 1_000  # the lab template inlined 260 KB
    assert active_content(page, depth=1) == [] and active_content(page, depth=0) != []


def test_a_fact_is_laid_out_afresh_from_its_json_in_the_order_it_was_recorded():
    """nbformat stores the JSON's keys sorted; the recorded HTML keeps the order they were shown in."""
    rows = [{"rule": "potholes", "topic": "t", "action": "publish"}]
    data = bundle("alerts", rows)
    data["text/html"] = "<table><tr><th>rule</th><th>topic</th><th>action</th></tr></table>"  # an old layout
    data[FACTS_MIME]["value"] = [dict(sorted(rows[0].items()))]
    output = nbformat.v4.new_output("display_data", data=data)
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x", outputs=[output])])
    shown = trail_notebook(notebook, "t").cells[0].outputs[0].data["text/html"]
    assert shown == sanitizer().sanitize_html_tags(fact_html("alerts", rows))


def test_pandas_style_before_a_dataframe_is_left_out_and_any_other_style_shown_as_text():
    import pandas as pd

    frame = pd.DataFrame({"potholes": ["publish"]}, index=["2019-02"])._repr_html_()
    planted = frame.replace("vertical-align: middle;", "display: none;")
    outputs = [nbformat.v4.new_output("display_data", data={"text/html": h}) for h in (frame, planted)]
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x", outputs=outputs)])
    kept, tampered = (o.data["text/html"] for o in trail_notebook(notebook, "t").cells[0].outputs)
    assert "<style" not in kept and "style scoped" not in kept and "<table" in kept
    assert "&lt;style scoped&gt;" in tampered and "display: none" in tampered


STYLE_TEXT = st.lists(
    st.sampled_from(["text-align:left", "color:red", "position:fixed", "white-space:nowrap", "x", ";", " "]),
    max_size=5,
).map(";".join)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.one_of(
            STYLE_TEXT.map(lambda css: f'<td style="{css}">a</td>'),
            STYLE_TEXT.map(lambda css: f"<span style='{css}'>b</span><wbr>"),
            st.sampled_from(ATTACKS),
            st.text(max_size=8),
        ),
        max_size=8,
    ).map("".join)
)
def test_our_sanitizer_answers_as_nbconvert_s_own_with_the_same_allow_list(html):
    """The remembered CSS check changes no answer: what nbconvert's SanitizeHTML makes of any HTML, ours
    makes too, asked twice (the second answer from memory)."""
    from nbconvert.preprocessors.sanitize import SanitizeHTML

    from backlog_alerts.trail.sanitize import STYLES, TAGS, _allowed

    stock = SanitizeHTML(tags=TAGS, attributes=_allowed, styles=STYLES, strip=False, strip_comments=True)
    expected = stock.sanitize_html_tags(html)
    assert sanitizer().sanitize_html_tags(html) == expected
    assert sanitizer().sanitize_html_tags(html) == expected
