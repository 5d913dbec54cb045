"""Run the app under gunicorn, the production WSGI server, from the `moderator serve` command."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from typing import Any

from gunicorn.app.base import BaseApplication


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


def _worker_exited(server: Any, worker: Any) -> None:
    """Let Prometheus drop the live gauges of a worker that is gone."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def serve(host: str, port: int, workers: int, timeout: int = 30) -> None:
    """Serve `create_app()` with `workers` processes; each worker loads policies and models.

    PROMETHEUS_MULTIPROC_DIR is set before any worker imports prometheus_client so that
    /metrics adds up all workers; a fresh folder per run keeps old counts out.
    """
    metrics_dir = None
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        metrics_dir = tempfile.mkdtemp(prefix="moderator-metrics-")
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = metrics_dir

    def app_factory() -> Any:
        from moderator.http import create_app

        return create_app()

    options = {
        "bind": f"{host}:{port}",
        "workers": workers,
        "timeout": timeout,
        "child_exit": _worker_exited,
        # The app writes one JSON line per request (no body, no query string); gunicorn's
        # own access log would only repeat it.
        "accesslog": None,
    }
    try:
        GunicornServer(app_factory, options).run()
    finally:
        if metrics_dir:
            shutil.rmtree(metrics_dir, ignore_errors=True)
