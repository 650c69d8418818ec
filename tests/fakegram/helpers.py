"""What the conformance tests share besides fixtures."""

from __future__ import annotations

import contextlib
import io
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import aiohttp
from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from PIL import Image

from sandbox.fakegram import FakeTelegram

TOKEN = "123456:TEST"
USER = 1001

MakeServer = Callable[..., Awaitable[FakeTelegram]]


def png(width: int = 40, height: int = 30, color: str = "red") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), color).save(buffer, format="PNG")
    return buffer.getvalue()


async def call(server: FakeTelegram, method: str, **params: Any) -> dict[str, Any]:
    """A raw Bot API call (for bodies aiogram would not send): the JSON answer."""
    async with (
        aiohttp.ClientSession() as http,
        http.post(f"{server.base_url}/bot{TOKEN}/{method}", json=params) as response,
    ):
        answer: dict[str, Any] = await response.json()
        return answer


@contextlib.asynccontextmanager
async def bot_of(server: FakeTelegram) -> AsyncIterator[Bot]:
    """A real aiogram Bot (HTML by default) talking HTTP to ``server``."""
    bot = Bot(TOKEN, session=server.session(), default=DefaultBotProperties(parse_mode="HTML"))
    try:
        yield bot
    finally:
        await bot.session.close()
