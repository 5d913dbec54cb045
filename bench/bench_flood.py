"""What the flood limits add to one comment's check: memory vs the real Redis, beside the
policy check itself (`run_policy`, default policy, no model) timed in the same run.

Each round checks a new commenter and address (so no limit is reached and every limit and
the repeat key are taken: the most work a comment that passes can cost); the median and
p99 of N rounds per store. Redis keys go under a prefix of this run's own, deleted after.

    .venv/bin/python bench/bench_flood.py [--rounds 2000] [--redis redis://127.0.0.1:6379/0]
"""

from __future__ import annotations

import argparse
import statistics
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import redis

from moderator.flood import FloodLimiter
from moderator.policy import load_policy, run_policy
from moderator.types import Comment

REPO = Path(__file__).resolve().parents[1]
TEXT = ("The council voted again tonight on the new bus routes, and readers wrote in. " * 20)[:1500]


def timings(rounds: int, fn: Callable[[int], object]) -> list[float]:
    out = []
    for i in range(rounds):
        start = time.perf_counter()
        fn(i)
        out.append((time.perf_counter() - start) * 1e6)
    return out


def summary(name: str, micros: list[float], base: float | None = None) -> float:
    median = statistics.median(micros)
    p99 = statistics.quantiles(micros, n=100)[98]
    ratio = f"  ({median / base:.3f}x the policy check)" if base else ""
    print(f"{name:<28} median {median:8.1f} us   p99 {p99:8.1f} us{ratio}")
    return median


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2000)
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/0")
    args = parser.parse_args()
    policy = load_policy(REPO / "rules" / "policies" / "default.toml")

    def comment(i: int) -> Comment:
        return Comment({"comment": f"{TEXT[:-8]}{i:08d}", "name": "Reader",
                        "email": f"reader{i}@example.org"}, context={"ip": f"10.{i % 250}.0.1"})

    comments = [comment(i) for i in range(args.rounds)]
    base = summary("policy check (no model)",
                   timings(args.rounds, lambda i: run_policy(comments[i], policy)))
    memory = FloodLimiter(None, lambda: b"k" * 32)
    summary("flood check, memory", timings(args.rounds,
                                           lambda i: memory.check(comments[i], policy)), base)
    prefix = f"moderator-bench-{uuid.uuid4().hex}"
    shared = FloodLimiter(args.redis, lambda: b"k" * 32, key_prefix=prefix)
    if shared.problem():
        print(f"flood check, redis: skipped, no Redis answers at {args.redis}")
        return
    try:
        summary("flood check, redis", timings(args.rounds,
                                              lambda i: shared.check(comments[i], policy)), base)
    finally:
        client = redis.Redis.from_url(args.redis)
        keys = list(client.scan_iter(match=f"{prefix}:*", count=1000))
        for start in range(0, len(keys), 1000):
            client.delete(*keys[start:start + 1000])


if __name__ == "__main__":
    main()
