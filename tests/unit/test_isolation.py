"""bot.isolation: a user's lock in Redis lives as long as the worker holding it, no longer."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest
import redis.asyncio as aioredis

from bot.isolation import RenewedRedisEventIsolation, redis_key_builder
from tests.dead_worker import killed_while_holding, user_key

URL = "redis://127.0.0.1:6379/0"
BOT_ID, USER = 123456, 4242


@pytest.fixture
async def redis() -> AsyncIterator[tuple[aioredis.Redis, str]]:
    client = aioredis.from_url(URL)
    try:
        await client.ping()
    except Exception as exc:
        pytest.skip(f"Redis not reachable: {exc!r}")
    prefix = f"test-{uuid.uuid4().hex[:10]}"
    yield client, prefix
    keys = [key async for key in client.scan_iter(f"{prefix}:*")]
    if keys:
        await client.delete(*keys)
    await client.aclose()


def isolation(client: aioredis.Redis, prefix: str, ttl: float) -> RenewedRedisEventIsolation:
    return RenewedRedisEventIsolation(client, key_builder=redis_key_builder(prefix), ttl=ttl)


async def test_a_worker_busy_longer_than_the_ttl_keeps_its_users_lock(redis):
    client, prefix = redis
    ttl = 0.6
    first, second = isolation(client, prefix, ttl), isolation(client, prefix, ttl)
    key = user_key(BOT_ID, USER)
    events: list[str] = []
    holding = asyncio.Event()

    async def long_update() -> None:  # e.g. a large import: three times the lock's TTL
        async with first.lock(key):
            events.append("first starts")
            holding.set()
            await asyncio.sleep(3 * ttl)
            events.append("first ends")

    async def next_update() -> None:  # the same user's next update, on another worker
        await holding.wait()
        async with second.lock(key):
            events.append("second starts")

    await asyncio.wait_for(asyncio.gather(long_update(), next_update()), 10)
    assert events == ["first starts", "first ends", "second starts"]


async def test_a_killed_workers_lock_ends_within_its_ttl(redis):
    client, prefix = redis
    ttl = 1.0
    await killed_while_holding(URL, prefix, BOT_ID, USER, ttl)
    name = redis_key_builder(prefix).build(user_key(BOT_ID, USER), "lock")
    assert await client.exists(name)  # left behind by the dead worker
    # aiogram's own lock would be held for 60 s; this one is free within the TTL.
    async with asyncio.timeout(ttl + 3):
        async with isolation(client, prefix, ttl).lock(user_key(BOT_ID, USER)):
            pass
    assert not await client.exists(name)  # released by its new holder
