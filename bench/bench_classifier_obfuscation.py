"""Obfuscation robustness of the propaganda classifier (issue 4, item 4: the classifier part).

1. Recall on obfuscated propaganda: a fixed-seed sample of real `propaganda` rows is scored
   clean and then obfuscated with each technique of bench_obfuscation.py (case, full-width,
   zero-width, bidi, look-alikes from the other script, leetspeak, repeats, letters split by
   spaces, dots, dashes or underscores) and with mixes of two or three of them. Two
   strengths: a share of the words (default 30%, the way commenters hide the words that
   matter) and every word. Recall is counted at the model's review threshold.
   Target: recall drops by less than 2 points against clean.
2. False positives: share of sampled `discusses` and `other` rows at or above the review
   threshold, scored with the full normaliser and with a baseline normaliser that only does
   NFKC and case folding. Target: no increase.

The model reads text as typed; the rule engine serves it the higher of the typed and the
normalised reading (`Model.score_normalized`). "no-norm" is the typed reading alone, shown
per technique, so the table also shows what the normalised reading buys.

The model is whatever `models/propaganda/CURRENT` names when the bench starts; its
version is printed. Its training data is the same shared data, so these are in-sample
rates: read the deltas, not the levels. Data is read at run time from
$MODERATOR_SHARED_DATA or ../shared/data; no rows are copied into the repository.

    .venv/bin/python bench/bench_classifier_obfuscation.py [--sample 2000] [--seed 4]
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path

import regex
from bench_obfuscation import MIX_ORDER, WORD_TECHNIQUES

from moderator.classifier.model import Model, load_model
from moderator.classifier.registry import resolve_current
from moderator.text import NORMALIZER_VERSION, normalize

REPO = Path(__file__).resolve().parent.parent
TARGET_DROP = 2.0  # points of recall
# Words worth hiding: three or more letters, not inside a link, mention or hashtag.
_WORD = regex.compile(r"(?<![\p{L}\p{M}\p{N}])\p{L}{3,}(?![\p{L}\p{M}\p{N}])")
_SKIP = regex.compile(r"https?://\S+|www\.\S+|[@#][\p{L}\p{N}_]+")

WordFn = Callable[[str, random.Random], str]


def read_rows(data: Path) -> dict[str, list[tuple[str, str]]]:
    """(text, lang) of every row, by label, in file order."""
    rows: dict[str, list[tuple[str, str]]] = {}
    for path in sorted(data.glob("*.csv")):
        with path.open(encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                rows.setdefault(row["label"], []).append((row["text"], row["lang"]))
    return rows


def mix_chain(rng: random.Random) -> list[str]:
    """Two or three techniques in a sensible order, at most one kind of split (as in the
    word-list bench)."""
    chosen = [n for n in MIX_ORDER if n in rng.sample(MIX_ORDER, rng.randint(2, 3))]
    if sum(n.startswith("split") for n in chosen) > 1:
        chosen = [*[n for n in chosen if not n.startswith("split")][:2], "split-dot"]
    return chosen


def obfuscate(text: str, fns: Sequence[WordFn], share: float, pick: random.Random,
              rng: random.Random) -> str:
    """Apply `fns` in turn to a share of the words (at least one) chosen by `pick`."""
    skip = [m.span() for m in _SKIP.finditer(text)]
    words = [m for m in _WORD.finditer(text)
             if not any(a <= m.start() < b for a, b in skip)]
    if not words:
        return text
    chosen = {i for i in range(len(words)) if pick.random() < share}
    chosen = chosen or {pick.randrange(len(words))}
    out: list[str] = []
    pos = 0
    for i, match in enumerate(words):
        if i not in chosen:
            continue
        word = match.group()
        for fn in fns:
            word = fn(word, rng)
        out += [text[pos:match.start()], word]
        pos = match.end()
    out.append(text[pos:])
    return "".join(out)


def variants(texts: Sequence[str], seed: int, share: float) -> dict[str, list[str]]:
    """Every technique (and "mixes") applied to every text; the same words per text."""
    out: dict[str, list[str]] = {}
    names = [*WORD_TECHNIQUES, "mixes"]
    for name in names:
        rng = random.Random(f"{seed}:{name}:{share}")
        made = []
        for i, text in enumerate(texts):
            pick = random.Random(f"{seed}:{share}:{i}")  # same chosen words for each technique
            chain = [WORD_TECHNIQUES[n] for n in mix_chain(rng)] if name == "mixes" else [
                WORD_TECHNIQUES[name]]
            made.append(obfuscate(text, chain, share, pick, rng))
        out[name] = made
    return out


def flagged(model: Model, texts: Sequence[str], threshold: float, served: bool) -> int:
    """How many texts score at or above `threshold`: as the rule engine serves them (the
    higher of the typed and the normalised reading) or as typed only (scored in batches)."""
    count = 0
    for i in range(0, len(texts), 500):
        batch = texts[i:i + 500]
        scores = model.score_normalized([normalize(t) for t in batch]) if served \
            else model.score(batch)
        count += sum(p >= threshold for p in scores)
    return count


def scored(model: Model, texts: Sequence[str], threshold: float,
           baseline: bool = False) -> int:
    return flagged(model, texts, threshold, served=not baseline)


def recall_table(model: Model, texts: Sequence[str], seed: int, share: float) -> bool:
    review = model.thresholds["review"]
    n = len(texts)
    strengths = {f"{share:.0%} of words": share, "every word": 1.0}
    results: dict[str, dict[str, tuple[int, int]]] = {}
    clean = (scored(model, texts, review), scored(model, texts, review, baseline=True))
    for label, strength in strengths.items():
        made = variants(texts, seed, strength)
        results[label] = {name: (scored(model, v, review), scored(model, v, review, True))
                          for name, v in made.items()}
    pct = 100 / n
    print(f"\nRecall at the review threshold ({review:.4f}) on {n} propaganda rows;"
          f" 'no-norm' = typed text only; target: drop < {TARGET_DROP:g} points")
    head = "".join(f" | {label:^34s}" for label in strengths)
    print(f"  {'technique':17s}{head}")
    sub = " | recall   Δ pts  ratio  no-norm  " * len(strengths)
    print(f"  {'':17s}{sub}")
    print(f"  {'clean':17s}" + f" | {clean[0] * pct:5.1f}%      —   1.000   {clean[1] * pct:5.1f}% "
          * len(strengths))
    ok = True
    for name in [*WORD_TECHNIQUES, "mixes"]:
        line = f"  {name:17s}"
        for label in strengths:
            hit, raw = results[label][name]
            drop = (clean[0] - hit) * pct
            ok = ok and drop < TARGET_DROP
            flag = "*" if drop >= TARGET_DROP else " "
            line += (f" | {hit * pct:5.1f}% {-drop:+6.1f}{flag} {hit / max(clean[0], 1):5.3f}"
                     f"   {raw * pct:5.1f}% ")
        print(line)
    print("  * = drop of 2 points or more")
    return ok


def false_positives(model: Model, rows: dict[str, list[tuple[str, str]]], sample: int,
                    seed: int) -> bool:
    review = model.thresholds["review"]
    print(f"\nFalse positives at the review threshold ({review:.4f}); target: no increase")
    print(f"  {'label':10s} {'rows':>5s}  {'typed text only':>18s}  {'as served':>16s}"
          f"  {'Δ pts':>6s}")
    ok = True
    for label in ("discusses", "other"):
        pool = rows.get(label, [])
        picked = random.Random(f"{seed}:{label}").sample(pool, min(sample, len(pool)))
        texts = [text for text, _ in picked]
        raw = scored(model, texts, review, baseline=True)
        full = scored(model, texts, review)
        pct = 100 / len(texts)
        ok = ok and full <= raw
        print(f"  {label:10s} {len(texts):5d}  {raw:6d} ({raw * pct:5.2f}%)   {full:6d} "
              f"({full * pct:5.2f}%)  {(full - raw) * pct:+6.2f}")
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sample", type=int, default=2000, help="rows per label")
    parser.add_argument("--seed", type=int, default=4)
    parser.add_argument("--share", type=float, default=0.3,
                        help="share of words obfuscated in the lighter strength")
    parser.add_argument("--models", type=Path, default=REPO / "models")
    args = parser.parse_args()
    configured = os.environ.get("MODERATOR_SHARED_DATA")
    data = Path(configured) if configured else REPO.parent / "shared" / "data"
    if not (data / "README.md").is_file():
        print(f"shared data not found at {data}")
        return 2
    started = time.perf_counter()
    path = resolve_current(args.models, "propaganda")
    model = load_model(path)
    trained = model.card.get("normalizer", {}).get("version", "?")
    print(f"Model {model.version} ({path.relative_to(args.models)}), thresholds "
          f"review {model.thresholds['review']:.4f} reject {model.thresholds['reject']:.4f};"
          f" normaliser {NORMALIZER_VERSION} (model trained with {trained})")
    rows = read_rows(data)
    pool = rows.get("propaganda", [])
    chosen = random.Random(f"{args.seed}:propaganda").sample(pool, min(args.sample, len(pool)))
    langs = Counter(lang for _, lang in chosen)
    print(f"Propaganda sample: {len(chosen)} of {len(pool)} rows (seed {args.seed}); languages "
          + ", ".join(f"{lang} {n}" for lang, n in langs.most_common()))
    ok = recall_table(model, [t for t, _ in chosen], args.seed, args.share)
    ok = false_positives(model, rows, args.sample, args.seed) and ok
    print(f"\n{time.perf_counter() - started:.0f} s")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
