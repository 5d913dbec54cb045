"""Run the app under gunicorn from `moderator serve`; `api/gunicorn.conf.py` reuses the settings.

The serving model (README "Serving"): one master, `workers` processes of the bounded threaded
worker (moderator.worker), policies and models loaded once in the master and inherited by
every worker. Only the master owns shared state: the metrics folder, the last good policy.

Signals to the master: HUP reloads the policy files (all workers are replaced by workers
forked with the new policy; a policy that does not load is not taken and /healthz says why),
TERM stops gracefully. A worker that exits for any reason is replaced and the server stays up.
"""

from __future__ import annotations

import gc
import logging
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from gunicorn.app.base import BaseApplication

log = logging.getLogger(__name__)
#: Threads per worker (MODERATOR_THREADS): each serves one request at a time; idle
#: connections need none.
THREADS = int(os.environ.get("MODERATOR_THREADS", "8"))
#: Seconds an idle connection (new or kept alive) is kept open.
KEEPALIVE = 5
_OWNED_METRICS_DIR = "_MODERATOR_OWNS_METRICS_DIR"


class GunicornServer(BaseApplication):  # type: ignore[misc]
    """Gunicorn driven from code, so `moderator serve` needs no separate config file."""

    def __init__(self, app_factory: Callable[[], Any], options: dict[str, Any]) -> None:
        self._app_factory = app_factory
        self._options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self._options.items():
            if key in self.cfg.settings and value is not None:
                self.cfg.set(key, value)

    def load(self) -> Any:
        return self._app_factory()


def ensure_metrics_dir() -> None:
    """Point prometheus_client at one folder for all workers (before any of them imports it).

    A fresh folder per run keeps old counts out; the master removes it when it exits.
    """
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="moderator-metrics-")
        os.environ[_OWNED_METRICS_DIR] = f"{os.getpid()}:{os.environ['PROMETHEUS_MULTIPROC_DIR']}"


def remove_metrics_dir() -> None:
    """Remove the metrics folder if this process made it: never from a worker."""
    owner, _, folder = os.environ.get(_OWNED_METRICS_DIR, "").partition(":")
    if folder and owner == str(os.getpid()):
        shutil.rmtree(folder, ignore_errors=True)


def preload_from_config() -> None:
    """Load the policies and models in the master, from the same settings the app reads."""
    # The HTTP layer's imports too (Flask, SQLAlchemy, alembic): a worker forked after them
    # boots in a fraction of the time, which is the gap a HUP leaves. Safe before the fork:
    # PROMETHEUS_MULTIPROC_DIR is set, and no metric, engine or connection is made here.
    import alembic.command  # noqa: F401

    import moderator.http.app  # noqa: F401
    from moderator import preload
    from moderator.http import config

    settings = config.load()
    policy_path, models_dir = Path(settings["POLICY_DIR"]), Path(settings["MODELS_DIR"])
    if preload.inherited(policy_path, models_dir) is None:
        preload.preload(policy_path, models_dir)


# -- gunicorn hooks: all run in the master ----------------------------------------------

def _on_starting(server: Any) -> None:
    preload_from_config()


def _on_reload(server: Any) -> None:
    """SIGHUP: take the edited policy before gunicorn forks the replacement workers."""
    from moderator import preload

    preload.reload_policy()


def _pre_fork(server: Any, worker: Any) -> None:
    """Before each fork: the newest model, then everything loaded so far frozen.

    What the master loaded (the HTTP layer, policies, word lists, lexicons, models: some
    145,000 objects the collector tracks) lives as long as the worker. Frozen, the
    worker's full collections skip it (one took about 80 ms over it, with every thread of
    the worker stopped) and never write to its pages, which stay shared copy-on-write
    (Python's gc.freeze documentation describes this use)."""
    from moderator import preload

    preload.refresh_models()
    gc.freeze()


def _worker_exited(server: Any, worker: Any) -> None:
    """Let Prometheus drop the live gauges of a worker that is gone."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def _worker_exit(server: Any, worker: Any) -> None:
    """In the worker, last: leave without tearing the interpreter down.

    A worker forked from a preloaded master shares its memory copy-on-write; a normal exit
    decrements every object's reference count, copying each page just to free it (seconds
    of CPU per worker, on every HUP and restart). Nothing is buffered that os._exit loses:
    store writes are committed before their answer, log lines are written as they come.
    """
    import logging as _logging
    import sys

    exc = sys.exc_info()[1]
    code = exc.code if isinstance(exc, SystemExit) else (1 if exc is not None else 0)
    _logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code if isinstance(code, int) else 1)


def _on_exit(server: Any) -> None:
    remove_metrics_dir()


def gunicorn_settings(bind: str, workers: int, timeout: int = 30) -> dict[str, Any]:
    """The settings both `moderator serve` and the plain gunicorn command run with."""
    return {
        "bind": bind,
        "workers": workers,
        "timeout": timeout,
        "worker_class": "moderator.worker.BoundedThreadWorker",
        "threads": THREADS,
        "keepalive": KEEPALIVE,
        "graceful_timeout": 10,
        # gunicorn 27's control socket defaults to one path per user, shared by every
        # instance; signals do all we need, so it is off.
        "control_socket_disable": True,
        "on_starting": _on_starting,
        "on_reload": _on_reload,
        "pre_fork": _pre_fork,
        "child_exit": _worker_exited,
        "worker_exit": _worker_exit,
        "on_exit": _on_exit,
    }


def serve(host: str, port: int, workers: int, timeout: int = 30) -> None:
    """Serve `create_app()` with `workers` processes forked from one preloaded master."""
    ensure_metrics_dir()
    preload_from_config()  # a policy with no good version yet stops the start here, clearly

    def app_factory() -> Any:
        from moderator.http import create_app

        return create_app()

    options = {
        **gunicorn_settings(f"{host}:{port}", workers, timeout),
        # The app writes one JSON line per request (no body, no query string); gunicorn's
        # own access log would only repeat it.
        "accesslog": None,
    }
    master = os.getpid()
    try:
        GunicornServer(app_factory, options).run()
    finally:
        # A worker leaves run() through this same frame (gunicorn forks inside it): only
        # the master may remove what all of them share.
        if os.getpid() == master:
            remove_metrics_dir()
