"""Engine and session factory for SQLite (default) and PostgreSQL.

SQLite runs in WAL mode with a busy timeout, so readers never block the writer. A transaction
that reads and then writes must take SQLite's write lock up front (`begin_write`), otherwise a
concurrent writer makes it fail with "database is locked" instead of waiting.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlmodel.ext.asyncio.session import AsyncSession

_IMMEDIATE = "tukulokal_immediate"


def create_engine(
    url: str, *, echo: bool = False, pool_size: int | None = None, max_overflow: int | None = None
) -> AsyncEngine:
    parsed = make_url(url)
    kwargs: dict[str, Any] = {"echo": echo}
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        kwargs["connect_args"] = {"timeout": 30}
        kwargs["pool_size"] = 8
        kwargs["max_overflow"] = 8
    else:
        kwargs["pool_size"] = 10
        kwargs["max_overflow"] = 10
        kwargs["pool_pre_ping"] = True
    if pool_size is not None:
        kwargs["pool_size"] = pool_size
    if max_overflow is not None:
        kwargs["max_overflow"] = max_overflow
    engine = create_async_engine(url, **kwargs)
    if parsed.get_backend_name() == "sqlite":
        _configure_sqlite(engine)
    return engine


def _configure_sqlite(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event below emit BEGIN itself (pysqlite's own handling
        # would defer it and cannot do BEGIN IMMEDIATE).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        if conn.get_execution_options().get(_IMMEDIATE):
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            conn.exec_driver_sql("BEGIN")


def is_sqlite(session: AsyncSession) -> bool:
    bind = session.bind
    return bind is not None and bind.dialect.name == "sqlite"


async def begin_write(session: AsyncSession) -> None:
    """Start a write transaction that holds the write lock from its first statement.

    The caller must commit on every path, refusals included: a raise that leaves the lock
    held blocks every other writer (the FSM storage of the same update among them) until the
    session closes. Where the work may refuse, use `write_transaction` instead.

    On SQLite any read-only transaction already open in the session is ended first (it wrote
    nothing), then BEGIN IMMEDIATE waits for the lock instead of failing later. PostgreSQL needs
    nothing here: services lock the rows they change with SELECT ... FOR UPDATE or conditional
    UPDATEs.
    """
    if not is_sqlite(session):
        return
    if session.in_transaction():
        if session.new or session.dirty or session.deleted:
            # Pending changes: keep them in the current transaction.
            return
        await session.commit()
    await session.connection(execution_options={_IMMEDIATE: True})


@asynccontextmanager
async def write_transaction(session: AsyncSession) -> AsyncIterator[None]:
    """A unit of work that either commits entirely or changes nothing.

    The work runs in a SAVEPOINT inside a write transaction. If it raises (a refusal such as
    "out of stock" after some rows were already updated), the savepoint is rolled back and
    the empty outer transaction is committed: unlike a full rollback, this does not expire the
    objects the caller still holds (the user of the update, for instance), which under asyncio
    would fail on their next attribute access.
    """
    await begin_write(session)
    try:
        async with session.begin_nested():
            yield
    except BaseException:
        await session.commit()
        raise
    await session.commit()


class Database:
    """Owns the engine and hands out sessions (one per update or per job)."""

    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = url
        self.engine = create_engine(url, echo=echo)
        self.sessionmaker = async_sessionmaker(
            self.engine, class_=AsyncSession, expire_on_commit=False
        )

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        async with self.sessionmaker() as session:
            yield session

    async def dispose(self) -> None:
        await self.engine.dispose()
