"""What a user reads on a page, and the internal codes that must never appear in it.

`visible_text` keeps the text nodes and the attributes a browser shows (title, placeholder,
aria-label, alt, the label of an <input type=submit>); scripts, styles and SVG <desc> are skipped.
`internal_codes` finds snake_case, dotted or kebab-case machine codes and bare Python values
("None", "True") in it. Identifiers that must stay (credit codes, document numbers, file names
the user chose) are upper-case or carry digits and are not matched; the few lowercase words that
are legitimately shown are listed in ALLOWED.
"""

from __future__ import annotations

from html.parser import HTMLParser
import re

#: attributes whose text a user sees (tooltips, placeholders, screen-reader labels)
SHOWN_ATTRIBUTES = ("title", "placeholder", "aria-label", "alt")
#: elements whose content is not shown as text
HIDDEN_ELEMENTS = frozenset({"script", "style", "template", "desc", "noscript"})

#: snake_case (tenants_hte), dotted (incubator.comprehensive, domain.md), kebab-case
#: (check-failed), and Python's None/True/False rendered as text
_CODE = re.compile(
    r"(?<![\w.@/-])("
    r"[a-z][a-z0-9]*(?:_[a-z0-9]+)+"  # snake_case
    r"|[a-z][a-z0-9]*(?:\.[a-z][a-z0-9_]*)+"  # dotted lowercase
    r"|[a-z]+(?:-[a-z]+)+"  # kebab-case
    r"|None|True|False"
    r")(?![\w@/-]|\.[a-z])"
)

#: shown on purpose: file extensions and words that are not codes
ALLOWED = frozenset({
    "fuhua.css",
})


class _TextParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in HIDDEN_ELEMENTS:
            self._hidden += 1
            return
        values = dict(attrs)
        for name in SHOWN_ATTRIBUTES:
            if values.get(name):
                self.parts.append(values[name] or "")
        if tag == "input" and values.get("type") in ("submit", "button") and values.get("value"):
            self.parts.append(values["value"] or "")

    def handle_endtag(self, tag: str) -> None:
        if tag in HIDDEN_ELEMENTS and self._hidden:
            self._hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.parts.append(data)


def visible_text(html: str) -> str:
    """The page's text as a reader sees it, one space between pieces."""
    parser = _TextParser()
    parser.feed(html)
    parser.close()
    return re.sub(r"\s+", " ", " ".join(parser.parts)).strip()


def internal_codes(text: str) -> list[str]:
    """Each internal code in `text`, with a few characters of context, in order of appearance."""
    found = []
    for match in _CODE.finditer(text):
        if match.group(1) in ALLOWED:
            continue
        start, end = match.span(1)
        found.append(f"{match.group(1)!r} in “…{text[max(0, start - 30):end + 30]}…”")
    return found
