"""`tukulokal try`: the console drives the real bot against the fake Telegram, fed by a script."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path

from bot.settings import Settings
from sandbox.console import DB_FILE, LineQueue, run_console


def _settings(tmp_path: Path) -> Settings:
    # A "production" database that the console must never touch.
    return Settings(
        _env_file=None,
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'production.db'}",
        bot_token=None,
    )


def _script(*lines: str) -> asyncio.StreamReader:
    reader = asyncio.StreamReader()
    reader.feed_data("".join(f"{line}\n" for line in lines).encode())
    reader.feed_eof()
    return reader


def _after(output: str, marker: str) -> str:
    assert marker in output, output
    return output.split(marker, 1)[1]


async def test_start_tap_catalog_switch_persona_and_quit(tmp_path: Path) -> None:
    out = io.StringIO()
    data_dir = tmp_path / "try"
    stdin = _script("/start", "/tap 4", "/as merchant", "/katalog", "/quit", "never read")
    code = await asyncio.wait_for(
        run_console(_settings(tmp_path), data_dir=data_dir, stdin=stdin, stdout=out), 30
    )
    text = out.getvalue()
    assert code == 0, text
    assert "asn " in text and "merchant " in text and "admin " in text and "guest " in text
    # /start as the ASN: the Indonesian greeting, the start menu numbered, the reply keyboard.
    started = _after(text, "asn› /start")
    assert "Selamat datang di TukuLokal" in started
    assert "[4] 🛍️ Lihat katalog" in started
    assert "⌨️" in started and "Katalog" in started
    # /tap 4 opens the catalog in place: the categories.
    catalog = _after(started, "asn› /tap 4")
    assert "(edited)" in catalog.split("\n", 3)[2]
    assert "Pilih kategori" in catalog and "Kuliner" in catalog and "[7]" in catalog
    # /as merchant switches account; /katalog is a bot command, not a console one.
    merchant = _after(catalog, "merchant› /katalog")
    assert "now: merchant" in catalog and "Kopi Rakyat Dampit Tlogomas" in catalog
    assert "Pilih kategori" in merchant
    assert text.rstrip().endswith("Bye.") and "never read" not in text
    # Its own database under data_dir, seeded; the configured one untouched.
    assert (data_dir / DB_FILE).is_file()
    assert any((data_dir / "photos").glob("*.jpg"))
    assert not (tmp_path / "production.db").exists()


async def test_merchant_links_and_hears_about_an_order(tmp_path: Path) -> None:
    data_dir = tmp_path / "try"
    out = io.StringIO()
    lines = LineQueue()
    for line in (
        "/as merchant",
        "/start",
        "/tap UMKM",
        "/press 1",  # shares the shop's phone
        "/as asn",
        "/start",
        ":1",  # Daftar sebagai ASN
        "198408172010011014",
        "/press 📱",
        "/cari drip bag",
        "/tap 1",
        "/tap Tambah",
        "/press Keranjang",
        "/tap Checkout",
        "/tap tunai",
        "/as merchant",
    ):
        lines.feed(line)
    lines.feed_eof()  # EOF ends the console like /quit
    code = await asyncio.wait_for(
        run_console(_settings(tmp_path), data_dir=data_dir, stdin=lines, stdout=out), 30
    )
    text = out.getvalue()
    assert code == 0, text
    assert "› share contact +6281334562210" in text
    assert "Kopi Rakyat Dampit Tlogomas" in _after(text, "› share contact +6281334562210")
    assert "› share contact +6285755218408" in text
    assert "✅ Pendaftaran berhasil" in text
    ordered = _after(text, "asn› /tap tunai")
    assert "🔔 1 new message for merchant — /as merchant" in ordered
    notified = _after(ordered, "now: merchant")
    assert "Pesanan baru" in notified and "Terima" in notified
    assert "(end of input)" in text

    # A second run keeps the database (no second seeding) and the accounts.
    again = io.StringIO()
    code = await asyncio.wait_for(
        run_console(_settings(tmp_path), data_dir=data_dir, stdin=_script("/start"), stdout=again),
        30,
    )
    assert code == 0, again.getvalue()
    assert "Loaded the demo data" in text and "Loaded the demo data" not in again.getvalue()
    assert "Selamat datang kembali" in again.getvalue()
