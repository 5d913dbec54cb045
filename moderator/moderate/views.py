"""The queue, the single-comment view, sign-in and sign-out, decisions, undo and the poll.

Decisions go through `Moderator.decide` and `Moderator.undo`, the same calls the JSON
admin API makes, so the store, the labels, the audit log and any decision listener (a
site's webhook) see a page decision exactly as they see an API one.
"""

from __future__ import annotations

import logging
import re
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from flask import Response, current_app, g, jsonify, redirect, request, url_for

from moderator.auth import AdminKeys
from moderator.moderate import cards
from moderator.moderate.blueprint import (
    SESSION_COOKIE,
    SIGN_IN_COOKIE,
    PageError,
    cookie_path,
    moderate,
    render,
    service,
    setting,
    sign_in_page,
    store,
    t,
    wants_json,
)
from moderator.store import (
    DECISIONS,
    LABELS,
    MAX_NOTE,
    QUEUES,
    REASONS,
    AlreadyDecided,
    NotFound,
    QueueFilter,
    UndoRefused,
)
from moderator.store.times import iso

log = logging.getLogger(__name__)

PAGE_SIZE = 25
MAX_IDS = 200
_ID = re.compile(r"[0-9a-f]{32}")
_CODE = re.compile(r"[a-z0-9_.-]{1,100}")
LANGUAGES = ("en", "ru", "kk", "other")


def undo_seconds() -> int:
    return int(setting("UNDO_SECONDS", 30))


def _score(name: str) -> float | None:
    raw = request.args.get(name, "").strip()
    if not raw:
        return None
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not 0.0 <= value <= 1.0:
        raise PageError(400, "bad_request", message=f"{name} must be a number from 0 to 1")
    return value


def read_filter() -> QueueFilter:
    """The queue filter of the query string; anything malformed is a 400 saying what."""
    args = request.args
    site = args.get("site") or None
    if site is not None and site not in service().policies.sites():
        raise PageError(400, "bad_request", message=f"no policy is configured for site {site!r}")
    article = args.get("article") or None
    if article is not None and len(article) > 2048:
        raise PageError(400, "bad_request", message="article is longer than 2048 characters")
    language = args.get("language") or None
    if language is not None and language not in LANGUAGES:
        raise PageError(400, "bad_request", message="language must be en, ru, kk or other")
    code = args.get("code") or None
    if code is not None and not _CODE.fullmatch(code):
        raise PageError(400, "bad_request", message="code is not a finding code")
    low, high = _score("min"), _score("max")
    if low is not None and high is not None and low > high:
        raise PageError(400, "bad_request", message="min is above max")
    return QueueFilter(site, article, language, code, low, high)


def _queue_name() -> str:
    name = request.args.get("queue", "pending")
    if name not in QUEUES:
        raise PageError(400, "bad_request", message=f"queue must be one of {', '.join(QUEUES)}")
    return name


def _cursor() -> int | None:
    raw = request.args.get("cursor", "")
    if not raw:
        return None
    if not raw.isascii() or not raw.isdigit() or len(raw) > 18:
        raise PageError(400, "bad_request", message="cursor is not a page cursor")
    return int(raw)


def _order() -> bool:
    order = request.args.get("order", "oldest")
    if order not in ("oldest", "newest"):
        raise PageError(400, "bad_request", message="order must be oldest or newest")
    return order == "newest"


def _undoable(item: Any) -> bool:
    decided = item.decided_at
    return bool(decided and item.decided_by == g.get("moderator") and
                datetime.now(decided.tzinfo) - decided <= timedelta(seconds=undo_seconds()))


def _page(template_cards: list[cards.Card], **context: Any) -> Response:
    config = {"csrf": g.get("csrf"), "decide": url_for(".decide"), "undo": url_for(".undo"),
              "poll": url_for(".poll"), "undo_seconds": undo_seconds(),
              "queue_urls": context.pop("queue_urls", []),
              "messages": dict(context.pop("messages"))}
    return render("queue.html", cards=template_cards, labels=LABELS, reasons=REASONS,
                  undoable=_undoable, config=config, **context)


