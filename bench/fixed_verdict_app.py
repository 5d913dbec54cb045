"""For bench_load.py: the real service with its checks replaced by one fixed verdict.

Everything else is the production app (request parsing and validation, request ids,
JSON request log, Prometheus metrics, verdict serialisation), so its throughput is the
ceiling the HTTP layer leaves for the checks themselves. Never served for real.
"""

from moderator.http import create_app
from moderator.types import Comment, Verdict

app = create_app()
_service = app.extensions["moderator"]
_FIXED: Verdict = _service.check(Comment(
    fields={"comment": "A quiet word about the weather.", "name": "Reader",
            "email": "reader@example.com"},
    site="default"))


def _fixed_verdict(comment: Comment) -> Verdict:
    return _FIXED


_service.check = _fixed_verdict
