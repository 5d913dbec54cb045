"""Akismet-compatible endpoints: /1.1/comment-check, submit-spam, submit-ham, verify-key.

A thin adapter (integrations b2): the key picks a site, the Akismet fields become that
site's policy fields, `Moderator.check` decides, and the verdict becomes Akismet's bare
answer. Spam is our `reject` (with `X-akismet-pro-tip: discard`) and, unless the policy's
`[akismet] review = "ham"`, our `review`. Submits become labels, linked to the held
comment they are about when there is one (moderator.store.akismet says how it is found).
Answers are HTTP 200 with the exact bodies clients compare against; our own outage is a
503 with `X-akismet-error`, which every client treats as "hold it", never as ham.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import replace

from flask import Blueprint, Flask, Response, current_app, g, request
from flask.blueprints import BlueprintSetupState
from werkzeug.exceptions import HTTPException

from moderator import language
from moderator.errors import UnknownSiteError
from moderator.flood import FloodLimited
from moderator.http.akismet_form import host_label, read_form, truthy
from moderator.http.akismet_keys import AkismetKeys
from moderator.http.errors import STORE_ERRORS
from moderator.http.extension import SERVICE, settings_of
from moderator.http.observability import metrics
from moderator.policy.akismet import AkismetSettings, defaults_for
from moderator.policy.model import Policy
from moderator.service import Moderator, StoreUnavailable
from moderator.store import AlreadyDecided, NotFound, QueueFull, Store, TooManyPending
from moderator.types import Comment, Decision, Verdict

akismet = Blueprint("akismet", __name__)
log = logging.getLogger(__name__)

THANKS = "Thanks for making the web a better place."
#: Akismet's documented test authors: spam whenever `is_test` is set.
TEST_SPAM_AUTHORS = ("akismet-guaranteed-spam", "viagra-test-123")
MAX_LABEL_TEXT = 20_000
CONTEXT_STRING_LIMIT = 2048
_RETRY_AFTER = "5"
#: Refusals of a hold: the comment must wait for a moderator but cannot be stored now.
_CANNOT_HOLD = (StoreUnavailable, QueueFull, TooManyPending, *STORE_ERRORS)


@akismet.record_once
def _configure(state: BlueprintSetupState) -> None:
    """Parse MODERATOR_AKISMET_KEYS against the loaded sites once: a typo fails start-up."""
    app: Flask = state.app
    keys = settings_of(app).get("AKISMET_KEYS")
    service: Moderator = app.extensions[SERVICE]
    app.extensions["akismet_keys"] = AkismetKeys.parse(keys, service.policies.sites())


def _text(body: str, status: int = 200, debug: str | None = None) -> Response:
    response = Response(body, status=status, mimetype="text/plain")
    if debug:  # a header is latin-1: anything else a client sent is replaced
        response.headers["X-akismet-debug-help"] = debug.encode("ascii", "replace").decode()
    return response


def _service() -> Moderator:
    return current_app.extensions["moderator"]  # type: ignore[no-any-return]


def _site(form: dict[str, str], *names: str) -> str | None:
    """The site of the key in the body (`api_key`, or `key`) or in the Host's first label."""
    keys: AkismetKeys = current_app.extensions["akismet_keys"]
    candidate = next((form[n] for n in names if form.get(n)), None)
    if candidate is None:
        candidate = host_label(request.host)
    return keys.site_for(candidate)


def _invalid() -> Response:
    keys: AkismetKeys = current_app.extensions["akismet_keys"]
    why = ("No Akismet keys are configured on this server (MODERATOR_AKISMET_KEYS)."
           if not keys else
           "The API key is not known here: send a configured 12-character key as api_key "
           "(key for verify-key) or as the first label of the host name.")
    return _text("invalid", debug=why)


def _settings(policy: Policy) -> AkismetSettings:
    return policy.akismet or defaults_for(policy.fields, policy.classifier.field)


