"""What in an HTML page could act in a browser, found by parsing it (html.parser), not by substrings:
shared by the unit and integration tests of the report's pages."""

from __future__ import annotations

import re
from html.parser import HTMLParser

# Elements that run, embed, fetch or submit; none belongs in a page of the report, but for one <link>:
# the site's own stylesheet (`_site_stylesheet`).
ACTIVE_TAGS = {
    "script",
    "iframe",
    "frame",
    "frameset",
    "object",
    "embed",
    "svg",
    "math",
    "base",
    "form",
    "applet",
    "link",
    "template",
    "noscript",
    "audio",
    "video",
    "source",
    "portal",
}
URL_ATTRIBUTES = {
    "href",
    "src",
    "action",
    "formaction",
    "xlink:href",
    "data",
    "srcset",
    "poster",
    "background",
}
SAFE_IMAGE = re.compile(r"data:image/(png|jpeg);base64,[A-Za-z0-9+/=\s]*$")
# Styles that could lay text over other text, move it, hide it or reorder it (a negative margin moves).
OVERLAY = re.compile(
    r"position|expression|url\(|behavio|z-index|transform|direction|unicode-bidi|margin[^;]*-\d|color|display|opacity",
    re.I,
)
CSP = re.compile(r"default-src 'none';.*img-src data:;.*style-src 'self' 'unsafe-inline';")
# The one <link> a page may have: the site's stylesheet, by a relative path that stays inside the site
# (no scheme, no leading slash, no query; at most `depth` steps up, depth being how deep the page is).
STYLESHEET = re.compile(r"((?:\.\./)*)[A-Za-z0-9_-]+(?:/[A-Za-z0-9_-]+)*\.css")


def _site_stylesheet(values: dict[str, str], depth: int) -> bool:
    """`<link rel="stylesheet" href="(../)*name.css">`, nothing more, reaching no higher than the site."""
    found = STYLESHEET.fullmatch(values.get("href", ""))
    return (
        set(values) == {"rel", "href"}
        and values["rel"] == "stylesheet"
        and found is not None
        and found.group(1).count("../") <= depth
    )


class _Finder(HTMLParser):
    def __init__(self, depth: int = 0) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self.csp = False
        self.depth = depth

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag == "meta" and values.get("http-equiv", "").lower() == "content-security-policy":
            self.csp = bool(CSP.search(values.get("content", "")))
        elif tag == "meta" and values.get("http-equiv"):
            self.found.append(f"<meta http-equiv={values['http-equiv']}>")
        if tag == "link" and _site_stylesheet(values, self.depth):
            return
        if tag in ACTIVE_TAGS:
            self.found.append(f"<{tag}>")
        for name, value in values.items():
            url = re.sub(r"[\s\x00-\x1f]", "", value).lower()
            if name.startswith("on"):
                self.found.append(f"<{tag} {name}>")
            elif (
                name in URL_ATTRIBUTES
                and ":" in url.split("/", 1)[0]
                and not url.startswith(("http:", "https:", "mailto:"))
            ):
                if not (tag == "img" and name == "src" and SAFE_IMAGE.match(value)):
                    self.found.append(f"<{tag} {name}={value[:40]}>")
            elif name == "style" and OVERLAY.search(value):
                self.found.append(f"<{tag} style={value[:60]}>")

    handle_startendtag = handle_starttag


def active_content(page: str, depth: int = 0) -> list[str]:
    """Each element or attribute of the page that could run, fetch, overlay or reorder; [] when inert.
    `depth`: how many folders below the site's root the page is (a run's pages: 1), so how far up its
    link to the site's stylesheet may go."""
    finder = _Finder(depth)
    finder.feed(page)
    return finder.found


def has_csp(page: str) -> bool:
    """The page carries our Content-Security-Policy (no script, nothing fetched)."""
    finder = _Finder()
    finder.feed(page)
    return finder.csp
