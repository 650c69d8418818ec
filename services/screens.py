"""Screens that do not depend on the user, rendered once per catalog version and reused.

A category page and the shared part of a product card cost one to four SQL statements and
their rendering; the catalog's versions (models/catalog_versions.py, moved by triggers with
every product, shop, category, certificate and monthly-sales change) say when they may have
changed. The versions are read with the acting account (`services.roles.acting_account`:
the same statement, `remember`), or, when the update has committed since (its own change may
have moved them) or had no account statement, by one small SELECT (`versions`).

`ScreenCache` is a bounded LRU, one per bot process (the dispatcher's `screens`), of what the
screens need keyed by everything they depend on: the versions, the list, the page, the
locale, the policy, the WIB day (the rotation of the fair order), and an instant after which
an entry is stale whatever the versions say (a product stops being "fresh"). What belongs to
the user (their cart, their currency, their language) is composed on top by the handler and
never cached.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import event, select
from sqlalchemy.orm import Session
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from models import CatalogVersion
from models.db import select_columns

T = TypeVar("T")
_KEY = "tukulokal_catalog_versions"
DEFAULT_SIZE = 4096


@dataclass(frozen=True)
class Versions:
    catalog: int
    sales: int


def version_columns() -> list[Any]:
    """Scalar subqueries for a statement the update makes anyway (the acting account)."""
    row = col(CatalogVersion.id) == 1
    return [
        select(col(CatalogVersion.catalog)).where(row).scalar_subquery(),
        select(col(CatalogVersion.sales)).where(row).scalar_subquery(),
    ]


def remember(session: AsyncSession, catalog: int | None, sales: int | None) -> None:
    """Keep the versions read in this session's transaction (until it commits)."""
    session.sync_session.info[_KEY] = Versions(catalog or 0, sales or 0)


@event.listens_for(Session, "after_commit")
def _forget(session: Session) -> None:
    """A commit may have moved them (a change of this update's own): read them again."""
    session.info.pop(_KEY, None)


async def versions(session: AsyncSession) -> Versions:
    """The catalog's versions as this update sees them (read before the data they guard)."""
    known = session.sync_session.info.get(_KEY)
    if isinstance(known, Versions):
        return known
    query = select_columns(CatalogVersion.catalog, CatalogVersion.sales).where(
        col(CatalogVersion.id) == 1
    )
    row = (await session.exec(query)).first()
    remember(session, *(row if row is not None else (0, 0)))
    found: Versions = session.sync_session.info[_KEY]
    return found


class ScreenCache:
    """A bounded LRU of screens (or what they are built from); an entry may carry an instant
    after which it is stale."""

    def __init__(self, size: int = DEFAULT_SIZE) -> None:
        self.size = size
        self._entries: OrderedDict[Hashable, tuple[Any, datetime | None]] = OrderedDict()
        self._making: dict[Hashable, asyncio.Future[Any]] = {}
        self.hits = 0
        self.misses = 0

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: Hashable, now: datetime | None = None) -> Any | None:
        """The entry under `key`, unless there is none or it is stale at `now`."""
        entry = self._entries.get(key)
        if entry is None or (entry[1] is not None and (now is None or now >= entry[1])):
            self.misses += 1
            return None
        self._entries.move_to_end(key)
        self.hits += 1
        return entry[0]

    def put(self, key: Hashable, value: Any, *, valid_until: datetime | None = None) -> None:
        self._entries[key] = (value, valid_until)
        self._entries.move_to_end(key)
        while len(self._entries) > self.size:
            self._entries.popitem(last=False)

    async def get_or_make(
        self,
        key: Hashable,
        make: Callable[[], Awaitable[tuple[T, datetime | None]]],
        now: datetime,
    ) -> T:
        """The entry under `key`, else what `make()` returns (value, stale-from instant),
        kept. Updates asking for a key being made meanwhile wait for it instead of making it
        again (50 buyers opening the same page at once read it once)."""
        hit = self.get(key, now)
        if hit is not None:
            return hit  # type: ignore[no-any-return]
        pending = self._making.get(key)
        if pending is not None:
            try:
                return await asyncio.shield(pending)
            except asyncio.CancelledError:
                if not pending.cancelled():
                    raise  # this update was cancelled, not the one making it
            return await self.get_or_make(key, make, now)  # its maker was cancelled
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._making[key] = future
        try:
            value, valid_until = await make()
        except Exception as exc:
            future.set_exception(exc)
            future.exception()  # retrieved: no "never retrieved" warning without waiters
            raise
        except BaseException:
            future.cancel()
            raise
        else:
            self.put(key, value, valid_until=valid_until)
            future.set_result(value)
            return value
        finally:
            del self._making[key]
