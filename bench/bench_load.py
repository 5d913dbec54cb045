"""Load benchmark: `moderator serve` against a bare Flask endpoint, same server, same workers.

Both run under gunicorn with the same worker count and are driven by wrk with the same
request bodies (real reader comments and tweets from ../shared/data, seeded sample), one
after the other in this run. Prints requests/s, p50/p99 latency and errors for each, and
the ratio of the checker's throughput to the bare endpoint's.

    .venv/bin/python bench/bench_load.py [--workers 2] [--seconds 15] [--connections 16]
                                         [--http-only] [--baseline REV] [--no-callgrind]

`--http-only` adds a third server: the real app with every check replaced by one fixed
verdict (bench/fixed_verdict_app.py), which shows how much of the bare endpoint's
throughput the HTTP layer alone (parsing, validation, request log, metrics) leaves.

The checker serves a copy of rules/ with the default policy's `[flood]` limits off: the
benchmark measures checks, not 429s (bench/bench_flood.py measures what the limits cost).

Beside req/s, which a shared machine moves by tens of percent, it prints callgrind's
instructions per request (bench/callgrind_count.py) for the checks alone, the checker app,
the fixed-verdict app and the bare endpoint: numbers that do not drift. `--baseline REV`
measures git revision REV's `moderator` package the same way in the same run (its checker
and fixed-verdict app, with this tree's rules, models and bench scripts) and prints the
two side by side.

Needs wrk (Debian package `wrk`); the instruction counts need valgrind.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DATA = Path(os.environ.get("MODERATOR_SHARED_DATA", REPO.parent / "shared" / "data"))
SOURCES = ("sfu_ctc_comments.csv", "c3_news_comments.csv", "isextreme_scraped_tweets.csv",
           "ru_sensitive_topics.csv", "kazsandra_kk_reviews.csv", "fifthtribe_isis_tweets.csv")


#: A request's own number goes here, so no two requests send the same comment (a cache of
#: whole comments would otherwise make the checker look faster than a real site sees it).
MARK = "\u2063REQ\u2063"
MARK_IN_JSON = json.dumps(MARK)[1:-1]  # as it appears inside a JSON body
COMMENTERS = 200


def sample_bodies(count: int, seed: int) -> list[str]:
    """`count` request bodies built from real texts across sources and languages.

    Names and emails come from a pool of COMMENTERS invented readers (regulars write again
    and again); each comment ends in MARK, which the load script replaces by a number.
    """
    texts: list[str] = []
    csv.field_size_limit(10_000_000)
    for name in SOURCES:
        with open(DATA / name, encoding="utf-8", newline="") as handle:
            texts.extend(row["text"] for row in csv.DictReader(handle))
    rng = random.Random(seed)
    chosen = rng.sample(texts, count)
    bodies = []
    for text in chosen:
        reader = rng.randrange(COMMENTERS)
        fields = {"comment": text[:1490] + " " + MARK, "name": f"Reader {reader}",
                  "email": f"reader{reader}@example.com"}
        bodies.append(json.dumps({"site": "default", "fields": fields}))
    return bodies


def lua_script(bodies: list[str]) -> str:
    """wrk script: cycle through the bodies, numbering every request's comment."""
    def quote(part: str) -> str:
        return '"' + part.replace("\\", "\\\\").replace('"', '\\"') + '"'

    pairs = ",\n".join("{" + ", ".join(quote(p) for p in body.split(MARK_IN_JSON)) + "}"
                        for body in bodies)
    return f"""
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local bodies = {{
{pairs}
}}
local i = 0
local n = 0
request = function()
  i = i % #bodies + 1
  n = n + 1
  local body = bodies[i]
  return wrk.format(nil, "/v1/check", nil, body[1] .. n .. body[2])
end
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_ready(port: int, body: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("server exited before it was ready")
        try:
            request = urllib.request.Request(f"http://127.0.0.1:{port}/v1/check",
                                             data=body.encode(),
                                             headers={"Content-Type": "application/json"})
            with urllib.request.urlopen(request, timeout=5):
                return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError("server did not become ready")


def run_wrk(port: int, script: Path, seconds: int, connections: int) -> dict[str, float]:
    output = subprocess.run(
        ["wrk", "-t", "1", "-c", str(connections), "-d", f"{seconds}s", "--latency",
         "-s", str(script), f"http://127.0.0.1:{port}"],
        check=True, capture_output=True, text=True,
    ).stdout
    return parse_wrk(output)


def _ms(value: str) -> float:
    number, unit = re.match(r"([\d.]+)(us|ms|s)", value).groups()  # type: ignore[union-attr]
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def _percentile(output: str, percent: int) -> float:
    """A line of wrk's "Latency Distribution" (`     99%   72.11ms`), never the "+/- Stdev"
    column of the thread stats (`72.50%`), which also holds a `50%`."""
    found = re.search(rf"^\s*{percent}%\s+([\d.]+(?:us|ms|s))\s*$", output, re.MULTILINE)
    if found is None:
        raise ValueError(f"no {percent}% line in wrk's latency distribution")
    return _ms(found.group(1))


def parse_wrk(output: str) -> dict[str, float]:
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]
    p50 = _percentile(output, 50)
    p99 = _percentile(output, 99)
    total = int(re.search(r"(\d+) requests in", output).group(1))  # type: ignore[union-attr]
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), "
                              r"timeout (\d+)", output)
    wrong = int(non2xx.group(1)) if non2xx else 0
    failed = sum(int(n) for n in socket_errors.groups()) if socket_errors else 0
    return {"rps": rps, "p50_ms": p50, "p99_ms": p99, "requests": total,
            "errors": wrong + failed, "non_2xx": wrong, "socket_errors": failed}


def serve(command: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, cwd=REPO)


def measure(name: str, command: list[str], port: int, bodies: list[str], script: Path,
            args: argparse.Namespace, extra_env: dict[str, str] | None = None,
            ) -> dict[str, float]:
    env = {**os.environ, "PYTHONUNBUFFERED": "1", **(extra_env or {})}
    process = serve(command, env)
    try:
        wait_ready(port, bodies[0].replace(MARK_IN_JSON, "0"), process)
        run_wrk(port, script, 2, args.connections)  # warm-up, not counted
        result = run_wrk(port, script, args.seconds, args.connections)
    finally:
        process.terminate()
        process.wait(timeout=30)
    print(f"{name:<18} {result['rps']:>9.1f} {result['p50_ms']:>9.2f} {result['p99_ms']:>9.2f} "
          f"{result['requests']:>9.0f} {result['errors']:>7.0f}", flush=True)
    return result


def baseline_tree(rev: str, root: Path) -> Path:
    """The `moderator` package of git revision `rev`, unpacked under `root` (no worktree)."""
    archive = subprocess.run(["git", "archive", rev, "moderator"], cwd=REPO, check=True,
                             capture_output=True).stdout
    tree = root / "baseline"
    tree.mkdir()
    subprocess.run(["tar", "-x", "-C", str(tree)], input=archive, check=True)
    for shared in ("rules", "models"):  # this tree's, as the package finds them beside it
        (tree / shared).symlink_to(REPO / shared, target_is_directory=True)
    return tree


def run_servers(args: argparse.Namespace, bodies: list[str], script: Path, tmp: Path,
                sides: dict[str, dict[str, str]]) -> dict[str, dict[str, float]]:
    """wrk against the bare endpoint, then each side's checker (and fixed-verdict app)."""
    bin_dir = Path(sys.executable).parent
    # The worker `moderator serve` runs (moderator.serve.gunicorn_settings), for all of them.
    from moderator.serve import KEEPALIVE, THREADS
    from moderator.servertest import copy_site

    same = ["-k", "moderator.worker.BoundedThreadWorker", "--threads", str(THREADS),
            "--keep-alive", str(KEEPALIVE)]
    results: dict[str, dict[str, float]] = {}
    port = free_port()
    results["bare"] = measure("bare", [str(bin_dir / "gunicorn"), *same, "-w",
                                       str(args.workers), "-b", f"127.0.0.1:{port}", "--chdir",
                                       str(REPO / "bench"), "bare_app:app"],
                              port, bodies, script, args)
    # A copy of the site with the default policy's [flood] limits off: 200 commenters
    # at a thousand comments a second would be measured as 429s, not as checks.
    policies, models = copy_site(tmp / "site")
    for number, (side, env) in enumerate(sides.items()):
        port = free_port()
        # A fresh store per side: held and kept comments of earlier runs would otherwise
        # fill the queue (its cap) and let the sides count over different tables.
        store = f"sqlite:///{tmp / f'store{number}.sqlite3'}"
        # -P: the working directory (this tree) is not put first on sys.path, so the
        # baseline's PYTHONPATH decides which `moderator` serves.
        results[f"moderator{side}"] = measure(
            f"moderator{side}", [sys.executable, "-P", "-m", "moderator", "serve", "--port",
                                 str(port), "--workers", str(args.workers)],
            port, bodies, script, args,
            {**env, "MODERATOR_POLICY_DIR": str(policies), "MODERATOR_MODELS_DIR": str(models),
             "MODERATOR_DATABASE_URL": store})
        if args.http_only:
            port = free_port()
            metrics_dir = tmp / f"metrics{side.strip(' ()')}"
            metrics_dir.mkdir()
            results[f"http-only{side}"] = measure(
                f"http-only{side}", [str(bin_dir / "gunicorn"), *same, "-w", str(args.workers),
                                     "-b", f"127.0.0.1:{port}", "--chdir", str(REPO / "bench"),
                                     "fixed_verdict_app:app"],
                port, bodies, script, args,
                {**env, "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir)})
    return results


def run_callgrind(args: argparse.Namespace, sides: dict[str, dict[str, str]],
                  ) -> dict[str, float]:
    """Instructions per request for each target and side (bare once: it has no sides)."""
    import callgrind_count

    counts = {"bare": callgrind_count.count("bare", args.callgrind_requests)}
    for side, env in sides.items():
        for target in ("checks", "checker", "fixed"):
            counts[f"{target}{side}"] = callgrind_count.count(target, args.callgrind_requests,
                                                              env=env)
    return counts


def report(results: dict[str, dict[str, float]], counts: dict[str, float],
           sides: dict[str, dict[str, str]]) -> None:
    bare = results["bare"]
    for side in sides:
        checker = results[f"moderator{side}"]
        print(f"throughput ratio moderator{side}/bare: {checker['rps'] / bare['rps']:.2f} "
              f"(target >= 0.45 pure Python); errors: {checker['errors']:.0f} (target 0: "
              f"{checker['non_2xx']:.0f} non-2xx, {checker['socket_errors']:.0f} socket errors "
              "or timeouts); "
              f"p99 {checker['p99_ms']:.2f} ms")
        fixed = results.get(f"http-only{side}")
        if fixed:
            print(f"throughput ratio http-only{side}/bare: {fixed['rps'] / bare['rps']:.2f} "
                  "(every check replaced by one fixed verdict: the ceiling the HTTP layer "
                  "leaves)")
    if not counts:
        return
    print("callgrind instructions per request (thousands; same comments, in-process):")
    print(f"{'target':<12}" + "".join(f"{'now' if not s else s.strip(' ()'):>14}" for s in sides))
    for target in ("checks", "checker", "fixed"):
        print(f"{target:<12}" + "".join(f"{counts[target + s] / 1000:>14,.0f}" for s in sides))
    print(f"{'bare':<12}{counts['bare'] / 1000:>14,.0f}")
    for side in sides:
        ratio = counts["checker" + side] / counts["bare"]
        layer = (counts["fixed" + side] - counts["bare"]) / 1000
        print(f"checker{side}/bare instructions: {ratio:.2f}; "
              f"HTTP layer (fixed - bare): {layer:,.0f}k")
    if len(sides) == 2:
        now, then = list(sides)
        checks = counts["checks" + now] / counts["checks" + then]
        layer_now = counts["fixed" + now] - counts["bare"]
        layer_then = max(1.0, counts["fixed" + then] - counts["bare"])
        print(f"checks now/baseline: {checks:.2f} (target <= 0.50); "
              f"HTTP layer now/baseline: {layer_now / layer_then:.2f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--bodies", type=int, default=500)
    parser.add_argument("--seed", type=int, default=20261125)
    parser.add_argument("--http-only", action="store_true",
                        help="also load the service with its checks replaced by one fixed "
                             "verdict (bench/fixed_verdict_app.py)")
    parser.add_argument("--baseline", metavar="REV",
                        help="also measure git revision REV's moderator package (say main)")
    parser.add_argument("--no-callgrind", action="store_true",
                        help="skip the instruction counts (valgrind)")
    parser.add_argument("--callgrind-requests", type=int, default=100)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        print("wrk is not installed (Debian: apt-get install wrk)", file=sys.stderr)
        return 2
    if not (DATA / SOURCES[0]).is_file():
        print(f"labelled data not found at {DATA} (set MODERATOR_SHARED_DATA)", file=sys.stderr)
        return 2
    bodies = sample_bodies(args.bodies, args.seed)
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        sides: dict[str, dict[str, str]] = {"": {}}
        if args.baseline:
            tree = baseline_tree(args.baseline, tmp)
            path = os.pathsep.join(p for p in (str(tree), os.environ.get("PYTHONPATH")) if p)
            sides[f" ({args.baseline})"] = {"PYTHONPATH": path}
        script = tmp / "bodies.lua"
        script.write_text(lua_script(bodies), encoding="utf-8")
        print(f"{args.workers} gunicorn workers, wrk 1 thread x {args.connections} connections, "
              f"{args.seconds}s each, {len(bodies)} real comments, numbered so none repeats, "
              f"{COMMENTERS} commenters")
        print(f"{'endpoint':<18} {'req/s':>9} {'p50 ms':>9} {'p99 ms':>9} {'requests':>9} "
              f"{'errors':>7}")
        results = run_servers(args, bodies, script, tmp, sides)
        counts: dict[str, float] = {}
        if not args.no_callgrind:
            sys.path.insert(0, str(REPO / "bench"))
            import callgrind_count

            if callgrind_count.available():
                counts = run_callgrind(args, sides)
            else:
                print("valgrind is not installed: no instruction counts", file=sys.stderr)
    report(results, counts, sides)
    return 0


if __name__ == "__main__":
    sys.exit(main())
