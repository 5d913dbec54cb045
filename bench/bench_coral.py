"""Latency of POST /v1/coral/moderate beside POST /v1/check, on the same comments.

Coral waits `timeout` ms (default 200) for its external moderation phase and publishes the
comment when the answer is late, so the number that matters is the slow tail. One real
`moderator serve` (2 workers, the shipped policy and model, SQLite queue); each comment is
sent once to each endpoint, one request at a time over a kept-alive connection as Coral's
keep-alive agent does, alternating which endpoint goes first. The Coral request is signed
and pretty-printed as Coral sends it, the text wrapped in HTML paragraphs.

    .venv/bin/python bench/bench_coral.py [--count 300] [--seed 7]

Comments come from ../shared/data (or $MODERATOR_SHARED_DATA); without it a few invented
ones are repeated, and the script says so.
"""

from __future__ import annotations

import argparse
import csv
import html
import http.client
import json
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from moderator.integrations.coral_testing import SECRET, TENANT_ID, coral_body, headers  # noqa: E402
from moderator.servertest import LiveServer, copy_site  # noqa: E402

DATA = Path(os.environ.get("MODERATOR_SHARED_DATA", REPO.parent / "shared" / "data"))
SOURCES = ("sfu_ctc_comments.csv", "c3_news_comments.csv", "isextreme_scraped_tweets.csv",
           "ru_sensitive_topics.csv", "kazsandra_kk_reviews.csv", "fifthtribe_isis_tweets.csv")
BUDGET_MS = 200.0
FALLBACK = ["The bus was late again this morning and nobody said why.",
            "Selling my bike, call me on +7 701 234 5678 after six.",
            "Brothers, the khilafah needs you. Make hijrah and join the mujahideen.",
            "Автобус опять опоздал, и никто не объяснил почему."]


def sample_texts(count: int, seed: int) -> list[str]:
    if not (DATA / SOURCES[0]).is_file():
        print(f"shared data not found at {DATA}: repeating {len(FALLBACK)} invented comments")
        return [FALLBACK[i % len(FALLBACK)] for i in range(count)]
    csv.field_size_limit(10_000_000)
    texts: list[str] = []
    for name in SOURCES:
        with open(DATA / name, encoding="utf-8", newline="") as handle:
            texts.extend(row["text"] for row in csv.DictReader(handle))
    return random.Random(seed).sample(texts, count)


def as_html(text: str) -> str:
    """The comment as Coral's editor sends it: escaped text, a paragraph per line."""
    return "".join(f"<p>{html.escape(line)}</p>" for line in text.splitlines() if line.strip())


def timed(conn: http.client.HTTPConnection, path: str, body: bytes,
          sent: dict[str, str]) -> tuple[float, int]:
    start = time.perf_counter()
    conn.request("POST", path, body=body, headers=sent)
    response = conn.getresponse()
    response.read()
    return (time.perf_counter() - start) * 1000, response.status


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


#: Bodies that cost html.parser the most per character (unterminated constructs, an event
#: per two characters), at the largest size the endpoint parses for a 1500-character field.
HOSTILE = {"<a ": "unclosed tags", "<!--": "unclosed comments", '<a b="': "open quotes",
           "&a": "unknown entities", "<p>": "block tags", "&": "lone ampersands"}


def hostile() -> None:
    from moderator.integrations.coral import BODY_FACTOR
    from moderator.integrations.html_text import to_plain_text

    size = BODY_FACTOR * 1500
    parts = []
    for unit, name in HOSTILE.items():
        source = (unit * (size // len(unit) + 1))[:size]
        best = min(_parse_ms(to_plain_text, source) for _ in range(3))
        parts.append(f"{name} {best:.1f}")
    print(f"HTML stripping of {size}-character hostile bodies (ms, best of 3): "
          + ", ".join(parts))


def _parse_ms(parse: object, source: str) -> float:
    start = time.perf_counter()
    parse(source)  # type: ignore[operator]
    return (time.perf_counter() - start) * 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=300)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    texts = sample_texts(args.count, args.seed)
    with tempfile.TemporaryDirectory(prefix="bench-coral-") as tmp:
        root = Path(tmp)
        policies, models = copy_site(root)
        server = LiveServer(root, {
            "MODERATOR_POLICY_DIR": str(policies), "MODERATOR_MODELS_DIR": str(models),
            "MODERATOR_DATABASE_URL": f"sqlite:///{root / 'store.sqlite3'}",
            "MODERATOR_CORAL_SECRETS": f"{TENANT_ID}={SECRET}",
            "MODERATOR_MAX_PENDING_PER_SITE": "0",
            "HOME": str(root), "XDG_RUNTIME_DIR": ""}, workers=2).start()
        try:
            conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
            times: dict[str, list[float]] = {"check": [], "coral": []}
            statuses: dict[str, dict[int, int]] = {"check": {}, "coral": {}}
            for n, text in enumerate(texts):
                text = f"{text[:1480]} #{n}"  # no two requests alike, whatever is cached
                # A commenter each, so the policy's flood limits (still counted) never bite.
                check = json.dumps({"site": "default", "fields": {
                    "comment": text, "name": f"Reader {n}",
                    "email": f"reader{n}@example.com"}}).encode()
                coral = coral_body(as_html(text), author_id=f"author-{n}")
                calls = [("check", "/v1/check", check, {"Content-Type": "application/json"}),
                         ("coral", "/v1/coral/moderate", coral, headers(coral))]
                for name, path, body, sent in calls if n % 2 else calls[::-1]:
                    ms, status = timed(conn, path, body, sent)
                    if n >= 10:  # the first requests warm up the workers
                        times[name].append(ms)
                        statuses[name][status] = statuses[name].get(status, 0) + 1
            conn.close()
        finally:
            server.stop()
    print(f"{len(times['coral'])} comments, each to both endpoints; latency in ms")
    print(f"{'endpoint':<22}{'p50':>8}{'p90':>8}{'p99':>8}{'max':>8}{'mean':>8}  statuses")
    for name, path in (("check", "/v1/check"), ("coral", "/v1/coral/moderate")):
        values = times[name]
        print(f"{path:<22}{percentile(values, .5):8.2f}{percentile(values, .9):8.2f}"
              f"{percentile(values, .99):8.2f}{max(values):8.2f}"
              f"{statistics.fmean(values):8.2f}  {dict(sorted(statuses[name].items()))}")
    hostile()
    ratio = percentile(times["coral"], .99) / percentile(times["check"], .99)
    p99 = percentile(times["coral"], .99)
    print(f"coral/check p99 ratio {ratio:.2f}; coral p99 {p99:.1f} ms is "
          f"{'within' if p99 < BUDGET_MS else 'OVER'} Coral's default {BUDGET_MS:.0f} ms budget")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
