"""Each Telegram update is handled once.

Telegram delivers updates at least once: a process that dies before confirming an offset, or a
webhook answered late, gets the same update again. Before an update is handled its `update_id`
is claimed in the database (`handled_updates`, a primary key): the first claim wins, and a
re-delivery, also after a restart or in another process, finds the claim and is skipped. An
update whose handling was cut short by a crash is therefore not handled again (its effects, if
any, stand); the user sees no answer and taps again.

Claims are forgotten after `KEEP` (Telegram keeps an update for at most 24 hours).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from models import HandledUpdate
from models.db import begin_write, is_sqlite

KEEP = timedelta(hours=48)


async def claim(session: AsyncSession, update_id: int, *, now: datetime) -> bool:
    """True for the first claim of `update_id`, False when it was handled already."""
    insert = sqlite_insert if is_sqlite(session) else pg_insert
    await begin_write(session)
    statement = (
        insert(HandledUpdate)
        .values(update_id=update_id, handled_at=now)
        .on_conflict_do_nothing(index_elements=["update_id"])
    )
    result = await session.exec(statement)
    await session.commit()
    return bool(result.rowcount == 1)


async def forget_old(session: AsyncSession, *, now: datetime) -> int:
    """Drop claims older than KEEP; returns how many."""
    await begin_write(session)
    result = await session.exec(
        delete(HandledUpdate).where(col(HandledUpdate.handled_at) < now - KEEP)
    )
    await session.commit()
    return int(result.rowcount or 0)
