"""Throughput of the bot under 50 simulated users, next to a bare aiogram echo bot.

What it does
- Runs a bare aiogram echo bot first (stock Bot and session, one handler echoing every message,
  one editing the tapped message and answering every callback, aiogram's default polling): its
  replies/s is the reference, what the harness plus aiogram do with no work at all.
- Fills a fresh SQLite file, then a fresh PostgreSQL database (`tukulokal_bench_throughput`,
  created and dropped here), with 20,000 products of 300 merchants across the categories, in
  bulk, builds the search index (services.search.sync_search_index) and runs ANALYZE; then runs
  the real bot, unmodified, against the in-repo fake Bot API (sandbox.fakegram): built by
  bot.factory.create_bot/create_dispatcher and polling as `tukulokal run` does.
- 50 simulated users (fakegram `server.user(...)`) loop for a fixed time after a 3 s warm-up:
  /katalog, tap a category, page forward, open a product card, add it to the cart, search
  (words, two-word queries, typos, spelling variants, English, places, no-hit), open a search
  result. Each action waits for the bot's reply before the next (FakeUser.wait_reply: the sent
  or edited message; for add-to-cart FakeUser.wait_answer: the callback answer, which aiogram's
  CallbackAnswerMiddleware sends after the edit). No think time: a closed loop keeping 50
  updates in flight, so it measures capacity, and latency is queueing: 50 / replies per second
  on average. Against the echo bot the users send the callback data the real buttons carry.
- Latency runs from the action to the reply; an action without a reply within 5 s is lost (the
  user carries on). Each run also counts failed Bot API calls, callback queries never answered,
  errors the bot logged and replies without the expected buttons.
- Prints per run: replies/s, p50/p99/max latency, lost, API errors, ratio to the echo bot, CPU
  of the bot's process, of PostgreSQL's processes, of the harness and of the whole machine;
  then latency per action. Targets: >= 50% of the echo bot's replies/s, p99 <= 150 ms, nothing
  lost. The exit status is 0 only when every run meets them.

Processes
By default the fake server and the users run in a child process and the bot in this one, each
with its own event loop, as Telegram and a bot would. In one process (`--inline`) the harness's
work (HTTP server, HTML entity parsing, message snapshots, the users' waiting) would take CPU
time from the bot and the echo bot alike, which shrinks the gap between them and flatters a
slow bot; split, the echo bot saturates its own core (its CPU column reads ~100%, the harness
about a third of one) and the ratio says how close the bot comes to that. The figures need a
quiet machine: PostgreSQL's processes, the harness and anything else running (the `machine`
column) share the cores with the bot. Expect a few percent of noise between runs.

Run from the repository root (about 2.5 minutes): .venv/bin/python bench/throughput.py
  [--users 50] [--seconds 20] [--products 20000] [--merchants 300]
  [--skip-sqlite] [--skip-postgres] [--skip-echo] [--inline]
Environment: TUKULOKAL_BENCH_PG_URL (default postgresql+asyncpg://postgres@127.0.0.1:5432/postgres,
the server's admin database; the benchmark database is created next to it).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import logging
import multiprocessing as mp
import os
import random
import statistics
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

PG_ADMIN_URL = os.environ.get(
    "TUKULOKAL_BENCH_PG_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
)
PG_DATABASE = "tukulokal_bench_throughput"
TOKEN = "123456:BENCH-TOKEN"
BOT_USERNAME = "TukuLokalBot"
FIRST_USER_ID = 70_000_001
LOST_AFTER = 5.0  # seconds without a reply: the reply is lost
WARMUP_SECONDS = 3.0
TARGET_RATIO = 0.5
TARGET_P99_MS = 150.0

# --- catalog data ------------------------------------------------------------------------------

KECAMATAN = {
    "Blimbing": ["Purwantoro", "Polowijen", "Arjosari", "Pandanwangi"],
    "Klojen": ["Kauman", "Samaan", "Oro-oro Dowo", "Penanggungan"],
    "Kedungkandang": ["Buring", "Lesanpuro", "Sawojajar", "Madyopuro"],
    "Lowokwaru": ["Tlogomas", "Dinoyo", "Merjosari", "Jatimulyo"],
    "Sukun": ["Bandungrejosari", "Ciptomulyo", "Gadang", "Kebonsari"],
}
SHOP_KINDS = ["UD", "CV", "Toko", "Warung", "Dapur", "Griya", "Rumah", "Sentra", "Kedai", "Omah"]
OWNERS = [
    "Bu Tin",
    "Pak Slamet",
    "Mbak Sari",
    "Cak Man",
    "Ning Ayu",
    "Bu Yanti",
    "Pak Joko",
    "Mas Bayu",
    "Bu Endang",
    "Pak Darmo",
    "Mbak Rina",
    "Bu Siti",
    "Cak Ipul",
    "Bu Lilik",
]
PLACES = ["Sanan", "Dinoyo", "Tlogomas", "Kampung Biru", "Celaket", "Kayutangan", "Dampit",
          "Tumpang", "Singosari", "Jodipan", "Sawojajar", "Soekarno Hatta"]  # fmt: skip
# category slug -> (product words, variant words, units), each word with its English name
LINES: dict[str, tuple[dict[str, str], dict[str, str], list[str]]] = {
    "kuliner": (
        {"Keripik": "Chips", "Kerupuk": "Crackers", "Sambal": "Chili Sauce", "Kopi": "Coffee",
         "Teh": "Tea", "Madu": "Honey", "Kue": "Cake", "Roti": "Bread", "Bakpia": "Bakpia",
         "Brownies": "Brownies", "Dodol": "Dodol", "Sari": "Juice", "Abon": "Floss"},
        {"Tempe": "Tempeh", "Singkong": "Cassava", "Pisang": "Banana", "Apel": "Apple",
         "Kentang": "Potato", "Bawang": "Garlic", "Udang": "Shrimp", "Ayam": "Chicken",
         "Coklat": "Chocolate", "Keju": "Cheese", "Robusta": "Robusta", "Pedas": "Spicy"},
        ["bungkus", "botol", "toples", "kotak"],
    ),
    "fesyen": (
        {"Batik Tulis": "Hand-drawn Batik", "Kemeja Batik": "Batik Shirt", "Kaos": "T-shirt",
         "Jilbab": "Hijab", "Selendang": "Shawl", "Sarung": "Sarong", "Dompet": "Wallet",
         "Tas": "Bag", "Sepatu": "Shoes", "Sandal": "Sandals"},
        {"Malangan": "Malangan", "Kawung": "Kawung", "Parang": "Parang", "Topeng": "Mask",
         "Jumputan": "Tie-dye", "Sutra": "Silk", "Kulit": "Leather", "Tenun": "Woven"},
        ["lembar", "pcs", "pasang"],
    ),
    "kriya": (
        {"Gerabah": "Pottery", "Anyaman": "Weaving", "Ukiran": "Carving", "Vas": "Vase",
         "Miniatur": "Miniature", "Gantungan Kunci": "Keychain", "Keranjang": "Basket"},
        {"Bambu": "Bamboo", "Rotan": "Rattan", "Kayu Jati": "Teak", "Tanah Liat": "Clay",
         "Eceng Gondok": "Water Hyacinth", "Tembaga": "Copper"},
        ["pcs", "set", "buah"],
    ),
    "budaya": (
        {"Topeng Malangan": "Malangan Mask", "Wayang": "Puppet", "Lukisan": "Painting",
         "Gamelan Mini": "Mini Gamelan", "Kuda Lumping": "Kuda Lumping"},
        {"Panji": "Panji", "Klana": "Klana", "Kayu": "Wood", "Kulit": "Leather"},
        ["pcs", "set"],
    ),
    "kebutuhan-pokok": (
        {"Beras": "Rice", "Gula Aren": "Palm Sugar", "Minyak Kelapa": "Coconut Oil",
         "Telur": "Eggs", "Tepung": "Flour", "Kacang Tanah": "Peanuts", "Kedelai": "Soybeans"},
        {"Organik": "Organic", "Lokal": "Local", "Poncokusumo": "Poncokusumo", "Super": "Super"},
        ["kg", "liter", "karung", "rak"],
    ),
    "perlengkapan-rumah": (
        {"Sapu": "Broom", "Keset": "Doormat", "Taplak": "Tablecloth", "Lampu": "Lamp",
         "Rak": "Shelf", "Bantal": "Pillow", "Sabun": "Soap"},
        {"Ijuk": "Palm Fibre", "Sabut": "Coir", "Rajut": "Knitted", "Serai": "Lemongrass"},
        ["pcs", "set", "buah"],
    ),
    "jasa": (
        {"Jahit": "Tailoring", "Laundry": "Laundry", "Servis": "Repair", "Katering": "Catering",
         "Sablon": "Screen Printing"},
        {"Kebaya": "Kebaya", "Kiloan": "By the Kilo", "Kantor": "Office", "Kaos": "T-shirt"},
        ["paket", "kg", "jam"],
    ),
}  # fmt: skip
SIZES = ["", "", "", "Mini", "Jumbo", "Premium", "250gr", "500gr", "1kg", "Isi 10", "Khas Malang"]
PHRASES = [
    "Produk UMKM asli Kota Malang.",
    "Dibuat setiap hari tanpa pengawet.",
    "Cocok untuk oleh-oleh keluarga.",
    "Buatan tangan pengrajin lokal.",
    "Kualitas ekspor dengan harga terjangkau.",
    "Bahan pilihan dari petani sekitar.",
    "Bisa pesan partai besar untuk acara kantor.",
]


def make_merchants(rng: random.Random, count: int) -> list[dict[str, Any]]:
    rows = []
    for i in range(count):
        kecamatan = rng.choice(list(KECAMATAN))
        rows.append(
            {
                "code": f"T{i:05d}",
                "name": f"{rng.choice(SHOP_KINDS)} {rng.choice(OWNERS)} {rng.choice(PLACES)}",
                "nib": f"{rng.randrange(10**12, 10**13)}",
                "kecamatan": kecamatan,
                "kelurahan": rng.choice(KECAMATAN[kecamatan]),
                "address": f"Jl. {rng.choice(PLACES)} {rng.randint(1, 200)}",
                "phone": f"+62813{i:07d}",
                "is_open": rng.random() > 0.05,
                "status": "suspended" if rng.random() < 0.03 else "active",
            }
        )
    return rows


def make_products(
    rng: random.Random, merchant_ids: list[int], categories: dict[str, int], count: int
) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    slugs = list(LINES)
    names: set[tuple[int, str]] = set()  # a merchant's product names are unique
    for index in range(count):
        merchant_id = merchant_ids[index % len(merchant_ids)]
        slug = slugs[merchant_id % len(slugs)] if rng.random() < 0.9 else rng.choice(slugs)
        bases, variants, units = LINES[slug]
        base, variant = rng.choice(list(bases)), rng.choice(list(variants))
        size = rng.choice(SIZES)
        name = " ".join(p for p in (base, variant, size) if p)
        if (merchant_id, name) in names:
            name = f"{name} {len(names)}"
        names.add((merchant_id, name))
        rows.append(
            {
                "merchant_id": merchant_id,
                "category_id": categories[slug],
                "name": name,
                "name_en": f"{variants[variant]} {bases[base]}" if rng.random() < 0.4 else None,
                "description": " ".join(
                    [f"{base} {variant.lower()} {size.lower()}.".replace(" .", ".")]
                    + rng.sample(PHRASES, rng.randint(1, 4))
                ),
                "description_en": None,
                "price": rng.randrange(5, 500) * 1000,
                "stock": 0 if rng.random() < 0.1 else rng.randint(1, 100),
                "unit": rng.choice(units),
                "is_active": rng.random() > 0.03,
            }
        )
    return rows


def typo(rng: random.Random, word: str) -> str:
    i = rng.randrange(1, len(word) - 1)
    kind = rng.choice(["drop", "swap", "replace"])
    if kind == "drop":
        return word[:i] + word[i + 1 :]
    if kind == "swap":
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    return word[:i] + rng.choice("aiueokrstnm") + word[i + 1 :]


def make_queries(rng: random.Random, count: int) -> list[str]:
    """What the users type: words, pairs, typos, spelling variants, English, places, no-hit."""
    bases = [w for b, _, _ in LINES.values() for w in b]
    variants = [w for _, v, _ in LINES.values() for w in v]
    english = [w for b, v, _ in LINES.values() for w in (*b.values(), *v.values())]
    spelling = ["kripik", "krupuk", "sambel", "tempeh", "coklat", "kopii", "batik malang"]
    queries = []
    for _ in range(count):
        roll = rng.random()
        if roll < 0.3:
            query = rng.choice(bases).lower()
        elif roll < 0.5:
            query = f"{rng.choice(bases)} {rng.choice(variants)}".lower()
        elif roll < 0.65:
            word = max(rng.choice(bases).split(), key=len).lower()
            query = typo(rng, word) if len(word) >= 5 else word
        elif roll < 0.75:
            query = rng.choice(spelling)
        elif roll < 0.85:
            query = rng.choice(english).lower()
        elif roll < 0.95:
            query = rng.choice(PLACES + list(KECAMATAN)).lower()
        else:
            query = rng.choice(["xylofon", "kapal selam", "ps5 murah", "zzzq"])
        queries.append(query)
    return queries


async def populate(url: str, args: argparse.Namespace) -> tuple[int, float]:
    """Migrate and fill a fresh database; returns (products, seconds)."""
    from sqlalchemy import insert, text
    from sqlmodel import select

    from models import Category, Merchant, Product
    from models.db import Database
    from models.migrate import upgrade
    from services.categories import ensure_categories
    from services.search import sync_search_index

    started = time.perf_counter()
    rng = random.Random(args.seed)
    database = Database(url)
    try:
        await upgrade(database.engine)
        async with database.session() as session:
            await ensure_categories(session)
            categories = {c.slug: c.id for c in (await session.exec(select(Category))).all()}
            await session.exec(insert(Merchant), params=make_merchants(rng, args.merchants))
            await session.commit()
            merchant_ids = list((await session.exec(select(Merchant.id))).all())
            products = make_products(rng, merchant_ids, categories, args.products)
            for start in range(0, len(products), 5000):
                await session.exec(insert(Product), params=products[start : start + 5000])
            await session.commit()
        async with database.session() as session:
            await sync_search_index(session)
        # Steady state, as after autovacuum: planner statistics and the visibility map.
        async with database.engine.connect() as conn:
            conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(text("ANALYZE" if database.is_sqlite else "VACUUM ANALYZE"))
    finally:
        await database.dispose()
    return len(products), time.perf_counter() - started


async def pg_admin(statement: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(PG_ADMIN_URL.replace("postgresql+asyncpg", "postgresql"))
    try:
        await conn.execute(statement)
    finally:
        await conn.close()


# --- the harness: fake Telegram and the simulated users ----------------------------------------


@dataclass
class Tally:
    latencies: dict[str, list[float]] = field(default_factory=dict)  # action -> seconds
    lost: Counter = field(default_factory=Counter)
    unexpected: Counter = field(default_factory=Counter)


class SimulatedUser:
    def __init__(
        self, server: Any, index: int, queries: list[str], seed: int, first_id: int
    ) -> None:
        self.server = server
        self.rng = random.Random(seed * 1000 + index)
        language = "en" if index % 5 == 0 else "id"
        self.user = server.user(first_id + index, f"Pengguna {index}", language_code=language)
        self.queries = queries
        self.tally = Tally()
        self.measuring = False
        self.deadline = 0.0

    async def act(self, kind: str, action: Any, *, answer: bool = False) -> Any:
        """Do an action and wait for its reply; returns the reply, or None if it is lost."""
        started = time.perf_counter()
        try:
            record = await action()
            if answer:
                reply = await self.user.wait_answer(record, LOST_AFTER)
            else:
                reply = await self.user.wait_reply(LOST_AFTER)
        except AssertionError:  # fakegram's way of saying "nothing within the timeout"
            if self.measuring:
                self.tally.lost[kind] += 1
            return None
        finished = time.perf_counter()
        if self.measuring and finished <= self.deadline:
            self.tally.latencies.setdefault(kind, []).append(finished - started)
        return reply

    def button(self, message: Any, prefix: str, want: str = "") -> str | None:
        """callback_data of a random inline button whose data starts with `prefix`."""
        found = [
            b["callback_data"]
            for row in (message.inline_keyboard if message is not None else [])
            for b in row
            if b.get("callback_data", "").startswith(prefix) and want in b["text"]
        ]
        return self.rng.choice(found) if found else None

    def expect(self, kind: str, ok: bool) -> None:
        if self.measuring and not ok:
            self.tally.unexpected[kind] += 1

    async def cycle(self, echo: bool) -> None:
        """One round of browsing and searching. Against the echo bot, replies have no buttons:
        the users then send the callback data the real bot's buttons would carry."""
        user, rng = self.user, self.rng
        listing = await self.act("catalog", lambda: user.send("/katalog"))
        if listing is None:
            return
        category = self.button(listing, "c:") or f"c:{rng.randint(1, 7)}:0"
        self.expect("catalog", echo or category is not None)
        page = await self.act("category", lambda: user.click_data(listing, category))
        if page is None:
            return
        forward = self.button(page, "c:", "▶") or f"c:{category.split(':')[1]}:1"
        page = await self.act("page", lambda: user.click_data(page, forward)) or page
        product = self.button(page, "p:", "Rp") or f"p:{rng.randint(1, 20000)}:l"
        self.expect("page", echo or product is not None)
        card = await self.act("product", lambda: user.click_data(page, product))
        if card is None:
            return
        add = self.button(card, "k:add:") or self.button(card, "k:inc:")
        self.expect("product", echo or add is not None)
        add = add or f"k:add:{product.split(':')[1]}:c"
        await self.act("add", lambda: user.click_data(card, add), answer=True)
        query = rng.choice(self.queries)
        results = await self.act("search", lambda: user.send(query))
        if results is None:
            return
        hit = self.button(results, "p:")
        if echo:
            hit = f"p:{rng.randint(1, 20000)}:l"
        if hit is not None:
            await self.act("product", lambda: user.click_data(results, hit))

    async def run(self, echo: bool, start_at: float, deadline: float) -> None:
        self.deadline = deadline
        # Warm-up until the measurement starts: accounts, caches, connection pools.
        while time.perf_counter() < start_at:
            await self.cycle(echo)
        self.measuring = True
        while time.perf_counter() < deadline:
            await self.cycle(echo)
        self.measuring = False


