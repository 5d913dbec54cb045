"""The normaliser's pre-checks over one text: numpy reference and compiled twin.

`normalize_uncached` asks a handful of questions of the character classes of a text
(any invisible character? where are the one-for-one folds? may letters be split? which
words may hold look-alikes or leetspeak? a run of three letters?). On comments of a few
hundred characters numpy's per-call overhead is most of the normaliser's cost, so a
small C extension (`_textscan.c`) answers them in one pass each where it was built.
`ArrayScan` is the reference and the fallback (no compiler, or `MODERATOR_PURE_PYTHON=1`);
tests/test_scan.py holds the two equal on generated texts and shared-data rows.
"""

from __future__ import annotations

import functools
from types import ModuleType

import numpy as np

from moderator import _chars, gates
from moderator._chars import (
    ASCII_LETTER,
    CYRILLIC,
    DIGIT,
    LETTER,
    LOOKALIKE,
    MARK,
    PLAIN_CYR,
    SYMBOL,
    TOKEN,
)
from moderator.classifier.native import pure_python_forced


class ArrayScan:
    """The answers from numpy arrays of the text's code points and class bits."""

    __slots__ = ("cls", "codes", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        self.codes, self.cls = _chars.classes(text)

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        return self.codes, self.cls

    def bits(self) -> int:
        """The class bits of every character, or-ed together."""
        return int(np.bitwise_or.reduce(self.cls)) if len(self.cls) else 0

    def positions(self, mask: int) -> list[int]:
        """Where the characters with a class bit of `mask` are."""
        return np.flatnonzero(self.cls & mask).tolist()

    def may_join(self) -> bool | None:
        """`gates.may_join` of this text."""
        return gates.may_join(self.codes, self.cls)

    def fold_spans(self) -> list[tuple[int, int]]:
        """The tokens the word folds look at: those holding a look-alike letter, a digit
        or symbol touching a letter, or Latin touching Cyrillic, as (start, end)."""
        cls = self.cls
        letter = (cls & LETTER).astype(bool)
        trigger = (cls & LOOKALIKE).astype(bool) & ~(cls & (ASCII_LETTER | PLAIN_CYR)).astype(bool)
        leet = (cls & (DIGIT | SYMBOL)).astype(bool)
        latin = (cls & ASCII_LETTER).astype(bool)
        cyrillic = (cls & CYRILLIC).astype(bool)
        trigger[1:] |= (letter[:-1] & leet[1:]) | (latin[:-1] & cyrillic[1:])
        trigger[:-1] |= (leet[:-1] & letter[1:]) | (cyrillic[:-1] & latin[1:])
        hits = np.flatnonzero(trigger)
        if not hits.size:
            return []
        tok = (cls & TOKEN).astype(bool)
        edges = np.diff(np.concatenate(([False], tok, [False])).astype(np.int8))
        starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
        chosen = np.unique(np.searchsorted(starts, hits, side="right") - 1)
        return list(zip(starts[chosen].tolist(), ends[chosen].tolist(), strict=True))

    def has_triple(self) -> bool:
        """Is some letter the third of three equal code points in a row?"""
        codes, cls = self.codes, self.cls
        same = codes[1:] == codes[:-1]
        return bool((same[1:] & same[:-1] & (cls[2:] & LETTER).astype(bool)).any())


class CompiledScan:
    """The same answers from `_textscan`, one pass over the text each."""

    __slots__ = ("_module", "text")

    def __init__(self, text: str, module: ModuleType) -> None:
        self.text = text
        self._module = module

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        return _chars.classes(self.text)

    def bits(self) -> int:
        return self._module.bits(self.text)  # type: ignore[no-any-return]

    def positions(self, mask: int) -> list[int]:
        return self._module.positions(self.text, mask)  # type: ignore[no-any-return]

    def may_join(self) -> bool | None:
        if not gates.active():
            return None
        return self._module.may_join(self.text)  # type: ignore[no-any-return]

    def fold_spans(self) -> list[tuple[int, int]]:
        return self._module.fold_spans(self.text)  # type: ignore[no-any-return]

    def has_triple(self) -> bool:
        return self._module.has_triple(self.text)  # type: ignore[no-any-return]


Scan = ArrayScan | CompiledScan


def _gate_table() -> bytes:
    """`gates`' three letter-joining tables as one byte per code point (bits 1, 2, 4)."""
    table = (gates._IS_SPLIT_CHAR.astype(np.uint8) | (gates._IS_SEPARATOR.astype(np.uint8) << 1)
             | (gates._STOPS_START.astype(np.uint8) << 2))
    return table.tobytes()


@functools.cache
def compiled() -> ModuleType | None:
    """`_textscan`, configured with this process's tables, if it was built."""
    try:
        from moderator import _textscan  # type: ignore[attr-defined]
    except ImportError:
        return None
    _textscan.configure(
        _chars._CLASSES.astype(np.uint16).tobytes(), _gate_table(),
        (MARK, LETTER, DIGIT, SYMBOL, ASCII_LETTER, PLAIN_CYR, CYRILLIC, LOOKALIKE, TOKEN))
    return _textscan


def scan(text: str) -> Scan:
    """The pre-checks of `text`: compiled where built and allowed, else the reference."""
    module = None if pure_python_forced() else compiled()
    return ArrayScan(text) if module is None else CompiledScan(text, module)
