"""`/demo`: an article with the site's comment form, the widget on it, and a real backend.

The form posts to `/demo` like any site's form; the handler asks the checker as a site's
backend asks /v1/check (flood limits, the review queue and all) and shows its decision
and messages. So the page works without JavaScript, and with it the widget's pre-check
and nudge can be tried against the same policy. `create_app` serves it for the site named
by DEMO_SITE (`default`); an empty DEMO_SITE turns it off. Never mounted by `init_app`:
a host's own pages are its business.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask import (
    Blueprint,
    Response,
    current_app,
    g,
    render_template,
    request,
    url_for,
)
from werkzeug.datastructures import LanguageAccept

from moderator.errors import UnknownSiteError
from moderator.flood import FloodLimited
from moderator.http.errors import STORE_ERRORS, InvalidRequest
from moderator.http.observability import metrics
from moderator.http.requests import parse_check
from moderator.http.widget import static_file
from moderator.service import Moderator, StoreUnavailable
from moderator.store import QueueFull, TooManyPending
from moderator.types import Action, Decision, Verdict

demo = Blueprint("demo", __name__, template_folder="templates")

LANGUAGES = ("en", "ru", "kk")
#: The hidden field the widget sets when the commenter sends after the nudge.
NUDGED_FIELD = "nudged"
#: The page may load only what this server serves, and send only to it: no comment
#: text can leave the page for anyone but the checker.
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
       "img-src 'self' data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")

ARTICLE = {
    "title": "Group detained over video calling for violence",
    "byline": "Staff reporter",
    "paragraphs": [
        "Police have detained five men suspected of recording and posting a video in which "
        "they called on viewers to attack people of another faith, the prosecutor's office "
        "said on Tuesday.",
        "The video, about four minutes long, was shared on a messaging channel last week and "
        "had been viewed several thousand times before it was taken down. Investigators say "
        "the men, aged between 19 and 34, also used the channel to ask followers for money.",
        "All five are charged with public calls to violence and face up to seven years in "
        "prison. A court ordered them held for two months while the investigation goes on. "
        "Lawyers for two of the men said their clients deny the charges.",
    ],
}

TEXT: dict[str, dict[str, str]] = {
    "en": {
        "heading": "Leave a comment", "comment": "Comment", "name": "Name", "email": "Email",
        "note": "* Denotes Required Field", "submit": "Post comment",
        "accept": "Thank you: your comment is published.",
        "review": "Thank you. Your comment will appear after a moderator has read it.",
        "reject": "Your comment was not posted. Please correct the marked fields.",
        "invalid": "Your comment could not be read:",
        "busy": "We cannot take comments right now; please try again shortly.",
        "yours": "Your comment",
    },
    "ru": {
        "heading": "Оставить комментарий", "comment": "Комментарий", "name": "Имя",
        "email": "Эл. почта", "note": "* Обязательное поле", "submit": "Отправить",
        "accept": "Спасибо: комментарий опубликован.",
        "review": "Спасибо. Комментарий появится после проверки модератором.",
        "reject": "Комментарий не опубликован. Исправьте отмеченные поля.",
        "invalid": "Не удалось прочитать комментарий:",
        "busy": "Сейчас мы не можем принять комментарий; попробуйте чуть позже.",
        "yours": "Ваш комментарий",
    },
    "kk": {
        "heading": "Пікір қалдыру", "comment": "Пікір", "name": "Аты", "email": "Эл. пошта",
        "note": "* Міндетті өріс", "submit": "Жіберу",
        "accept": "Рақмет: пікіріңіз жарияланды.",
        "review": "Рақмет. Пікіріңіз модератор оқығаннан кейін шығады.",
        "reject": "Пікір жарияланбады. Белгіленген өрістерді түзетіңіз.",
        "invalid": "Пікірді оқу мүмкін болмады:",
        "busy": "Қазір пікір қабылдай алмаймыз; сәл кейінірек қайталап көріңіз.",
        "yours": "Сіздің пікіріңіз",
    },
}


@dataclass
class Outcome:
    """What the page says after a post: the decision's sentence, reasons, per-field messages."""

    decision: str | None = None
    summary: str = ""
    reasons: list[str] = field(default_factory=list)
    fields: dict[str, str] = field(default_factory=dict)
    published: str | None = None


