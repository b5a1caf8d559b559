"""What a user reads on a page, and the internal codes that must never appear in it.

`visible_text` keeps the text nodes and the attributes a browser shows (title, placeholder,
aria-label, alt, the label of an <input type=submit>); scripts, styles and SVG <desc> are skipped.
`internal_codes` finds snake_case, dotted or kebab-case machine codes and bare Python values
("None", "True") in it. Identifiers that must stay (credit codes, document numbers, file names
the user chose) are upper-case or carry digits and are not matched; what a person chose or must
type exactly (a username, a `fuhua …` command) is marked translate="no" in the page (the HTML
attribute for "an identifier, not words") or is a fuhua command; the few other lowercase words
that are legitimately shown are listed in ALLOWED.
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

#: in a Chinese page, a lowercase Latin word on its own ("保留 keep") is a code too
_BARE_WORD = re.compile(r"(?<![\w.@/#&-])([a-z]{2,})(?![\w@/&-]|\.[a-z])")

#: shown on purpose: file types, and the web sites source notes cite
ALLOWED = frozenset({
    "xlsx", "xls", "xlsm", "ods", "csv", "json", "sha256",
    "sinovcc.com", "most.gov.cn", "gd.gov.cn", "dg.gov.cn",
})


_VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"})
#: a command the reader is told to type
_COMMAND = re.compile(r"fuhua(?: --?[a-z][a-z-]*| [a-z][a-z-]*)+")


class _TextParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag in HIDDEN_ELEMENTS or self._hidden or values.get("translate") == "no":
            if tag not in _VOID:
                self._hidden += 1
            return
        for name in SHOWN_ATTRIBUTES:
            if values.get(name):
                self.parts.append(values[name] or "")
        if tag == "input" and values.get("type") in ("submit", "button") and values.get("value"):
            self.parts.append(values["value"] or "")

    def handle_endtag(self, tag: str) -> None:
        if self._hidden and tag not in _VOID:
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


def internal_codes(text: str, *, chinese: bool = True) -> list[str]:
    """Each internal code in `text`, with a few characters of context, in order of appearance.

    `chinese`: the page is in Chinese, so a bare lowercase English word is a code as well.
    """
    text = _COMMAND.sub(lambda m: "·" * len(m.group(0)), text)
    matches = list(_CODE.finditer(text))
    if chinese:
        matches += list(_BARE_WORD.finditer(text))
    found, seen = [], set()
    for match in sorted(matches, key=lambda m: m.start(1)):
        if match.group(1) in ALLOWED or match.span(1) in seen or any(
                s <= match.start(1) < e for s, e in seen):
            continue
        seen.add(match.span(1))
        start, end = match.span(1)
        found.append(f"{match.group(1)!r} in “…{text[max(0, start - 30):end + 30]}…”")
    return found