def _comment(form: dict[str, str], policy: Policy, settings: AkismetSettings) -> Comment:
    """The Akismet fields as the policy's fields; what the client did not send is empty."""
    fields: dict[str, str] = {}
    for name, target in (("comment_content", settings.content_field),
                         ("comment_author", settings.author_field),
                         ("comment_author_email", settings.email_field),
                         ("comment_author_url", settings.url_field)):
        if target and form.get(name):
            fields[target] = form[name]
    context: dict[str, str] = {}
    for key, names in (("ip", ("user_ip",)), ("article_url", ("permalink",)),
                       ("comment_type", ("comment_type", "content_type"))):
        value = next((form[n] for n in names if form.get(n)), None)
        if value and len(value) <= CONTEXT_STRING_LIMIT:
            context[key] = value
    return Comment(fields=fields, site=policy.site, context=context)


def _is_spam(verdict: Verdict, settings: AkismetSettings) -> bool:
    return verdict.decision is Decision.REJECT or (
        verdict.decision is Decision.REVIEW and settings.review_is_spam)


@akismet.post("/1.1/comment-check")
def comment_check() -> Response:
    form = read_form(request)
    site = _site(form, "api_key", "key")
    if site is None:
        return _invalid()
    service = _service()
    policy = service.policy(site)
    settings = _settings(policy)
    is_test = truthy(form.get("is_test"))
    if is_test and form.get("comment_author") in TEST_SPAM_AUTHORS:
        return _answer("true", str(uuid.uuid4().hex), "test")
    if is_test and form.get("user_role") == "administrator":
        return _answer("false", str(uuid.uuid4().hex), "test")
    comment = _comment(form, policy, settings)
    recheck = bool(form.get("recheck_reason"))
    try:
        # A test check is answered as any other but never enters the queue; a recheck
        # (WordPress's "Check for spam" on its pending comments) does not queue it twice.
        verdict = service.check(comment, hold=not (is_test or recheck))
        if recheck and not is_test and verdict.decision is Decision.REVIEW:
            verdict = _hold_once(service, comment, policy, verdict)
    except FloodLimited as exc:
        # Past the policy's [flood] rate: spam to the client (it keeps it, not discards it).
        response = _answer("true", uuid.uuid4().hex, "flood")
        response.headers["X-akismet-debug-help"] = (
            f"Past the site's {exc.scope} rate limit; retry after {exc.retry_after} s.")
        return response
    except _CANNOT_HOLD as exc:
        return _cannot_hold(service, settings, exc)
    g.site, g.verdict = site, verdict
    metrics().record_verdict(site, verdict)
    response = _answer("true" if _is_spam(verdict, settings) else "false",
                       verdict.id or uuid.uuid4().hex, verdict.decision.value)
    if verdict.decision is Decision.REJECT:
        response.headers["X-akismet-pro-tip"] = "discard"
    return response


def _hold_once(service: Moderator, comment: Comment, policy: Policy,
               verdict: Verdict) -> Verdict:
    """The pending copy's id when this text already waits in the site's queue, else hold."""
    store = service.store
    text = comment.fields.get(policy.classifier.field, "")
    found = store.find_held(policy.site, text) if store is not None and text else None
    if found is not None and found[1] == "pending":
        return replace(verdict, id=found[0])
    return service.hold(comment, verdict)


def _answer(body: str, guid: str, decision: str) -> Response:
    response = _text(body)
    response.headers["X-akismet-guid"] = guid
    response.headers["X-moderator-decision"] = decision
    return response


