"""Instructions per request, counted by callgrind: a number a busy machine cannot move.

Wall-clock req/s on a shared 2-core machine drifts by tens of percent from run to run;
the instructions one request executes do not. This runs one target in-process under
`valgrind --tool=callgrind`, sends it `--warm` requests (lazy imports, caches, the first
model load), then `--requests` more between two calls of `os.getppid()`, which callgrind
is told to dump at (`--dump-before=getppid`): the second dump holds the measured requests
alone. Targets, all fed the same real comments as bench_load.py:

* `checks`: `Moderator.check` on each comment (no HTTP at all);
* `checker`: the real app's WSGI callable (`create_app()`, flood limits off, as served);
* `fixed`: bench/fixed_verdict_app.py (the same app, every check replaced by one verdict);
* `bare`: bench/bare_app.py (a bare Flask JSON endpoint).

    .venv/bin/python bench/callgrind_count.py [--target checks] [--requests 100] [--ungated]

`--ungated` runs the target inside `moderator.gates.ungated()`: beside a gated run, what the
gates save, in the same tree.

The WSGI targets are called with a plain environ as gunicorn builds one; the same for
each, so differences are the apps' own. Needs valgrind (Debian package `valgrind`).
"""

from __future__ import annotations

import argparse
import io
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
TARGETS = ("checks", "checker", "fixed", "bare")


def available() -> bool:
    return shutil.which("valgrind") is not None


def count(target: str, requests: int = 100, warm: int = 30, *, python: str = sys.executable,
          env: dict[str, str] | None = None, cwd: Path | None = None,
          ungated: bool = False) -> float:
    """Instructions per request of `target`, from one callgrind run of this script."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "callgrind.out"
        command = ["valgrind", "--tool=callgrind", "--dump-before=getppid",
                   f"--callgrind-out-file={out}", python, str(Path(__file__).resolve()),
                   "--inside", "--target", target, "--requests", str(requests),
                   "--warm", str(warm), *(["--ungated"] if ungated else [])]
        subprocess.run(command, check=True, env={**os.environ, **(env or {})}, cwd=cwd,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        measured = Path(f"{out}.2").read_text(encoding="utf-8", errors="replace")
    totals = re.search(r"^totals:\s+(\d+)", measured, re.MULTILINE)
    if totals is None:
        raise RuntimeError("callgrind wrote no totals")
    return int(totals.group(1)) / requests


# -- what runs under valgrind -------------------------------------------------------------


def _bodies(total: int) -> list[bytes]:
    sys.path.insert(0, str(BENCH))
    from bench_load import MARK_IN_JSON, sample_bodies

    return [body.replace(MARK_IN_JSON, str(i)).encode("utf-8")
            for i, body in enumerate(sample_bodies(total, 20261125))]


def _wsgi_caller(app: Callable[..., Iterable[bytes]]) -> Callable[[bytes], None]:
    """Send one POST /v1/check to `app` the way a WSGI server would."""
    def call(body: bytes) -> None:
        environ: dict[str, Any] = {
            "REQUEST_METHOD": "POST", "SCRIPT_NAME": "", "PATH_INFO": "/v1/check",
            "QUERY_STRING": "", "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "8000",
            "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "127.0.0.1",
            "CONTENT_TYPE": "application/json", "CONTENT_LENGTH": str(len(body)),
            "HTTP_HOST": "127.0.0.1:8000", "wsgi.version": (1, 0), "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(body), "wsgi.errors": sys.stderr,
            "wsgi.multithread": True, "wsgi.multiprocess": True, "wsgi.run_once": False,
        }
        status: list[str] = []
        result = app(environ, lambda s, headers, exc_info=None: status.append(s))
        try:
            for _chunk in result:
                pass
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()
        if not status or not status[0].startswith("200"):
            raise RuntimeError(f"the app answered {status[:1]}")
    return call


def _target(name: str, tmp: Path) -> Callable[[bytes], None]:
    if name == "bare":
        sys.path.insert(0, str(BENCH))
        from bare_app import app as bare

        return _wsgi_caller(bare)
    from moderator.servertest import copy_site

    policies, models = copy_site(tmp / "site")
    os.environ.update(MODERATOR_POLICY_DIR=str(policies), MODERATOR_MODELS_DIR=str(models),
                      MODERATOR_DATABASE_URL=f"sqlite:///{tmp / 'store.sqlite3'}")
    (tmp / "metrics").mkdir()
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(tmp / "metrics")  # as `moderator serve` does
    if name == "fixed":
        sys.path.insert(0, str(BENCH))
        from fixed_verdict_app import app as fixed

        return _wsgi_caller(fixed)
    from moderator.http import create_app

    app = create_app()
    if name == "checker":
        return _wsgi_caller(app)
    import json

    from moderator.http.requests import parse_check

    service = app.extensions["moderator"]

    def check(body: bytes) -> None:
        service.check(parse_check(json.loads(body), service.policy))
    return check


def _inside(target: str, requests: int, warm: int, ungated: bool) -> None:
    from contextlib import nullcontext

    # The loader refuses a regex that a hostile probe keeps busy for 50 ms of wall clock;
    # under callgrind everything runs some 50 times slower, so a pattern that passes in
    # production (the default policy's phone pattern) would fail here. Start-up only:
    # the measured requests never reach the probe.
    from moderator.policy import loader

    loader._PROBE_TIMEOUT_SECONDS *= 100
    reference: Any = nullcontext()
    if ungated:
        from moderator.gates import ungated as reference_run

        reference = reference_run()
    with tempfile.TemporaryDirectory() as tmp, reference:
        call = _target(target, Path(tmp))
        bodies = _bodies(warm + requests)
        for body in bodies[:warm]:
            call(body)
        os.getppid()  # callgrind dumps here: start-up and warm-up
        for body in bodies[warm:]:
            call(body)
        os.getppid()  # and here: the measured requests alone


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--target", choices=TARGETS, default="checks")
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--warm", type=int, default=30)
    parser.add_argument("--ungated", action="store_true",
                        help="run with every gate off (moderator.gates.ungated)")
    parser.add_argument("--inside", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.inside:
        _inside(args.target, args.requests, args.warm, args.ungated)
        return 0
    if not available():
        print("valgrind is not installed (Debian: apt-get install valgrind)", file=sys.stderr)
        return 2
    per_request = count(args.target, args.requests, args.warm, ungated=args.ungated)
    print(f"{args.target}{' (ungated)' if args.ungated else ''}: {per_request / 1000:,.0f}k "
          "instructions per request")
    return 0


if __name__ == "__main__":
    sys.exit(main())
