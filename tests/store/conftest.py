"""Every store test runs against a SQLite file and a real PostgreSQL (own schema per test)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from moderator.store import Store
from moderator.store.testing import BACKENDS, PostgresUnavailable, temp_database

KEY = b"test-hash-key-0123456789abcdef!!"


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    try:
        with temp_database(request.param, tmp_path) as url:
            yield url
    except PostgresUnavailable as exc:
        if os.environ.get("CI"):
            raise
        pytest.skip(str(exc))


@pytest.fixture
def store(database_url: str) -> Iterator[Store]:
    store = Store.open(database_url, KEY)
    yield store
    store.close()
