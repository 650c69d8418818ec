"""Only one process runs the jobs: a lease row renewed by its holder.

Several bot processes may run (production); each tries to take or renew the lease before a job
runs, and the scheduler renews it every third of its lifetime (`renew_lease` job), so a holder
that is alive keeps it even between jobs. If it dies, the lease expires and the next process to
try takes over. A process that stops cleanly releases it at once. The same table works on SQLite
and PostgreSQL; one table row per lease name ("jobs" for the scheduled jobs, "broadcasts" for
sending broadcasts).

A holder that dies is noticed at once, without waiting for its lease to expire:

- with `advisory=True` on PostgreSQL (what the bot processes use) the lease is a session
  advisory lock held on a connection of its own: PostgreSQL drops it when that connection dies
  with its process (or its machine, once TCP keepalive notices), and while it lives nobody else
  gets it, whatever the clocks say. The row is still written: it says who holds the lease.
- otherwise, a holder named `host:pid:…` on this host whose process is gone is dead: its lease
  is taken over at once (one machine, SQLite). A live process's lease is never taken early.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import os
import socket
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import or_, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models import SchedulerLease
from models.db import Database, begin_write

log = logging.getLogger(__name__)


class Lease:
    def __init__(
        self,
        db: Database,
        clock: Callable[[], datetime],
        *,
        name: str = "jobs",
        ttl: timedelta = timedelta(seconds=90),
        holder: str | None = None,
        advisory: bool = False,
    ) -> None:
        self.db = db
        # A PostgreSQL advisory lock on a connection of our own (ignored on SQLite).
        self.advisory = advisory and not db.is_sqlite
        self._conn: AsyncConnection | None = None
        self.clock = clock
        self.name = name
        self.ttl = ttl
        self.holder = holder or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.held = False  # as of the last acquire()
        self.expires_at: datetime | None = None  # of the lease this process holds
        self._lock = asyncio.Lock()

    async def acquire(self) -> bool:
        """Take or renew the lease; True when this process holds it now.

        A lease this process holds is its own until it expires (nobody else may take it
        earlier), so it is written again only once a third of its lifetime has passed.
        """
        async with self._lock:  # jobs of this process asking at the same moment: one write
            if self.advisory:
                held = await self._acquire_advisory()
            elif (
                self.held
                and self.expires_at is not None
                and self.expires_at - self.clock() > self.ttl * 2 / 3
            ):
                return True
            else:
                held = await self._acquire()
            if held != self.held:
                log.info("lease %r %s by %s", self.name, "taken" if held else "lost", self.holder)
            self.held = held
            return held

    async def _acquire(self) -> bool:
        now = self.clock()
        self.expires_at = now + self.ttl  # if taken (only read while held)
        for _attempt in range(2):
            async with self.db.session() as session:
                await begin_write(session)
                result = await session.exec(
                    update(SchedulerLease)
                    .where(
                        col(SchedulerLease.name) == self.name,
                        or_(
                            col(SchedulerLease.holder) == self.holder,
                            col(SchedulerLease.expires_at) < now,
                        ),
                    )
                    .values(holder=self.holder, expires_at=now + self.ttl)
                )
                if result.rowcount == 1:
                    await session.commit()
                    return True
                session.add(
                    SchedulerLease(name=self.name, holder=self.holder, expires_at=now + self.ttl)
                )
                try:
                    await session.commit()
                except IntegrityError:
                    # The row exists: a live holder, or it was inserted meanwhile (PostgreSQL
                    # lets two first-ever attempts both miss it); look at it once more.
                    await session.rollback()
                    if await self._take_from_dead(now):
                        return True
                    continue
                return True
        return False  # another process holds a live lease

    async def _take_from_dead(self, now: datetime) -> bool:
        """Take the lease over from a holder on this host whose process is gone."""
        async with self.db.session() as session:
            await begin_write(session)
            current = (
                await session.exec(
                    select(SchedulerLease.holder).where(col(SchedulerLease.name) == self.name)
                )
            ).first()
            if current is None or current == self.holder or not holder_is_dead(current):
                return False
            result = await session.exec(
                update(SchedulerLease)
                .where(
                    col(SchedulerLease.name) == self.name, col(SchedulerLease.holder) == current
                )
                .values(holder=self.holder, expires_at=now + self.ttl)
            )
            await session.commit()
            if result.rowcount == 1:
                log.info("lease %r: its holder's process is gone, taken over", self.name)
                return True
            return False

    # --- PostgreSQL: a session advisory lock --------------------------------------------------

    async def _acquire_advisory(self) -> bool:
        """Hold (or check that this process still holds) the advisory lock; while held, the
        row says who holds it until when."""
        if self._conn is not None:
            try:
                await self._conn.execute(text("SELECT 1"))
            except Exception:  # the connection, and with it the lock, is gone
                log.warning("lease %r: its connection was lost", self.name)
                await self._close_conn()
        if self._conn is None:
            try:
                conn = await self.db.engine.connect()
                self._conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
                got = (
                    await self._conn.execute(
                        text("SELECT pg_try_advisory_lock(:key)"), {"key": advisory_key(self.name)}
                    )
                ).scalar_one()
            except Exception:
                await self._close_conn()
                raise
            if not got:
                await self._close_conn()
                return False
        now = self.clock()
        if not (self.held and self.expires_at and self.expires_at - now > self.ttl * 2 / 3):
            self.expires_at = now + self.ttl
            await self._record(now)
        return True

    async def _record(self, now: datetime) -> None:
        """Write who holds the lease (the lock is ours: whoever the row names is gone)."""
        async with self.db.session() as session:
            result = await session.exec(
                update(SchedulerLease)
                .where(col(SchedulerLease.name) == self.name)
                .values(holder=self.holder, expires_at=now + self.ttl)
            )
            if result.rowcount == 0:
                session.add(
                    SchedulerLease(name=self.name, holder=self.holder, expires_at=now + self.ttl)
                )
            await session.commit()

    async def _close_conn(self) -> None:
        """Drop our connection for good: returned to the pool, its PostgreSQL session (and
        the lock) would live on."""
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(Exception):
                await conn.invalidate()
            with contextlib.suppress(Exception):
                await conn.close()

    async def release(self) -> None:
        """Give the lease up now (a clean stop): another process may take it at once."""
        self.held, self.expires_at = False, None
        if self.advisory:
            await self._close_conn()  # closing the connection ends the advisory lock
        async with self.db.session() as session:
            await begin_write(session)
            await session.exec(
                update(SchedulerLease)
                .where(
                    col(SchedulerLease.name) == self.name,
                    col(SchedulerLease.holder) == self.holder,
                )
                .values(expires_at=self.clock() - timedelta(seconds=1))
            )
            await session.commit()


def advisory_key(name: str) -> int:
    """The advisory lock's number for a lease name (a signed 64-bit integer)."""
    digest = hashlib.sha256(f"tukulokal-lease:{name}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def holder_is_dead(holder: str) -> bool:
    """True when `holder` (`host:pid:…`) names a process of this host that no longer runs.

    Anything else (another host, an unparsable name, a live or inaccessible process) is
    treated as alive: its lease is left to expire.
    """
    host, _, rest = holder.partition(":")
    pid_text = rest.partition(":")[0]
    if host != socket.gethostname() or not pid_text.isdigit():
        return False
    pid = int(pid_text)
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # somebody else's live process
        return False
    return _is_zombie(pid)


def _is_zombie(pid: int) -> bool:
    """A killed child not yet reaped by its parent still answers signal 0."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            return stat.read().rpartition(")")[2].split()[0] == "Z"
    except (OSError, IndexError):
        return False


async def holders(session: AsyncSession) -> dict[str, tuple[str, datetime]]:
    """Who holds each lease and until when (as written; `/readyz`)."""
    rows = (await session.exec(select(SchedulerLease))).all()
    return {row.name: (row.holder, row.expires_at) for row in rows}
