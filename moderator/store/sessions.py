"""Sign-in sessions of the moderators' page, kept in the store so that every worker and host
sees the same ones and signing out ends a session everywhere at once.

The cookie carries a random token; the table keeps only its SHA-256, so a copy of the
database does not let anyone in. Each session has its own CSRF token.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker

from moderator.store.schema import AdminSession
from moderator.store.times import aware

TOKEN_BYTES = 32


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class SessionRecord:
    """A live session: who it is, which key they signed in with, its CSRF token."""

    moderator: str
    key_fingerprint: str
    csrf_token: str
    expires_at: datetime


class SessionsMixin:
    """The session methods of `Store`."""

    _session: sessionmaker[Session]
    _clock: Callable[[], datetime]

    def _tx(self) -> AbstractContextManager[Session]:
        raise NotImplementedError  # Store's: writes go through its write sessions

    def start_session(self, moderator: str, key_fingerprint: str,
                      lifetime: timedelta) -> tuple[str, SessionRecord]:
        """A new session (expired ones are dropped on the way); returns (token, record)."""
        now = self._clock()
        token = secrets.token_urlsafe(TOKEN_BYTES)
        record = SessionRecord(moderator, key_fingerprint, secrets.token_urlsafe(TOKEN_BYTES),
                               now + lifetime)
        with self._tx() as session:
            session.execute(delete(AdminSession).where(AdminSession.expires_at < now)
                            .execution_options(synchronize_session=False))
            session.add(AdminSession(token_hash=token_digest(token), moderator=moderator,
                                     key_fingerprint=key_fingerprint,
                                     csrf_token=record.csrf_token, created_at=now,
                                     expires_at=record.expires_at))
        return token, record

    def find_session(self, token: str | None) -> SessionRecord | None:
        """The live session of a cookie's token, or None (unknown, malformed or expired)."""
        if not token or len(token) > 128:
            return None
        with self._session() as session:
            row = session.scalar(select(AdminSession).where(
                AdminSession.token_hash == token_digest(token)))
        if row is None:
            return None
        expires = aware(row.expires_at)
        if expires is None or expires <= self._clock():
            return None
        return SessionRecord(row.moderator, row.key_fingerprint, row.csrf_token, expires)

    def end_session(self, token: str | None) -> None:
        """Sign out: the token stops working on every worker and host."""
        if not token:
            return
        with self._tx() as session:
            session.execute(delete(AdminSession).where(
                AdminSession.token_hash == token_digest(token))
                .execution_options(synchronize_session=False))
