"""FSM storage in the application's database, so multi-step flows survive a restart.

Reads are served from a write-through in-process cache: only one long-polling consumer may run
per bot token, so this process is the only writer. Deployments with several bot processes set
REDIS_URL and use aiogram's RedisStorage instead (see `create_storage`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from aiogram.fsm.state import State
from aiogram.fsm.storage.base import BaseStorage, DefaultKeyBuilder, StateType, StorageKey
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from models import FsmRecord
from models.db import Database
from models.tables import utcnow

_MISSING = object()


class SqlStorage(BaseStorage):
    def __init__(self, db: Database, *, cache_size: int = 50_000) -> None:
        self.db = db
        self.key_builder = DefaultKeyBuilder(with_destiny=True)
        self._cache: dict[str, tuple[str | None, dict[str, Any]]] = {}
        self._cache_size = cache_size

    def _key(self, key: StorageKey) -> str:
        return self.key_builder.build(key)

    async def _load(self, key: str) -> tuple[str | None, dict[str, Any]]:
        cached = self._cache.get(key, _MISSING)
        if cached is not _MISSING:
            return cached  # type: ignore[return-value]
        async with self.db.session() as session:
            record = await session.get(FsmRecord, key)
        value = (None, {}) if record is None else (record.state, json.loads(record.data))
        self._remember(key, value)
        return value

    def _remember(self, key: str, value: tuple[str | None, dict[str, Any]]) -> None:
        if len(self._cache) >= self._cache_size:
            self._cache.pop(next(iter(self._cache)))
        self._cache[key] = value

    async def _store(self, key: str, state: str | None, data: dict[str, Any]) -> None:
        payload = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
        insert = sqlite_insert if self.db.is_sqlite else pg_insert
        statement = insert(FsmRecord.__table__).values(
            key=key, state=state, data=payload, updated_at=utcnow()
        )
        statement = statement.on_conflict_do_update(
            index_elements=["key"],
            set_={"state": state, "data": payload, "updated_at": utcnow()},
        )
        async with self.db.engine.begin() as conn:
            if state is None and not data:
                await conn.execute(
                    FsmRecord.__table__.delete().where(FsmRecord.__table__.c.key == key)
                )
            else:
                await conn.execute(statement)
        self._remember(key, (state, data))

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
