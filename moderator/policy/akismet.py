"""A policy's `[akismet]` section: what an Akismet answer means for this site.

Akismet knows only spam and ham; we also have `review`. Answering `false` (ham) for a
comment we would hold lets WordPress or Discourse publish it, so by default `review`
answers spam (`true`, without `X-akismet-pro-tip: discard`, so the client keeps it in its
spam folder where a person can still rescue it). A site whose moderators read our queue
and whose comments are pre-moderated anyway can set `review = "ham"`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from moderator.policy.model import FieldSpec
    from moderator.policy.tables import Table

#: Labels a submit-spam / submit-ham can become (the store's LABELS; "" = learn nothing).
LABEL_CHOICES = ("propaganda", "discusses", "other", "")
REVIEW_ANSWERS = ("spam", "ham")


@dataclass(frozen=True, slots=True)
class AkismetSettings:
    """How Akismet requests map onto this policy's fields, and the answers onto labels."""

    #: True: our `review` answers `true` (spam); False: `false` (ham, held in our queue only).
    review_is_spam: bool = True
    #: The label a submit-spam / submit-ham becomes; None: such a submit trains nothing.
    spam_label: str | None = "propaganda"
    ham_label: str | None = "other"
    #: Policy fields that comment_content, comment_author, comment_author_email and
    #: comment_author_url fill (None: that Akismet field is not checked).
    content_field: str = "comment"
    author_field: str | None = "name"
    email_field: str | None = "email"
    url_field: str | None = None


def defaults_for(fields: dict[str, FieldSpec], text_field: str) -> AkismetSettings:
    """The settings of a policy without an `[akismet]` section: its own field names."""
    emails = [name for name, spec in fields.items() if spec.type == "email"]
    return AkismetSettings(
        content_field=text_field,
        author_field="name" if "name" in fields else None,
        email_field=emails[0] if emails else None,
        url_field=next((n for n in ("url", "website") if n in fields), None),
    )


def load_akismet(root: Table, fields: dict[str, FieldSpec], text_field: str) -> AkismetSettings:
    """Read `[akismet]` (optional); every field it names must be a field of the policy."""
    base = defaults_for(fields, text_field)
    table = root.table("akismet")
    if table is None:
        return base
    review = table.get("review", str, "spam")
    if review not in REVIEW_ANSWERS:
        raise table.error("review", "must be spam or ham")
    labels = {}
    for key, default in (("spam_label", "propaganda"), ("ham_label", "other")):
        value = table.get(key, str, default)
        if value not in LABEL_CHOICES:
            raise table.error(key, "must be propaganda, discusses, other or \"\" (no label)")
        labels[key] = value or None
    mapped = {}
    for key, default in (("content_field", base.content_field),
                         ("author_field", base.author_field),
                         ("email_field", base.email_field), ("url_field", base.url_field)):
        value = table.get(key, str, default if default is not None else "")
        if value and value not in fields:
            raise table.error(key, f"names unknown field {value!r}")
        if key == "content_field" and not value:
            raise table.error(key, "must name the field comment_content fills")
        mapped[key] = value or None
    table.done()
    return AkismetSettings(review_is_spam=review == "spam", spam_label=labels["spam_label"],
                           ham_label=labels["ham_label"],
                           content_field=str(mapped["content_field"]),
                           author_field=mapped["author_field"],
                           email_field=mapped["email_field"], url_field=mapped["url_field"])
