"""Reading the labelled CSVs (text, label, source, lang) and describing them for the card.

The card records every data file by sha256 and row counts so a model can be traced
back to exactly the rows that trained it; the licences come from the data README
so a site can check the terms before using a model commercially.
"""

from __future__ import annotations

import csv
import hashlib
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from moderator.errors import ModeratorError

LABELS = ("propaganda", "discusses", "other")
POSITIVE = "propaganda"
NEGATIVES = ("discusses", "other")
COLUMNS = ("text", "label", "source", "lang")


class DataError(ModeratorError):
    """A data file is missing a column or holds an unknown label."""


@dataclass(slots=True)
class Dataset:
    """Rows as parallel lists, plus a description of every file they came from."""

    texts: list[str] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    langs: list[str] = field(default_factory=list)
    files: list[dict[str, Any]] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.texts)

    @property
    def y(self) -> list[int]:
        return [int(label == POSITIVE) for label in self.labels]

    def subset(self, keep: Sequence[bool]) -> Dataset:
        """Rows where `keep` is true; file descriptions are kept as they are."""
        idx = [i for i, k in enumerate(keep) if k]
        return Dataset(
            [self.texts[i] for i in idx],
            [self.labels[i] for i in idx],
            [self.sources[i] for i in idx],
            [self.langs[i] for i in idx],
            list(self.files),
        )


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _counts(values: Iterable[str]) -> dict[str, int]:
    return dict(sorted(Counter(values).items()))


def load_csvs(paths: Sequence[Path]) -> Dataset:
    """Read the CSVs in order; raise DataError on a missing column or an unknown label."""
    data = Dataset()
    for path in paths:
        first = len(data)
        with path.open(encoding="utf-8", newline="") as fh:
            reader = csv.DictReader(fh)
            missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
            if missing:
                raise DataError(f"{path.name}: missing columns {missing}")
            for line, row in enumerate(reader, start=2):
                if row["label"] not in LABELS:
                    raise DataError(f"{path.name}:{line}: unknown label {row['label']!r}")
                data.texts.append(row["text"])
                data.labels.append(row["label"])
                data.sources.append(row["source"] or path.stem)
                data.langs.append(row["lang"] or "und")
        data.files.append(
            {
                "name": path.name,
                "sha256": sha256_file(path),
                "rows": len(data) - first,
                "labels": _counts(data.labels[first:]),
                "sources": _counts(data.sources[first:]),
                "langs": _counts(data.langs[first:]),
            }
        )
    return data


_TABLE_ROW = re.compile(r"^\|\s*`(?P<file>[^`]+\.csv)`\s*\|(?P<cells>.*)\|\s*\Z")


def read_licences(readme: Path) -> dict[str, dict[str, str]]:
    """File name -> source repository and licence, from the data README's file table."""
    if not readme.is_file():
        return {}
    out: dict[str, dict[str, str]] = {}
    for line in readme.read_text(encoding="utf-8").splitlines():
        match = _TABLE_ROW.match(line)
        if not match:
            continue
        cells = [c.strip() for c in match["cells"].split("|")]
        if len(cells) >= 5:
            out[match["file"]] = {"source": cells[3], "licence": cells[4]}
    return out


def licences_for(paths: Sequence[Path]) -> dict[str, dict[str, str]]:
    """Licences of the given files, looked up in the README.md beside each of them."""
    found: dict[str, dict[str, str]] = {}
    tables: dict[Path, dict[str, dict[str, str]]] = {}
    for path in paths:
        folder = path.resolve().parent
        if folder not in tables:
            tables[folder] = read_licences(folder / "README.md")
        entry = tables[folder].get(path.name)
        found[path.name] = entry or {"source": "unknown", "licence": "not found in data README"}
    return found


def split_key(text: str) -> str:
    """What decides a row's split: lower-cased words without URLs, @mentions or a leading RT.

    Retweets of one message and the same text with another short link share a key,
    so they never land on both sides of a split.
    """
    text = re.sub(r"https?://\S+|www\.\S+|@\w+", " ", text.lower())
    text = re.sub(r"^\s*rt\b", " ", text)
    return " ".join(re.findall(r"\w+", text)) or text


def in_fold(text: str, seed: str, fraction: float) -> bool:
    """Deterministic, order-independent assignment of a text to a `fraction` of the rows."""
    digest = hashlib.sha256((seed + "\x00" + split_key(text)).encode("utf-8")).hexdigest()
    return int(digest[:12], 16) / float(16**12) < fraction
