"""The rate-limited sender: pacing, the global pause on 429, and what each error means."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiogram import Bot

from delivery import sender as sender_module
from delivery.sender import Outcome, RateLimiter, Sender
from sandbox.fakegram import FakeTelegram

TOKEN = "123456:TEST"


class FakeTime:
    """A monotonic clock that asyncio.sleep (patched) moves forward instantly."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += max(0.0, seconds)


@pytest.fixture
def fake_time(monkeypatch: pytest.MonkeyPatch) -> FakeTime:
    clock = FakeTime()
    monkeypatch.setattr(sender_module.asyncio, "sleep", clock.sleep)
    return clock


async def test_grants_are_evenly_spaced_without_bursts(fake_time: FakeTime) -> None:
    limiter = RateLimiter(25, clock=fake_time)
    grants = []
    for _ in range(50):
        await limiter.acquire()
        grants.append(fake_time.now)
    gaps = {round(b - a, 6) for a, b in zip(grants, grants[1:], strict=False)}
    assert gaps == {0.04}
    # A quiet period does not allow a burst afterwards.
    fake_time.now += 10
    await limiter.acquire()
    first = fake_time.now
    await limiter.acquire()
    assert fake_time.now - first == pytest.approx(0.04)


async def test_a_late_grant_does_not_slow_the_average_rate(fake_time: FakeTime) -> None:
    limiter = RateLimiter(10, clock=fake_time)
    await limiter.acquire()
    start = fake_time.now
    fake_time.now += 0.15  # the event loop was busy: this one is late ...
    await limiter.acquire()
    for _ in range(8):
        await limiter.acquire()
    assert fake_time.now - start == pytest.approx(0.9)  # ... and the schedule kept its pace


async def test_pause_holds_every_grant_until_it_ends(fake_time: FakeTime) -> None:
    limiter = RateLimiter(25, clock=fake_time)
    await limiter.acquire()
    limiter.pause(3)
    paused_at = fake_time.now
    await limiter.acquire()
    assert fake_time.now >= paused_at + 3
    assert limiter.pauses == 1


@pytest.fixture
async def server() -> AsyncIterator[FakeTelegram]:
    fake = FakeTelegram(token=TOKEN, bot_username="TukuLokalBot")
    await fake.start()
    yield fake
    await fake.stop()


@pytest.fixture
async def bot(server: FakeTelegram) -> AsyncIterator[Bot]:
    client = Bot(TOKEN, session=server.session())
    yield client
    await client.session.close()


def hello(bot: Bot, chat_id: int):
    return bot.send_message(chat_id, "Halo")


async def test_outcomes_of_telegram_errors(server: FakeTelegram, bot: Bot) -> None:
    for user_id in (1, 2, 3, 4):
        server.user(user_id, started=True)
    server.block(2)
    server.delete_account(3)
    server.user(5)  # never started the bot
    sender = Sender(bot, rate=200, backoff=0.01)
    assert (await sender.send(1, hello)).outcome is Outcome.SENT
    blocked = await sender.send(2, hello)
    assert (blocked.outcome, blocked.attempts) == (Outcome.BLOCKED, 1)
    assert (await sender.send(3, hello)).outcome is Outcome.NOT_FOUND
    assert (await sender.send(5, hello)).outcome is Outcome.BLOCKED
    refused = await sender.send(
        4, lambda b, c: b.send_message(c, "<b>unclosed", parse_mode="HTML")
    )
    assert refused.outcome is Outcome.FAILED and "parse entities" in refused.error
    assert len(server.calls("sendMessage")) == 5  # none of these was retried


async def test_server_errors_are_retried_then_failed(server: FakeTelegram, bot: Bot) -> None:
    server.user(1, started=True)
    sender = Sender(bot, rate=200, max_attempts=3, backoff=0.01)
    server.fail_next("sendMessage", 502, "Bad Gateway")
    server.fail_next("sendMessage", 500)
    result = await sender.send(1, hello)
    assert (result.outcome, result.attempts) == (Outcome.SENT, 3)
    for _ in range(3):
        server.fail_next("sendMessage", 500)
    result = await sender.send(1, hello)
    assert (result.outcome, result.attempts) == (Outcome.FAILED, 3)
    assert len(server.sent_messages(1)) == 1


async def test_429_pauses_all_sends_then_retries(server: FakeTelegram, bot: Bot) -> None:
    for user_id in range(1, 7):
        server.user(user_id, started=True)
    sender = Sender(bot, rate=100)
    server.force_retry_after(1)
    results = {}

    def on_result(item: int, result) -> None:
        results[item] = result

    await sender.send_batch(range(1, 7), lambda i: (i, hello), on_result, concurrency=3)
    assert all(r.outcome is Outcome.SENT for r in results.values()) and len(results) == 6
    refused = [c for c in server.errors if c.status == 429]
    assert refused
    first_sent = min(s.at for s in server.sent_messages())
    assert first_sent >= refused[0].at + 1 - 0.02  # nothing went out during the pause
    assert server.refused_during_pause == []
    assert sender.limiter.pauses >= 1


async def test_batch_skips_declined_items_and_keeps_going(server: FakeTelegram, bot: Bot) -> None:
    for user_id in range(1, 5):
        server.user(user_id, started=True)
    server.block(2)
    sender = Sender(bot, rate=200)
    outcomes = {}

    async def on_result(item: int, result) -> None:
        outcomes[item] = result.outcome

    await sender.send_batch(
        iter(range(1, 6)), lambda i: None if i == 4 else (i, hello), on_result, concurrency=2
    )
    assert outcomes == {
        1: Outcome.SENT,
        2: Outcome.BLOCKED,
        3: Outcome.SENT,
        4: Outcome.SKIPPED,
        5: Outcome.NOT_FOUND,  # an unknown chat
    }
    assert {s.chat_id for s in server.sent_messages()} == {1, 3}


async def test_answers_beyond_the_headroom_take_slots_without_waiting(
    fake_time: FakeTime,
) -> None:
    limiter = RateLimiter(10, headroom=2, clock=fake_time)
    await limiter.acquire()
    start = fake_time.now
    for _ in range(2):  # within the headroom: free
        limiter.note()
    await limiter.acquire()
    assert fake_time.now - start == pytest.approx(0.1)
    start = fake_time.now
    for _ in range(2):  # two more answers within the same second: bulk sending yields
        limiter.note()
    assert fake_time.now == start  # nothing waited for the answers themselves
    await limiter.acquire()
    assert fake_time.now - start == pytest.approx(0.3)


async def test_a_429_on_an_answer_is_waited_out_and_pauses_bulk_sends(
    server: FakeTelegram, bot: Bot
) -> None:
    server.user(1, started=True)
    sender = Sender(bot, rate=100)
    server.force_retry_after(1)
    await bot.send_message(1, "an answer")  # not through the sender: the middleware retries
    assert [m.text for m in server.chat(1)] == ["an answer"]
    assert sender.limiter.pauses == 1
    result = await sender.send(1, hello)
    assert result.ok and server.sent_messages(1)[-1].at >= server.errors[0].at + 1 - 0.02
