"""Engines for SQLite and PostgreSQL, and `upgrade`: alembic to head, safe under many workers.

Every gunicorn worker opens the store on start, so several may migrate at once. They
queue on a lock first (an exclusive file lock beside a SQLite file, a transaction-scoped
advisory lock on PostgreSQL); the first applies the migrations, the rest find the schema
at head and do nothing.
"""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, make_url, text

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
#: Arbitrary constant naming the migration lock among PostgreSQL advisory locks.
_PG_LOCK_KEY = 0x6D6F6431
#: How long a statement waits for a lock (SQLite's busy timeout, PostgreSQL's lock_timeout)
#: or for a connection: well below gunicorn's 30 s worker timeout, so one held lock gives
#: its waiters a 503 in seconds instead of parking every worker until it is killed.
DEFAULT_TIMEOUT_SECONDS = 5.0
#: Execution option of a read-only engine (`reads`): its transactions begin deferred.
_READS = "moderator_reads"


def sqlite_path(url: str) -> Path | None:
    """The file of a SQLite URL, or None for PostgreSQL and in-memory SQLite."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database)


def make_engine(url: str, timeout: float = DEFAULT_TIMEOUT_SECONDS) -> Engine:
    """An engine tuned for the backend: WAL and write-first transactions on SQLite.

    `hide_parameters` keeps comment text, names and labels out of every exception's
    str() (SQLAlchemy embeds the SQL parameters there), so no log line can carry them.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        path = sqlite_path(url)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": timeout}, hide_parameters=True)
        _tune_sqlite(engine, timeout)
        return engine
    if parsed.get_backend_name() == "postgresql" and parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() != "postgresql":
        return create_engine(parsed, pool_pre_ping=True, hide_parameters=True)
    engine = create_engine(parsed, pool_pre_ping=True, hide_parameters=True,
                           connect_args={"connect_timeout": max(2, round(timeout))})
    _tune_postgresql(engine, timeout)
    return engine


def _tune_postgresql(engine: Engine, timeout: float) -> None:
    """A statement waits at most `timeout` for a lock. Set per connection, not as a startup
    option, so poolers that refuse startup options (pgbouncer) still connect."""

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        with dbapi_connection.cursor() as cursor:
            cursor.execute(f"SET lock_timeout = {round(timeout * 1000)}")
        dbapi_connection.commit()  # a SET inside a transaction that rolls back is undone


def reads(engine: Engine) -> Engine:
    """The same engine (pool, settings) for transactions that only read.

    On SQLite they begin deferred: under WAL a reader takes no lock a writer waits for,
    and waits for none. Every other transaction takes the write lock up front, so
    reading through this engine is for code that never writes.
    """
    return engine.execution_options(**{_READS: True})


def _tune_sqlite(engine: Engine, timeout: float) -> None:
    """WAL lets readers run beside a writer; BEGIN IMMEDIATE takes the write lock up front,
    so two processes never deadlock upgrading a read lock (SQLite would fail one at once
    instead of waiting out the busy timeout). Reads (`reads`) begin deferred: taking the
    write lock for them would queue every read of the review queue behind the writers."""

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {round(timeout * 1000)}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN" if conn.get_execution_options().get(_READS)
                             else "BEGIN IMMEDIATE")


@contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _alembic_config() -> Any:
    from alembic.config import Config  # imported here: most processes never migrate twice

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def schema_revisions(engine: Engine) -> tuple[str | None, str, bool]:
    """(the database's revision, this code's head, whether the code knows that revision).

    Reads only: `moderator config check` asks, the server's start-up migrates.
    """
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(_alembic_config())
    with engine.connect() as conn:
        current = MigrationContext.configure(conn).get_current_revision()
    known = current is None or current in {rev.revision for rev in script.walk_revisions()}
    return current, str(script.get_current_head()), known


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Apply the migrations up to `revision`, one process at a time."""
    from alembic import command  # imported here: most processes never migrate twice

    config = _alembic_config()
    path = sqlite_path(str(engine.url))
    lock = _file_lock(path.with_name(path.name + ".migrate-lock")) if path else _nolock()
    with lock, engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_LOCK_KEY})
        config.attributes["connection"] = conn
        command.upgrade(config, revision)


@contextmanager
def _nolock() -> Iterator[None]:
    yield
