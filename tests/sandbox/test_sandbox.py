"""`tukulokal sandbox`: personas, history, the page's API, the clock, restarts, the command."""

from __future__ import annotations

import asyncio
import io
import json
import os
import re
import signal
import subprocess
import sys
from datetime import datetime, timedelta

import aiohttp
import pytest
from aiogram.exceptions import TelegramBadRequest
from PIL import Image
from sqlmodel import select

from models import User
from sandbox.demo import sandbox_personas
from sandbox.server import ACTION_HEADER, WEB_DIR, Sandbox
from services.quota import month_start, next_month, quota_status, spent_in_month
from tests.sandbox.conftest import Page, production_settings


async def _user(sandbox: Sandbox, key: str) -> User:
    persona = sandbox.persona(key)
    async with sandbox.db.session() as session:
        return (
            await session.exec(select(User).where(User.telegram_id == persona.telegram_id))
        ).one()


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (120, 80), "orange").save(buffer, format="PNG")
    return buffer.getvalue()


async def order_kopi(page: Page, key: str, method: str = "pay cash") -> dict:
    """Search, open a card, add to the cart, check out: what a person does on the page."""
    await page.post(f"/api/chat/{key}/start", {"payload": ""})
    await page.post(f"/api/chat/{key}/send", {"text": "kopi robusta"})
    results = await page.last_with(key, "kopi")
    await page.tap(key, results, "Robusta")
    card = await page.last_with(key, "Robusta")
    await page.tap(key, card, "Add to cart")
    await page.post(f"/api/chat/{key}/send", {"text": "/keranjang"})
    cart = await page.last_with(key, "Your cart")
    await page.tap(key, cart, "Checkout")
    summary = await page.last_with(key, "Order summary")
    await page.tap(key, summary, method)
    return await page.last_with(key, "Order placed")


async def test_personas_have_their_accounts_and_months_of_history(sandbox, page):
    state = await page.poll()
    keys = [p["key"] for p in state["personas"]]
    assert keys == ["asn", "asn-met", "merchant", "admin", "guest"]
    assert "http://" not in str(state["personas"])  # the page prints one URL: its own

    policy = sandbox._policy()
    now = sandbox.clock()
    async with sandbox.db.session() as session:
        below = await quota_status(session, await _user(sandbox, "asn"), now=now, policy=policy)
        met = await quota_status(session, await _user(sandbox, "asn-met"), now=now, policy=policy)
        assert 0 < below.spent < below.minimum
        assert met.met
        nip = (await _user(sandbox, "asn")).nip
        this_month = month_start(now.astimezone(policy.tz).date())
        for back in (1, 2, 3):  # paid orders in each of the last months
            month = next_month(this_month, -back)
            assert await spent_in_month(session, nip, month, tz=policy.tz, minimum=0, share=0) > 0

    # The bot itself says so, in the persona's language, with the command menu in place.
    await page.post("/api/chat/asn/send", {"text": "/kuota"})
    quota = await page.last_with("asn", "Minimum spend")
    assert "Remaining" in quota["text"]
    chat = (await page.poll("asn"))["chat"]
    assert "kuota" in [c["command"] for c in chat["commands"]]
    assert chat["commands"][0]["description"][0].isupper()


async def test_guest_shares_phone_sends_files_and_downloads_them(sandbox, page):
    assert (await page.poll("guest"))["chat"]["messages"] == []  # a new user: START
    await page.post("/api/chat/guest/start", {"payload": ""})
    welcome = next(m for m in reversed(await page.messages("guest")) if m.get("buttons"))
    await page.tap("guest", welcome, "general buyer")
    await page.post("/api/chat/guest/send", {"text": "Dimas Anggara"})
    keyboard = (await page.poll("guest"))["chat"]["keyboard"]
    share = next(k for row in keyboard["rows"] for k in row if k["contact"])
    await page.post("/api/chat/guest/press", {"text": share["text"]})
    messages = await page.messages("guest")
    assert any(m.get("contact", {}).get("phone") == "+6281298765432" for m in messages)
    async with sandbox.db.session() as session:
        guest_id = sandbox.persona("guest").telegram_id
        guest = (await session.exec(select(User).where(User.telegram_id == guest_id))).one()
        assert guest.kind == "general" and guest.phone == "+6281298765432"

    # A file goes to the bot and can be downloaded back from the chat.
    form = aiohttp.FormData()
    form.add_field("kind", "document")
    csv = b"nama,harga\nKopi,35000\n"
    form.add_field("file", csv, filename="produk.csv", content_type="text/csv")
    async with page.http.post(
        f"{page.url}/api/chat/guest/upload", data=form, headers={"X-TukuLokal-Sandbox": "1"}
    ) as response:
        assert response.status == 200, await response.text()
    sent = [m for m in await page.messages("guest") if m.get("document")][-1]
    assert sent["out"] and sent["document"]["name"] == "produk.csv"
    async with page.http.get(page.url + sent["document"]["url"]) as response:
        assert await response.read() == csv
        assert "attachment" in response.headers["Content-Disposition"]


