"""Engine and session factory for SQLite (default) and PostgreSQL.

SQLite runs in WAL mode with a busy timeout, so readers never block the writer. A transaction
that reads and then writes must take SQLite's write lock up front (`begin_write`), otherwise a
concurrent writer makes it fail with "database is locked" instead of waiting.

Writers of one process also take turns on an asyncio lock per SQLite file before asking SQLite
for its lock (`begin_write`, `sqlite_writer`). SQLite's busy handler polls with sleeps of up to
100 ms, so a waiting writer could sleep long after the lock was free: with 50 writers at once,
a write's p99 was ~470 ms (max > 1 s), ~160 ms with turns, which hand over at once and in
order. Other processes (the CLI) still meet the busy timeout.

SQLite connections are aiosqlite's (a thread each), with one change: a statement is executed,
its rows fetched and its cursor closed in one trip to that thread (`_OneTripCursor`) instead of
four, and a rollback with no transaction open makes no trip. Each trip hands the GIL between
the event loop and the thread; an update of a browsing user made 27 trips, now about 10.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import threading
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiosqlite
from sqlalchemy import Column, MetaData, Table, event, insert, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlalchemy.util import await_only
from sqlalchemy.util.concurrency import in_greenlet
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import Select

_IMMEDIATE = "tukulokal_immediate"
WRITE_LOCK_TIMEOUT = 30.0  # seconds, as SQLite's busy timeout
_write_locks: dict[str, tuple[asyncio.AbstractEventLoop, asyncio.Lock]] = {}


class _OneTripCursor:
    """What SQLAlchemy's aiosqlite adapter needs of a cursor, one thread trip per statement.

    aiosqlite makes a trip to the connection's thread to create the cursor, to execute, to fetch
    and to close; here `execute` does all of it at once and keeps the rows (SQLAlchemy fetches
    them all right after executing anyway: the project uses no server-side cursors).
    """

    arraysize = 1

    def __init__(self, connection: aiosqlite.Connection) -> None:
        self._connection = connection
        self.description: Any = None
        self.rowcount = -1
        self.lastrowid: int | None = None
        self._rows: list[Any] = []

    async def __aenter__(self) -> _OneTripCursor:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        self._rows = []

    def _run(self, method: str, sql: str, parameters: Any) -> tuple[Any, int, Any, list[Any]]:
        cursor = self._connection._conn.cursor()
        try:
            getattr(cursor, method)(sql, parameters)
            rows = cursor.fetchall() if cursor.description else []
            return cursor.description, cursor.rowcount, cursor.lastrowid, rows
        finally:
            cursor.close()

    async def execute(self, sql: str, parameters: Any = ()) -> _OneTripCursor:
        outcome = await self._connection._execute(self._run, "execute", sql, parameters)
        self.description, self.rowcount, self.lastrowid, self._rows = outcome
        return self

    async def executemany(self, sql: str, parameters: Sequence[Any]) -> _OneTripCursor:
        outcome = await self._connection._execute(self._run, "executemany", sql, parameters)
        self.description, self.rowcount, self.lastrowid, self._rows = outcome
        return self

    async def fetchall(self) -> list[Any]:
        rows, self._rows = self._rows, []
        return rows

    async def fetchone(self) -> Any:
        return self._rows.pop(0) if self._rows else None

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        size = size or self.arraysize
        rows, self._rows = self._rows[:size], self._rows[size:]
        return rows

    async def close(self) -> None:
        self._rows = []


class _OneTripConnection(aiosqlite.Connection):
    # The writer turn (see `sqlite_writer`) this connection's open transaction holds, if any.
    writer_turn: asyncio.Lock | None = None

    # Not aiosqlite's awaitable Result[Cursor]: SQLAlchemy's adapter only enters what this
    # returns (`__aenter__`), which _OneTripCursor supports.
    def cursor(self) -> _OneTripCursor:  # type: ignore[override]
        return _OneTripCursor(self)

    async def commit(self) -> None:
        try:
            await super().commit()
        finally:
            self.end_writer_turn()

    async def rollback(self) -> None:
        try:
            # A session ends with a rollback and the pool resets a returned connection with
            # another: skip the trip when no transaction is open (SQLite's autocommit flag, read
            # in place: nothing else runs on this connection while its owner rolls back).
            if self._connection is not None and self._connection.in_transaction:
                await super().rollback()
        finally:
            self.end_writer_turn()

    def end_writer_turn(self) -> None:
        """Let the next writer of this process go: once the transaction has really ended."""
        turn, self.writer_turn = self.writer_turn, None
        if turn is not None and turn.locked():
            turn.release()


def _sqlite_connector(database: str, timeout: float) -> Any:
    """`async_creator` for SQLite: what aiosqlite.connect does, with _OneTripConnection."""

    def connect() -> aiosqlite.Connection:
        connection = _OneTripConnection(
            lambda: sqlite3.connect(
                database,
                timeout=timeout,
                check_same_thread=False,  # as SQLAlchemy's aiosqlite dialect passes
                uri=database.startswith("file:"),
            ),
            64,
        )
        # As SQLAlchemy does: the connection's thread must not keep the process alive.
        thread = connection if isinstance(connection, threading.Thread) else connection._thread
        thread.daemon = True
        return connection

    return connect


def create_engine(
    url: str, *, echo: bool = False, pool_size: int | None = None, max_overflow: int | None = None
) -> AsyncEngine:
    parsed = make_url(url)
    # An error's message never carries the statement's parameters (NIPs, phone numbers): they
    # would end up in the logs with the traceback.
    kwargs: dict[str, Any] = {"echo": echo, "hide_parameters": True}
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
            kwargs["async_creator"] = _sqlite_connector(database, timeout=30)
        else:
            kwargs["connect_args"] = {"timeout": 30}
        kwargs["pool_size"] = 8
        kwargs["max_overflow"] = 8
    else:
        kwargs["pool_size"] = 10
        kwargs["max_overflow"] = 10
        kwargs["pool_pre_ping"] = True
        # A server that does not answer (restarting, unreachable) fails a connection within
        # seconds, and the user is told to try again, instead of a minute of silence.
        kwargs["pool_timeout"] = 10
        kwargs["connect_args"] = {"timeout": 5}
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
        # Read pages through a shared memory map instead of copying them into each connection's
        # small page cache: browsing a category was ~15% cheaper. Address space only.
        cursor.execute("PRAGMA mmap_size=268435456")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        if not conn.get_execution_options().get(_IMMEDIATE):
            conn.exec_driver_sql("BEGIN")
            return
        # This process's writers take turns first (see the module doc). The turn is taken here,
        # with the connection already checked out: a writer must never hold the turn while it
        # waits for the pool, whose connections may all be held by updates waiting for the turn.
        # It ends when the transaction does (_OneTripConnection.commit/rollback).
        driver = conn.connection.driver_connection
        turn = _writer_lock(engine) if in_greenlet() else None
        if turn is not None and isinstance(driver, _OneTripConnection):
            await_only(_acquire(turn))
            driver.writer_turn = turn
        try:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            if isinstance(driver, _OneTripConnection):
                driver.end_writer_turn()
            raise

    @event.listens_for(engine.sync_engine.pool, "checkin")
    def _on_checkin(dbapi_connection: Any, _record: Any) -> None:
        # A connection given back without commit or rollback (invalidated, say) ends its turn.
        driver = getattr(dbapi_connection, "driver_connection", None)
        if isinstance(driver, _OneTripConnection):
            driver.end_writer_turn()


def _writer_lock(engine: AsyncEngine) -> asyncio.Lock | None:
    """This process's writer lock for a SQLite file (None: PostgreSQL or in-memory SQLite)."""
    if engine.dialect.name != "sqlite":
        return None
    database = engine.url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    key = os.path.abspath(database)
    loop = asyncio.get_running_loop()
    entry = _write_locks.get(key)
    if entry is None or entry[0] is not loop:
        entry = _write_locks[key] = (loop, asyncio.Lock())
    return entry[1]