def language() -> str:
    """`?lang=` or the form's `lang`, else the browser's choice among en, ru, kk."""
    chosen = request.values.get("lang", "")
    if chosen in LANGUAGES:
        return chosen
    accepted: LanguageAccept = request.accept_languages
    return accepted.best_match(LANGUAGES) or "en"


@demo.get("/demo")
def page() -> Response:
    return _render(language(), {}, Outcome(), 200)


@demo.post("/demo")
def post() -> Response:
    """The site's backend: ask the checker, then say what it decided."""
    lang = language()
    site = current_app.config["DEMO_SITE"]
    service: Moderator = current_app.extensions["moderator"]
    names = list(service.policy(site).fields)
    values = {name: request.form.get(name, "") for name in names}
    context: dict[str, Any] = {
        "article_url": url_for("demo.page", _external=True),
        "article_title": ARTICLE["title"],
        "language": lang,
        "ip": request.remote_addr or "",
        "nudged": request.form.get(NUDGED_FIELD) == "1",
    }
    text = TEXT[lang]
    try:
        comment = parse_check({"site": site, "fields": values, "context": context},
                              service.policy)
        verdict = service.check(comment)
    except InvalidRequest as exc:
        return _render(lang, values, Outcome(summary=text["invalid"],
                                             reasons=[str(exc.description)]), 400)
    except FloodLimited as exc:
        response = _render(lang, values, Outcome(summary=exc.message), 429)
        response.headers["Retry-After"] = str(exc.retry_after)
        return response
    except TooManyPending:
        return _render(lang, values, Outcome(summary=text["busy"]), 429)
    except (StoreUnavailable, QueueFull, *STORE_ERRORS):
        response = _render(lang, values, Outcome(summary=text["busy"]), 503)
        response.headers["Retry-After"] = "5"
        return response
    g.site, g.verdict = site, verdict  # logged and counted like any /v1/check
    metrics().record_verdict(site, verdict)
    outcome = outcome_of(verdict, lang, values.get(service.policy(site).classifier.field, ""))
    kept = values if verdict.decision is Decision.REJECT else {}
    return _render(lang, kept, outcome, 422 if verdict.decision is Decision.REJECT else 200)


def outcome_of(verdict: Verdict, lang: str, comment: str) -> Outcome:
    """The page's words for a verdict: messages beside fields, the others as reasons."""
    outcome = Outcome(decision=verdict.decision.value, summary=TEXT[lang][verdict.decision.value])
    for finding in verdict.findings:
        if finding.action is Action.FLAG:
            continue  # a note for moderators
        if verdict.decision is Decision.REJECT and finding.action is not Action.REJECT:
            continue  # fix these first; a hold may follow
        if finding.field and verdict.decision is Decision.REJECT:
            outcome.fields.setdefault(finding.field, finding.message)
        elif finding.message not in outcome.reasons:
            outcome.reasons.append(finding.message)
    if verdict.decision is Decision.ACCEPT:
        outcome.published = comment
    return outcome


def _render(lang: str, values: dict[str, str], outcome: Outcome, status: int) -> Response:
    site = current_app.config["DEMO_SITE"]
    service: Moderator = current_app.extensions["moderator"]
    try:
        limit = service.policy(site).fields["comment"].max_length
    except (UnknownSiteError, KeyError):
        limit = None
    html = render_template("demo.html", lang=lang, text=TEXT[lang], article=ARTICLE,
                           site=site, values=values, outcome=outcome, limit=limit or 1500,
                           nudged_field=NUDGED_FIELD)
    response = Response(html, status=status, mimetype="text/html")
    response.headers["Content-Security-Policy"] = CSP
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "no-store"
    return response


@demo.get("/demo/demo.css")
def stylesheet() -> Response:
    return static_file("demo.css", "text/css")