async def test_order_reaches_the_shop_and_time_expires_it(sandbox, page):
    placed = await order_kopi(page, "asn")
    assert placed["buttons"]
    state = await page.poll("asn")
    merchant = next(p for p in state["personas"] if p["key"] == "merchant")
    assert merchant["unread"] == 1 and "New order" in merchant["last"]
    # Looking at the shop's chat reads it.
    new_order = await page.last_with("merchant", "New order")
    assert any("Accept" in b["text"] for row in new_order["buttons"] for b in row)
    state = await page.poll("asn")
    assert next(p for p in state["personas"] if p["key"] == "merchant")["unread"] == 0

    before = sandbox.clock()
    moved = await page.post("/api/time", {"step": "+1w"})
    assert moved["jobs"] and all(job["ok"] for job in moved["jobs"])
    assert sandbox.clock() - before >= timedelta(days=7)
    expired = await page.last_with("asn", "expired")
    assert expired["date"] >= (before + timedelta(days=7)).timestamp() - 60  # sandbox time
    assert "expired" in (await page.last_with("merchant", "expired"))["text"]

    moved = await page.post("/api/time", {"step": "deadline-3"})
    local = sandbox.clock().astimezone(sandbox.base_settings.tz)
    assert (local.hour, local.minute) == (9, 0)
    deadline = await sandbox._deadline(month_start(local.date()))
    assert deadline - local.date() == timedelta(days=3)
    assert moved["clock"]["label"].endswith("09:00 WIB")
    await page.post("/api/time", {"step": "sideways"}, status=400)


async def test_only_the_page_acts_and_everything_is_local(sandbox, page):
    await page.post("/api/chat/asn/send", {"text": "/start"}, status=200)
    async with page.http.post(f"{page.url}/api/chat/asn/send", json={"text": "hi"}) as response:
        assert response.status == 403  # a request from another site lacks the header
    async with page.http.get(page.url + "/") as response:
        html = await response.text()
        assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    assert "/static/sandbox.js" in html
    for path in WEB_DIR.iterdir():
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"""(src|href)=["']?(https?:)?//""", text), path.name
        assert "@import" not in text and "url(http" not in text, path.name
    async with page.http.get(page.url + "/static/../server.py") as response:
        assert response.status == 404


async def test_restart_keeps_chats_clock_and_old_buttons(data_dir, tmp_path):
    first = Sandbox(production_settings(tmp_path), data_dir, port=0, language="en")
    await first.start()
    try:
        async with aiohttp.ClientSession() as http:
            page = Page(http, first.url)
            await page.post("/api/chat/asn/start", {"payload": ""})
            await page.post("/api/time", {"step": "+1d"})
            offset = first.clock.offset
            menu = await page.last_with("asn", "What would you like to do")
    finally:
        await first.stop()
    again = Sandbox(production_settings(tmp_path), data_dir, port=0)
    await again.start()
    try:
        assert again.clock.offset == offset and again.language == "en"
        async with aiohttp.ClientSession() as http:
            page = Page(http, again.url)
            kept = await page.messages("asn")
            assert menu["id"] in [m["id"] for m in kept]
            # The bot edits its message from the last run in place.
            await page.tap("asn", menu, "catalog")
            edited = next(m for m in await page.messages("asn") if m["id"] == menu["id"])
            assert edited["edited"] and edited["text"] != menu["text"]
            assert not [c for c in again.tg.errors if "not modified" not in (c.error or "")]
    finally:
        await again.stop()
    assert not (tmp_path / "production.db").exists()


@pytest.mark.slow
def test_command_prints_one_url_and_stops_cleanly_on_ctrl_c(data_dir, tmp_path):
    production = tmp_path / "production.db"
    env = {k: v for k, v in os.environ.items() if k not in ("BOT_TOKEN", "DATABASE_URL")} | {
        "DATABASE_URL": f"sqlite+aiosqlite:///{production}",
        "PYTHONUNBUFFERED": "1",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "sandbox", "--port", "0", "--data-dir", str(data_dir)],
        cwd=tmp_path,  # no .env of the working tree
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        lines = []
        while not any("http://" in line for line in lines):
            line = process.stdout.readline()
            assert line, "".join(lines)
            lines.append(line)
        url = re.search(r"http://127\.0\.0\.1:\d+", lines[-1]).group(0)

        async def check() -> None:
            async with aiohttp.ClientSession() as http, http.get(url + "/api/poll") as response:
                assert response.status == 200

        asyncio.run(check())
        process.send_signal(signal.SIGINT)
        rest, _ = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    output = "".join(lines) + rest
    assert process.returncode == 0, output
    assert len(re.findall(r"https?://", output)) == 1, output
    assert "stopped" in rest
    assert not production.exists()
    assert (data_dir / "sandbox.json").is_file()