@moderate.get("/moderate")
def queue() -> Response:
    from moderator.moderate.i18n import script_messages

    name, where, newest, cursor = _queue_name(), read_filter(), _order(), _cursor()
    s = store()
    items, next_cursor = s.search(QUEUES[name], where, newest_first=newest, limit=PAGE_SIZE,
                                  cursor=cursor)
    built = [cards.build(service(), s, item, t("term_weight")) for item in items]
    args = request.args.to_dict()
    next_url = url_for(".queue", **{**args, "cursor": next_cursor}) if next_cursor else None
    queue_urls = [url_for(".queue", **{**args, "queue": q, "cursor": ""}) for q in QUEUES]
    return _page(built, queue=name, queue_names=list(QUEUES), counts=s.queue_counts(where),
                 where=where, args=args, newest=newest, next_url=next_url, single=False,
                 sites=service().policies.sites(), codes=s.known_codes(where.site),
                 articles=s.articles(where.site), filter_languages=LANGUAGES,
                 queue_urls=queue_urls, messages=script_messages(g.lang))


@moderate.get("/moderate/comment/<comment_id>")
def comment(comment_id: str) -> Response:
    """One comment on its own (the `z` view as a link, and where the audit log points)."""
    from moderator.moderate.i18n import script_messages

    if not _ID.fullmatch(comment_id):
        raise PageError(404, "not_found")
    s = store()
    try:
        item = s.get(comment_id)
    except NotFound as exc:
        raise PageError(404, "not_found") from exc
    return _page([cards.build(service(), s, item, t("term_weight"))], queue=None,
                 queue_names=list(QUEUES), counts=None, where=QueueFilter(), args={},
                 newest=False, next_url=None, single=True, sites=[], codes=[], articles=[],
                 filter_languages=LANGUAGES, messages=script_messages(g.lang))


# -- signing in and out ------------------------------------------------------------------


@moderate.get("/moderate/sign-in")
def sign_in_form() -> Response:
    return sign_in_page(200)


@moderate.post("/moderate/sign-in")
def sign_in() -> Response:
    import hmac

    sent = request.form.get("sign_in_token", "")
    expected = request.cookies.get(SIGN_IN_COOKIE, "")
    if not sent or not expected or not hmac.compare_digest(sent.encode(), expected.encode()):
        raise PageError(403, "csrf_failed")
    keys: AdminKeys = current_app.extensions["admin_keys"]
    found = keys.match(request.form.get("key", "").strip())
    if found is None:
        log.warning("page sign-in refused")  # never the key that was typed
        return sign_in_page(401, t("wrong_key"))
    name, fingerprint = found
    hours = int(setting("SESSION_HOURS", 12))
    token, _ = store().start_session(name, fingerprint, timedelta(hours=hours))
    log.info("page sign-in", extra={"moderator": name})
    response = redirect(url_for(".queue"), code=303)
    response.set_cookie(SESSION_COOKIE, token, max_age=hours * 3600, path=cookie_path(),
                        httponly=True, samesite="Strict", secure=request.is_secure)
    response.delete_cookie(SIGN_IN_COOKIE, path=cookie_path())
    return response


@moderate.post("/moderate/sign-out")
def sign_out() -> Response:
    store().end_session(request.cookies.get(SESSION_COOKIE))
    response = redirect(url_for(".sign_in_form"), code=303)
    response.delete_cookie(SESSION_COOKIE, path=cookie_path(), httponly=True,
                           samesite="Strict", secure=request.is_secure)
    return response


# -- decisions ----------------------------------------------------------------------------


def _ids() -> list[str]:
    ids = list(dict.fromkeys(request.form.getlist("id")))
    if not ids:
        raise PageError(400, "bad_request", message="no comment id was sent")
    if len(ids) > MAX_IDS:
        raise PageError(400, "bad_request", message=f"at most {MAX_IDS} comments at once")
    if any(not _ID.fullmatch(i) for i in ids):
        raise PageError(400, "bad_request", message="a comment id is malformed")
    return ids


def _choice(name: str, choices: tuple[str, ...] | list[str]) -> str | None:
    value = request.form.get(name) or None
    if value is not None and value not in choices:
        raise PageError(400, "bad_request", message=f"{name} must be one of {', '.join(choices)}")
    return value


def _back() -> Response:
    """Where a form post (no script) returns to: a page of ours, never another site."""
    target = request.form.get("next", "")
    parts = urlsplit(target)
    home = url_for(".queue")
    if parts.scheme or parts.netloc or not parts.path.startswith(home) or "\\" in target:
        target = home
    return redirect(target, code=303)


