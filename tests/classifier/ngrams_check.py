"""Checks the compiled n-gram counter against the numpy reference, outside pytest.

Run by tests/classifier/test_native.py in a subprocess, for two jobs a test process
cannot do itself:

* `fuzz RUNS`: atheris with a fixed budget and seed (atheris ends the process when done).
  It instruments the Python side, so inputs that reach new tokenising branches of the
  reference are kept; every input is counted both ways, and its n-gram spans taken both
  ways, and must agree.
* `check SO_PATH [CSV ...]`: the identity check with a build of `_ngrams.c` loaded from
  SO_PATH (the AddressSanitizer build), on generated texts and the first rows of the CSVs.

Prints "ok" when every text agreed; a mismatch raises with the spec, never the text.
"""

from __future__ import annotations

import csv
import importlib.util
import random
import sys
from collections.abc import Sequence
from types import ModuleType

import numpy as np

#: Characters that reach every branch of the tokenisers: word characters of three
#: scripts, a combining mark, digits and "_", punctuation, str.split() whitespace that is
#: not ASCII, an astral word character, an emoji, a lone surrogate, letters whose
#: lower case differs in length or by context.
ALPHABET = ["a", "b", "Ж", "ә", "\u0301", "7", "_", "-", "'", ".", " ", "\n", "\t",
            "\x1c", "\u2028", "\u00a0", "\u3000", "𝕏", "🙂", "\ud800", "İ", "Σ", "ß"]


def specs() -> list[object]:
    from moderator.classifier.hashing import NgramSpec

    return [NgramSpec(), NgramSpec(1 << 6, (1, 1), (1, 3)), NgramSpec(1 << 10, (2, 2), (3, 8)),
            NgramSpec(1 << 4, (1, 2), (6, 6))]


def compare(texts: Sequence[str], counter: ModuleType) -> None:
    """Raise AssertionError when the two counters differ on `texts` for any spec."""
    from moderator.classifier.hashing import compiled_rows, reference_rows

    for spec in specs():
        ref = reference_rows(texts, spec)
        got = compiled_rows(texts, spec, counter)
        for name in ("indptr", "indices", "data"):
            if not np.array_equal(getattr(ref, name), getattr(got, name)):
                raise AssertionError(f"compiled {name} differ from the reference for {spec}")
        compare_spans(texts, spec, counter)


def compare_spans(texts: Sequence[str], spec: object, counter: ModuleType) -> None:
    """The explanation's occurrences (`gram_spans`) against `_occurrences`, text by text."""
    from moderator.classifier.hashing import _occurrences, compiled_spans, lowercase

    for text in texts:
        low = lowercase(text)
        want = _occurrences(low, spec, None, True)[:3]  # type: ignore[arg-type]
        got = compiled_spans(low, spec, counter)  # type: ignore[arg-type]
        if not all(np.array_equal(w, g) for w, g in zip(want, got, strict=True)):
            raise AssertionError(f"compiled n-gram spans differ from the reference for {spec}")


def generated(rng: random.Random, n: int) -> list[str]:
    """Texts of the alphabet above, some long (one word of 3,000 characters among them)."""
    out = ["", " ", "a", "ab", "a b", "x" * 3000, " ".join(["ab"] * 500)]
    while len(out) < n:
        size = rng.choice([1, 2, 3, 5, 20, 200])
        out.append("".join(rng.choice(ALPHABET) for _ in range(size)))
    return out


def load_so(path: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location("_ngrams", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def csv_texts(paths: Sequence[str], per_file: int) -> list[str]:
    out: list[str] = []
    for path in paths:
        with open(path, encoding="utf-8", newline="") as fh:
            for i, row in enumerate(csv.DictReader(fh)):
                if i >= per_file:
                    break
                out.append(row["text"])
    return out


def check(so_path: str, csvs: Sequence[str]) -> None:
    counter = load_so(so_path)
    compare(generated(random.Random(7), 400), counter)
    texts = csv_texts(csvs, 200)
    for i in range(0, len(texts), 500):
        compare(texts[i:i + 500], counter)
    # Bad calls raise instead of reading memory they do not own.
    for bad in ("not a list", ["ok", 3]):
        try:
            counter.count_rows(bad, 16, 1, 2, 2, 5, (1, 1, 1, 1, 1), bytes(65536), int)
        except TypeError:
            pass
        else:
            raise AssertionError("a bad argument was accepted")
    print("ok")


def fuzz(runs: int) -> None:
    import atheris

    with atheris.instrument_imports():
        from moderator.classifier import hashing  # noqa: F401
    from moderator.classifier import native

    counter = native.compiled()
    assert counter is not None, "the compiled counter is not built"

    def one_input(data: bytes) -> None:
        fdp = atheris.FuzzedDataProvider(data)
        texts: list[str] = []
        while fdp.remaining_bytes() and len(texts) < 8:
            if fdp.ConsumeBool():  # free text: any code point, surrogates included
                texts.append(fdp.ConsumeUnicode(fdp.ConsumeIntInRange(0, 64)))
            else:
                picks = fdp.ConsumeIntListInRange(fdp.ConsumeIntInRange(0, 64), 0,
                                                  len(ALPHABET) - 1)
                texts.append("".join(ALPHABET[i] for i in picks))
        compare(texts, counter)

    atheris.Setup([sys.argv[0], f"-runs={runs}", "-seed=12345", "-max_len=512"], one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    if sys.argv[1] == "fuzz":
        fuzz(int(sys.argv[2]))
    elif sys.argv[1] == "check":
        check(sys.argv[2], sys.argv[3:])
    else:
        raise SystemExit(f"unknown job {sys.argv[1]!r}")