# ---------------------------------------------------------------------- the sandbox's clock


async def test_a_time_jump_dates_messages_on_the_sandbox_clock(sandbox, page):
    await page.post("/api/chat/asn/start", {"payload": ""})
    before = {m["id"] for m in await page.messages("asn")}
    first = sandbox.tg.chat(sandbox.persona("asn").telegram_id)[0]
    moved = await page.post("/api/time", {"step": "deadline-3"})
    # The moment of the move (real second + offset) is exactly 09:00:00.
    second, offset = sandbox.clock.marks[-1]
    target = second + offset
    tz = sandbox.base_settings.tz
    local = datetime.fromtimestamp(target, tz)
    assert (local.hour, local.minute, local.second) == (9, 0, 0)
    # The fake Telegram's "now" is the sandbox's, as the bot sees it.
    assert abs(sandbox.tg.now() - sandbox.clock().timestamp()) < 1
    assert 0 <= moved["clock"]["now"] - target < 30
    assert moved["clock"]["label"].endswith("09:00 WIB") and moved["clock"]["zone"] == "WIB"
    # The reminder the jump's jobs sent: dated 09:00 (not 08:59:59), as the clock says.
    new = [m for m in await page.messages("asn") if m["id"] not in before]
    assert new, "the jump to 3 days before the deadline sent the ASN no reminder"
    for message in new:
        assert 0 <= message["date"] - target < 30, (message["date"], target)
        assert datetime.fromtimestamp(message["date"], tz).strftime("%H:%M") == "09:00"
    # Telegram's 48 hours for deleting a message follow the same clock.
    await page.post("/api/time", {"step": "+1w"})
    with pytest.raises(TelegramBadRequest, match="can't be deleted"):
        await sandbox.bot.delete_message(first.chat_id, first.message_id)


async def test_chats_kept_with_real_time_dates_come_back_in_sandbox_time(data_dir, tmp_path):
    first = Sandbox(production_settings(tmp_path), data_dir, port=0, language="en")
    await first.start()
    try:
        async with aiohttp.ClientSession() as http:
            page = Page(http, first.url)
            await page.post("/api/time", {"step": "+1w"})
            await page.post("/api/chat/asn/start", {"payload": ""})
            shown = {m["id"]: m["date"] for m in await page.messages("asn")}
            offset = first.clock.offset.total_seconds()
    finally:
        await first.stop()
    # As an earlier version kept them: dates in real time, no "dates" mark.
    path = data_dir / "sandbox.json"
    state = json.loads(path.read_text())
    del state["dates"]
    for chat in state["chats"].values():
        for message in chat["messages"]:
            message["date"] -= int(offset)
    path.write_text(json.dumps(state))
    again = Sandbox(production_settings(tmp_path), data_dir, port=0)
    await again.start()
    try:
        async with aiohttp.ClientSession() as http:
            kept = {m["id"]: m["date"] for m in await Page(http, again.url).messages("asn")}
        assert kept == shown
    finally:
        await again.stop()
    assert json.loads(path.read_text())["dates"] == "sandbox"


# ---------------------------------------------------------------------- formatted text


async def test_formatted_text_goes_as_a_client_sends_it(sandbox, page):
    user = sandbox.persona("guest")
    await page.post("/api/chat/guest/start", {"payload": ""})
    # What the page sends for "**Gebyar** 😀 [Daftar](…)": offsets in UTF-16 units (😀 is 2).
    text = "  Gebyar UMKM 😀 Daftar /kuota "
    entities = [
        {"type": "bold", "offset": 2, "length": 11},
        {"type": "text_link", "offset": 17, "length": 6, "url": "https://malangkota.go.id/umkm"},
    ]
    await page.post("/api/chat/guest/send", {"text": text, "entities": entities})
    sent = next(m for m in reversed(sandbox.tg.chat(user.telegram_id)) if not m.from_bot)
    # Trimmed as Telegram's server does, the entities shifted with it; the /command found.
    assert sent.text == "Gebyar UMKM 😀 Daftar /kuota"
    assert sent.entities == [
        {"type": "bold", "offset": 0, "length": 11},
        {"type": "text_link", "offset": 15, "length": 6, "url": "https://malangkota.go.id/umkm"},
        {"type": "bot_command", "offset": 22, "length": 6},
    ]
    shown = next(m for m in reversed(await page.messages("guest")) if m["out"])
    assert shown["entities"] == sent.entities
    # A photo's caption too (a multipart form: caption_entities as JSON).
    form = aiohttp.FormData()
    form.add_field("kind", "photo")
    form.add_field("file", _png(), filename="poster.png", content_type="image/png")
    form.add_field("caption", "Bazar Sabtu")
    form.add_field("caption_entities", json.dumps([{"type": "italic", "offset": 0, "length": 5}]))
    async with page.http.post(
        f"{page.url}/api/chat/guest/upload", data=form, headers={ACTION_HEADER: "1"}
    ) as response:
        assert response.status == 200, await response.text()
    photo = next(m for m in reversed(sandbox.tg.chat(user.telegram_id)) if m.photo_sizes)
    assert photo.text == "Bazar Sabtu"
    assert photo.entities == [{"type": "italic", "offset": 0, "length": 5}]


