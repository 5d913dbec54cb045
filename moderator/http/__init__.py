"""Flask app factory for the HTTP API."""

from moderator.http.app import create_app

__all__ = ["create_app"]
