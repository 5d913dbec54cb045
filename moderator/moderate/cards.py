"""What one moderation card shows, built from a stored comment: highlighted fields, the
findings, the score against its thresholds, the article, the commenter's history and the
label a decision would give unless the moderator picks another.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from moderator.errors import UnknownSiteError
from moderator.moderate.highlight import Piece, kind_of, marks_for, pieces
from moderator.service import Moderator
from moderator.store import QueueItem, Store

#: The label a rejection gives for each reason unless the moderator picks one.
REASON_LABELS = {"propaganda": "propaganda", "incitement": "propaganda"}
#: Finding families that mean the comment is about extremism, whatever it says of it:
#: approving one says it `discusses` extremism rather than being `other`.
TOPICAL = ("classifier.", "incitement.", "suspect.", "banned.")


@dataclass(frozen=True, slots=True)
class FieldView:
    name: str
    label: str
    pieces: list[Piece]


@dataclass(frozen=True, slots=True)
class Marker:
    """One finding as listed under the text (with or without a span)."""

    code: str
    kind: str
    action: str
    message: str
    field: str | None
    spanned: bool


@dataclass(frozen=True, slots=True)
class Card:
    item: QueueItem
    fields: list[FieldView]
    markers: list[Marker]
    thresholds: tuple[float, float] | None
    history: Mapping[str, int] | None
    approve_label: str
    article_href: str | None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def undecided(self) -> bool:
        return self.item.status in ("pending", "auto_rejected")


def approve_label(codes: list[str]) -> str:
    """`discusses` when the checker saw the topic in it, else `other`."""
    return "discusses" if any(c.startswith(TOPICAL) for c in codes) else "other"


def reject_label(reason: str | None) -> str:
    return REASON_LABELS.get(reason or "", "other")


def safe_href(url: str | None) -> str | None:
    """An article URL as a link only when it is http(s): never `javascript:`."""
    if not url:
        return None
    parts = urlsplit(url)
    return url if parts.scheme in ("http", "https") and parts.netloc else None


def thresholds(service: Moderator, item: QueueItem) -> tuple[float, float] | None:
    """(review, reject) the score was judged by: the classifier's finding says, else the
    site's policy and model now."""
    for finding in item.findings:
        detail = finding.get("detail") if isinstance(finding, Mapping) else None
        if isinstance(detail, Mapping) and isinstance(detail.get("thresholds"), Mapping):
            found = detail["thresholds"]
            try:
                return float(found["review"]), float(found["reject"])
            except (KeyError, TypeError, ValueError):
                break
    return site_thresholds(service, item.site)


def site_thresholds(service: Moderator, site: str) -> tuple[float, float] | None:
    try:
        policy = service.policy(site)
    except UnknownSiteError:
        return None
    model = service.model_for(policy)
    if model is None:
        return None
    settings = policy.classifier
    try:
        review = settings.review_threshold or model.thresholds["review"]
        reject = settings.reject_threshold or model.thresholds["reject"]
        return float(review), float(reject)
    except (AttributeError, KeyError, TypeError, ValueError):
        return None


def _labels(service: Moderator, site: str) -> dict[str, str]:
    try:
        return {name: spec.label for name, spec in service.policy(site).fields.items()}
    except UnknownSiteError:
        return {}


def build(service: Moderator, store: Store, item: QueueItem, term_title: str,
          with_history: bool = True) -> Card:
    """The card of one comment (its text field first, then the other text fields)."""
    labels = _labels(service, item.site)
    stored = dict(item.fields or {})
    order = [item.text_field, *sorted(n for n in stored if n != item.text_field)]
    views = []
    for name in order:
        text = stored.get(name)
        if text is None:
            continue
        marks = marks_for(name, text, item.findings, term_title)
        views.append(FieldView(name, labels.get(name, name), pieces(text, marks)))
    markers = [Marker(str(f.get("code", "")), kind_of(str(f.get("code", ""))),
                      str(f.get("action", "")), str(f.get("message", "")), f.get("field"),
                      isinstance(f.get("span"), Mapping))
               for f in item.findings if isinstance(f, Mapping)]
    history = store.history(item.site, item.commenter_hash) if with_history else None
    return Card(item, views, markers, thresholds(service, item),
                history if item.commenter_hash else None,
                approve_label([m.code for m in markers]), safe_href(item.article_url))
