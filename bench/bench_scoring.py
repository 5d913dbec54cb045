"""Scoring latency and throughput of the propaganda model against alt-profanity-check.

Both scorers see the same texts in the same run, so the printed ratios are fair on a
shared, noisy machine. The model is timed twice, with the compiled n-gram counter and
with the numpy reference (`MODERATOR_PURE_PYTHON=1`); scores are the same either way.
Run:

    .venv/bin/python bench/bench_scoring.py [--model models/propaganda/<version>]

Printed, all from one run: single-comment median and p99 (1,500 characters), in-process
batch throughput, the whole `moderator score` process on 3,000 comments of 1,500
characters against a script around `predict_prob` (batches of 256), and, where
../shared/data is present, `moderator train` on all of it (wall and CPU seconds).

Needs the `bench` extra (alt-profanity-check). Texts are generated here: no data rows.
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from moderator.classifier import load_model, native, resolve_current

REPO = Path(__file__).resolve().parents[1]
PURE = {native.PURE_PYTHON_ENV: "1"}

_PROSE = (
    "the minister said on tuesday that security forces had arrested several people after "
    "the attack readers argued about religion history and the war while others asked why "
    "the city council had not answered questions about the new road and the school budget "
    "police officials reported that the investigation would continue next week"
)
WORDS = _PROSE.split()


def comment(length: int, rng: random.Random) -> str:
    """A plausible comment of exactly `length` characters (words, commas, full stops)."""
    out: list[str] = []
    size = 0
    while size < length:
        word = rng.choice(WORDS)
        if rng.random() < 0.08:
            word += rng.choice([",", "."])
        out.append(word)
        size += len(word) + 1
    return " ".join(out)[:length]


def latencies(fn: Callable[[list[str]], object], texts: Sequence[str]) -> list[float]:
    """Seconds per single-text call, one call per text."""
    fn([texts[0]])  # warm-up
    out = []
    gc.disable()
    try:
        for text in texts:
            start = time.perf_counter()
            fn([text])
            out.append(time.perf_counter() - start)
    finally:
        gc.enable()
    return out


def throughput(fn: Callable[[list[str]], object], texts: list[str], batch: int) -> float:
    """Texts per second when scored in batches of `batch`."""
    start = time.perf_counter()
    for i in range(0, len(texts), batch):
        fn(texts[i : i + batch])
    return len(texts) / (time.perf_counter() - start)


PROFANITY_SCRIPT = """
import json, sys
from profanity_check import predict_prob
texts = [json.loads(line)["text"] for line in sys.stdin]
for i in range(0, len(texts), 256):
    for p in predict_prob(texts[i:i + 256]):
        sys.stdout.write(json.dumps({"score": round(float(p), 6)}) + "\\n")