async def _acquire(lock: asyncio.Lock) -> None:
    try:
        await asyncio.wait_for(lock.acquire(), WRITE_LOCK_TIMEOUT)
    except TimeoutError:
        raise TimeoutError(
            f"no turn to write to the SQLite database within {WRITE_LOCK_TIMEOUT:.0f} s"
        ) from None


@asynccontextmanager
async def sqlite_writer(engine: AsyncEngine) -> AsyncIterator[None]:
    """Wait for this process's turn to write to the engine's SQLite file (no-op otherwise), for
    writes outside `begin_write`: `async with sqlite_writer(engine), engine.begin() as conn:`."""
    lock = _writer_lock(engine)
    if lock is None:
        yield
        return
    await _acquire(lock)
    try:
        yield
    finally:
        lock.release()


def select_columns(*columns: Any) -> Select[*tuple[Any, ...]]:
    """`sqlmodel.select` of five columns or more: its overloads stop at four, while the
    statement it builds for several columns (this one) takes any number."""
    return Select(*columns)


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


def unavailable(exc: BaseException) -> bool:
    """Did this fail because the database (or Redis, where conversations are kept) could not
    be reached: down, restarting, refusing or dropping connections, the pool exhausted?
    Rather than because of what was asked."""
    from sqlalchemy import exc as sa_exc

    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, sa_exc.DBAPIError) and current.connection_invalidated:
            return True
        if isinstance(current, (sa_exc.TimeoutError, sa_exc.DisconnectionError)):
            return True
        if isinstance(current, (OSError, TimeoutError)):  # refused, reset, no route
            return True
        module, name = type(current).__module__, type(current).__name__
        if module.startswith("asyncpg") and name in _GONE:
            return True
        if module.startswith("redis") and name in _REDIS_GONE:  # the conversation state store
            return True
        current = current.__cause__ or current.__context__
    return False


# asyncpg's errors for a server going away or not accepting connections yet.
_GONE = frozenset(
    {
        "CannotConnectNowError",  # starting up or shutting down
        "AdminShutdownError",  # terminated by a restart
        "CrashShutdownError",
        "ConnectionDoesNotExistError",  # the connection was closed mid-operation
        "ConnectionFailureError",
        "ClientCannotConnectError",
        "InternalClientError",
        "TooManyConnectionsError",
    }
)
# redis-py's: the server is down, restarting or still loading its data.
_REDIS_GONE = frozenset({"ConnectionError", "TimeoutError", "BusyLoadingError"})


async def materialize(session: AsyncSession, name: str, query: Select[Any]) -> Table:
    """The rows of `query`, computed once, as a temporary table of this connection (named
    `name`, replacing any left by an earlier use), to aggregate several times over. Drop it
    with `drop_temporary` when done (a rollback drops it too: DDL is transactional on both
    backends)."""
    await drop_temporary(session, name)
    columns = [Column(c.name, c.type) for c in query.selected_columns]
    temporary = Table(name, MetaData(), *columns, prefixes=["TEMPORARY"])
    await session.run_sync(lambda sync: temporary.create(sync.connection()))
    await session.exec(insert(temporary).from_select([c.name for c in columns], query))
    return temporary


async def drop_temporary(session: AsyncSession, name: str) -> None:
    # SQLModel's `exec` runs any statement, but its overloads type only selects and DML.
    await session.exec(text(f"DROP TABLE IF EXISTS {name}"))  # type: ignore[call-overload]