def _cpu_seconds() -> float:
    times = os.times()
    return times.user + times.system


_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _machine_cpu() -> tuple[float, dict[str, float]]:
    """CPU seconds used so far by the whole machine, and by each PostgreSQL process (Linux)."""
    postgres: dict[str, float] = {}
    try:
        with open("/proc/stat") as fh:
            fields = [int(x) for x in fh.readline().split()[1:]]
    except OSError:
        return float("nan"), postgres
    busy = sum(fields) - fields[3] - fields[4]  # all but idle and iowait
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            with contextlib.suppress(OSError), open(f"/proc/{pid}/stat") as fh:
                stat = fh.read()
                if "(postgres)" in stat:
                    parts = stat.rsplit(")", 1)[1].split()
                    postgres[pid] = (int(parts[11]) + int(parts[12])) / _TICKS
    return busy / _TICKS, postgres


def _postgres_delta(before: dict[str, float], after: dict[str, float]) -> float:
    """CPU seconds PostgreSQL's processes used between two snapshots (ended ones are missed)."""
    return sum(max(0.0, used - before.get(pid, 0.0)) for pid, used in after.items())


async def run_harness(server: Any, users: int, seconds: float, queries: list[str], *, echo: bool,
                      seed: int, run: int) -> dict[str, Any]:  # fmt: skip
    """Drive `users` simulated users against whatever bot polls `server`; returns the tally.

    Each run has its own users (fresh chats), and counts only its own API calls."""
    first_request = len(server.requests)
    earlier_queries = set(server.callback_queries)
    first_id = FIRST_USER_ID + run * 100_000
    simulated = [SimulatedUser(server, i, queries, seed, first_id) for i in range(users)]
    start_at = time.perf_counter() + WARMUP_SECONDS
    deadline = start_at + seconds
    cpu_at_start: list[float] = []

    async def mark_start() -> None:
        await asyncio.sleep(max(0.0, start_at - time.perf_counter()))
        cpu_at_start.append(_cpu_seconds())

    marker = asyncio.create_task(mark_start())
    await asyncio.gather(*(u.run(echo, start_at, deadline) for u in simulated))
    cpu = _cpu_seconds() - cpu_at_start[0]
    await marker
    latencies: dict[str, list[float]] = {}
    lost: Counter = Counter()
    unexpected: Counter = Counter()
    for u in simulated:
        for kind, values in u.tally.latencies.items():
            latencies.setdefault(kind, []).extend(values)
        lost.update(u.tally.lost)
        unexpected.update(u.tally.unexpected)
    await asyncio.sleep(0.5)  # let the last callback answers arrive
    errors = Counter(f"{c.method}: {c.error}" for c in server.requests[first_request:] if not c.ok)
    unanswered = sum(
        1
        for key, query in server.callback_queries.items()
        if key not in earlier_queries and query.answer is None
    )
    return {
        "seconds": seconds,
        "latencies": latencies,
        "lost": dict(lost),
        "unexpected": dict(unexpected),
        "api_errors": dict(errors),
        "unanswered": unanswered,
        "harness_cpu": cpu / seconds,
    }


