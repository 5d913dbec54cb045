"""Gunicorn settings for deployments that run gunicorn directly instead of `moderator serve`.

`gunicorn -c api/gunicorn.conf.py api.wsgi:app` runs the same serving model as
`moderator serve` (moderator.serve.gunicorn_settings): the bounded threaded worker,
policies and models preloaded in the master, SIGHUP reloads the policy, and /metrics adds
up every worker (PROMETHEUS_MULTIPROC_DIR is set here, before any worker starts).
"""

import os

from moderator.serve import ensure_metrics_dir, gunicorn_settings

ensure_metrics_dir()
globals().update(gunicorn_settings(os.environ.get("MODERATOR_BIND", "127.0.0.1:8000"),
                                   int(os.environ.get("MODERATOR_WORKERS", "2"))))
accesslog = "-"
# Method, path, status, size, duration: never the query string or the body.
access_log_format = '%(h)s "%(m)s %(U)s" %(s)s %(B)s %(M)sms'
