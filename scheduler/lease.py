"""Only one process runs the jobs: a lease row renewed by its holder.

Several bot processes may run (production); each tries to take or renew the lease before a job
runs. The holder keeps it by renewing before it expires; if it dies, the lease expires and the
next process to try takes over. The same table works on SQLite and PostgreSQL.
"""

from __future__ import annotations

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

    async def acquire(self) -> bool:
        """Take or renew the lease; True when this process holds it now."""
        now = self.clock()
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
                await session.rollback()
                return False  # another process holds a live lease
            return True

    async def release(self) -> None:
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