def _harness_process(conn: Any, config: dict[str, Any]) -> None:
    """Child process: the fake server and the users; talks to the parent over a pipe."""

    async def main() -> None:
        from sandbox.fakegram import FakeTelegram

        server = FakeTelegram(token=TOKEN, bot_username=BOT_USERNAME)
        await server.start()
        loop = asyncio.get_running_loop()
        conn.send(server.base_url)
        try:
            while True:
                command = await loop.run_in_executor(None, conn.recv)
                if command is None:
                    break
                conn.send(await run_harness(server, **command))
        finally:
            await server.stop()

    logging.basicConfig(level=logging.WARNING)
    asyncio.run(main())


class Harness:
    """The fake server and the users, in a child process or (inline) in this event loop."""

    def __init__(self, inline: bool) -> None:
        self.inline = inline

    async def start(self) -> str:
        if self.inline:
            from sandbox.fakegram import FakeTelegram

            self.server = FakeTelegram(token=TOKEN, bot_username=BOT_USERNAME)
            await self.server.start()
            return self.server.base_url
        context = mp.get_context("spawn")
        self.conn, child = context.Pipe()
        self.process = context.Process(target=_harness_process, args=(child, {}), daemon=True)
        self.process.start()
        return await asyncio.get_running_loop().run_in_executor(None, self.conn.recv)

    async def run(self, **command: Any) -> dict[str, Any]:
        if self.inline:
            return await run_harness(self.server, **command)
        self.conn.send(command)
        return await asyncio.get_running_loop().run_in_executor(None, self.conn.recv)

    async def stop(self) -> None:
        if self.inline:
            await self.server.stop()
            return
        self.conn.send(None)
        await asyncio.get_running_loop().run_in_executor(None, self.process.join, 20)


