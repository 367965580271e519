"""Executed notebooks from a trail as HTML that cannot act: no script, event handler, `javascript:` URL,
frame, SVG, form or overlaying style survives, and nothing is fetched but the site's own stylesheet.

A trail is writable by the job's own role, so an executed notebook is taken as untrusted input. It is
rebuilt from the parts we show (cell sources, text, HTML, PNG and JPEG outputs; no metadata, widget
state or attachments; a recorded fact's HTML made afresh from its JSON, so every run's facts are laid
out alike, old runs' too), its HTML outputs and rendered Markdown pass nbconvert's own sanitizer
(`SanitizeHTML`, bleach) with the allow-list below, the template's own scripts are left out, and every
page carries a Content-Security-Policy that forbids script and remote loads as a second layer.
Our facts' HTML (`rendering.fact_html`) is within the allow-list, so it reads the same.
"""

from __future__ import annotations

import base64
import binascii
import functools
import re
from contextlib import suppress
from html.parser import HTMLParser
from typing import Any

import bleach
from bleach.css_sanitizer import CSSSanitizer
from jinja2 import DictLoader, pass_context
from nbconvert import HTMLExporter
from nbconvert.filters.markdown_mistune import IPythonRenderer, MarkdownWithMath
from nbconvert.preprocessors.sanitize import SanitizeHTML
from nbformat import NotebookNode
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from backlog_alerts.trail.facts import FACTS_MIME
from backlog_alerts.trail.rendering import fact_html
from backlog_alerts.trail.site_page import CSP_META, stylesheet_link

TAGS = [
    *("a", "abbr", "b", "blockquote", "br", "caption", "code", "dd", "del", "div", "dl", "dt", "em"),
    *("figcaption", "figure", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "kbd", "li", "ol", "p"),
    *("pre", "s", "span", "strong", "sub", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "tr"),
    *("u", "ul", "wbr"),
]
# Only what aligns, wraps or weights text: nothing that positions, moves (margins), sizes (padding,
# widths: `padding:0 0 30000px 0` pushes real rows out of view), hides, recolours or reorders text (no
# position, margin, padding, width, color, display, direction, unicode-bidi, font-size).
STYLES = [
    *("text-align", "vertical-align", "white-space", "word-break", "overflow-wrap"),
    *("font-weight", "font-style"),
]
_ATTRIBUTES = {"a": {"href", "title"}, "td": {"colspan", "rowspan"}, "th": {"colspan", "rowspan"}}


def _allowed(tag: str, name: str, value: str) -> bool:
    """`style` anywhere (its properties filtered to STYLES), a link's target, table spans, heading ids.
    bleach itself drops a link whose scheme is not http, https or mailto."""
    return name == "style" or name in _ATTRIBUTES.get(tag, ()) or (name == "id" and tag[0] == "h")


class _Styles(CSSSanitizer):
    """bleach's CSS sanitizer, remembering its answers: a facts table repeats a handful of `style`
    values on each of its cells (36,000 for a plan of 4,000 changes), and each was parsed anew."""

    @functools.lru_cache(maxsize=1024)  # noqa: B019 (one instance, kept for the process: _STYLES)
    def sanitize_css(self, style: str) -> str:
        return str(super().sanitize_css(style))


_STYLES = _Styles(allowed_css_properties=STYLES)


class _Sanitizer(SanitizeHTML):
    """nbconvert's sanitizer, its CSS checked by `_STYLES` (nbconvert makes a new CSS sanitizer per call):
    the CSS allow-list is STYLES, whatever `styles` says."""

    def sanitize_html_tags(self, html_str: str) -> str:
        return str(
            bleach.clean(
                html_str,
                tags=self.tags,
                attributes=self.attributes,
                strip=self.strip,
                strip_comments=self.strip_comments,
                css_sanitizer=_STYLES,
            )
        )


def sanitizer() -> SanitizeHTML:
    """nbconvert's sanitizer with our allow-list; what it does not allow is shown escaped, as text."""
    return _Sanitizer(tags=TAGS, attributes=_allowed, strip=False, strip_comments=True)


_TEXT_DATA = ("text/plain", "text/html")
_IMAGES = ("image/png", "image/jpeg")


# The <style> pandas puts before every DataFrame's table (it only aligns the table's headers): left out,
# where any other <style> is shown as text, or each DataFrame would begin with a paragraph of CSS.
_PANDAS_STYLE = re.compile(
    r"<style scoped>\s*(?:\.dataframe [a-z :()-]+\{\s*(?:vertical|text)-align: [a-z]+;\s*\}\s*)+</style>"
)


def _text(value: Any) -> str:
    """A notebook text field (a string, or nbformat's list of lines); anything else is no text."""
    if isinstance(value, list):
        return "".join(v for v in value if isinstance(v, str))
    return value if isinstance(value, str) else ""


def _is_base64(value: str) -> bool:
    """An image is put in an attribute as it is: only base64 may go there."""
    try:
        base64.b64decode("".join(value.split()), validate=True)
    except (binascii.Error, ValueError):
        return False
    return True


