"""Rate-limited sending to many chats: broadcasts, reminders, any bulk notification.

One `Sender` per process holds one global rate (Telegram allows about 30 messages a second to
different chats; the default is 25) shared by every bulk job. Answers to users are never
queued behind a broadcast: they go out at once (`SharedRateMiddleware`); beyond a headroom
(5 a second by default, for 25 + 5 <= Telegram's 30) bulk sending yields them the slots they
used, so together they stay within Telegram's limit; a 429 on an answer is waited out and
pauses bulk sending too.

    sender = Sender(bot, rate=25)
    result = await sender.send(chat_id, lambda bot, chat_id: bot.send_message(chat_id, "Hi"))
    if result.outcome is Outcome.BLOCKED: ...

    await sender.send_batch(items, prepare, on_result)   # many chats, sent side by side

What happens on errors:
- 429 Too Many Requests: *all* sending pauses for `retry_after`, then the message is retried
  (this does not count as an attempt);
- 403 (the user blocked the bot, or the account was deactivated) -> BLOCKED, not retried;
- 400 "chat not found" (deleted account) -> NOT_FOUND, not retried;
- other 400s (the message itself is refused) -> FAILED, not retried;
- 5xx answers (but 504) and connections that could not be made -> retried with exponential
  backoff, FAILED after `max_attempts`: the message was certainly not sent;
- no answer (a timeout, a connection closed or a 504 Gateway Timeout) -> FAILED at once, not
  retried: Telegram may have sent the message, and sending it again blindly would give the
  user two (at most the messages in flight then are lost to the report, never doubled).
A failure for one chat never stops the others.

The bot's own requests (answers to users, edits) go through `SharedRateMiddleware`: calls
that can be repeated without effect (edits, callback answers, deletions, menus, reads) are
retried on the same server and network errors; sends only where they certainly did not reach
Telegram, as above.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections import deque
from collections.abc import AsyncIterable, Awaitable, Callable, Iterable
from contextvars import ContextVar
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, TypeVar

from aiogram import Bot
from aiogram.client.session.middlewares.base import (
    BaseRequestMiddleware,
    NextRequestMiddlewareType,
)
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.methods import Response, TelegramMethod
from aiogram.methods.base import TelegramType
from aiohttp import ClientConnectorError

from services.policy import BroadcastPolicy

log = logging.getLogger(__name__)

T = TypeVar("T")
MakeMessage = Callable[[Bot, int], Awaitable[Any]]


class Outcome(StrEnum):
    SENT = "sent"
    BLOCKED = "blocked"  # 403: blocked the bot (or deactivated): stop writing to them
    NOT_FOUND = "not_found"  # 400 chat not found: the account is gone
    FAILED = "failed"  # refused message, or server/network errors on every attempt
    SKIPPED = "skipped"  # send_batch: `prepare` declined the item (nothing was sent)


@dataclass(frozen=True)
class SendResult:
    outcome: Outcome
    error: str | None = None
    attempts: int = 0  # requests that counted (429 answers do not)
    result: Any = None  # what the API call returned (the Message), when sent

    @property
    def ok(self) -> bool:
        return self.outcome is Outcome.SENT


class RateLimiter:
    """Spaces sends evenly at `rate` per second (no bursts), and pauses them all on demand.

    Grants follow an ideal schedule (each one 1/rate after the previous), so a late wake-up
    does not slow the average rate, and a quiet period does not allow a burst afterwards.
    """

    def __init__(
        self,
        rate: float,
        *,
        headroom: float = 0.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """`headroom`: answers per second that may go out beside bulk sending before it
        yields to them (rate + headroom stays within Telegram's limit of about 30/s)."""
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.rate = rate
        self.interval = 1.0 / rate
        self.headroom = max(0.0, headroom)
        self._clock = clock
        self._next = 0.0
        self._paused_until = 0.0
        self._answers: deque[float] = deque()
        self._lock = asyncio.Lock()
        self.pauses = 0  # how many retry_after pauses were honoured

    def pause(self, seconds: float) -> None:
        """Nobody gets a slot before `seconds` from now (a 429's retry_after)."""
        until = self._clock() + seconds
        if until > self._paused_until:
            self._paused_until = until
            self.pauses += 1

    @property
    def paused_for(self) -> float:
        return max(0.0, self._paused_until - self._clock())

    def note(self) -> None:
        """An answer to a user went out. Answers are never delayed: within the headroom they
        are free, beyond it each one moves the next bulk grant one slot on, so that bulk
        sending and answers together stay within rate + headroom."""
        now = self._clock()
        self._answers.append(now)
        while self._answers and now - self._answers[0] >= 1.0:
            self._answers.popleft()
        if len(self._answers) > self.headroom:
            self._next = max(self._next, now) + self.interval

    async def acquire(self) -> None:
        async with self._lock:  # first come, first served
            while True:
                now = self._clock()
                ready = max(self._next, self._paused_until)
                if now >= ready:
                    break
                await asyncio.sleep(ready - now)
            if now - self._next > self.interval:
                self._next = now  # was idle: start a new schedule from now, no burst
            self._next = max(self._next, self._paused_until) + self.interval


# Set while the sender makes its own requests (the middleware leaves those to it).
_bulk: ContextVar[bool] = ContextVar("tukulokal_bulk_send", default=False)

SEND_METHODS = frozenset(
    {
        "sendMessage", "sendPhoto", "sendDocument", "sendMediaGroup", "copyMessage",
        "copyMessages", "forwardMessage", "forwardMessages", "sendVideo", "sendAnimation",
        "sendAudio", "sendVoice", "sendVideoNote", "sendSticker", "sendLocation", "sendVenue",
        "sendContact", "sendPoll", "sendDice", "sendInvoice",
    }
)  # fmt: skip


# Requests that change nothing when carried out twice: retried on any server or network error.
IDEMPOTENT_METHODS = frozenset(
    {
        "getMe", "getChat", "getFile", "getUpdates", "getMyCommands", "getWebhookInfo",
        "editMessageText", "editMessageCaption", "editMessageReplyMarkup", "editMessageMedia",
        "answerCallbackQuery", "deleteMessage", "deleteMessages", "sendChatAction",
        "setMyCommands", "deleteMyCommands", "setChatMenuButton", "setMyDescription",
        "setMyShortDescription", "setMyName", "setWebhook", "deleteWebhook",
    }
)  # fmt: skip


def not_carried_out(exc: BaseException) -> bool:
    """The request certainly had no effect: the server answered an error of its own (not a
    gateway's timeout, after which the request may have gone through), or no connection
    could be made at all."""
    if isinstance(exc, TelegramServerError):
        return "gateway time" not in exc.message.lower()
    return isinstance(exc, TelegramNetworkError) and isinstance(
        exc.__cause__, ClientConnectorError
    )


def safe_to_retry(method: str, exc: BaseException) -> bool:
    """May `method`, which failed with `exc`, be sent again without doubling its effect?"""
    if not isinstance(exc, (TelegramServerError, TelegramNetworkError)):
        return False
    return method in IDEMPOTENT_METHODS or not_carried_out(exc)


class SharedRateMiddleware(BaseRequestMiddleware):
    """The bot's other requests (answers to users) share the sender's rate and survive 429s.

    Each message the bot sends to a user takes a slot from the limiter without waiting for
    it, so a running broadcast slows down by that much and the total stays within the rate.
    A 429 on such a request pauses bulk sending too, waits `retry_after` and tries again.
    Server and network errors are retried `max_failures - 1` times (after `backoff`, then
    doubled) where that is safe (`safe_to_retry`), then raised.
    """

    def __init__(
        self,
        limiter: RateLimiter,
        *,
        max_retries: int = 2,
        max_failures: int = 3,
        backoff: float = 0.5,
    ) -> None:
        self.limiter = limiter
        self.max_retries = max_retries
        self.max_failures = max_failures
        self.backoff = backoff

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        if _bulk.get():
            return await make_request(bot, method)
        if method.__api_method__ in SEND_METHODS:
            self.limiter.note()
        attempt = failures = 0
        while True:
            try:
                return await make_request(bot, method)
            except TelegramRetryAfter as exc:
                if attempt >= self.max_retries:
                    raise
                attempt += 1
                self.limiter.pause(exc.retry_after)
                await asyncio.sleep(exc.retry_after)
            except (TelegramServerError, TelegramNetworkError) as exc:
                failures += 1
                name = method.__api_method__
                # getUpdates has aiogram's own backoff loop around it; the others get ours.
                if name == "getUpdates" or failures >= self.max_failures:
                    raise
                if not safe_to_retry(name, exc):
                    raise
                log.info("%s failed (%s): trying again", name, _describe(exc))
                await asyncio.sleep(self.backoff * 2 ** (failures - 1))


class Sender:
    def __init__(
        self,
        bot: Bot,
        *,
        rate: float = 25.0,
        max_attempts: int = 3,
        backoff: float = 1.0,
        headroom: float = 0.0,
        limiter: RateLimiter | None = None,
        share_rate: bool = True,
    ) -> None:
        """`share_rate`: the bot's other messages count against the same budget (beyond
        `headroom` answers a second) and get their 429s handled, through a request
        middleware on the bot's session."""
        self.bot = bot
        self.limiter = limiter or RateLimiter(rate, headroom=headroom)
        self.max_attempts = max(1, max_attempts)
        self.backoff = backoff
        if share_rate:
            bot.session.middleware(SharedRateMiddleware(self.limiter))

    @property
    def rate(self) -> float:
        return self.limiter.rate

    def default_concurrency(self) -> int:
        """Enough requests in flight to keep the rate with ~0.5 s of API latency."""
        return max(2, min(64, math.ceil(self.rate / 2)))

    async def send(self, chat_id: int, make: MakeMessage) -> SendResult:
        """Send one message (built by `make(bot, chat_id)`) within the global rate."""
        return await self._send(chat_id, make, slot_held=False)

    async def _send(self, chat_id: int, make: MakeMessage, *, slot_held: bool) -> SendResult:
        attempts = 0
        while True:
            if not slot_held:
                await self.limiter.acquire()
            slot_held = False
            token = _bulk.set(True)
            try:
                result = await make(self.bot, chat_id)
            except TelegramRetryAfter as exc:
                log.info("429: pausing every send for %s s", exc.retry_after)
                self.limiter.pause(exc.retry_after)
                continue
            except TelegramForbiddenError as exc:
                # "user is deactivated" is a deleted account, anything else a blocked bot
                gone = "deactivated" in exc.message.lower()
                outcome = Outcome.NOT_FOUND if gone else Outcome.BLOCKED
                return SendResult(outcome, exc.message, attempts + 1)
            except TelegramBadRequest as exc:
                outcome = Outcome.NOT_FOUND if _chat_gone(exc.message) else Outcome.FAILED
                return SendResult(outcome, exc.message, attempts + 1)
            except (TelegramServerError, TelegramNetworkError) as exc:
                attempts += 1
                if attempts >= self.max_attempts or not not_carried_out(exc):
                    return SendResult(Outcome.FAILED, _describe(exc), attempts)
                await asyncio.sleep(self.backoff * 2 ** (attempts - 1))
                continue
            except Exception as exc:
                log.exception("sending to %s failed", chat_id)
                return SendResult(Outcome.FAILED, _describe(exc), attempts + 1)
            finally:
                _bulk.reset(token)
            return SendResult(Outcome.SENT, None, attempts + 1, result)

    async def send_batch(
        self,
        items: Iterable[T] | AsyncIterable[T],
        prepare: Callable[[T], tuple[int, MakeMessage] | None],
        on_result: Callable[[T, SendResult], Awaitable[None] | None],
        *,
        concurrency: int | None = None,
    ) -> None:
        """Send to many chats side by side, within the global rate.

        For each item, `prepare(item)` gives (chat_id, make) or None to skip it (e.g. the job
        was paused meanwhile: reported as SKIPPED, nothing sent). `on_result(item, result)` is
        called as soon as each outcome is known. Items are read lazily, so an async iterable
        may claim work from the database as the sending goes on.
        """
        workers = concurrency or self.default_concurrency()
        queue: asyncio.Queue[tuple[T] | None] = asyncio.Queue(maxsize=workers)

        async def feed() -> None:
            if isinstance(items, AsyncIterable):
                async for item in items:
                    await queue.put((item,))
            else:
                for item in items:
                    await queue.put((item,))
            for _ in range(workers):
                await queue.put(None)  # no more work (a failure cancels everyone instead)

        async def work() -> None:
            while (entry := await queue.get()) is not None:
                item = entry[0]
                # Decide at the last moment (after waiting for a slot) whether to send: a
                # pause or cancel then stops the batch within the messages already in flight.
                await self.limiter.acquire()
                prepared = prepare(item)
                if prepared is None:
                    result = SendResult(Outcome.SKIPPED)
                else:
                    result = await self._send(*prepared, slot_held=True)
                done = on_result(item, result)
                if done is not None:
                    await done

        try:
            async with asyncio.TaskGroup() as group:
                group.create_task(feed())
                for _ in range(workers):
                    group.create_task(work())
        except BaseExceptionGroup as errors:
            raise errors.exceptions[0] from None


def create_sender(bot: Bot, policy: BroadcastPolicy) -> Sender:
    """The process's one rate-limited sender (answers to users share its budget)."""
    return Sender(
        bot,
        rate=policy.rate,
        headroom=policy.answer_headroom,
        max_attempts=policy.max_attempts,
        backoff=policy.retry_backoff,
    )


def create_paid_sender(bot: Bot, policy: BroadcastPolicy) -> Sender:
    """A sender for paid broadcasts (`allow_paid_broadcast`): its own rate, up to 1,000/s,
    apart from the budget of the bot's free messages."""
    return Sender(
        bot,
        rate=policy.paid_rate,
        max_attempts=policy.max_attempts,
        backoff=policy.retry_backoff,
        share_rate=False,
    )


def _chat_gone(message: str) -> bool:
    text = message.lower()
    return "chat not found" in text or "user not found" in text


def _describe(exc: BaseException) -> str:
    text = getattr(exc, "message", None) or str(exc) or type(exc).__name__
    return text[:300]