# --- the bots ----------------------------------------------------------------------------------


class ErrorCounter(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)
        self.count = 0
        self.first: str | None = None

    def emit(self, record: logging.LogRecord) -> None:
        self.count += 1
        if self.first is None:
            self.first = self.format(record)


def _settings(api_url: str, database_url: str) -> Any:
    from bot.settings import Settings

    return Settings(
        _env_file=None,
        bot_token=TOKEN,
        database_url=database_url,
        telegram_api_url=api_url,
        redis_url=None,
    )


def echo_bot(api_url: str) -> tuple[Any, Any]:
    """A bare aiogram echo bot: stock Bot and session, one Dispatcher, two handlers."""
    from aiogram import Bot, Dispatcher
    from aiogram.client.session.aiohttp import AiohttpSession
    from aiogram.client.telegram import TelegramAPIServer
    from aiogram.types import CallbackQuery, Message

    bot = Bot(TOKEN, session=AiohttpSession(api=TelegramAPIServer.from_base(api_url)))
    dp = Dispatcher()
    edits = itertools.count(1)

    @dp.message()
    async def echo(message: Message) -> None:
        await message.answer(message.text or "?")

    @dp.callback_query()
    async def tapped(callback: CallbackQuery) -> None:
        await callback.message.edit_text(f"{callback.data} #{next(edits)}")
        await callback.answer()

    return bot, dp


