"""Gunicorn settings for deployments that run gunicorn directly instead of `moderator serve`."""

import os

bind = os.environ.get("MODERATOR_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("MODERATOR_WORKERS", "2"))
timeout = 30
accesslog = "-"
# Method, path, status, size, duration: never the query string or the body.
access_log_format = '%(h)s "%(m)s %(U)s" %(s)s %(B)s %(M)sms'
