"""The HTTP API: `create_app` for the standalone server, `init_app` to mount it in a host app."""

from moderator.http.app import create_app, init_app

__all__ = ["create_app", "init_app"]