"""


def whole_process(texts: list[str], model: Path, rounds: int,
                  baseline: Path | None = None) -> dict[str, tuple[float, float]]:
    """Best (wall, CPU) seconds of a whole process scoring `texts` read as JSON lines on
    stdin: `moderator score` compiled and pure Python, and a script around predict_prob,
    all with batches of 256, taking turns so drift in machine load hits each alike. CPU
    (user + system) is printed beside wall time: on a shared machine it drifts less."""
    import json

    lines = "".join(json.dumps({"text": t}) + "\n" for t in texts).encode()
    moderator = [str(Path(sys.executable).with_name("moderator")), "score",
                 "--batch-size", "256", "--model", str(model)]
    commands = {"compiled": (moderator, {}), "pure Python": (moderator, PURE),
                "profanity_check": ([sys.executable, "-c", PROFANITY_SCRIPT], {})}
    if baseline is not None:  # another checkout's code, e.g. main before this change
        commands["baseline tree"] = (moderator, {"PYTHONPATH": str(baseline)})
    best: dict[str, tuple[float, float]] = {}
    outputs: dict[str, bytes] = {}
    for _ in range(rounds):
        for name, (command, extra) in commands.items():
            env = {**os.environ, **extra}
            before = _children_cpu()
            start = time.perf_counter()
            done = subprocess.run(command, input=lines, capture_output=True, check=True,
                                  env=env)
            wall, cpu = time.perf_counter() - start, _children_cpu() - before
            assert done.stdout.count(b"\n") == len(texts), name
            outputs[name] = done.stdout
            old = best.get(name, (1e9, 1e9))
            best[name] = (min(old[0], wall), min(old[1], cpu))
    assert outputs["compiled"] == outputs["pure Python"], "the two counters scored differently"
    return best


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def training(data: Path) -> tuple[float, float]:
    """(wall, CPU) seconds of `moderator train` on every CSV in `data`, as a process."""
    with tempfile.TemporaryDirectory() as tmp:
        before = _children_cpu()
        start = time.perf_counter()
        subprocess.run([str(Path(sys.executable).with_name("moderator")), "train", "--data",
                        str(data), "--out", str(Path(tmp) / "propaganda" / "bench")],
                       check=True, capture_output=True)
        return time.perf_counter() - start, _children_cpu() - before


def p99(values: Sequence[float]) -> float:
    return sorted(values)[min(len(values) - 1, int(0.99 * len(values)))]


def pure_python(fn: Callable[[list[str]], object]) -> Callable[[list[str]], object]:
    """`fn` with the numpy reference counter forced for the length of each call."""
    def call(texts: list[str]) -> object:
        os.environ[native.PURE_PYTHON_ENV] = "1"
        try:
            return fn(texts)
        finally:
            del os.environ[native.PURE_PYTHON_ENV]
    return call


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", type=Path, default=None)
    parser.add_argument("--n", type=int, default=500, help="single-comment calls per scorer")
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--batch-texts", type=int, default=4000)
    parser.add_argument("--rounds", type=int, default=5, help="whole-process rounds")
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data",
                        help="labelled CSVs for the training time")
    parser.add_argument("--no-train", action="store_true", help="skip the training time")
    parser.add_argument("--baseline", type=Path, default=None,
                        help="a checkout whose `moderator score` is timed too (PYTHONPATH)")
    args = parser.parse_args()

    from profanity_check import predict_prob  # the bench extra

    if native.compiled() is None:
        raise SystemExit("the compiled counter is not built: run `make install-test`")
    os.environ.pop(native.PURE_PYTHON_ENV, None)
    model_dir = args.model or resolve_current(REPO / "models")
    model = load_model(model_dir)
    rng = random.Random(0)
    single = [comment(1500, rng) for _ in range(args.n)]
    mixed = [comment(rng.randint(20, 1500), rng) for _ in range(args.batch_texts)]
    scorers: dict[str, Callable[[list[str]], object]] = {
        "compiled": model.score,
        "pure Python": pure_python(model.score),
        "profanity_check": predict_prob,
    }
    results: dict[str, dict[str, float]] = {name: {} for name in scorers}
    # Interleave the scorers in rounds so drift in machine load hits all alike.
    for round_ in range(3):
        for name, fn in scorers.items():
            lat = latencies(fn, single)
            r = results[name]
            r["median_ms"] = min(r.get("median_ms", 1e9), 1e3 * statistics.median(lat))
            r["p99_ms"] = min(r.get("p99_ms", 1e9), 1e3 * p99(lat))
            r["batch_per_s"] = max(r.get("batch_per_s", 0.0), throughput(fn, mixed, args.batch))
        print(f"in-process round {round_ + 1} done", file=sys.stderr)
    process = whole_process([comment(1500, rng) for _ in range(3000)], model_dir, args.rounds,
                            args.baseline)

    print(f"model {model.version}; {args.n} single calls on 1500-char comments; "
          f"{args.batch_texts} comments of 20-1500 chars in batches of {args.batch}; "
          f"whole process: 3000 comments of 1500 chars as JSON lines, batches of 256, "
          f"best of {args.rounds}")
    print(f"{'':18}{'median ms':>11}{'p99 ms':>10}{'batch /s':>10}{'process s':>11}"
          f"{'CPU s':>8}")
    for name, r in results.items():
        print(f"{name:18}{r['median_ms']:11.3f}{r['p99_ms']:10.3f}{r['batch_per_s']:10.0f}"
              f"{process[name][0]:11.2f}{process[name][1]:8.2f}")
    base = results["profanity_check"]
    print("speed-up vs profanity_check (>1 means moderator is faster; targets in brackets):")
    for name, single_target, process_target in (("compiled", 3, 3), ("pure Python", None, 1)):
        ours = results[name]
        mark = f" [>={single_target}]" if single_target else ""
        wall = process["profanity_check"][0] / process[name][0]
        cpu = process["profanity_check"][1] / process[name][1]
        print(f"  {name:12} median {base['median_ms'] / ours['median_ms']:6.2f}x{mark:7}"
              f"  p99 {base['p99_ms'] / ours['p99_ms']:6.2f}x{mark:7}"
              f"  batch {ours['batch_per_s'] / base['batch_per_s']:5.2f}x"
              f"  whole process {wall:5.2f}x [>={process_target}] (CPU {cpu:.2f}x)")
    print(f"  compiled vs pure Python, whole process: "
          f"{process['pure Python'][0] / process['compiled'][0]:.2f}x")
    if "baseline tree" in process:
        wall, cpu = process["baseline tree"]
        print(f"  {args.baseline} (`moderator score` there): {wall:.2f} s, CPU {cpu:.2f} s; "
              f"compiled is {wall / process['compiled'][0]:.2f}x faster, pure Python "
              f"{wall / process['pure Python'][0]:.2f}x")
    if args.no_train:
        return
    if not (args.data / "README.md").is_file():
        print(f"training: skipped, no labelled data at {args.data}")
        return
    wall, cpu = training(args.data)
    print(f"moderator train on all of {args.data.name}/ (compiled counter): {wall:.1f} s wall, "
          f"{cpu:.1f} s CPU [target < 60 s]")


if __name__ == "__main__":
    main()
