"""Delivering updates by webhook, as Telegram's Bot API server does (telegram-bot-api,
`WebhookActor.cpp`).

- Each update is POSTed as JSON to the webhook URL, with `X-Telegram-Bot-Api-Secret-Token`
  when a secret was set (`WebhookActor::send_update`).
- At most `max_connections` requests at once (default 40, 1-100: `Client::do_set_webhook`).
- Updates of one chat go one at a time, in order: the next is sent once the previous one was
  answered (`WebhookActor` queues per `queue_id`, the chat).
- Only a 2xx answer confirms an update; anything else (another status, a timeout, a dropped
  connection) leaves it pending and it is sent again after a pause
  (`WebhookActor::on_update_error`); `getWebhookInfo` shows `last_error_date` and
  `last_error_message` (e.g. "Wrong response from the webhook: 500 Internal Server Error").
- The update keeps its `update_id` on every attempt: a bot sees duplicates when it answered
  too late or failed after handling.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import aiohttp

if TYPE_CHECKING:
    from .server import FakeTelegram


def queue_of(update: dict[str, Any]) -> int:
    """The chat an update belongs to (its order within that chat is kept)."""
    for kind, payload in update.items():
        if kind == "update_id" or not isinstance(payload, dict):
            continue
        chat = payload.get("chat") or (payload.get("message") or {}).get("chat")
        if isinstance(chat, dict) and "id" in chat:
            return int(chat["id"])
        sender = payload.get("from")
        if isinstance(sender, dict) and "id" in sender:
            return int(sender["id"])
    return -int(update["update_id"])


@dataclass
class WebhookDelivery:
    """The delivery loop of one webhook (from setWebhook until deleteWebhook)."""

    server: FakeTelegram
    url: str
    secret: str | None
    max_connections: int
    ssl_context: ssl.SSLContext | bool = True
    timeout: float = 10.0
    retry_delay: float = 0.5
    attempts: dict[int, int] = field(default_factory=dict)  # update_id -> POSTs so far
    last_error_date: int | None = None
    last_error_message: str | None = None
    in_flight: dict[int, asyncio.Task[None]] = field(default_factory=dict)  # update_id
    _busy_queues: set[int] = field(default_factory=set)
    _retry_at: dict[int, float] = field(default_factory=dict)
    _task: asyncio.Task[None] | None = None
    _session: aiohttp.ClientSession | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="fakegram-webhook")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        for task in list(self.in_flight.values()):
            task.cancel()
        await asyncio.gather(*self.in_flight.values(), return_exceptions=True)
        self.in_flight.clear()
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def _run(self) -> None:
        self._session = aiohttp.ClientSession(
            timeout=aiohttp.ClientTimeout(total=self.timeout),
            connector=aiohttp.TCPConnector(limit=self.max_connections),
        )
        while True:
            now = time.monotonic()
            for update in list(self.server._updates):
                if len(self.in_flight) >= self.max_connections:
                    break
                update_id = update["update_id"]
                queue = queue_of(update)
                if update_id in self.in_flight or queue in self._busy_queues:
                    continue
                if self._retry_at.get(update_id, 0.0) > now:
                    self._busy_queues.add(queue)  # later ones of this chat wait for it
                    continue
                self._busy_queues.add(queue)
                self.in_flight[update_id] = asyncio.create_task(self._post(update, queue))
            self._busy_queues = {
                queue_of(u) for u in self.server._updates if u["update_id"] in self.in_flight
            }
            waits = [t - now for t in self._retry_at.values() if t > now]
            await self.server.wait_changed(min([0.5, *waits]))

    async def _post(self, update: dict[str, Any], queue: int) -> None:
        update_id = update["update_id"]
        self.attempts[update_id] = self.attempts.get(update_id, 0) + 1
        headers = {"Content-Type": "application/json"}
        if self.secret:
            headers["X-Telegram-Bot-Api-Secret-Token"] = self.secret
        assert self._session is not None
        try:
            async with self._session.post(
                self.url, data=self.server._dumps(update), headers=headers, ssl=self.ssl_context
            ) as response:
                await response.read()
                if 200 <= response.status < 300:
                    self.server._confirm_update(update_id)
                    self._retry_at.pop(update_id, None)
                    return
                self._error(
                    f"Wrong response from the webhook: {response.status} {response.reason}"
                )
        except TimeoutError:
            self._error("Read timeout expired")
        except aiohttp.ClientError as exc:
            self._error(f"Connection failed: {type(exc).__name__}")
        finally:
            self.in_flight.pop(update_id, None)
            self.server._notify()
        self._retry_at[update_id] = time.monotonic() + self.retry_delay

    def _error(self, message: str) -> None:
        self.last_error_date = int(self.server.now())
        self.last_error_message = message
