"""The site's comment view: `Moderator.check` decides, the view publishes, holds or refuses."""

from __future__ import annotations

from functools import cache
from html import escape

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.middleware.csrf import get_token
from django.views.decorators.http import require_GET, require_POST

from moderator import Action, Comment, Decision
from moderator.http.errors import STORE_ERRORS
from moderator.service import Moderator, StoreUnavailable
from moderator.store import QueueFull, TooManyPending

SITE = "default"
#: A comment that must wait for a moderator but cannot be stored right now.
CANNOT_HOLD = (StoreUnavailable, QueueFull, TooManyPending, *STORE_ERRORS)
PUBLISHED: list[dict[str, str]] = []  # the site's own comments table, in memory here


@cache
def moderator() -> Moderator:
    """Loaded once per process, at the first comment: policies and models are read once."""
    return Moderator.from_paths(settings.MODERATOR_POLICY_DIR, settings.MODERATOR_MODELS_DIR,
                                database_url=settings.MODERATOR_DATABASE_URL)


@require_GET
def article(request: HttpRequest) -> HttpResponse:
    """The comments and a form built from the policy's fields and limits."""
    policy = moderator().policy(SITE)
    inputs = "".join(
        f'<label>{escape(spec.label)} <input name="{escape(name)}"'
        f'{f" maxlength={spec.max_length}" if spec.max_length else ""}'
        f'{" required" if spec.required else ""}></label><br>'
        for name, spec in policy.fields.items())
    shown = "".join(f"<p><b>{escape(c.get('name', ''))}</b>: {escape(c['comment'])}</p>"
                    for c in PUBLISHED)
    token = f'<input type="hidden" name="csrfmiddlewaretoken" value="{get_token(request)}">'
    return HttpResponse(f"<h1>Comments</h1>{shown}<form method=\"post\" action=\"comments\">"
                        f"{token}{inputs}<button>Post</button></form>")


@require_POST
def post_comment(request: HttpRequest) -> JsonResponse:
    """Check the comment, then publish it, hold it, or say why not field by field."""
    service = moderator()
    fields = {name: request.POST.get(name, "") for name in service.policy(SITE).fields}
    comment = Comment(fields=fields, site=SITE,
                      context={"ip": request.META.get("REMOTE_ADDR", "")})
    try:
        verdict = service.check(comment)
    except CANNOT_HOLD:  # our outage: never publish what should have been held
        return JsonResponse({"status": "unavailable",
                             "message": "Comments cannot be taken right now; try again."},
                            status=503)
    if verdict.decision is Decision.ACCEPT:
        PUBLISHED.append(fields)
        return JsonResponse({"status": "published"}, status=201)
    errors: dict[str, list[str]] = {}
    for finding in verdict.findings:
        if finding.action is not Action.FLAG:
            errors.setdefault(finding.field or "comment", []).append(finding.message)
    if verdict.decision is Decision.REVIEW:
        return JsonResponse({"status": "held", "id": verdict.id, "errors": errors}, status=202)
    return JsonResponse({"status": "rejected", "errors": errors}, status=422)
