"""A field's text cut into pieces, each marked with the findings whose spans cover it.

Spans are code-point ranges into the text as typed (never UTF-16 units), so the cut is
made here in Python and the browser only draws it: an emoji before a banned word cannot
shift the highlight. Overlapping spans (a banned phrase inside the classifier's top term)
are handled by cutting at every span edge; each piece lists every span covering it.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

#: Code family -> the colour class of its highlight (what a moderator learns to read).
KINDS = {"banned": "banned", "incitement": "incitement", "suspect": "suspect",
         "links": "link", "personal_data": "personal", "classifier": "classifier",
         "flood": "flood", "system": "system"}
#: When pieces carry several kinds, the first of these gives the background colour.
PRIORITY = ("banned", "incitement", "personal", "link", "suspect", "flood", "system",
            "pattern", "classifier")


@dataclass(frozen=True, slots=True)
class Mark:
    """One highlighted range: `ref` is the finding's index (`2`) or a term's (`4.1`)."""

    ref: str
    start: int
    end: int
    kind: str
    code: str
    title: str


@dataclass(frozen=True, slots=True)
class Piece:
    """A run of text and the marks covering all of it (none: plain text)."""

    text: str
    marks: tuple[Mark, ...] = ()

    @property
    def refs(self) -> str:
        return " ".join(m.ref for m in self.marks)

    @property
    def codes(self) -> str:
        return " ".join(sorted({m.code for m in self.marks}))

    @property
    def css(self) -> str:
        kinds = {m.kind for m in self.marks}
        main = next((k for k in PRIORITY if k in kinds and k != "classifier"), None)
        classes = ["hl", f"hl-{main}" if main else "hl-classifier-only"]
        if "classifier" in kinds:
            classes.append("hl-classifier")
        return " ".join(classes)

    @property
    def title(self) -> str:
        return "\n".join(dict.fromkeys(m.title for m in self.marks))


def kind_of(code: str) -> str:
    return KINDS.get(code.split(".", 1)[0], "pattern")


def _span(raw: Any, length: int) -> tuple[int, int] | None:
    """A stored span if it is sound for this text (the store is data: trust nothing)."""
    if not isinstance(raw, Mapping):
        return None
    start, end = raw.get("start"), raw.get("end")
    if not isinstance(start, int) or not isinstance(end, int) or isinstance(start, bool):
        return None
    return (start, end) if 0 <= start < end <= length else None


def marks_for(field: str, text: str, findings: Sequence[Mapping[str, Any]],
              term_title: str = "term “{term}”, weight {weight}") -> list[Mark]:
    """Every span of `field`: rule findings' spans and the classifier's explaining terms."""
    marks: list[Mark] = []
    for index, finding in enumerate(findings):
        if not isinstance(finding, Mapping) or finding.get("field") != field:
            continue
        code = str(finding.get("code", ""))
        message = str(finding.get("message", ""))
        detail = finding.get("detail") if isinstance(finding.get("detail"), Mapping) else {}
        terms = detail.get("explanation") if isinstance(detail, Mapping) else None
        if code.startswith("classifier.") and isinstance(terms, list) and terms:
            for t, term in enumerate(terms):
                span = _span(term.get("span") if isinstance(term, Mapping) else None,
                             len(text))
                if span is None:
                    continue
                weight = term.get("weight", 0.0)
                words = term_title.format(term=term.get("term", ""),
                                          weight=f"{float(weight):+.2f}")
                marks.append(Mark(f"{index}.{t}", *span, "classifier", code,
                                  f"{code}: {words} — {message}"))
            continue
        span = _span(finding.get("span"), len(text))
        if span is not None:
            marks.append(Mark(str(index), *span, kind_of(code), code, f"{code}: {message}"))
    return marks


def pieces(text: str, marks: Sequence[Mark]) -> list[Piece]:
    """`text` cut at every mark's edges; joined back, the pieces are `text` exactly."""
    cuts = sorted({0, len(text), *(m.start for m in marks), *(m.end for m in marks)})
    out: list[Piece] = []
    for a, b in itertools.pairwise(cuts):
        covering = tuple(m for m in marks if m.start <= a and b <= m.end)
        if out and not covering and not out[-1].marks:
            out[-1] = Piece(out[-1].text + text[a:b])
        else:
            out.append(Piece(text[a:b], covering))
    return out
