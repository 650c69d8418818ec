"""Shared fixtures: a migrated database on SQLite and on PostgreSQL.

Every test that takes `db` runs once per backend, except in modules marked `one_database`
(what they test is the conversation with Telegram, not SQL: they run on SQLite only; every
module that tests queries, reports, locking or jobs keeps both). The schema is migrated once
per backend and test session; each test starts from empty tables (plus the category list).
PostgreSQL tests are skipped with a visible reason when no server answers, except under CI or
with TUKULOKAL_REQUIRE_PG=1, where that is an error.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from hypothesis import settings
from sqlalchemy import text

from models.db import Database
from models.migrate import upgrade
from services.categories import ensure_categories

# Hypothesis checks what happens, never how fast: a per-example deadline only fails on a busy
# machine (CI shares its cores), so it is off; the examples' number stays hypothesis' default.
settings.register_profile("tukulokal", deadline=None)
settings.load_profile("tukulokal")

PG_ADMIN_URL = os.environ.get(
    "TUKULOKAL_TEST_PG_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
)
REQUIRE_PG = (
    os.environ.get("CI", "").lower() == "true" or os.environ.get("TUKULOKAL_REQUIRE_PG") == "1"
)


def _pg_url(database: str) -> str:
    base, _, _ = PG_ADMIN_URL.rpartition("/")
    return f"{base}/{database}"


async def _pg_admin(statement: str) -> None:
    import asyncpg

    dsn = PG_ADMIN_URL.replace("postgresql+asyncpg", "postgresql")
    conn = await asyncpg.connect(dsn, timeout=5)
    try:
        await conn.execute(statement)
    finally:
        await conn.close()


async def _migrate(url: str) -> None:
    database = Database(url)
    try:
        await upgrade(database.engine)
    finally:
        await database.dispose()


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    path: Path = tmp_path_factory.mktemp("db") / "test.db"
    url = f"sqlite+aiosqlite:///{path}"
    asyncio.run(_migrate(url))
    return url


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    name = f"tukulokal_test_{uuid.uuid4().hex[:10]}"
    try:
        asyncio.run(_pg_admin(f'CREATE DATABASE "{name}"'))
    except Exception as exc:
        if REQUIRE_PG:
            pytest.fail(f"PostgreSQL is required here but not reachable: {exc!r}")
        pytest.skip(f"PostgreSQL not reachable at {PG_ADMIN_URL}: {exc!r}")
    url = _pg_url(name)
    asyncio.run(_migrate(url))
    yield url
    asyncio.run(_pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Modules marked `one_database` run on SQLite only (see the module docstring)."""
    dropped = [
        item
        for item in items
        if item.get_closest_marker("one_database") is not None
        and getattr(item, "callspec", None) is not None
        and item.callspec.params.get("db_url") == "postgres"
    ]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        keep = set(map(id, items)) - set(map(id, dropped))
        items[:] = [item for item in items if id(item) in keep]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest) -> str:
    return request.getfixturevalue(f"{request.param}_url")


async def _truncate(database: Database) -> None:
    from sqlmodel import SQLModel

    tables = [t.name for t in reversed(SQLModel.metadata.sorted_tables)]
    async with database.engine.begin() as conn:
        if database.is_sqlite:
            for table in tables:
                await conn.execute(text(f'DELETE FROM "{table}"'))
        else:
            joined = ", ".join(f'"{t}"' for t in tables)
            await conn.execute(text(f"TRUNCATE {joined} RESTART IDENTITY CASCADE"))


@pytest.fixture
async def db(db_url: str) -> AsyncIterator[Database]:
    database = Database(db_url)
    await _truncate(database)
    async with database.session() as session:
        await ensure_categories(session)
    yield database
    await database.dispose()


@pytest.fixture
async def pg_db(postgres_url: str) -> AsyncIterator[Database]:
    """Like `db`, on PostgreSQL only (for what only PostgreSQL has)."""
    database = Database(postgres_url)
    await _truncate(database)
    async with database.session() as session:
        await ensure_categories(session)
    yield database
    await database.dispose()


@pytest.fixture
async def session(db: Database):
    async with db.session() as s:
        yield s
