"""The sandbox in the test's event loop, on a copy of a demo data folder prepared once."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
import pytest

from bot.settings import Settings
from models.db import Database
from sandbox.console import prepare_demo_database
from sandbox.demo import prepare_world, sandbox_personas
from sandbox.server import ACTION_HEADER, DB_FILE, Sandbox
from services.quota import QuotaPolicy


def production_settings(tmp_path: Path) -> Settings:
    """Settings as a real installation has them: the sandbox must never touch this database."""
    return Settings(
        _env_file=None,
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'production.db'}",
        bot_token=None,
    )


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A sandbox data folder with the demo data, accounts and history (made once: ~4 s)."""
    folder = tmp_path_factory.mktemp("sandbox-template")
    settings = Settings(_env_file=None)

    async def prepare() -> None:
        db = Database(f"sqlite+aiosqlite:///{folder / DB_FILE}")
        try:
            await prepare_demo_database(db, folder / "photos")
            await prepare_world(
                db,
                sandbox_personas(),
                policy=QuotaPolicy(tz=settings.tz),
                now=datetime.now(UTC),
            )
        finally:
            await db.dispose()

    asyncio.run(prepare())
    return folder


@pytest.fixture
def data_dir(demo_template: Path, tmp_path: Path) -> Path:
    target = tmp_path / "sandbox"
    shutil.copytree(demo_template, target)
    return target


@pytest.fixture
async def sandbox(data_dir: Path, tmp_path: Path) -> AsyncIterator[Sandbox]:
    box = Sandbox(production_settings(tmp_path), data_dir, port=0, language="en")
    await box.start()
    try:
        yield box
    finally:
        await box.stop()
    assert not (tmp_path / "production.db").exists()


class Page:
    """The page's API, as the JavaScript calls it."""

    def __init__(self, http: aiohttp.ClientSession, url: str) -> None:
        self.http = http
        self.url = url

    async def poll(self, chat: str = "", version: str = "", wait: float = 0) -> dict:
        async with self.http.get(
            f"{self.url}/api/poll", params={"chat": chat, "v": version, "wait": str(wait)}
        ) as response:
            assert response.status == 200, await response.text()
            return await response.json()

    async def post(self, path: str, body: dict, *, status: int = 200) -> dict | str:
        async with self.http.post(
            f"{self.url}{path}", json=body, headers={ACTION_HEADER: "1"}
        ) as response:
            assert response.status == status, await response.text()
            if response.content_type == "application/json":
                return await response.json()
            return await response.text()

    async def messages(self, chat: str) -> list[dict]:
        return (await self.poll(chat))["chat"]["messages"]

    async def last_with(self, chat: str, needle: str) -> dict:
        for message in reversed(await self.messages(chat)):
            if needle in message["text"]:
                return message
        raise AssertionError(f"no message with {needle!r} in {chat}'s chat")

    async def tap(self, chat: str, message: dict, label: str) -> dict:
        button = next(b for row in message.get("buttons", []) for b in row if label in b["text"])
        result = await self.post(
            f"/api/chat/{chat}/tap", {"message_id": message["id"], "data": button["data"]}
        )
        assert isinstance(result, dict)
        return result


@pytest.fixture
async def page(sandbox: Sandbox) -> AsyncIterator[Page]:
    async with aiohttp.ClientSession() as http:
        yield Page(http, sandbox.url)
