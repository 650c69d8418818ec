"""FSM storage in the application's database, so multi-step flows survive a restart.

Reads are served from a write-through in-process cache: only one long-polling consumer may run
per bot token, so this process is the only writer. Deployments with several bot processes set
REDIS_URL and use aiogram's RedisStorage instead (see `create_storage`).

The storage has a database connection of its own, outside the pool that update sessions draw
from: it is used while an update's session holds a pooled connection, so with every pooled
connection held by updates waiting for it, sharing that pool would deadlock until its timeout.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from aiogram.fsm.state import State
from aiogram.fsm.storage.base import BaseStorage, DefaultKeyBuilder, StateType, StorageKey
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from models import FsmRecord
from models.db import Database, create_engine, sqlite_writer
from models.tables import table_of, utcnow

_Row = tuple[str | None, str] | None


class SqlStorage(BaseStorage):
    def __init__(self, db: Database, *, cache_size: int = 50_000) -> None:
        self.db = db
        self._own_engine = ":memory:" not in db.url  # an in-memory database can't be shared
        # One connection: reads miss the cache once per chat and writes are single statements,
        # so they queue for it only briefly and never wait for anything else while holding it.
        self.engine = (
            create_engine(db.url, pool_size=1, max_overflow=0) if self._own_engine else db.engine
        )
        self.key_builder = DefaultKeyBuilder(with_destiny=True)
        # key -> (state, data, the row as stored: (state, JSON data), or None for no row)
        self._cache: dict[str, tuple[str | None, dict[str, Any], _Row]] = {}
        self._cache_size = cache_size

    def _key(self, key: StorageKey) -> str:
        return self.key_builder.build(key)

    async def _load(self, key: str) -> tuple[str | None, dict[str, Any]]:
        cached = self._cache.get(key)
        if cached is not None:
            return cached[0], cached[1]
        table = table_of(FsmRecord)
        async with self.engine.connect() as conn:
            record = (
                await conn.execute(select(table.c.state, table.c.data).where(table.c.key == key))
            ).first()
        if record is None:
            self._remember(key, None, {}, None)
            return None, {}
        data = json.loads(record.data)
        self._remember(key, record.state, data, (record.state, record.data))
        return record.state, data

    def _remember(self, key: str, state: str | None, data: dict[str, Any], row: _Row) -> None:
        if key not in self._cache and len(self._cache) >= self._cache_size:
            self._cache.pop(next(iter(self._cache)))
        self._cache[key] = (state, data, row)

    async def _store(self, key: str, state: str | None, data: dict[str, Any]) -> None:
        payload = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
        row = None if state is None and not data else (state, payload)
        cached = self._cache.get(key)
        if cached is not None and cached[2] == row:
            # Already stored so (clearing a state that was never set, for instance): skip the
            # write transaction, which on SQLite would queue behind every other writer.
            self._remember(key, state, data, row)
            return
        table = table_of(FsmRecord)
        async with sqlite_writer(self.engine), self.engine.begin() as conn:
            if row is None:
                await conn.execute(table.delete().where(table.c.key == key))
            else:
                insert = sqlite_insert if self.db.is_sqlite else pg_insert
                statement = insert(table).values(
                    key=key, state=state, data=payload, updated_at=utcnow()
                )
                statement = statement.on_conflict_do_update(
                    index_elements=["key"],
                    set_={"state": state, "data": payload, "updated_at": utcnow()},
                )
                await conn.execute(statement)
        self._remember(key, state, data, row)

    async def set_state(self, key: StorageKey, state: StateType = None) -> None:
        name = self._key(key)
        _, data = await self._load(name)
        new_state = state.state if isinstance(state, State) else state
        await self._store(name, new_state, dict(data))

    async def get_state(self, key: StorageKey) -> str | None:
        state, _ = await self._load(self._key(key))
        return state

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        name = self._key(key)
        state, _ = await self._load(name)
        await self._store(name, state, dict(data))

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        _, data = await self._load(self._key(key))
        return dict(data)

    async def close(self) -> None:
        self._cache.clear()
        if self._own_engine:
            await self.engine.dispose()
