"""WSGI entry point for any server: `gunicorn -c api/gunicorn.conf.py api.wsgi:app`."""

from moderator.http import create_app

app = create_app()