def _status_words(status: str) -> str:
    return t(f"status_{status}") if status in QUEUE_STATUSES else status


QUEUE_STATUSES = ("pending", "auto_rejected", "approved", "rejected")


@moderate.post("/moderate/decide")
def decide() -> Response:
    """Approve or reject one comment or a selection; a comment someone else decided first
    is reported as already decided (409 when it was the only one)."""
    ids = _ids()
    decision = _choice("decision", list(DECISIONS))
    if decision is None:
        raise PageError(400, "bad_request", message="decision must be approve or reject")
    reason = _choice("reason", REASONS)
    if decision == "reject" and reason is None:
        raise PageError(400, "reason_required")
    note = (request.form.get("note") or "").strip() or None
    if note is not None and (len(note) > MAX_NOTE or "\x00" in note):
        raise PageError(400, "bad_request", message=f"note is longer than {MAX_NOTE} characters")
    if decision == "approve":
        reason = note = None
    label = _choice("label", LABELS)
    s, checker = store(), service()
    results = []
    for comment_id in ids:
        try:
            item = s.get(comment_id)
            chosen = label or (cards.reject_label(reason) if decision == "reject" else
                               cards.approve_label([str(f.get("code", ""))
                                                    for f in item.findings]))
            done = checker.decide(comment_id, decision, chosen, g.moderator, reason=reason,
                                  note=note)
        except NotFound:
            results.append({"id": comment_id, "ok": False, "error": "not_found",
                            "message": t("not_found")})
            continue
        except AlreadyDecided as exc:
            results.append({"id": comment_id, "ok": False, "error": "already_decided",
                            "status": exc.status, "decided_by": exc.decided_by,
                            "message": t("already_decided", status=_status_words(exc.status),
                                         name=exc.decided_by or "?")})
            continue
        log.info("decision", extra={"comment_id": comment_id, "decision": decision,
                                    "label": chosen, "moderator": g.moderator, "via": "page"})
        results.append({"id": comment_id, "ok": True, "status": done.status,
                        "label": chosen, "reason": reason, "decided_by": done.decided_by,
                        "decided_at": iso(done.decided_at),
                        "message": t("decided_by", status=_status_words(done.status),
                                     name=done.decided_by, time=_when(done.decided_at))})
    failed = [r for r in results if not r["ok"]]
    if len(ids) == 1 and failed:
        status = 409 if failed[0]["error"] == "already_decided" else 404
        if not wants_json():
            return render("error.html", status, status_code=status,
                          message=failed[0]["message"])
        body = {"error": {"status": status, "code": failed[0]["error"],
                          "message": failed[0]["message"]}, "results": results}
        response = jsonify(body)
        response.status_code = status
        return response
    if not wants_json():
        return _back()
    return jsonify({"results": results, "undo_seconds": undo_seconds(),
                    "message": t("done_bulk", ok=len(results) - len(failed),
                                 failed=len(failed)) if len(ids) > 1 else
                    t(f"done_{decision}")})


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else ""


@moderate.post("/moderate/undo")
def undo() -> Response:
    """Take back your own decision within UNDO_SECONDS; the comment returns to its queue."""
    [comment_id] = _ids()[:1]
    try:
        item = service().undo(comment_id, g.moderator, undo_seconds())
    except NotFound as exc:
        raise PageError(404, "not_found") from exc
    except UndoRefused as exc:
        raise PageError(409, f"undo_{exc.why}") from exc
    log.info("decision undone", extra={"comment_id": comment_id, "moderator": g.moderator})
    if not wants_json():
        return _back()
    return jsonify({"id": item.id, "status": item.status, "message": t("undone")})


@moderate.get("/moderate/poll")
def poll() -> Response:
    """Counts of the queues under the page's filter and the status of the comments shown,
    so a page learns within seconds that someone else decided one of its comments."""
    raw = request.args.get("ids", "")
    ids = [i for i in raw.split(",") if i][:MAX_IDS]
    if any(not _ID.fullmatch(i) for i in ids):
        raise PageError(400, "bad_request", message="a comment id is malformed")
    s = store()
    statuses = s.statuses(ids)
    return jsonify({
        "counts": s.queue_counts(read_filter()),
        "statuses": {i: {"status": st, "decided_by": by, "decided_at": at,
                         "message": t("already_decided", status=_status_words(st),
                                      name=by or "?") if by else None}
                     for i, (st, by, at) in statuses.items()},
    })
