"""Finding the held comment an Akismet submit-spam / submit-ham is about.

Why no table of its own: only a held comment has a row to link a label to, and its id is
already the `X-akismet-guid` we answered with. WordPress stores that guid but sends back the
comment's fields instead (integrations b2.5), so a submit without a guid is matched on the
text as it was checked, among the site's most recent held comments: a bounded scan over an
index that every query of the queue already uses, and no new copy of any comment's text.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from moderator.store.schema import HeldComment

#: How many of a site's most recent held comments a submit without a guid is matched
#: against (a submit comes from a moderator reading the comment soon after it was held).
MATCH_WINDOW = 500


class AkismetMixin:
    """The lookup `Store` offers the Akismet endpoints (it provides the session factory)."""

    _session: sessionmaker[Session]

    def find_held(self, site: str, text: str,
                  guid: str | None = None) -> tuple[str, str] | None:
        """(id, status) of the held comment of `site` with this guid or this text, or None.

        A guid that names another site's comment is ignored, so one site's key cannot
        decide another site's queue.
        """
        with self._session() as session:
            if guid:
                row = session.execute(select(HeldComment.id, HeldComment.status).where(
                    HeldComment.id == guid, HeldComment.site == site)).first()
                if row is not None:
                    return row[0], row[1]
            recent = session.execute(
                select(HeldComment.id, HeldComment.status, HeldComment.text_field,
                       HeldComment.fields)
                .where(HeldComment.site == site)
                .order_by(HeldComment.seq.desc()).limit(MATCH_WINDOW))
            fallback = None
            for ident, status, field, fields in recent:
                if (fields or {}).get(field) != text:
                    continue
                if status == "pending":
                    return ident, status
                fallback = fallback or (ident, status)
            return fallback