async def measure(
    label: str, harness: Harness, api_url: str, args: argparse.Namespace, queries: list[str],
    database_url: str | None, run: int,
) -> dict[str, Any]:  # fmt: skip
    """Run the bot (or the echo bot when database_url is None) while the users drive it."""
    from bot.factory import POLLING_OPTIONS, create_bot, create_dispatcher
    from models.db import Database

    db = None
    if database_url is None:
        bot, dp = echo_bot(api_url)
    else:
        settings = _settings(api_url, database_url)
        bot = create_bot(settings)
        db = Database(database_url)
        dp = create_dispatcher(settings, db)
    errors = ErrorCounter()
    logging.getLogger().addHandler(errors)
    started = asyncio.Event()
    dp.startup.register(lambda: started.set())
    # Updates the previous bot fetched but never confirmed are not this bot's business.
    await bot.delete_webhook(drop_pending_updates=True)
    # The bot polls as `tukulokal run` does; the echo bot with aiogram's defaults.
    options = {} if database_url is None else POLLING_OPTIONS
    polling = asyncio.create_task(dp.start_polling(bot, handle_signals=False, **options))
    try:
        await asyncio.wait_for(started.wait(), 60)
        cpu = _cpu_seconds()
        machine, postgres = _machine_cpu()
        result = await harness.run(
            users=args.users, seconds=args.seconds, queries=queries, echo=database_url is None,
            seed=args.seed, run=run,
        )  # fmt: skip
        cpu = _cpu_seconds() - cpu
        machine_end, postgres_end = _machine_cpu()
    finally:
        with contextlib.suppress(RuntimeError):
            await dp.stop_polling()
        await asyncio.wait_for(polling, 30)
        await bot.session.close()
        if db is not None:
            await db.dispose()
        logging.getLogger().removeHandler(errors)
    result["label"] = label
    result["bot_errors"] = errors.count
    result["bot_first_error"] = errors.first
    # The bot's process CPU over the whole harness run (warm-up included), per second.
    span = args.seconds + WARMUP_SECONDS
    result["bot_cpu"] = cpu / span
    result["machine_cpu"] = (machine_end - machine) / span
    uses_postgres = bool(database_url) and database_url.startswith("postgresql")
    result["db_cpu"] = _postgres_delta(postgres, postgres_end) / span if uses_postgres else 0.0
    return result


