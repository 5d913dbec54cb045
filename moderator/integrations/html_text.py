"""HTML to plain text with an offset map back into the HTML, so spans survive stripping.

Coral sends a comment's body as HTML (after its linkify and purify phases) or as plain
text, and the request does not say which; both go through the stdlib `html.parser`, which
leaves plain text without `<` or `&` unchanged. What a reader sees is what gets checked:
text and entities decoded, a line break for block elements, and (stricter than a browser)
the text of comments, and of anything that is not a well-formed tag (script and style
elements included), since in a plain-text body they are shown to readers as typed.
NUL and U+0001 are read as spaces (they stand in for text `<` and `&` while parsing).
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from html.parser import HTMLParser

from moderator.types import Span

#: Elements that separate words: stripped to one line break, so "<p>a</p><p>b</p>" is "a\nb".
BLOCK_TAGS = frozenset({
    "address", "article", "aside", "blockquote", "br", "dd", "div", "dl", "dt", "figcaption",
    "figure", "footer", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "main",
    "nav", "ol", "p", "pre", "section", "table", "td", "th", "tr", "ul",
})


@dataclass(frozen=True, slots=True)
class PlainText:
    """The text a reader sees, and where each of its characters came from in `source`."""

    text: str
    source: str
    #: For text[i]: the source range [starts[i], ends[i]) it was decoded from (an entity,
    #: a tag for an inserted line break); None when the text is the source unchanged.
    starts: tuple[int, ...] | None = None
    ends: tuple[int, ...] | None = None

    def source_span(self, span: Span) -> Span:
        """The range of `source` that the text range `span` was made from."""
        if self.starts is None or self.ends is None:
            return span
        if span.end <= span.start:  # empty: a point before text[start] (or at the end)
            at = self.starts[span.start] if span.start < len(self.starts) else len(self.source)
            return Span(at, at)
        return Span(self.starts[span.start], self.ends[span.end - 1])


#: A tag closed before any other `<`: the only kind html.parser is given as a tag.
_TAG = re.compile(r"</?[a-zA-Z][^<>]*>")
#: Elements whose content html.parser reads raw, and drops when never closed.
_RAW_TEXT = re.compile(r"<(?:script|style)\b", re.IGNORECASE)
#: Stand in for a `<` or `&` that must be read as text (each parser event costs ~3 us, and a
#: run of lone `&` is one event each); control characters the checker never needs.
_TEXT_LT, _TEXT_AMP = "\x00", "\x01"
_LONE_AMP = re.compile(r"&(?![#a-zA-Z])")


def to_plain_text(source: str) -> PlainText:
    """Strip `source` (HTML or plain text) to what a reader sees, keeping the offset map."""
    if "<" not in source and "&" not in source:
        return PlainText(source, source)
    fed = _defuse(source)
    collector = _Collector(fed)
    collector.feed(fed)
    collector.close()
    plain = collector.result()
    text = plain.text.replace(_TEXT_LT, "<").replace(_TEXT_AMP, "&")
    return PlainText(text, source, plain.starts, plain.ends)


def _defuse(source: str) -> str:
    """`source` with every `<` that does not open a closed tag or comment made plain text.

    Same length, so offsets hold. Python 3.11's html.parser rescans to the end of the input
    for each unterminated tag, comment or declaration (CVE-2025-6069: a 60 KB body of
    `<a ` took a minute), and drops the rest of a never-closed <script> or <style>; here it
    only ever sees tags closed before the next `<` (quotes balanced), comments with a `-->`
    after them, and neither raw-text elements nor declarations, which a comment never needs
    and which as text are checked like any other.
    """
    source = source.replace(_TEXT_LT, " ").replace(_TEXT_AMP, " ")
    last_close = source.rfind("-->")
    out = list(_LONE_AMP.sub(_TEXT_AMP, source))
    index = source.find("<")
    while index >= 0:
        if source.startswith("<!--", index):
            keep = index + 4 <= last_close
        else:
            tag = _TAG.match(source, index)
            keep = (tag is not None and tag.group().count('"') % 2 == 0
                    and tag.group().count("'") % 2 == 0
                    and _RAW_TEXT.match(source, index) is None)
        if not keep:
            out[index] = _TEXT_LT
        index = source.find("<", index + 1)
    return "".join(out)


class _Collector(HTMLParser):
    """Records every piece of text with its source offset; tags only as line breaks."""

    def __init__(self, source: str) -> None:
        super().__init__(convert_charrefs=False)
        self._source = source
        self._line_starts = [0] + [i + 1 for i, c in enumerate(source) if c == "\n"]
        #: (source start, kind, text): "data" maps 1:1, "ref" (an entity) maps whole, "break"
        #: is a line break for a block tag, "tag" nothing.
        self._events: list[tuple[int, str, str]] = []

    def _offset(self) -> int:
        line, column = self.getpos()
        return self._line_starts[line - 1] + column

    def handle_data(self, data: str) -> None:
        self._events.append((self._offset(), "data", data))

    def handle_entityref(self, name: str) -> None:
        self._events.append((self._offset(), "ref", ""))  # decoded from the source below

    def handle_charref(self, name: str) -> None:
        self._events.append((self._offset(), "ref", ""))

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._tag(tag)

    def handle_endtag(self, tag: str) -> None:
        self._tag(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._tag(tag)

    def handle_comment(self, data: str) -> None:
        start = self._offset()
        self._events.append((start, "break", ""))
        opener = 4 if self._source.startswith("<!--", start) else 2
        self._events.append((start + opener, "data", data))
        self._events.append((start + opener + len(data), "break", ""))

    def _tag(self, tag: str) -> None:
        self._events.append((self._offset(), "break" if tag in BLOCK_TAGS else "tag", ""))

    def result(self) -> PlainText:
        text: list[str] = []
        starts: list[int] = []
        ends: list[int] = []
        events = self._events
        broke = False  # the last character is a line break made for a tag
        for index, (start, kind, piece) in enumerate(events):
            end = events[index + 1][0] if index + 1 < len(events) else len(self._source)
            end = max(end, start)
            if kind == "break":
                if text and text[-1] != "\n":
                    text.append("\n")
                    starts.append(start)
                    ends.append(end)
                    broke = True
                continue
            if kind == "ref":  # as a browser decodes it: "&copy2" is "©2", "&zz;" stays
                raw = self._source[start:end]
                piece = html.unescape(raw)
                if piece == raw:
                    kind = "data"
            if kind == "tag" or not piece:
                continue
            text.extend(piece)
            broke = False
            if kind == "data" and self._source.startswith(piece, start):
                starts.extend(range(start, start + len(piece)))
                ends.extend(range(start + 1, start + len(piece) + 1))
            else:  # decoded: every character maps to the whole range it came from
                starts.extend([start] * len(piece))
                ends.extend([end] * len(piece))
        if broke:  # a closing </p> adds no line for the reader
            del text[-1], starts[-1], ends[-1]
        return PlainText("".join(text), self._source, tuple(starts), tuple(ends))
