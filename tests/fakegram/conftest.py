"""Fixtures of the conformance tests: a fake Telegram on a free port and a real aiogram Bot
talking HTTP to it (test_fakegram.py keeps its own, same-named fixtures)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiogram import Bot
from aiogram.client.default import DefaultBotProperties

from sandbox.fakegram import FakeTelegram
from tests.fakegram.helpers import TOKEN, USER, MakeServer


@pytest.fixture
async def make_server() -> AsyncIterator[MakeServer]:
    """Start a FakeTelegram with options (``strict_alerts=True`` …); stopped at the end."""
    started: list[FakeTelegram] = []

    async def make(**options: Any) -> FakeTelegram:
        fake = FakeTelegram(token=TOKEN, bot_username="TukuLokalBot", bot_id=123456, **options)
        await fake.start()
        fake.user(USER, started=True)
        started.append(fake)
        return fake

    yield make
    for fake in started:
        await fake.stop()


@pytest.fixture
async def server(make_server: MakeServer) -> FakeTelegram:
    return await make_server()


@pytest.fixture
async def bot(server: FakeTelegram) -> AsyncIterator[Bot]:
    instance = Bot(
        TOKEN, session=server.session(), default=DefaultBotProperties(parse_mode="HTML")
    )
    yield instance
    await instance.session.close()