# --- report ------------------------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


def summarize(result: dict[str, Any]) -> dict[str, Any]:
    every = [v for values in result["latencies"].values() for v in values]
    not_modified = sum(n for e, n in result["api_errors"].items() if "not modified" in e)
    return {
        "rate": len(every) / result["seconds"],
        "p50": statistics.median(every) * 1000 if every else float("nan"),
        "p99": percentile(every, 0.99) * 1000 if every else float("nan"),
        "max": max(every) * 1000 if every else float("nan"),
        "lost": sum(result["lost"].values()),
        "errors": sum(result["api_errors"].values()) - not_modified,
        "not_modified": not_modified,
    }


def report(results: list[dict[str, Any]], inline: bool) -> bool:
    """Print the tables; True when every bot run meets the targets without problems."""
    reference = next((r for r in results if r["label"] == "echo bot"), None)
    echo_rate = summarize(reference)["rate"] if reference else float("nan")
    first = results[0]
    mode = "one process, one event loop" if inline else "harness and bot in separate processes"
    print(f"\nThroughput, {first['users']} users, {first['seconds']:.0f} s each ({mode})")
    header = (
        f"{'':<12}{'replies/s':>10}{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}{'lost':>6}"
        f"{'API err':>9}{'ratio':>8}{'bot CPU':>9}{'PG CPU':>8}{'harness':>9}{'machine':>9}"
    )
    print(header)
    print("-" * len(header))
    for result in results:
        s = summarize(result)
        print(
            f"{result['label']:<12}{s['rate']:>10.0f}{s['p50']:>9.1f}{s['p99']:>9.1f}"
            f"{s['max']:>9.1f}{s['lost']:>6}{s['errors']:>9}{s['rate'] / echo_rate:>7.0%} "
            f"{result['bot_cpu']:>8.0%}{result['db_cpu']:>8.0%}{result['harness_cpu']:>9.0%}"
            f"{result['machine_cpu']:>9.0%}"
        )
    print(
        "(CPU: share of one core during the run, warm-up included; PG: every PostgreSQL "
        f"process; machine: all processes on all {os.cpu_count()} cores; the last two include "
        "other users of the machine)"
    )
    all_ok = True
    for result in results:
        s = summarize(result)
        problems = []
        if s["errors"]:
            problems.append(f"{s['errors']} failed API calls {result['api_errors']}")
        if result["unanswered"]:
            problems.append(f"{result['unanswered']} callback queries never answered")
        if result["bot_errors"]:
            problems.append(f"{result['bot_errors']} errors logged: {result['bot_first_error']}")
        if result["unexpected"]:
            problems.append(f"unexpected replies {result['unexpected']}")
        if result is reference:
            if s["lost"]:
                problems.append(f"{s['lost']} replies lost")
            for problem in problems:
                print(f"  ! echo bot: {problem}")
            continue
        ratio = s["rate"] / echo_rate
        misses = []
        if not ratio >= TARGET_RATIO:
            misses.append(f"replies/s {ratio:.0%} of echo, target {TARGET_RATIO:.0%}")
        if s["p99"] > TARGET_P99_MS:
            misses.append(f"p99 {s['p99']:.0f} ms, target {TARGET_P99_MS:.0f} ms")
        if s["lost"]:
            misses.append(f"{s['lost']} replies lost")
        verdict = "meets the targets" if not misses else "MISSES " + "; ".join(misses)
        print(f"{result['label']}: {verdict}")
        for problem in problems:
            print(f"  ! {problem}")
        all_ok = all_ok and not misses and not problems
    print("\nLatency by action, ms (p50 / p99, count)")
    kinds = ["catalog", "category", "page", "product", "add", "search"]
    print(f"{'':<12}" + "".join(f"{k:>20}" for k in kinds))
    for result in results:
        cells = []
        for kind in kinds:
            values = result["latencies"].get(kind, [])
            cell = "-"
            if values:
                cell = (
                    f"{statistics.median(values) * 1000:.0f} / "
                    f"{percentile(values, 0.99) * 1000:.0f} ({len(values)})"
                )
            cells.append(f"{cell:>20}")
        print(f"{result['label']:<12}" + "".join(cells))
    return all_ok


