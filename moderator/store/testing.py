"""Throwaway databases for tests: a SQLite file, or a fresh schema in a real PostgreSQL.

Lives in the package (not under tests/) so that worker processes started with `spawn`
can import `decide_many`, the function the concurrency test runs in each of them.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, make_url, text
from sqlalchemy.exc import OperationalError

POSTGRES_URL = os.environ.get("MODERATOR_TEST_POSTGRES_URL",
                              "postgresql+psycopg://postgres@127.0.0.1:5432/test")
BACKENDS = ("sqlite", "postgresql")


class PostgresUnavailable(RuntimeError):
    """The test PostgreSQL cannot be reached (CI starts it; a laptop may not have it)."""


@contextmanager
def temp_database(backend: str, folder: Path) -> Iterator[str]:
    """Yield a URL to an empty database that is removed afterwards.

    PostgreSQL gets a schema of its own per test (search_path set in the URL), so
    parallel and repeated runs never see each other's tables.
    """
    if backend == "sqlite":
        yield f"sqlite:///{folder / 'store.sqlite3'}"
        return
    schema = f"t_{os.getpid()}_{uuid.uuid4().hex[:10]}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    except OperationalError as exc:
        admin.dispose()
        raise PostgresUnavailable(f"PostgreSQL at {POSTGRES_URL} is unreachable: "
                                  f"{type(exc.orig).__name__}") from exc
    url = make_url(POSTGRES_URL).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@contextmanager
def own_database(prefix: str) -> Iterator[str]:
    """Yield a URL to a whole database of its own on the test PostgreSQL, dropped afterwards
    (for tests that alter database-wide settings or run servers against one database)."""
    name = f"{prefix}_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except OperationalError as exc:
        admin.dispose()
        raise PostgresUnavailable(f"PostgreSQL at {POSTGRES_URL} is unreachable: "
                                  f"{type(exc.orig).__name__}") from exc
    try:
        yield make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def decide_many(url: str, ids: Sequence[str], moderator: str) -> int:
    """Decide every id in `ids` (a worker process of the concurrency test); returns wins."""
    from moderator.store import AlreadyDecided, Store

    store = Store.open(url, b"k" * 32, migrate=False)
    wins = 0
    try:
        for i, comment_id in enumerate(ids):
            try:
                store.decide(comment_id, "reject" if i % 2 else "approve",
                             "propaganda" if i % 2 else "other", moderator)
                wins += 1
            except AlreadyDecided:
                pass
    finally:
        store.close()
    return wins


def migrate_once(url: str) -> None:
    """Open the store with migrations (the start-up race test runs this in each process)."""
    from moderator.store import Store

    Store.open(url, b"k" * 32).close()
