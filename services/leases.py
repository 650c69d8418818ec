"""Only one process runs the jobs: a lease row renewed by its holder.

Several bot processes may run (production); each tries to take or renew the lease before a job
runs, and the scheduler renews it every third of its lifetime (`renew_lease` job), so a holder
that is alive keeps it even between jobs. If it dies, the lease expires and the next process to
try takes over. A process that stops cleanly releases it at once. The same table works on SQLite
and PostgreSQL; one table row per lease name ("jobs" for the scheduled jobs, "broadcasts" for
sending broadcasts).
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import or_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col

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
    ) -> None:
        self.db = db
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
            if (
                self.held
                and self.expires_at is not None
                and self.expires_at - self.clock() > self.ttl * 2 / 3
            ):
                return True
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
                    continue
                return True
        return False  # another process holds a live lease

    async def release(self) -> None:
        """Give the lease up now (a clean stop): another process may take it at once."""
        self.held, self.expires_at = False, None
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