# --- main --------------------------------------------------------------------------------------


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--products", type=int, default=20_000)
    parser.add_argument("--merchants", type=int, default=300)
    parser.add_argument("--seed", type=int, default=2022)
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument("--skip-echo", action="store_true", help="no reference run (profiling)")
    parser.add_argument("--inline", action="store_true", help="run everything in one event loop")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    queries = make_queries(random.Random(args.seed + 1), 500)

    harness = Harness(args.inline)
    api_url = await harness.start()
    results = []
    try:
        if not args.skip_echo:
            results.append(await measure("echo bot", harness, api_url, args, queries, None, 0))
        if not args.skip_sqlite:
            with tempfile.TemporaryDirectory(prefix="tukulokal-bench-") as tmp:
                url = f"sqlite+aiosqlite:///{tmp}/bench.db"
                products, took = await populate(url, args)
                print(f"SQLite: {products} products loaded and indexed in {took:.1f} s")
                results.append(await measure("SQLite", harness, api_url, args, queries, url, 1))
        if not args.skip_postgres:
            await pg_admin(f'DROP DATABASE IF EXISTS "{PG_DATABASE}" WITH (FORCE)')
            await pg_admin(f'CREATE DATABASE "{PG_DATABASE}"')
            try:
                url = f"{PG_ADMIN_URL.rpartition('/')[0]}/{PG_DATABASE}"
                products, took = await populate(url, args)
                print(f"PostgreSQL: {products} products loaded and indexed in {took:.1f} s")
                result = await measure("PostgreSQL", harness, api_url, args, queries, url, 2)
                results.append(result)
            finally:
                await pg_admin(f'DROP DATABASE IF EXISTS "{PG_DATABASE}" WITH (FORCE)')
    finally:
        await harness.stop()
    for result in results:
        result["users"] = args.users
    return 0 if report(results, args.inline) else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
