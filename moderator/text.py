"""Text normalisation with an offset map back to what the user typed.

Rules and the classifier match against the normalised text; every span they
report is mapped back through `NormalizedText.span` so a finding always points
at the exact characters in the original field.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from moderator.types import Span


@dataclass(frozen=True, slots=True)
class NormalizedText:
    """Normalised text plus, for each of its characters, the original range it came from."""

    original: str
    text: str
    starts: tuple[int, ...]
    ends: tuple[int, ...]

    def span(self, start: int, end: int) -> Span:
        """Map the normalised range [start, end) to the original text."""
        if start >= end or not self.text:
            anchor = self.starts[start] if start < len(self.starts) else len(self.original)
            return Span(anchor, anchor)
        return Span(self.starts[start], self.ends[end - 1])


def _clusters(text: str) -> list[tuple[int, int]]:
    """Split into base character + following combining marks, so NFKC can compose them."""
    bounds: list[tuple[int, int]] = []
    start = 0
    for i in range(1, len(text) + 1):
        if i == len(text) or not unicodedata.combining(text[i]):
            bounds.append((start, i))
            start = i
    return bounds


def normalize(text: str) -> NormalizedText:
    """NFKC and case folding, keeping for every output character its source range."""
    out: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    for start, end in _clusters(text):
        piece = unicodedata.normalize("NFKC", text[start:end]).casefold()
        out.append(piece)
        starts.extend([start] * len(piece))
        ends.extend([end] * len(piece))
    return NormalizedText(text, "".join(out), tuple(starts), tuple(ends))