def _cannot_hold(service: Moderator, settings: AkismetSettings, exc: Exception) -> Response:
    """A comment we would hold, and cannot store: never `false`, never a 500.

    With `review` as spam the client keeps it in its spam folder, which is the hold the
    policy asked for; otherwise a 503 with X-akismet-error, on which WordPress holds the
    comment and checks it again later and other clients report an error.
    """
    log.error("akismet comment-check could not hold a comment: %s", type(exc).__name__)
    _recheck_health(service)
    why = ("The comment needs a moderator, but the review queue cannot take it now "
           f"({type(exc).__name__}).")
    if settings.review_is_spam:
        response = _answer("true", uuid.uuid4().hex, "review")
        response.headers["X-akismet-debug-help"] = why + " Kept as spam by the client only."
        return response
    response = _text("error", 503, debug=why + " Try again shortly.")
    response.headers["X-akismet-error"] = "review queue unavailable"
    response.headers["Retry-After"] = _RETRY_AFTER
    return response


def _recheck_health(service: Moderator) -> None:
    try:
        store = service.store
    except StoreUnavailable:
        return
    if store is not None:
        store.recheck_health()


@akismet.post("/1.1/submit-spam")
def submit_spam() -> Response:
    return _submit(spam=True)


@akismet.post("/1.1/submit-ham")
def submit_ham() -> Response:
    return _submit(spam=False)


def _submit(spam: bool) -> Response:
    """A moderator's word from the client: a label, linked to its held comment if any."""
    form = read_form(request)
    site = _site(form, "api_key", "key")
    if site is None:
        return _invalid()
    service = _service()
    policy = service.policy(site)
    settings = _settings(policy)
    label = settings.spam_label if spam else settings.ham_label
    text = form.get("comment_content", "")
    if truthy(form.get("is_test")):
        return _text(THANKS, debug="is_test: nothing was learnt from this submission.")
    if label is None or not text.strip():
        return _text(THANKS, debug="Nothing was learnt: no label is configured for this "
                                   "kind of submission, or comment_content is empty.")
    if len(text) > MAX_LABEL_TEXT:
        return _text(THANKS, debug=f"Nothing was learnt: comment_content is longer than "
                                   f"{MAX_LABEL_TEXT} characters.")
    try:
        store = service.store
        if store is None:
            return _text(THANKS, debug="Nothing was learnt: this server keeps no labels.")
        how = _record(store, site, settings, text, label, spam, form)
    except (StoreUnavailable, *STORE_ERRORS) as exc:
        log.error("akismet submit could not be stored: %s", type(exc).__name__)
        _recheck_health(service)
        response = _text("error", 503, debug="The label store is unavailable; try again "
                                             "shortly.")
        response.headers["X-akismet-error"] = "label store unavailable"
        response.headers["Retry-After"] = _RETRY_AFTER
        return response
    log.info("akismet submit", extra={"site": site, "label": label, "matched": how})
    return _text(THANKS)


def _record(store: Store, site: str, settings: AkismetSettings, text: str, label: str,
            spam: bool, form: dict[str, str]) -> str:
    """Decide the matching pending comment, or add the text as a label; says which."""
    who = f"akismet:{site}"
    guid = form.get("guid") or form.get("akismet_guid")
    found = store.find_held(site, text, guid=guid)
    if found is not None:
        ident, status = found
        if status != "pending":
            return "already decided"  # a moderator here labelled it: that label stands
        try:
            store.decide(ident, "reject" if spam else "approve", label, who)
        except (AlreadyDecided, NotFound):
            return "already decided"
        return "held comment"
    lang = language.detect(text)
    store.add_label(text, label, None if lang == "other" else lang, who, site, origin="akismet")
    return "new label"


@akismet.post("/1.1/verify-key")
def verify_key() -> Response:
    form = read_form(request)
    if _site(form, "key", "api_key") is None:
        return _invalid()
    return _text("valid")


@akismet.errorhandler(UnknownSiteError)
def _unknown_site(exc: UnknownSiteError) -> Response:
    return _text("invalid", debug="The key's site has no policy on this server any more.")


@akismet.errorhandler(HTTPException)
def _http_error(exc: HTTPException) -> Response:
    """Akismet clients read text and X-akismet-debug-help, not our JSON errors."""
    status = exc.code or 400
    message = exc.description or exc.name
    return _text(f"error: {message}", status, debug=message)
