"""Alembic environment: runs on the connection `moderator.store.migrate` hands it.

There is no alembic.ini: the store builds the alembic Config in code, so the
migrations ship inside the package and run wherever the package is installed.
"""

from __future__ import annotations

from alembic import context

from moderator.store.schema import Base

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - only `alembic` run by hand without the store
    raise RuntimeError("run migrations through moderator.store.migrate.upgrade()")

context.configure(connection=connection, target_metadata=Base.metadata,
                  render_as_batch=connection.dialect.name == "sqlite")
with context.begin_transaction():
    context.run_migrations()
