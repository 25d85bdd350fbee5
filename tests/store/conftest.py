from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from hzsim.store import Store


def _fresh_postgres(url: str) -> Store:
    store = Store(url)
    with store.engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    return store


@pytest.fixture(params=["sqlite-memory", "sqlite-file", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    if request.param == "sqlite-memory":
        db = Store("sqlite:///:memory:")
    elif request.param == "sqlite-file":
        db = Store(f"sqlite:///{tmp_path / 'store.db'}")
    else:
        db = _fresh_postgres(os.environ["HZSIM_TEST_PG_URL"])
    db.migrate()
    yield db
    db.dispose()
