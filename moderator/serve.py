"""Run the app under gunicorn, the production WSGI server, from the `moderator serve` command."""

from __future__ import annotations

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


def serve(host: str, port: int, workers: int, timeout: int = 30) -> None:
    """Serve `create_app()` with `workers` processes; each worker loads policies and models."""
    from moderator.http import create_app

    options = {
        "bind": f"{host}:{port}",
        "workers": workers,
        "timeout": timeout,
        "accesslog": "-",
        # Method, path, status, size and duration only: no query string, no body.
        "access_log_format": '%(h)s "%(m)s %(U)s" %(s)s %(B)s %(M)sms',
    }
    GunicornServer(create_app, options).run()
