"""Anonymous input cannot grow a worker's memory: every cache is bounded by size, not count.

Issue #11 measured comments made of unique 1,500-letter words adding ~300 KB a request
to each worker (per-word caches capped by entry count). The check runs in a child
process so the RSS it reads is the checker's alone.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
COMMENTS = 5_000
CEILING_MB = 40

SCRIPT = r"""
import random, string, sys
from pathlib import Path
from moderator.classifier import load_model, resolve_current
from moderator.policy.engine import run_policy
from moderator.policy.loader import load_policy
from moderator.types import Comment

repo = Path(sys.argv[1]); count = int(sys.argv[2])
policy = load_policy(repo / "rules" / "policies" / "default.toml")
model = load_model(resolve_current(repo / "models", "propaganda"))
rng = random.Random(7)

def word(n):
    return "".join(rng.choice(string.ascii_lowercase + "жқүө") for _ in range(n))

def rss_kb():
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])

def check(i):
    fields = {"comment": word(1500), "name": word(1500), "email": word(600) + "@x.org"}
    return run_policy(Comment(fields, site=policy.site), policy, model)

for i in range(200):  # warm up: imports, regex caches, allocator arenas
    check(i)
before = rss_kb()
for i in range(count):
    check(i)
print(before, rss_kb())
"""


@pytest.mark.slow
def test_unique_long_words_do_not_grow_memory() -> None:
    out = subprocess.run([sys.executable, "-c", SCRIPT, str(REPO), str(COMMENTS)],
                         capture_output=True, text=True, timeout=600, check=True)
    before, after = (int(x) for x in out.stdout.split())
    grown_mb = (after - before) / 1024
    assert grown_mb < CEILING_MB, f"RSS grew {grown_mb:.1f} MB over {COMMENTS} comments"