async def test_the_page_is_told_what_went_wrong_in_words_it_can_translate(sandbox, page):
    refused = await page.post(
        "/api/chat/asn/send",
        {"text": "x", "entities": [{"type": "shouting", "offset": 0, "length": 1}]},
        status=400,
    )
    assert refused["error"] == "bad_format" and "Unsupported type" in refused["params"]["detail"]
    refused = await page.post("/api/chat/asn/send", {"text": "😀" * 4097}, status=400)
    assert refused["error"] == "too_long"
    assert refused["params"] == {"limit": 4096, "length": 4097}  # code points, as Telegram
    assert (await page.post("/api/chat/asn/send", {"text": " \n "}, status=400))["error"] == (
        "empty"
    )
    assert (await page.post("/api/time", {"step": "back"}, status=400))["error"] == "bad_step"
    async with page.http.post(f"{page.url}/api/time", json={"step": "+1h"}) as response:
        assert response.status == 403 and (await response.json())["error"] == "forbidden"


# ---------------------------------------------------------------------- the page's words

TEXTS_JS = WEB_DIR / "texts.js"


def _texts() -> dict[str, dict[str, str]]:
    """texts.js's dictionary, language by language (a flat "key": "value" per line)."""
    source = TEXTS_JS.read_text(encoding="utf-8")
    blocks = re.split(r"(?m)^  (id|en): \{$", source)
    tables = {}
    for language, body in zip(blocks[1::2], blocks[2::2], strict=True):
        tables[language] = dict(re.findall(r'(?m)^    "([^"]+)": "((?:[^"\\]|\\.)*)",$', body))
    return tables


def test_every_text_of_the_page_is_in_both_languages():
    texts = _texts()
    assert set(texts) == {"id", "en"}
    assert set(texts["id"]) == set(texts["en"]), set(texts["id"]) ^ set(texts["en"])
    assert len(texts["id"]) > 100
    html = (WEB_DIR / "index.html").read_text(encoding="utf-8")
    script = (WEB_DIR / "sandbox.js").read_text(encoding="utf-8")
    named = set(re.findall(r'data-t(?:-title|-aria-label)?="([^"]+)"', html))
    named |= set(re.findall(r'\b(?:t|known)\("([^"]+)"', script))
    named |= {f"{key}.one" for key in re.findall(r'\btn\("([^"]+)"', script)}
    assert named and not named - set(texts["id"]), named - set(texts["id"])
    # No word of the page left in index.html itself: every text comes from texts.js.
    visible = re.sub(r"<(script|style)[^>]*>.*?</\1>|<[^>]+>|&[a-z]+;", " ", html, flags=re.S)
    words = set(re.findall(r"[A-Za-z]{3,}", visible)) - {"TukuLokal", "Bahasa", "Indonesia"}
    assert words == {"English"}, words  # the switch names each language in itself
    # Every refusal the server sends has its words; every persona its role and hint.
    codes = set(re.findall(r'refusal\(\s*"(\w+)"', (WEB_DIR.parent / "server.py").read_text()))
    assert codes and {f"error.{c}" for c in codes} <= set(texts["id"]), codes
    for persona in sandbox_personas():
        for field in ("role", "hint"):
            assert f"persona.{persona.key}.{field}" in texts["id"]
    assert texts["en"]["persona.asn.role"] == sandbox_personas()[0].role
    assert "Sandbox time" not in str(texts["id"]) and "Waktu sandbox" in str(texts["id"])


async def test_the_page_opens_in_the_sandbox_language(sandbox, page, tmp_path):
    async with page.http.get(page.url + "/") as response:
        assert '<html lang="en">' in await response.text()
    await page.post("/api/language", {"language": "id"})
    async with page.http.get(page.url + "/") as response:
        assert '<html lang="id">' in await response.text()
    assert Sandbox(production_settings(tmp_path), tmp_path).language == "id"  # by default
