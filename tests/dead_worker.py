"""A worker killed while it handles a user's update: a process that takes the user's lock as
the bot does (`bot.isolation`), then gets SIGKILL, so the lock is left as a dead worker leaves
it (no release, no more renewals).

`python -m tests.dead_worker REDIS_URL PREFIX BOT_ID USER_ID TTL` holds it until killed.
"""

from __future__ import annotations

import asyncio
import signal
import sys
from pathlib import Path

from aiogram.fsm.storage.base import StorageKey

ROOT = Path(__file__).resolve().parents[1]


def user_key(bot_id: int, user_id: int) -> StorageKey:
    """The key of a user's updates in their private chat."""
    return StorageKey(bot_id=bot_id, chat_id=user_id, user_id=user_id)


async def killed_while_holding(
    redis_url: str, prefix: str, bot_id: int, user_id: int, ttl: float
) -> None:
    """Start the holder, wait until it holds the lock, kill it."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.dead_worker",
        redis_url, prefix, str(bot_id), str(user_id), str(ttl),
        cwd=ROOT, stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert process.stdout is not None
    try:
        line = await asyncio.wait_for(process.stdout.readline(), 60)
        assert line.strip() == b"held", line
    finally:
        process.send_signal(signal.SIGKILL)
        await process.wait()


async def _hold(redis_url: str, prefix: str, bot_id: int, user_id: int, ttl: float) -> None:
    from redis.asyncio import Redis

    from bot.isolation import RenewedRedisEventIsolation, redis_key_builder

    isolation = RenewedRedisEventIsolation(
        Redis.from_url(redis_url), key_builder=redis_key_builder(prefix), ttl=ttl
    )
    async with isolation.lock(user_key(bot_id, user_id)):
        print("held", flush=True)
        await asyncio.Event().wait()


if __name__ == "__main__":
    url, prefix, bot_id, user_id, ttl = sys.argv[1:6]
    asyncio.run(_hold(url, prefix, int(bot_id), int(user_id), float(ttl)))
