"""Word-list checks of bench_obfuscation.py that need no generator of variants.

* a Scunthorpe table: innocent words that contain listed ones, plain and obfuscated by the
  second generator, against every shipped list;
* holds: the `discusses` and `other` rows of the shared labelled data each list flags;
* timing: one policy check, and the two word lists alone, per 1,500-character comment
  built from shared-data rows.

Data is read at run time; no rows are copied into the repository.
"""

from __future__ import annotations

import csv
import random
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import obfuscation_second

from moderator.policy.engine import run_policy
from moderator.policy.loader import load_policy
from moderator.policy.terms import TermMatch, TermMatcher, load_wordlist
from moderator.text import NormalizedText, normalize
from moderator.types import Comment

REPO = Path(__file__).resolve().parent.parent
WORDLISTS = REPO / "rules" / "wordlists"
LANGS = ("en", "ru", "kk")


# Innocent words that contain listed ones (or read like them), in each script.
SCUNTHORPE = [
    "classic", "assassin", "Scunthorpe", "skill", "skills", "bass", "Essex", "Sussex", "grape",
    "therapist", "cocktail", "spicy", "spices", "allspice", "passage", "embassy", "snigger",
    "niggardly", "jihadist", "nazireth", "Kikeriki", "chinkapin", "zogby", "raggedy",
    "heiligenschein", "deathtoll", "kindle", "dogmatic", "Spicer", "backwater",
    "жидкость", "жидкий", "хачапури", "Хачатурян", "употреблять", "корабля", "застрахуй",
    "бейсбол", "голубей", "зигзаг", "чуркин", "жидковат", "хачик", "бейджик",
    "бейбітшілік", "қант", "қанша", "өлтірілді", "итбалық", "китап", "ақиқат", "тағам",
]
SCUNTHORPE_FRAMES = ("{}", "we said {} twice", "он сказал {} дважды")


def scunthorpe(seed: int) -> dict[str, Any]:
    """Hits of every shipped list on the innocent words, plain and obfuscated."""
    entries = [e for path in sorted(WORDLISTS.glob("*/*.txt")) for e in load_wordlist(path)]
    matcher = TermMatcher.from_entries(entries, source="shipped")
    rng = random.Random(f"scunthorpe-{seed}")
    techniques = [obfuscation_second.digits, obfuscation_second.digit_first,
                  obfuscation_second.lookalike_some, obfuscation_second.lookalike_all,
                  obfuscation_second.lookalike_zero_width, obfuscation_second.spaced,
                  obfuscation_second.dotted]
    words = set(SCUNTHORPE)
    for word in SCUNTHORPE:
        words |= {fn(word, rng) for fn in techniques for _ in range(3)}
    hits: list[str] = []
    total = 0
    for word in sorted(words):
        for frame in SCUNTHORPE_FRAMES:
            total += 1
            text = frame.format(word)
            normalized = normalize(text)
            for m in matcher.find(normalized, timeout=1.0):
                span = normalized.span(m.start, m.end)
                hits.append(f"{m.entry!r} <- {text[span.start:span.end]!r}")
    return {"hits": hits, "total": total}


def _rows(data: Path) -> Iterator[tuple[str, str, str]]:
    """(key, label, text) of every `discusses` and `other` row."""
    csv.field_size_limit(10_000_000)
    for path in sorted(data.glob("*.csv")):
        with path.open(encoding="utf-8", newline="") as handle:
            for number, row in enumerate(csv.DictReader(handle)):
                if row["label"] in ("discusses", "other"):
                    yield f"{path.stem}:{number}", row["label"], row["text"]


def holds(data: Path) -> dict[str, Any]:
    """Rows each list flags, per label, and what it matched (as typed) in each such row."""
    matchers = {
        kind: TermMatcher.from_entries(
            [e for lang in LANGS for e in load_wordlist(WORDLISTS / lang / f"{kind}.txt")],
            source=kind)
        for kind in ("banned", "suspect")
    }
    rows: Counter[str] = Counter()
    flagged: dict[str, dict[str, list[str]]] = {"banned": {}, "suspect": {}}
    labels: dict[str, str] = {}
    for key, label, text in _rows(data):
        rows[label] += 1
        normalized = normalize(text)
        for kind, matcher in matchers.items():
            found = matcher.find(normalized, timeout=1.0)
            if found:
                labels[key] = label
                flagged[kind][key] = [_as_typed(m, normalized) for m in found]
    return {"rows": dict(rows), "flagged": flagged, "labels": labels}


def _as_typed(match: TermMatch, normalized: NormalizedText) -> str:
    span = normalized.span(match.start, match.end)
    return f"{match.entry!r} <- {normalized.original[span.start:span.end]!r}"


def _comments(data: Path, count: int, seed: int) -> list[str]:
    """`count` comments of 1,500 characters, each made of shared-data rows run together."""
    texts = [text for _, _, text in _rows(data)]
    rng = random.Random(f"timing-{seed}")
    comments = []
    for _ in range(count):
        parts: list[str] = []
        while sum(map(len, parts)) < 1500:
            parts.append(rng.choice(texts))
        comments.append(" ".join(parts)[:1500])
    return comments


def timing(data: Path, seed: int, count: int = 300) -> dict[str, float]:
    """Microseconds per 1,500-character comment: the policy check, the word lists alone."""
    comments = _comments(data, count, seed)
    policy = load_policy(REPO / "rules" / "policies" / "default.toml")
    matchers = [TermMatcher.from_entries(
        [e for lang in LANGS for e in load_wordlist(WORDLISTS / lang / f"{kind}.txt")],
        source=kind) for kind in ("banned", "suspect")]

    def check(text: str) -> None:
        run_policy(Comment({"comment": text, "name": "A Reader",
                            "email": "reader@example.org"}), policy, None)

    def lists(text: str) -> None:
        normalized = normalize(text)
        for matcher in matchers:
            matcher.find(normalized, timeout=1.0)

    out = {}
    for name, fn in (("policy check", check), ("word lists", lists)):
        for text in comments[:20]:
            fn(text)  # warm up
        rounds = []
        for _ in range(3):
            started = time.perf_counter()
            for text in comments:
                fn(text)
            rounds.append((time.perf_counter() - started) / len(comments) * 1e6)
        out[name] = min(rounds)  # the least disturbed round: the machine is shared
    return out