class _Fields(HTMLParser):
    """The names of a fact's fields (its <th> and <dt> texts) in the order its recorded HTML showed
    them: the notebook's JSON has its keys sorted."""

    def __init__(self, recorded: str) -> None:
        super().__init__(convert_charrefs=True)
        self.order: dict[str, int] = {}
        self._name: list[str] | None = None
        self.feed(recorded)

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        if tag in ("th", "dt"):
            self._name = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("th", "dt") and self._name is not None:
            self.order.setdefault("".join(self._name), len(self.order))
            self._name = None

    def handle_data(self, data: str) -> None:
        if self._name is not None:
            self._name.append(data)


def _in_order(value: Any, order: dict[str, int]) -> Any:
    """`value` with the keys of every dict in it in `order`; keys it does not name last, as they were."""
    if isinstance(value, dict):
        keys = sorted(value, key=lambda k: order.get(k, len(order)))
        return {k: _in_order(value[k], order) for k in keys}
    if isinstance(value, list):
        return [_in_order(v, order) for v in value]
    return value


def _output(output: Any) -> NotebookNode | None:
    if not isinstance(output, dict):
        return None
    kind = output.get("output_type")
    if kind == "stream":
        name = "stderr" if output.get("name") == "stderr" else "stdout"
        return new_output("stream", name=name, text=_text(output.get("text")))
    if kind == "error":
        lines = output.get("traceback")
        traceback = [_text(line) for line in lines] if isinstance(lines, list) else []
        return new_output(
            "error", ename=_text(output.get("ename")), evalue=_text(output.get("evalue")), traceback=traceback
        )
    if kind not in ("display_data", "execute_result"):
        return None
    found = output.get("data")
    if not isinstance(found, dict):
        return None
    data = {k: _text(found[k]) for k in _TEXT_DATA if k in found}
    if "text/html" in data:
        data["text/html"] = _PANDAS_STYLE.sub("", data["text/html"])
    fact = found.get(FACTS_MIME)
    if isinstance(fact, dict) and isinstance(fact.get("key"), str) and "value" in fact:
        with suppress(RecursionError):  # a planted value nested too deep keeps its recorded HTML
            value = _in_order(fact["value"], _Fields(data.get("text/html", "")).order)
            data["text/html"] = fact_html(fact["key"], value)  # laid out as this version does
    data |= {k: _text(found[k]) for k in _IMAGES if k in found and _is_base64(_text(found[k]))}
    return new_output("display_data", data=data) if data else None


def trail_notebook(notebook: Any, title: str) -> NotebookNode:
    """The parts of an executed notebook we show, rebuilt: cell sources and allowed outputs, HTML
    outputs sanitized; a raw cell shown as its text. No metadata of the file is carried over, and each
    cell's id is its place (`cell-3`): the same notebook always makes the same page."""
    clean = sanitizer()
    cells = []
    for cell in notebook.get("cells", []) if isinstance(notebook, dict) else []:
        if not isinstance(cell, dict):
            continue
        kind, source = cell.get("cell_type"), _text(cell.get("source"))
        if kind == "markdown":
            cells.append(new_markdown_cell(source))
        elif kind == "code":
            outputs = [o for o in map(_output, cell.get("outputs") or []) if o is not None]
            cells.append(new_code_cell(source, outputs=clean.sanitize_code_outputs(outputs)))
        elif kind == "raw":
            cells.append(new_code_cell("", outputs=[new_output("stream", name="stdout", text=source)]))
    for place, made in enumerate(cells):
        made["id"] = f"cell-{place}"
    return new_notebook(cells=cells, metadata={"title": title, "language_info": {"name": "python"}})


# nbconvert's lab markup with a <head> of our own: the CSP first, the title, and a link to the site's
# one stylesheet instead of the lab template's inlined 260 KB of CSS; none of its scripts (MathJax,
# Mermaid, require.js, widgets): none is needed to read a notebook, and each would fetch from the
# internet.
_TEMPLATE = """{%- extends 'index.html.j2' -%}
{%- block html_head -%}
<meta charset="utf-8">
CSP_META
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>{{ nb.metadata.get('title', resources['metadata']['name']) | escape_html_keep_quotes }}</title>
STYLESHEET
{%- endblock html_head -%}
"""


class TrailExporter(HTMLExporter):
    """nbconvert's lab HTML, with Markdown sanitized once rendered: Markdown makes links of its own
    (`[x](javascript:...)`), which no sanitizer of its source sees."""

    @pass_context
    def markdown2html(self, context: Any, source: str) -> str:
        renderer = IPythonRenderer(escape=False, exclude_anchor_links=True)
        return str(sanitizer().sanitize_html_tags(MarkdownWithMath(renderer=renderer).render(source)))


def notebook_exporter(with_code: bool = False, root: str = "../") -> HTMLExporter:
    """Lab markup, inputs hidden unless `with_code`, no script, nothing fetched but the site's
    stylesheet (`root`: the way from a notebook's page up to the site's root)."""
    template = _TEMPLATE.replace("CSP_META", CSP_META).replace("STYLESHEET", stylesheet_link(root))
    return TrailExporter(
        template_name="lab",
        template_file="backlog_alerts_trail.html.j2",
        extra_loaders=[DictLoader({"backlog_alerts_trail.html.j2": template})],
        exclude_input=not with_code,
    )
