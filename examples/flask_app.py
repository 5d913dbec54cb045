"""A news site's own Flask app that embeds moderator in the two ways README "Embedding" shows.

- `init_app` mounts moderator's HTTP API under /moderation (check, policy, health, metrics,
  the moderators' queue), for the site's other services and its moderators' tools;
- the site's own comment view calls the same `Moderator` directly: no HTTP hop, and each
  finding's message comes back beside the form field it is about.

Run it from the repository (the shipped policy and model):

    python examples/flask_app.py          # then open http://127.0.0.1:5000/
"""

from __future__ import annotations

from collections.abc import Mapping
from html import escape
from typing import Any

from flask import Flask, Response, jsonify, request

from moderator import Action, Comment, Decision, Verdict
from moderator.flood import FloodLimited
from moderator.http import init_app
from moderator.http.errors import STORE_ERRORS
from moderator.service import StoreUnavailable
from moderator.store import QueueFull, TooManyPending

SITE = "default"
#: A comment that must wait for a moderator but cannot be stored right now.
CANNOT_HOLD = (StoreUnavailable, QueueFull, TooManyPending, *STORE_ERRORS)


def create_app(settings: Mapping[str, Any] | None = None) -> Flask:
    """The site; `settings` are moderator's (POLICY_DIR, DATABASE_URL, ADMIN_KEYS, ...)."""
    app = Flask(__name__)
    moderator = init_app(app, url_prefix="/moderation", settings=settings)
    published: list[dict[str, str]] = []  # the site's own comments table, in memory here

    @app.get("/")
    def article() -> str:
        """The article's comments and a form built from the policy's fields and limits."""
        policy = moderator.policy(SITE)
        inputs = "".join(
            f'<label>{escape(spec.label)} <input name="{escape(name)}"'
            f'{f" maxlength={spec.max_length}" if spec.max_length else ""}'
            f'{" required" if spec.required else ""}></label><br>'
            for name, spec in policy.fields.items())
        shown = "".join(f"<p><b>{escape(c.get('name', ''))}</b>: {escape(c['comment'])}</p>"
                        for c in published)
        return (f"<h1>Comments</h1>{shown}"
                f'<form method="post" action="/comments">{inputs}<button>Post</button></form>')

    @app.post("/comments")
    def post_comment() -> tuple[Response, int] | tuple[Response, int, dict[str, str]]:
        """Check the comment with moderator, then publish, hold or refuse it."""
        policy = moderator.policy(SITE)
        fields = {name: request.form.get(name, "") for name in policy.fields}
        comment = Comment(fields=fields, site=SITE,
                          context={"ip": request.remote_addr or "",
                                   "article_url": request.referrer or ""})
        try:
            verdict = moderator.check(comment)
        except FloodLimited as exc:  # past the policy's [flood] rate
            return (jsonify(status="too_fast", message=exc.message), 429,
                    {"Retry-After": str(exc.retry_after)})
        except CANNOT_HOLD:  # our outage: never publish what should have been held
            return jsonify(status="unavailable",
                           message="Comments cannot be taken right now; try again shortly."), 503
        return answer(verdict, fields, published)

    return app


def answer(verdict: Verdict, fields: dict[str, str],
           published: list[dict[str, str]]) -> tuple[Response, int]:
    """Publish an accepted comment; otherwise say why, field by field."""
    if verdict.decision is Decision.ACCEPT:
        published.append(fields)
        return jsonify(status="published"), 201
    errors: dict[str, list[str]] = {}
    for finding in verdict.findings:
        if finding.action is not Action.FLAG:
            errors.setdefault(finding.field or "comment", []).append(finding.message)
    if verdict.decision is Decision.REVIEW:
        return jsonify(status="held", id=verdict.id, errors=errors), 202
    return jsonify(status="rejected", errors=errors), 422


if __name__ == "__main__":
    create_app().run(debug=False)
