"""Files: the kind of a file_id, and URLs fetched over HTTP as Telegram's servers do.

The URLs point at a small aiohttp server on this machine. Each rule's source is in
sandbox/fakegram/CONFORMANCE.md.
"""

from __future__ import annotations

import asyncio
import io
import socket
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import BufferedInputFile, InputMediaPhoto
from aiohttp import web
from PIL import Image

from sandbox.fakegram import FakeTelegram
from tests.fakegram.helpers import USER, MakeServer, bot_of, png


@pytest.fixture
async def site() -> AsyncIterator[str]:
    """A web server with a photo, a page, a missing file, a slow answer and a PDF."""

    async def slow(request: web.Request) -> web.Response:
        await asyncio.sleep(2)
        return web.Response(body=png(), content_type="image/png")

    app = web.Application()
    app.router.add_get("/foto.png", _serve(png(800, 600), "image/png"))
    app.router.add_get("/halaman", _serve(b"<html>toko</html>", "text/html"))
    app.router.add_get("/lambat.png", slow)
    app.router.add_get("/katalog.pdf", _serve(b"%PDF-1.4 ...", "application/pdf"))
    app.router.add_get("/data.csv", _serve(b"a,b\n", "text/csv"))
    runner = web.AppRunner(app)
    await runner.setup()
    tcp = web.TCPSite(runner, "127.0.0.1", 0)
    await tcp.start()
    port = runner.addresses[0][1]
    yield f"http://127.0.0.1:{port}"
    await runner.cleanup()


def _serve(body: bytes, content_type: str) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def handler(request: web.Request) -> web.Response:
        return web.Response(body=body, content_type=content_type)

    return handler


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


async def test_a_file_id_is_of_one_kind(server: FakeTelegram, bot: Bot) -> None:
    photo = await bot.send_photo(USER, BufferedInputFile(png(), "p.png"))
    assert photo.photo is not None
    with pytest.raises(TelegramBadRequest) as info:
        await bot.send_document(USER, photo.photo[-1].file_id)
    assert info.value.message.endswith("Bad Request: can't use file of type Photo as Document")
    document = await bot.send_document(USER, BufferedInputFile(b"a,b\n", "a.csv"))
    assert document.document is not None
    with pytest.raises(TelegramBadRequest) as info:
        await bot.send_photo(USER, document.document.file_id)
    assert info.value.message.endswith("Bad Request: can't use file of type Document as Photo")
    with pytest.raises(TelegramBadRequest, match="can't use file of type Document as Photo"):
        await bot.send_media_group(
            USER,
            [
                InputMediaPhoto(media=document.document.file_id),
                InputMediaPhoto(media=photo.photo[-1].file_id),
            ],
        )
    with pytest.raises(TelegramBadRequest, match="wrong file identifier/HTTP URL specified"):
        await bot.send_photo(USER, "AgACAgUAAxkBAAI-unknown")
    again = await bot.send_document(USER, document.document.file_id)
    assert again.document is not None
    assert again.document.file_unique_id == document.document.file_unique_id


async def test_a_photo_url_is_fetched(server: FakeTelegram, bot: Bot, site: str) -> None:
    sent = await bot.send_photo(USER, f"{site}/foto.png", caption="dari web")
    assert sent.photo is not None and (sent.photo[-1].width, sent.photo[-1].height) == (800, 600)
    stored = server.user(USER).last
    assert stored is not None and stored.photo is not None
    assert Image.open(io.BytesIO(stored.photo)).size == (800, 600)
    album = await bot.send_media_group(
        USER,
        [InputMediaPhoto(media=f"{site}/foto.png"), InputMediaPhoto(media=f"{site}/foto.png")],
    )
    assert len(album) == 2


@pytest.mark.parametrize(
    ("path", "error"),
    [
        ("/halaman", "wrong type of the web page content"),  # not an image
        ("/hilang.png", "wrong type of the web page content"),  # 404
    ],
)
async def test_a_photo_url_that_is_no_image(
    server: FakeTelegram, bot: Bot, site: str, path: str, error: str
) -> None:
    with pytest.raises(TelegramBadRequest) as info:
        await bot.send_photo(USER, site + path)
    assert info.value.message.endswith(f"Bad Request: {error}")


async def test_a_bot_downloads_files_of_20_mb_at_most(server: FakeTelegram, bot: Bot) -> None:
    limit = 20 * 1024 * 1024
    largest = server.register_document(b"\0" * limit, "scan.png", "image/png")
    assert (await bot.get_file(largest.file_id)).file_path
    too_big = server.register_document(b"\0" * (limit + 1), "scan.png", "image/png")
    with pytest.raises(TelegramBadRequest) as info:
        await bot.get_file(too_big.file_id)
    assert info.value.message.endswith("Bad Request: file is too big")


async def test_a_photo_url_that_does_not_answer(make_server: MakeServer, site: str) -> None:
    server = await make_server(url_timeout=0.5)
    async with bot_of(server) as bot:
        for url in (f"http://127.0.0.1:{closed_port()}/foto.png", f"{site}/lambat.png"):
            with pytest.raises(TelegramBadRequest) as info:
                await bot.send_photo(USER, url)
            assert info.value.message.endswith("Bad Request: failed to get HTTP URL content")
        with pytest.raises(TelegramBadRequest) as info:
            await bot.send_photo(USER, "http://exa mple.com/x.png")
        assert info.value.message.endswith(
            "Bad Request: invalid file HTTP URL specified: Disallowed character in URL host"
        )


async def test_a_document_url(server: FakeTelegram, bot: Bot, site: str) -> None:
    sent = await bot.send_document(USER, f"{site}/katalog.pdf")
    assert sent.document is not None and sent.document.mime_type == "application/pdf"
    assert sent.document.file_name == "katalog.pdf"
    with pytest.raises(TelegramBadRequest, match="wrong type of the web page content"):
        await bot.send_document(USER, f"{site}/data.csv")  # by URL: only GIF, PDF and ZIP
