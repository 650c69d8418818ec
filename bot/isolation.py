"""One user's updates never handled at the same time by two webhook workers: a lock per chat
and user in Redis that lives as long as its worker does.

aiogram's `RedisEventIsolation` takes the lock for a fixed 60 s. A worker killed (SIGKILL,
out of memory, the machine gone) while handling an update leaves it behind: that user's next
updates wait up to a minute. And an update handled for longer than 60 s loses its lock while
it still runs, so the user's next update is handled beside it (and `OncePerUpdate` would take
a redelivered copy of it for the update of a dead worker).

Here the lock is taken for `ttl` seconds (REDIS_LOCK_TTL, 10 by default) and renewed every
third of that while the update is handled: a live worker keeps it however long it works, a
dead worker's lock ends within `ttl`. Until its update holds the lock (and is claimed,
`bot.middlewares.OncePerUpdate`), the webhook does not tell Telegram it was delivered
(bot/webhook.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import AsyncGenerator

from aiogram.fsm.storage.base import DefaultKeyBuilder, KeyBuilder, StorageKey
from aiogram.fsm.storage.redis import RedisEventIsolation
from redis.asyncio import Redis
from redis.asyncio.lock import Lock
from redis.exceptions import LockError, RedisError

log = logging.getLogger(__name__)

DEFAULT_LOCK_TTL = 10.0


def redis_key_builder(prefix: str) -> DefaultKeyBuilder:
    """The keys of conversation state and of user locks under REDIS_PREFIX."""
    return DefaultKeyBuilder(prefix=f"{prefix}:fsm", with_destiny=True)


class RenewedRedisEventIsolation(RedisEventIsolation):
    """aiogram's Redis lock per user, with a short time to live renewed while it is held."""

    def __init__(
        self,
        redis: Redis,
        key_builder: KeyBuilder | None = None,
        *,
        ttl: float = DEFAULT_LOCK_TTL,
        poll: float = 0.05,
    ) -> None:
        super().__init__(redis, key_builder=key_builder)
        self.ttl = ttl
        self.poll = poll

    @contextlib.asynccontextmanager
    async def lock(self, key: StorageKey) -> AsyncGenerator[None, None]:
        name = self.key_builder.build(key, "lock")
        lock = Lock(self.redis, name, timeout=self.ttl, sleep=self.poll)
        token = uuid.uuid4().hex.encode()
        try:  # waits while another worker holds it (or until a dead one's ends)
            await lock.acquire(token=token)
        except asyncio.CancelledError:
            # Given up while waiting (bot/webhook.py answers 429): a SET that went through
            # as it was cancelled must not leave the user locked for `ttl`.
            await asyncio.shield(self._drop(lock, token))
            raise
        renewal = asyncio.create_task(self._renew(lock), name=f"renew {name}")
        try:
            yield None
        finally:
            renewal.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await renewal
            try:
                await lock.release()
            except (LockError, RedisError) as exc:  # lost (see _renew) or Redis gone
                log.warning("user lock could not be released: %s", type(exc).__name__)

    @staticmethod
    async def _drop(lock: Lock, token: bytes) -> None:
        with contextlib.suppress(LockError, RedisError):  # not ours (never set): nothing to do
            await lock.do_release(token)  # deletes it only if it holds our token

    async def _renew(self, lock: Lock) -> None:
        while True:
            await asyncio.sleep(self.ttl / 3)
            try:
                await lock.reacquire()
            except LockError:
                # Expired before it was renewed (the event loop stalled for `ttl`): another
                # worker may handle this user's next update meanwhile.
                log.warning("user lock lost while its update was handled")
                return
            except RedisError as exc:  # Redis restarting: try again at the next turn
                log.warning("user lock not renewed: %s", type(exc).__name__)
