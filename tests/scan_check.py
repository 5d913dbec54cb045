"""Checks a build of `_textscan.c` against the numpy reference, outside pytest.

Run by tests/test_scan.py in a subprocess with the AddressSanitizer build loaded as
`moderator._textscan` (`check SO_PATH [CSV ...]`): every answer of `_scan` on generated
texts and the first rows of the CSVs, both ways. Prints "ok" when all agreed; a mismatch
raises without the text.
"""

from __future__ import annotations

import csv
import importlib.util
import random
import sys
from collections.abc import Sequence

ALPHABET = ["a", "j", "i", "h", "d", "1", "0", "@", "$", "!", " ", ".", "-", "_", "\n", "\t",
            "с", "м", "ь", "і", "ә", "҂", "\u0483", "\u0301", "é", "ο", "\u200b", "\x07",
            "\ud800", "😀", "𝐣", "İ", "ß", "\u00a0"]


def _load(so_path: str) -> None:
    spec = importlib.util.spec_from_file_location("moderator._textscan", so_path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    sys.modules["moderator._textscan"] = module


def _texts(csvs: Sequence[str]) -> list[str]:
    rng = random.Random(11)
    out = ["", "a", "ab", "a.b.c", "x" * 3000, "j i h a d " * 200]
    while len(out) < 1500:
        out.append("".join(rng.choice(ALPHABET) for _ in range(rng.choice([1, 3, 6, 20, 200]))))
    for path in csvs:
        with open(path, encoding="utf-8", newline="") as fh:
            for i, row in enumerate(csv.DictReader(fh)):
                if i >= 200:
                    break
                out.append(row["text"])
    return out


def check(so_path: str, csvs: Sequence[str]) -> None:
    _load(so_path)
    from moderator import _chars, _scan

    module = _scan.compiled()
    assert module is sys.modules["moderator._textscan"]
    masks = (_chars.FOLD, _chars.INVISIBLE)
    for text in _texts(csvs):
        for scan in (_scan.ArrayScan(text), _scan.CompiledScan(text, module)):
            answers = (scan.bits(), *(scan.positions(m) for m in masks), scan.may_join(),
                       scan.fold_spans(), scan.has_triple())
            if isinstance(scan, _scan.ArrayScan):
                want = answers
            elif answers != want:
                raise AssertionError("the compiled scan differs from the reference")
    for bad in (3, b"bytes", None):  # bad calls raise instead of reading memory
        try:
            module.may_join(bad)
        except TypeError:
            pass
        else:
            raise AssertionError("a bad argument was accepted")
    print("ok")


if __name__ == "__main__":
    if sys.argv[1] != "check":
        raise SystemExit(f"unknown job {sys.argv[1]!r}")
    check(sys.argv[2], sys.argv[3:])
