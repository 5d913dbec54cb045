"""Obfuscation robustness of the word lists (issue 4 item 4, issue 13 item 4).

1. Banned-list catch rate, two generators: every banned entry (en, ru, kk) is written
   inside a sentence, obfuscated, and counts as caught only if the matcher reports that
   same entry with a span that is exactly the obfuscated text as typed (first to last
   visible character). Generator 1 is below (each technique, and random mixes); the
   matcher was tuned to it. Generator 2 (obfuscation_second.py) was written apart, with
   its own tables: digits in any position, Latin/Cyrillic look-alikes both ways, spaced
   and dotted phrases. Target: >= 99% for each.
2. Scunthorpe table: innocent words that contain listed ones, plain and obfuscated by
   generator 2, against every shipped list. Target: 0 hits.
3. Holds on the shared labelled data: `discusses` and `other` rows that the banned or
   suspect list flags. Target: no increase over the baseline.
4. Time of one policy check (`run_policy`, no model) per 1,500-character comment built
   from shared-data rows, and of the two word lists alone (normalising included) on the
   same comments; with a baseline, the two sides take turns.

Parts 2-4 are in wordlist_checks.py. `--baseline REV` measures the same things with the
`moderator` package of git revision REV (say `main`) in a subprocess of this run, with this
tree's word lists and bench, and prints both side by side. The classifier part is
bench_classifier_obfuscation.py, which reuses generator 1's techniques. Data is read at
run time from $MODERATOR_SHARED_DATA or ../shared/data; no rows are copied into the
repository.

    .venv/bin/python bench/bench_obfuscation.py [--baseline main] [--mixes 5] [--seed 4]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import unicodedata
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import obfuscation_second
from wordlist_checks import holds, scunthorpe, timing

from moderator import _chars
from moderator.policy.terms import TermMatcher, load_wordlist
from moderator.text import normalize

REPO = Path(__file__).resolve().parent.parent
WORDLISTS = REPO / "rules" / "wordlists"
LANGS = ("en", "ru", "kk")
FRAME = {"en": "I say {} and mean it", "ru": "я говорю {} и точка", "kk": "мен {} деймін"}
FRAME_2 = {"en": "so: {}, they wrote", "ru": "он написал «{}» и ушёл", "kk": "ол: {} — деп жазды"}

# Look-alikes from the other script (the same tables the normaliser folds with, reversed
# for Cyrillic so each letter has a Latin twin), and leetspeak per script.
LATIN_TWIN = {"а": "a", "е": "e", "о": "o", "р": "p", "с": "c", "у": "y", "х": "x", "к": "k",
              "м": "m", "т": "t", "һ": "h", "і": "i"}
CYRILLIC_TWIN = {chr(k): v for k, v in _chars.TO_CYRILLIC.items() if "a" <= chr(k) <= "z"}
LEET_OUT = {"a": "@4", "e": "3", "i": "1!", "o": "0", "s": "$5", "t": "7", "l": "1|", "b": "8",
            "g": "9", "о": "0", "а": "@4", "з": "3", "ч": "4", "б": "6", "т": "7"}
INVISIBLE = ["\u200b", "\u200c", "\u200d", "\u2060", "\u00ad", "\ufeff"]


def _letters(word: str, rng: random.Random, share: float) -> list[int]:
    spots = [i for i, ch in enumerate(word) if ch.isalpha()]
    return rng.sample(spots, max(1, round(len(spots) * share))) if spots else []


def _per_word(fn: Callable[[str, random.Random], str]) -> Callable[[str, random.Random], str]:
    return lambda text, rng: " ".join(fn(word, rng) for word in text.split(" "))


def _fullwidth(word: str, rng: random.Random) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in word)


def _upper(word: str, rng: random.Random) -> str:
    return "".join(c.upper() if rng.random() < 0.5 else c for c in word)


def _invisible(word: str, rng: random.Random) -> str:
    chars = list(word)
    for i in sorted(_letters(word, rng, 0.4), reverse=True):
        chars.insert(i, rng.choice(INVISIBLE))
    return "".join(chars)


def _bidi(word: str, rng: random.Random) -> str:
    return rng.choice(["\u202e", "\u2066", "\u200f"]) + word + rng.choice(["\u202c", "\u2069"])


def _confusable(word: str, rng: random.Random) -> str:
    chars = list(word)
    for i in _letters(word, rng, 0.3):
        twins = LATIN_TWIN if "\u0400" <= chars[i] <= "\u04ff" else CYRILLIC_TWIN
        chars[i] = twins.get(chars[i], chars[i])
    return "".join(chars)


def _leet(word: str, rng: random.Random) -> str:
    chars = list(word)
    inner = [i for i in range(1, len(chars) - 1) if chars[i] in LEET_OUT]
    for i in rng.sample(inner, min(len(inner), 2)):
        chars[i] = rng.choice(LEET_OUT[chars[i]])
    return "".join(chars)


def _repeat(word: str, rng: random.Random) -> str:
    chars = list(word)
    for i in sorted(_letters(word, rng, 0.2), reverse=True):
        chars[i] = chars[i] * rng.randint(3, 7)
    return "".join(chars)


def _split(sep: str) -> Callable[[str, random.Random], str]:
    return lambda word, rng: sep.join(word) if len(word) >= 3 and word.isalpha() else word


# One word in, its obfuscated form out (the classifier bench applies these to chosen words).
WORD_TECHNIQUES: dict[str, Callable[[str, random.Random], str]] = {
    "case": _upper,
    "fullwidth": _fullwidth,
    "zero-width": _invisible,
    "bidi": _bidi,
    "confusables": _confusable,
    "leetspeak": _leet,
    "repeats": _repeat,
    "split-space": _split(" "),
    "split-dot": _split("."),
    "split-dash": _split("-"),
    "split-underscore": _split("_"),
}
TECHNIQUES: dict[str, Callable[[str, random.Random], str]] = {
    name: _per_word(fn) for name, fn in WORD_TECHNIQUES.items()
}
# Order matters in a mix: letters are split last, after leetspeak and look-alikes went in.
MIX_ORDER = ["case", "confusables", "leetspeak", "repeats", "split-dot", "split-space",
             "split-dash", "zero-width", "fullwidth", "bidi"]


def _visible(ch: str) -> bool:
    return ch.isalnum() or unicodedata.normalize("NFKC", ch) in "$@"


def _typed_span(frame: str, variant: str) -> tuple[str, tuple[int, int]]:
    """The framed text and the range of the variant in it, first to last visible character."""
    offset = frame.index("{}")
    shown = [i for i, ch in enumerate(variant) if _visible(ch)]
    return frame.format(variant), (offset + shown[0], offset + shown[-1] + 1)


def _generator_1(seed: int, mixes: int) -> Iterator[tuple[str, str, str, str]]:
    """(language, entry, technique, variant) for every banned entry, as before issue 13."""
    rng = random.Random(seed)
    for lang, entry in _banned():
        clean = entry.replace("*", "")
        variants = [(name, fn(clean, rng)) for name, fn in TECHNIQUES.items()]
        for _ in range(mixes):
            chosen = [n for n in MIX_ORDER if n in rng.sample(MIX_ORDER, rng.randint(2, 3))]
            if sum(n.startswith("split") for n in chosen) > 1:
                chosen = [*[n for n in chosen if not n.startswith("split")][:2], "split-dot"]
            text = clean
            for name in chosen:
                text = TECHNIQUES[name](text, rng)
            variants.append(("mixes", text))
        for name, variant in [("clean", clean), *variants]:
            yield lang, entry, name, variant


def _generator_2(seed: int, rounds: int) -> Iterator[tuple[str, str, str, str]]:
    rng = random.Random(f"second-{seed}")
    for lang, entry in _banned():
        clean = entry.replace("*", "")
        for name, fn in obfuscation_second.TECHNIQUES.items():
            for variant in dict.fromkeys(fn(clean, rng) for _ in range(rounds)):
                yield lang, entry, name, variant


def _banned() -> Iterator[tuple[str, str]]:
    for lang in LANGS:
        for entry in load_wordlist(WORDLISTS / lang / "banned.txt"):
            yield lang, entry


def catch_rates(variants: Iterator[tuple[str, str, str, str]], frames: dict[str, str],
                ) -> dict[str, Any]:
    """Per technique: [caught with the exact typed span, caught at all, variants]."""
    matchers = {lang: TermMatcher.from_entries(load_wordlist(WORDLISTS / lang / "banned.txt"),
                                               source=f"{lang}/banned") for lang in LANGS}
    counts: dict[str, list[int]] = {}
    misses: list[str] = []
    for lang, entry, name, variant in variants:
        text, span = _typed_span(frames[lang], variant)
        normalized = normalize(text)
        found = [m for m in matchers[lang].find(normalized, timeout=1.0) if m.entry == entry]
        spans = {(s.start, s.end) for s in (normalized.span(m.start, m.end) for m in found)}
        row = counts.setdefault(name, [0, 0, 0])
        row[0] += span in spans
        row[1] += bool(found)
        row[2] += 1
        if span not in spans:
            got = ", ".join(repr(text[a:b]) for a, b in sorted(spans)) or "nothing"
            misses.append(f"[{name}] {variant!r} -> {got}")
    return {"counts": counts, "misses": misses}


def measure(seed: int, mixes: int, rounds: int, data: Path | None) -> dict[str, Any]:
    result: dict[str, Any] = {
        "generator 1": catch_rates(_generator_1(seed, mixes), FRAME),
        "generator 2": catch_rates(_generator_2(seed, rounds), FRAME_2),
        "scunthorpe": scunthorpe(seed),
    }
    if data is not None:
        result["holds"] = holds(data)
    return result


#: Timings of the two sides alternate this many times (3 rounds each): on a shared machine
#: the best of them is the least disturbed, and neither side gets only the quiet minutes.
TIMING_TURNS = 3


class _Baseline:
    """Revision `rev`'s `moderator` package, run by this bench in a subprocess."""

    def __init__(self, rev: str, argv: list[str]) -> None:
        self._tmp = tempfile.TemporaryDirectory()
        archive = subprocess.run(["git", "-C", str(REPO), "archive", rev, "moderator"],
                                 check=True, capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", self._tmp.name], input=archive, check=True)
        self._argv = argv

    def run(self, *extra: str) -> dict[str, Any]:
        out = Path(self._tmp.name) / "result.json"
        env = {**os.environ, "PYTHONPATH": self._tmp.name}
        subprocess.run([sys.executable, __file__, *self._argv, *extra, "--json", str(out)],
                       env=env, check=True)
        return json.loads(out.read_text(encoding="utf-8"))

    def close(self) -> None:
        self._tmp.cleanup()


def _best(runs: list[dict[str, float]]) -> dict[str, float]:
    return {key: min(run[key] for run in runs) for key in runs[0]}


def _print_rates(name: str, results: dict[str, dict[str, Any]]) -> bool:
    print(f"\n{name}: caught with the exact typed span (caught at all) / variants")
    sides = list(results)
    print(f"  {'technique':26s}" + "".join(f"{side:>28s}" for side in sides))
    keys = list(results[sides[-1]][name]["counts"])
    totals = {side: [0, 0, 0] for side in sides}
    for key in keys:
        line = f"  {key:26s}"
        for side in sides:
            row = results[side][name]["counts"].get(key, [0, 0, 0])
            totals[side] = [t + r for t, r in zip(totals[side], row, strict=True)]
            line += f"{row[0]:>8d} ({row[1]:>5d}) /{row[2]:>5d} {100 * row[0] / row[2]:6.1f}%"
        print(line)
    line = f"  {'overall':26s}"
    for side in sides:
        t = totals[side]
        line += f"{t[0]:>8d} ({t[1]:>5d}) /{t[2]:>5d} {100 * t[0] / t[2]:6.1f}%"
    print(line)
    this = results[sides[-1]][name]
    for miss in this["misses"][:15]:
        print(f"  missed ({sides[-1]}): {miss}")
    if len(this["misses"]) > 15:
        print(f"  ... and {len(this['misses']) - 15} more")
    caught, _, total = totals[sides[-1]]
    return caught >= 0.99 * total


def report(results: dict[str, dict[str, Any]]) -> bool:
    """Print every side's numbers; True if this tree meets the targets."""
    sides = list(results)
    ok = _print_rates("generator 1", results)
    ok = _print_rates("generator 2", results) and ok
    print("\nScunthorpe table (every shipped list; hits must be 0):")
    for side in sides:
        table = results[side]["scunthorpe"]
        print(f"  {side:10s} {len(table['hits'])} hits on {table['total']} texts")
        for hit in table["hits"][:10]:
            print(f"    {hit}")
    ok = ok and not results[sides[-1]]["scunthorpe"]["hits"]
    if "timing" not in results[sides[-1]]:
        print("\nshared data not found: timing and holds skipped")
        return ok
    print(f"\nTime per 1,500-character comment (best of {3 * TIMING_TURNS} rounds over 300 "
          "comments, the sides taking turns):")
    for key in results[sides[-1]]["timing"]:
        print(f"  {key:14s}" + "".join(f"  {side} {results[side]['timing'][key]:8.0f} us"
                                       for side in sides))
    this = results[sides[-1]]["holds"]
    print(f"\nHolds on the shared data ({sum(this['rows'].values())} discusses/other rows):")
    for label in ("discusses", "other"):
        for kind in ("banned", "suspect"):
            line = f"  {label:9s} {kind:7s}"
            counts = []
            for side in sides:
                held = results[side]["holds"]
                n = sum(held["labels"][key] == label for key in held["flagged"][kind])
                counts.append(n)
                line += f"  {side} {n:5d} ({100 * n / held['rows'][label]:.2f}%)"
            print(line)
            ok = ok and counts[-1] <= counts[0]
    if len(sides) > 1:
        before = results[sides[0]]["holds"]["flagged"]
        for kind in ("banned", "suspect"):
            new = [key for key in this["flagged"][kind] if key not in before[kind]]
            gone = [key for key in before[kind] if key not in this["flagged"][kind]]
            print(f"  {kind}: {len(new)} rows newly flagged, {len(gone)} no longer")
            for key in new[:10]:
                found = "; ".join(this["flagged"][kind][key])
                print(f"    new ({this['labels'][key]}): {found}")
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=4)
    parser.add_argument("--mixes", type=int, default=5, help="generator 1 mixes per entry")
    parser.add_argument("--rounds", type=int, default=4,
                        help="generator 2 variants per technique and entry")
    parser.add_argument("--skip-data", action="store_true", help="no timing and holds")
    parser.add_argument("--baseline", metavar="REV", help="also measure git revision REV")
    parser.add_argument("--json", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--timing-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    configured = os.environ.get("MODERATOR_SHARED_DATA")
    data: Path | None = Path(configured) if configured else REPO.parent / "shared" / "data"
    if args.skip_data or not (data / "README.md").is_file():
        data = None
    if args.json:
        if args.timing_only:
            assert data is not None
            found: dict[str, Any] = timing(data, args.seed)
        else:
            found = measure(args.seed, args.mixes, args.rounds, data)
        args.json.write_text(json.dumps(found), encoding="utf-8")
        return 0
    results = {}
    baseline = None
    if args.baseline:
        argv = [f"--seed={args.seed}", f"--mixes={args.mixes}", f"--rounds={args.rounds}"]
        argv += ["--skip-data"] * (data is None)
        baseline = _Baseline(args.baseline, argv)
        results[args.baseline] = baseline.run()
    results["this tree"] = measure(args.seed, args.mixes, args.rounds, data)
    if data is not None:
        times: dict[str, list[dict[str, float]]] = {side: [] for side in results}
        for _ in range(TIMING_TURNS):
            if baseline is not None:
                times[args.baseline].append(baseline.run("--timing-only"))
            times["this tree"].append(timing(data, args.seed))
        for side, runs in times.items():
            results[side]["timing"] = _best(runs)
    if baseline is not None:
        baseline.close()
    return 0 if report(results) else 1


if __name__ == "__main__":
    sys.exit(main())
