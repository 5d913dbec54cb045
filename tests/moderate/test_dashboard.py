"""The dashboard's numbers from hand-made rows: per day, times, overturns, score bands."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from moderator.moderate import dashboard
from moderator.store import DecidedRow

T0 = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)


def row(status: str, verdict: str = "review", codes: tuple[str, ...] = ("suspect.word",),
        score: float | None = None, label: str | None = None, minutes: float = 10,
        day: int = 0) -> DecidedRow:
    created = T0 + timedelta(days=day)
    decided = created + timedelta(minutes=minutes) if status in ("approved", "rejected") \
        else None
    return DecidedRow(created, decided, status, verdict, codes, score, label)


def test_held_and_rejected_per_day_include_the_empty_days() -> None:
    rows = [row("pending"), row("approved"), row("auto_rejected", "reject"),
            row("pending", day=2)]
    days = dashboard.per_day(rows, date(2026, 12, 3), 4)
    assert [(d.day.day, d.held, d.auto_rejected) for d in days] == \
        [(30, 0, 0), (1, 2, 1), (2, 0, 0), (3, 1, 0)]


def test_decision_times_are_nearest_rank_quantiles_of_decided_rows() -> None:
    rows = [row("approved", minutes=m) for m in (1, 2, 3, 4, 5, 6, 7, 8, 9, 100)]
    rows.append(row("pending"))
    times = dashboard.decision_times(rows)
    assert (times.count, times.median, times.p90) == (10, 300.0, 540.0)
    assert dashboard.decision_times([]) == dashboard.Times(0, None, None)
    assert [dashboard.duration(s) for s in (None, 5, 300, 9000, 259200)] == \
        ["–", "5 s", "5 min", "2.5 h", "3.0 d"]


def test_an_overturn_is_an_approval_counted_per_code_and_checker_verdict() -> None:
    rows = [row("approved", codes=("suspect.word", "links.too_many")),
            row("rejected", codes=("suspect.word",)),
            row("approved", "reject", codes=("banned.word",)),
            row("rejected", "reject", codes=("banned.word",)),
            row("rejected", "reject", codes=("banned.word",)),
            row("pending", codes=("suspect.word",))]
    found = {(o.code, o.verdict): (o.decided, o.overturned) for o in dashboard.overturns(rows)}
    assert found == {("banned.word", "reject"): (3, 1), ("links.too_many", "review"): (1, 1),
                     ("suspect.word", "review"): (2, 1)}
    [banned] = [o for o in dashboard.overturns(rows) if o.code == "banned.word"]
    assert round(banned.rate, 3) == 0.333


def test_score_bands_judge_disagreement_against_the_hold_threshold() -> None:
    rows = [row("approved", score=0.85), row("rejected", score=0.87, label="propaganda"),
            row("rejected", score=0.05, label="propaganda"), row("approved", score=0.04),
            row("approved", score=1.0), row("approved", score=None), row("pending", score=0.5)]
    bands = dashboard.bands(rows, review_at=0.8)
    assert len(bands) == 10 and (bands[0].low, bands[-1].high) == (0.0, 1.0)
    first, eighth, last = bands[0], bands[8], bands[9]
    assert (first.decided, first.approved, first.propaganda, first.disagreed) == (2, 1, 1, 1)
    assert (eighth.decided, eighth.approved, eighth.rejected, eighth.disagreed) == (2, 1, 1, 1)
    assert (last.decided, last.disagreed, last.disagree_rate) == (1, 1, 1.0)
    assert all(b.decided == 0 for b in bands[1:8])
    assert dashboard.bands(rows, None)[0].disagreed is None


def test_the_window_starts_at_midnight() -> None:
    assert dashboard.since(datetime(2026, 12, 3, 15, 30, tzinfo=UTC), 3) == \
        datetime(2026, 12, 1, tzinfo=UTC)
