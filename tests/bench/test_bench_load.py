"""bench_load's reading of wrk's report, on real wrk output (tests/fixtures/wrk)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "bench"))
from bench_load import parse_wrk  # noqa: E402

REAL = (REPO / "tests" / "fixtures" / "wrk" / "bare_2s.txt").read_text(encoding="utf-8")


def test_parse_wrk_reads_a_real_report() -> None:
    assert parse_wrk(REAL) == {"rps": 1180.17, "p50_ms": 4.40, "p99_ms": 38.96,
                               "requests": 2376, "errors": 0, "non_2xx": 0,
                               "socket_errors": 0}


def test_a_stdev_column_ending_in_50_percent_is_not_the_median() -> None:
    # The same report with the thread stats' "+/- Stdev" at 72.50% and 99.50%: the old
    # pattern took "Req/Sec" (or the line after) for the median and the 99th percentile.
    report = REAL.replace("85.14%", "72.50%").replace("45.00%", "99.50%")
    assert "72.50%" in report and "99.50%" in report
    parsed = parse_wrk(report)
    assert (parsed["p50_ms"], parsed["p99_ms"]) == (4.40, 38.96)


def test_errors_add_non_2xx_and_socket_errors() -> None:
    report = REAL.replace(
        "Requests/sec:", "  Socket errors: connect 1, read 2, write 0, timeout 3\n"
        "  Non-2xx or 3xx responses: 4\nRequests/sec:")
    parsed = parse_wrk(report)
    assert (parsed["errors"], parsed["non_2xx"], parsed["socket_errors"]) == (10, 4, 6)


def test_a_report_without_a_latency_distribution_is_refused() -> None:
    cut = REAL[: REAL.index("  Latency Distribution")]
    with pytest.raises(ValueError, match="latency distribution"):
        parse_wrk(cut + REAL[REAL.index("  2376 requests"):])
