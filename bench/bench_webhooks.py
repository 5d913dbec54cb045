"""What the webhook outbox adds to one moderator decision: `Moderator.decide` on a site
without a `[webhook]` beside the same on a site with one (the outbox row written in the
decision's transaction), on SQLite and the test PostgreSQL, in the same run.

Nothing is sent (no dispatcher runs): this times the decision a moderator waits for.

    .venv/bin/python bench/bench_webhooks.py [--rounds 300]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from moderator.policy import PolicySet
from moderator.service import Moderator
from moderator.store import Store
from moderator.store.testing import PostgresUnavailable, temp_database
from moderator.types import Action, Comment, Decision, Finding, Verdict

POLICY = ('[policy]\nsite = "{site}"\nversion = "1"\n\n[fields.comment]\nrequired = true\n\n'
          '[fields.email]\ntype = "email"\n')
HOOK = '\n[webhook]\nurl = "https://news.example/hook"\n'


def hold(store: Store, site: str) -> str:
    verdict = Verdict(Decision.REVIEW, (Finding("suspect.word", "comment", Action.REVIEW,
                                                "Held."),), {}, f"{site}@1", None, "en")
    return store.hold(Comment({"comment": "A comment to decide.", "email": "a@b.kz"},
                              site=site), verdict, "comment", ("email",))


def decisions(service: Moderator, store: Store, rounds: int) -> dict[str, list[float]]:
    """Decide `rounds` comments of each site, alternating, so both meet the same database
    state (table sizes, caches, the disk's moods)."""
    ids = {site: [hold(store, site) for _ in range(rounds)] for site in ("plain", "hooked")}
    out: dict[str, list[float]] = {"plain": [], "hooked": []}
    for i in range(rounds):
        for site in ("plain", "hooked") if i % 2 else ("hooked", "plain"):
            start = time.perf_counter()
            service.decide(ids[site][i], "approve", "other", "bench")
            out[site].append((time.perf_counter() - start) * 1e6)
    return out


def summary(name: str, micros: list[float], base: float | None = None) -> float:
    median = statistics.median(micros)
    p99 = statistics.quantiles(micros, n=100)[98]
    ratio = f"  ({median / base:.3f}x without a webhook)" if base else ""
    print(f"{name:<34} median {median:8.1f} us   p99 {p99:8.1f} us{ratio}")
    return median


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=300)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        policies = Path(folder) / "policies"
        policies.mkdir()
        (policies / "plain.toml").write_text(POLICY.format(site="plain"), encoding="utf-8")
        (policies / "hooked.toml").write_text(POLICY.format(site="hooked") + HOOK,
                                              encoding="utf-8")
        policy_set = PolicySet.from_path(policies)
        for backend in ("sqlite", "postgresql"):
            try:
                with temp_database(backend, Path(folder)) as url:
                    store = Store.open(url, b"k" * 32)
                    service = Moderator(policy_set, {}, store=store)
                    decisions(service, store, 20)  # warm the engine and caches
                    timed = decisions(service, store, args.rounds)
                    base = summary(f"{backend}: decide, no webhook", timed["plain"])
                    summary(f"{backend}: decide + outbox row", timed["hooked"], base)
                    store.close()
            except PostgresUnavailable as exc:
                print(f"{backend}: skipped ({exc})")


if __name__ == "__main__":
    main()
