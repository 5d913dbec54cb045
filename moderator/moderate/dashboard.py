"""The dashboard's numbers from the store's rows: held per day, time to a decision, how
often moderators overturn each reason code, and the classifier's score bands.

An overturn is an approval of a comment the checker held or rejected: the rule's opinion
did not survive a person reading it. At a score band above the hold threshold an
approval disagrees with the classifier; below it, a propaganda label does (the classifier
let through what a moderator calls propaganda). Pure functions: the page renders them,
tests feed them rows.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from moderator.store import DecidedRow

BAND_WIDTH = 0.1
DECIDED = ("approved", "rejected")


@dataclass(frozen=True, slots=True)
class Day:
    day: date
    held: int
    auto_rejected: int


@dataclass(frozen=True, slots=True)
class Times:
    """Seconds from arrival to a moderator's decision."""

    count: int
    median: float | None
    p90: float | None


@dataclass(frozen=True, slots=True)
class Overturns:
    code: str
    verdict: str
    decided: int
    overturned: int

    @property
    def rate(self) -> float:
        return self.overturned / self.decided if self.decided else 0.0


@dataclass(frozen=True, slots=True)
class Band:
    low: float
    high: float
    decided: int
    approved: int
    rejected: int
    propaganda: int
    #: Decisions that disagree with the classifier (None: thresholds unknown).
    disagreed: int | None

    @property
    def disagree_rate(self) -> float | None:
        if self.disagreed is None or not self.decided:
            return None
        return self.disagreed / self.decided


def per_day(rows: Sequence[DecidedRow], today: date, days: int) -> list[Day]:
    """Comments held and rejected by rules on each of the last `days` days (oldest first)."""
    held: Counter[date] = Counter()
    rejected: Counter[date] = Counter()
    for row in rows:
        (rejected if row.verdict == "reject" else held)[row.created_at.date()] += 1
    first = today - timedelta(days=days - 1)
    return [Day(d, held[d], rejected[d])
            for d in (first + timedelta(days=i) for i in range(days))]


def quantile(values: Sequence[float], q: float) -> float | None:
    """The q-quantile by the nearest-rank method (a small sample stays readable)."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(q * len(ordered)))
    return ordered[rank - 1]


def decision_times(rows: Sequence[DecidedRow]) -> Times:
    seconds = [(r.decided_at - r.created_at).total_seconds() for r in rows
               if r.status in DECIDED and r.decided_at is not None]
    return Times(len(seconds), quantile(seconds, 0.5), quantile(seconds, 0.9))


def overturns(rows: Sequence[DecidedRow]) -> list[Overturns]:
    """Per finding code and checker verdict: decided comments and how many were approved."""
    decided: Counter[tuple[str, str]] = Counter()
    approved: Counter[tuple[str, str]] = Counter()
    for row in rows:
        if row.status not in DECIDED:
            continue
        for code in set(row.codes):
            decided[(code, row.verdict)] += 1
            approved[(code, row.verdict)] += row.status == "approved"
    return [Overturns(code, verdict, n, approved[(code, verdict)])
            for (code, verdict), n in sorted(decided.items())]


def bands(rows: Sequence[DecidedRow], review_at: float | None,
          width: float = BAND_WIDTH) -> list[Band]:
    """Decided comments by propaganda score band; disagreement judged against `review_at`."""
    count = round(1 / width)
    stats = [[0, 0, 0, 0, 0] for _ in range(count)]  # decided, approved, rejected, prop., dis.
    for row in rows:
        if row.status not in DECIDED or row.score is None:
            continue
        index = min(count - 1, max(0, int(row.score / width)))
        s = stats[index]
        s[0] += 1
        s[1] += row.status == "approved"
        s[2] += row.status == "rejected"
        s[3] += row.label == "propaganda"
        if review_at is not None:
            flagged = row.score >= review_at
            s[4] += (row.status == "approved") if flagged else (row.label == "propaganda")
    return [Band(round(i * width, 4), round((i + 1) * width, 4), s[0], s[1], s[2], s[3],
                 s[4] if review_at is not None else None)
            for i, s in enumerate(stats)]


def duration(seconds: float | None) -> str:
    """3 s, 4 min, 2.5 h, 3.0 d: a time a moderator reads at a glance."""
    if seconds is None:
        return "–"
    if seconds < 60:
        return f"{seconds:.0f} s"
    if seconds < 3600:
        return f"{seconds / 60:.0f} min"
    if seconds < 86400:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} d"


def since(now: datetime, days: int) -> datetime:
    """Midnight UTC `days - 1` days ago: the window starts at a day's start."""
    start = (now - timedelta(days=days - 1)).date()
    return datetime(start.year, start.month, start.day, tzinfo=now.tzinfo)
