"""What in an HTML page could act in a browser, found by parsing it (html.parser), not by substrings:
shared by the unit and integration tests of the report's pages."""

from __future__ import annotations

import re
from html.parser import HTMLParser

# Elements that run, embed, fetch or submit; none belongs in a page of the report.
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
CSP = re.compile(r"default-src 'none'.*img-src data:.*style-src 'unsafe-inline'")


class _Finder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self.csp = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag == "meta" and values.get("http-equiv", "").lower() == "content-security-policy":
            self.csp = bool(CSP.search(values.get("content", "")))
        elif tag == "meta" and values.get("http-equiv"):
            self.found.append(f"<meta http-equiv={values['http-equiv']}>")
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


def active_content(page: str) -> list[str]:
    """Each element or attribute of the page that could run, fetch, overlay or reorder; [] when inert."""
    finder = _Finder()
    finder.feed(page)
    return finder.found


def has_csp(page: str) -> bool:
    """The page carries our Content-Security-Policy (no script, nothing fetched)."""
    finder = _Finder()
    finder.feed(page)
    return finder.csp
