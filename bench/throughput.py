"""Capacity, rush-hour latency and memory of the bot, next to a bare aiogram echo bot.

What it measures (SQLite and PostgreSQL; each figure the median of `--repeats` runs)
- Capacity: 50 simulated users in a closed loop (no think time: each waits for the reply and
  acts again), against a bare aiogram echo bot and against the real bot in the same run.
  Replies/s, p50/p99 latency, lost replies, and the CPU milliseconds per update of the bot's
  process and of PostgreSQL's processes, from their CPU time (`/proc`), not the wall clock: a
  noisy machine changes how long an update waits, hardly what it costs. The ratio to the echo
  bot is given both ways: replies/s (wall) and echo ms/update divided by bot ms/update (CPU);
  the target is judged on the CPU one, which is what the wall ratio is on a quiet machine where
  the bot saturates its core. Target: >= 50% on SQLite, >= 40% on PostgreSQL.
- Rush hour: 1,000 registered ASN in an open loop: updates arrive as a Poisson process at 20,
  50 and 80 updates/s, each from an idle user taking their next step in a realistic mix
  (categories, pages, product cards, search, search results, add to cart, cart, checkout
  summary, placing the order, /kuota, /pesanan; about 10% of the updates write). p50/p95/p99
  latency and lost replies per rate. Target at 50 updates/s (the deadline evening of 7,000 ASN
  is estimated at <= 50/s) and below: p50 <= 30 ms, p99 <= 150 ms, nothing lost.
- Memory: the bot process's RSS after its run (capacity and rush hour); target <= 250 MB.
- Beside each run: the CPU used by everything else on the machine (`other`, in cores), so
  that a noisy run shows.

How
The fake Bot API (sandbox.fakegram) and the users run in one child process, each bot in a child
process of its own (a fresh one per backend and repeat: the echo bot, then the bot on SQLite,
then on PostgreSQL), so the harness never takes CPU time from the bot and the bot's CPU time
and RSS are its own. The real bot is unmodified: built by bot.factory.create_bot /
create_dispatcher and fed by a driver (`--driver`: `polling` as `tukulokal run` does, with
POLLING_OPTIONS; `webhook` as a `tukulokal webhook` worker, the fake server posting updates to
the bot's own web application; the echo bot the same way with aiogram's stock handler). The
databases are filled once with 20,000 products of 300 merchants and 1,000 registered ASN,
indexed for search and analysed. PostgreSQL: a private server started for the benchmark in a
temporary directory (`initdb`, a free port), so that its CPU time is the bot's alone;
`--pg-url` uses an existing server instead (a database `tukulokal_bench_throughput` is created
and dropped there).

A reply is the message sent or edited after the action (for add-to-cart the callback answer,
which comes last); an action without one within 5 s is lost. Each run also counts failed Bot
API calls, callback queries never answered, errors the bot logged and replies without the
expected buttons; any of them fails the run.

Run from the repository root (about 10 minutes): .venv/bin/python bench/throughput.py
  [--repeats 3] [--users 50] [--seconds 20] [--rush-users 1000] [--rush-seconds 20]
  [--rates 20,50,80] [--products 20000] [--merchants 300] [--skip-sqlite] [--skip-postgres]
  [--skip-rush] [--driver polling|webhook] [--pg-url URL]
Exit status 0 only when every target is met.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import glob
import itertools
import logging
import multiprocessing as mp
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

PG_DATABASE = "tukulokal_bench_throughput"
TOKEN = "123456:BENCH-TOKEN"
BOT_USERNAME = "TukuLokalBot"
FIRST_USER_ID = 70_000_001  # closed-loop users: FIRST_USER_ID + run * 100_000 + i
FIRST_ASN_ID = 80_000_001  # the registered ASN of the rush hour
LOST_AFTER = 5.0  # seconds without a reply: the reply is lost
WARMUP_SECONDS = 3.0
TARGET_RATIO = {"SQLite": 0.5, "PostgreSQL": 0.4}
TARGET_RUSH_RATE = 50.0  # targets hold at this rate and below
TARGET_P50_MS = 30.0
TARGET_P99_MS = 150.0
TARGET_RSS_MB = 250.0

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


def make_asn(count: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The rush hour's registered ASN: roster rows and their accounts."""
    from datetime import UTC, datetime

    now = datetime.now(UTC)
    roster, users = [], []
    for i in range(count):
        nip = f"19{80 + i % 20:02d}0{i % 9 + 1}01200{i % 9 + 1}1{i:05d}"[:18]
        roster.append(
            {
                "nip": nip,
                "name": f"ASN {i}",
                "opd": ["Dinas Pendidikan", "Dinas Kesehatan", "Diskopindag", "Bappeda"][i % 4],
                "golongan": "III/a",
                "quota_class": "III",
                "employee_kind": "PNS",
                "active": True,
                "updated_at": now,
            }
        )
        users.append(
            {
                "telegram_id": FIRST_ASN_ID + i,
                "first_name": f"Pengguna {(FIRST_ASN_ID + i) % 100_000}",  # as in Telegram
                "language": None,
                "telegram_language": "en" if i % 5 == 0 else "id",
                "kind": "asn",
                "nip": nip,
                "full_name": f"ASN {i}",
                "unreachable": False,
                "created_at": now,
                "registered_at": now,
            }
        )
    return roster, users


async def populate(url: str, args: argparse.Namespace) -> tuple[int, float]:
    """Migrate and fill a fresh database; returns (products, seconds)."""
    from sqlalchemy import insert, text
    from sqlmodel import select

    from models import Category, Merchant, Product, RosterEntry, User
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
            roster, users = make_asn(args.rush_users)
            if roster:
                await session.exec(insert(RosterEntry), params=roster)
                await session.exec(insert(User), params=users)
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


# --- PostgreSQL: a private server, or an existing one --------------------------------------------


class Postgres:
    """A PostgreSQL server for the benchmark: private (initdb in a temporary directory, a free
    port, stopped at the end) unless `admin_url` names an existing one."""

    def __init__(self, admin_url: str | None) -> None:
        self.admin_url = admin_url
        self.tmp: str | None = None
        self.bin: str | None = None
        self.postmaster: int | None = None
        self.runas: list[str] = []

    def start(self) -> None:
        if self.admin_url:
            return
        found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
        if not found:
            raise SystemExit("no initdb in /usr/lib/postgresql/*/bin: pass --pg-url")
        self.bin = str(Path(found[-1]).parent)
        self.tmp = tempfile.mkdtemp(prefix="tukulokal-bench-pg-")
        data = f"{self.tmp}/data"
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        # PostgreSQL refuses to run as root: then as the system's postgres user.
        self.runas = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self.runas:
            shutil.chown(self.tmp, "postgres")
        subprocess.run([*self.runas, f"{self.bin}/initdb", "-D", data, "-U", "postgres", "-A",
                        "trust", "--no-sync"], check=True, capture_output=True)  # fmt: skip
        options = f"-p {port} -k {self.tmp} -c listen_addresses=127.0.0.1"
        log = f"{self.tmp}/log"
        subprocess.run([*self.runas, f"{self.bin}/pg_ctl", "-D", data, "-l", log, "-w", "-o",
                        options, "start"], check=True, capture_output=True)  # fmt: skip
        self.postmaster = int(Path(f"{data}/postmaster.pid").read_text().split()[0])
        self.admin_url = f"postgresql+asyncpg://postgres@127.0.0.1:{port}/postgres"

    def stop(self) -> None:
        if self.tmp is None or self.bin is None:
            return
        subprocess.run([*self.runas, f"{self.bin}/pg_ctl", "-D", f"{self.tmp}/data", "-m",
                        "fast", "stop"], check=False, capture_output=True)  # fmt: skip
        shutil.rmtree(self.tmp, ignore_errors=True)

    @property
    def url(self) -> str:
        assert self.admin_url is not None
        return f"{self.admin_url.rpartition('/')[0]}/{PG_DATABASE}"

    async def admin(self, statement: str) -> None:
        import asyncpg

        assert self.admin_url is not None
        conn = await asyncpg.connect(self.admin_url.replace("postgresql+asyncpg", "postgresql"))
        try:
            await conn.execute(statement)
        finally:
            await conn.close()

    def processes(self) -> set[int] | None:
        """Pids of this server's processes; None: every PostgreSQL process of the machine."""
        if self.postmaster is None:
            return None
        return {self.postmaster} | _children(self.postmaster)


# --- CPU time from /proc -------------------------------------------------------------------------

_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _stat(pid: int | str) -> list[str] | None:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            head, _, rest = fh.read().rpartition(")")
    except OSError:
        return None
    return [head.partition("(")[2], *rest.split()]


def _children(parent: int) -> set[int]:
    return {
        int(pid)
        for pid in os.listdir("/proc")
        if pid.isdigit() and (s := _stat(pid)) is not None and s[2] == str(parent)
    }


def process_cpu(pid: int) -> float:
    """CPU seconds (user + system) used so far by process `pid`."""
    s = _stat(pid)
    return (int(s[12]) + int(s[13])) / _TICKS if s else 0.0


def machine_cpu() -> float:
    """CPU seconds used so far by the whole machine (all but idle and iowait)."""
    try:
        with open("/proc/stat") as fh:
            fields = [int(x) for x in fh.readline().split()[1:]]
    except OSError:
        return float("nan")
    return (sum(fields) - fields[3] - fields[4]) / _TICKS


def postgres_cpu(pids: set[int] | None) -> dict[int, float]:
    """CPU seconds so far of each PostgreSQL process (of `pids`, or every one)."""
    found = {}
    for pid in os.listdir("/proc"):
        if pid.isdigit() and (pids is None or int(pid) in pids):
            s = _stat(pid)
            if s is not None and s[0] == "postgres":
                found[int(pid)] = (int(s[12]) + int(s[13])) / _TICKS
    return found


@dataclass
class CpuMark:
    """CPU seconds so far of the bot, the harness, PostgreSQL and the machine."""

    wall: float
    bot: float
    harness: float
    postgres: dict[int, float]
    machine: float

    @classmethod
    def take(cls, bot: int, harness: int, pg: Postgres | None) -> CpuMark:
        pg_pids = pg.processes() if pg is not None else set()
        return cls(
            time.perf_counter(),
            process_cpu(bot),
            process_cpu(harness),
            postgres_cpu(pg_pids) if pg is not None else {},
            machine_cpu(),
        )

    def since(self, before: CpuMark) -> dict[str, float]:
        """CPU seconds used between two marks (ended PostgreSQL processes are missed)."""
        pg = sum(max(0.0, v - before.postgres.get(pid, 0.0)) for pid, v in self.postgres.items())
        used = {
            "wall": self.wall - before.wall,
            "bot": self.bot - before.bot,
            "harness": self.harness - before.harness,
            "pg": pg,
            "machine": self.machine - before.machine,
        }
        used["other"] = max(0.0, used["machine"] - used["bot"] - used["harness"] - pg)
        return used


# --- the harness: fake Telegram and the simulated users ------------------------------------------


@dataclass
class Tally:
    latencies: dict[str, list[float]] = field(default_factory=dict)  # action -> seconds
    lost: Counter = field(default_factory=Counter)
    unexpected: Counter = field(default_factory=Counter)
    sent: int = 0  # updates sent, warm-up included (what the bot's CPU time is divided by)

    def merge(self, other: Tally) -> None:
        for kind, values in other.latencies.items():
            self.latencies.setdefault(kind, []).extend(values)
        self.lost.update(other.lost)
        self.unexpected.update(other.unexpected)
        self.sent += other.sent


class SimulatedUser:
    """A user of the fake server who acts and waits for each reply (LOST_AFTER at most)."""

    def __init__(self, server: Any, user_id: int, language: str, seed: int,
                 queries: list[str]) -> None:  # fmt: skip
        self.server = server
        self.rng = random.Random(seed * 1_000_003 + user_id)
        self.user = server.user(user_id, f"Pengguna {user_id % 100_000}", language_code=language)
        self.queries = queries
        self.tally = Tally()
        self.measuring = False  # and the action starts after start_at and ends by deadline
        self.start_at = 0.0
        self.deadline = float("inf")

    async def act(self, kind: str, action: Callable[[], Awaitable[Any]], *,
                  answer: bool = False) -> Any:  # fmt: skip
        """Do an action and wait for its reply; returns the reply, or None if it is lost."""
        started = time.perf_counter()
        self.tally.sent += 1
        try:
            record = await action()
            if answer:
                reply = await self.user.wait_answer(record, LOST_AFTER)
            else:
                reply = await self.user.wait_reply(LOST_AFTER)
        except AssertionError:  # fakegram's way of saying "nothing within the timeout"
            if self.measuring and self.start_at <= started:
                self.tally.lost[kind] += 1
            return None
        finished = time.perf_counter()
        if self.measuring and self.start_at <= started and finished <= self.deadline:
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

    @staticmethod
    def all_data(message: Any) -> list[str]:
        rows = message.inline_keyboard if message is not None else []
        return [b["callback_data"] for row in rows for b in row if "callback_data" in b]

    def expect(self, kind: str, ok: bool) -> None:
        if self.measuring and not ok:
            self.tally.unexpected[kind] += 1


class ClosedLoopUser(SimulatedUser):
    """Capacity: browses and searches without pause (as the benchmark always did)."""

    async def cycle(self, echo: bool) -> None:
        """One round of browsing and searching. Against the echo bot, replies have no buttons:
        the users then send the callback data the real bot's buttons would carry."""
        user, rng = self.user, self.rng
        listing = await self.act("catalog", lambda: user.send("/katalog"))
        if listing is None:
            return
        category = self.button(listing, "c:")
        self.expect("catalog", echo or category is not None)
        category = category or f"c:{rng.randint(1, 7)}:0"
        page = await self.act("category", lambda: user.click_data(listing, category))
        if page is None:
            return
        forward = self.button(page, "c:", "▶") or f"c:{category.split(':')[1]}:1"
        page = await self.act("page", lambda: user.click_data(page, forward)) or page
        product = self.button(page, "p:")
        self.expect("page", echo or product is not None)
        product = product or f"p:{rng.randint(1, 20000)}:l"
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
        """Cycles until `deadline`; what starts before `start_at` is warm-up (accounts,
        caches, connection pools) and not measured."""
        self.start_at, self.deadline, self.measuring = start_at, deadline, True
        while time.perf_counter() < deadline:
            await self.cycle(echo)
        self.measuring = False


# The rush hour's mix: what an idle user does next, by weight. A step that needs a screen the
# user does not have (a page before any category, checkout with an empty cart) leads there
# first, as a person would; the mix actually sent is printed.
RUSH_MIX = {
    "catalog": 10, "category": 12, "page": 10, "product": 16, "search": 18, "result": 8,
    "add": 8, "cart": 6, "summary": 3, "checkout": 3, "kuota": 4, "pesanan": 2,
}  # fmt: skip
WRITES = frozenset({"add", "checkout"})


class RushUser(SimulatedUser):
    """A registered ASN who takes one step whenever the arrival process picks them."""

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.listing: Any = None  # the category list
        self.page: Any = None  # a page of a category
        self.card: Any = None  # a product card
        self.results: Any = None  # a page of search results
        self.cart: Any = None  # the cart screen
        self.summary: Any = None  # the checkout summary
        self.in_cart = 0  # lines added since the last order

    def choose(self) -> str:
        kind = self.rng.choices(list(RUSH_MIX), weights=list(RUSH_MIX.values()))[0]
        needs = {"category": "listing", "page": "page", "product": "page", "result": "results",
                 "add": "card", "summary": "cart", "checkout": "summary"}  # fmt: skip
        fallback = {"category": "catalog", "page": "category", "product": "category",
                    "result": "search", "add": "product", "summary": "cart",
                    "checkout": "summary"}  # fmt: skip
        for _ in range(4):
            if kind in ("summary", "checkout", "cart") and not self.in_cart:
                kind = "add"
            screen = needs.get(kind)
            if screen is None or getattr(self, screen) is not None:
                return kind
            kind = fallback[kind]
        return "catalog"

    async def step(self) -> str:
        """One step of the mix; returns what was done."""
        kind = self.choose()
        user, rng = self.user, self.rng
        if kind == "catalog":
            self.listing = await self.act(kind, lambda: user.send("/katalog")) or self.listing
        elif kind == "category":
            data = self.button(self.listing, "c:")
            self.expect(kind, data is not None)
            if data is not None:
                self.page = await self.act(kind, lambda: user.click_data(self.listing, data))
        elif kind == "page":
            data = self.button(self.page, "c:", "▶") or self.button(self.page, "c:", "◀")
            if data is None:  # a category of one page
                data = self.button(self.listing, "c:")
                kind = "category"
            if data is not None:
                screen = self.page if kind == "page" else self.listing
                self.page = await self.act(kind, lambda: user.click_data(screen, data))
        elif kind in ("product", "result"):
            screen = self.page if kind == "product" else self.results
            data = self.button(screen, "p:")
            if data is not None:
                self.card = await self.act(kind, lambda: user.click_data(screen, data))
        elif kind == "search":
            query = rng.choice(self.queries)
            self.results = await self.act(kind, lambda: user.send(query))
            if self.results is not None and not self.button(self.results, "p:"):
                self.results = None  # no hit: nothing to open
        elif kind == "add":
            data = self.button(self.card, "k:add:") or self.button(self.card, "k:inc:")
            if data is not None and await self.act(
                kind, lambda: user.click_data(self.card, data), answer=True
            ):
                self.in_cart += 1
            self.card = None if data is None else self.card  # sold out: look elsewhere
        elif kind == "cart":
            self.cart = await self.act(kind, lambda: user.send("/keranjang"))
        elif kind == "summary":
            data = self.button(self.cart, "kv:checkout")
            self.expect(kind, data is not None)
            if data is not None:
                self.summary = await self.act(kind, lambda: user.click_data(self.cart, data))
            self.cart = None
        elif kind == "checkout":
            data = self.button(self.summary, "co:")
            cash = [d for d in self.all_data(self.summary) if d.startswith("co:")
                    and d.endswith(":cash")]  # fmt: skip
            data = cash[0] if cash else data
            self.expect(kind, data is not None)
            if data is not None:
                await self.act(kind, lambda: user.click_data(self.summary, data))
                self.in_cart = 0
            self.summary = None
        elif kind == "kuota":
            await self.act(kind, lambda: user.send("/kuota"))
        elif kind == "pesanan":
            await self.act(kind, lambda: user.send("/pesanan"))
        return kind


async def closed_loop(server: Any, users: int, seconds: float, queries: list[str], *,
                      echo: bool, seed: int, run: int) -> Tally:  # fmt: skip
    """`users` users without think time (fresh accounts each run)."""
    first_id = FIRST_USER_ID + run * 100_000
    simulated = [
        ClosedLoopUser(server, first_id + i, "en" if i % 5 == 0 else "id", seed, queries)
        for i in range(users)
    ]
    start_at = time.perf_counter() + WARMUP_SECONDS
    await asyncio.gather(*(u.run(echo, start_at, start_at + seconds) for u in simulated))
    tally = Tally()
    for u in simulated:
        tally.merge(u.tally)
    return tally


async def open_loop(server: Any, users: list[RushUser], rate: float, seconds: float,
                    seed: int) -> tuple[Tally, Counter]:  # fmt: skip
    """Poisson arrivals at `rate` updates/s, each a step of a random idle user; the first
    WARMUP_SECONDS are not measured."""
    rng = random.Random(seed)
    idle = list(range(len(users)))
    mix: Counter = Counter()
    tasks: set[asyncio.Task] = set()
    start_at = time.perf_counter() + WARMUP_SECONDS
    deadline = start_at + seconds
    for u in users:
        u.tally, u.start_at, u.deadline, u.measuring = Tally(), start_at, deadline, False

    async def step(index: int, measuring: bool) -> None:
        user = users[index]
        user.measuring = measuring
        try:
            kind = await user.step()
            if measuring:
                mix[kind] += 1
        finally:
            user.measuring = False
            idle.append(index)

    arrival = time.perf_counter()
    while True:
        arrival += rng.expovariate(rate)
        if arrival >= deadline:
            break
        await asyncio.sleep(max(0.0, arrival - time.perf_counter()))
        if not idle:
            continue  # every user is waiting for a reply: this arrival cannot happen
        index = idle.pop(rng.randrange(len(idle)))
        task = asyncio.create_task(step(index, arrival >= start_at))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
    if tasks:
        await asyncio.gather(*tasks)
    tally = Tally()
    for u in users:
        tally.merge(u.tally)
    return tally, mix


def _harness_process(conn: Any) -> None:
    """Child process: the fake server and the users; talks to the parent over a pipe."""

    async def main() -> None:
        from sandbox.fakegram import FakeTelegram

        # http webhooks: the worker is on 127.0.0.1, no TLS proxy in between here
        server = FakeTelegram(token=TOKEN, bot_username=BOT_USERNAME, allow_http_webhook=True)
        await server.start()
        loop = asyncio.get_running_loop()
        conn.send(server.base_url)
        rush: list[RushUser] = []
        try:
            while True:
                command = await loop.run_in_executor(None, conn.recv)
                if command is None:
                    break
                conn.send(await harness_command(server, rush, command))
        finally:
            await server.stop()

    logging.basicConfig(level=logging.WARNING)
    asyncio.run(main())


async def harness_command(server: Any, rush: list[RushUser], command: dict[str, Any]) -> dict:
    """Run one measurement; each counts only its own API calls and callback queries."""
    first_request = len(server.requests)
    earlier_queries = set(server.callback_queries)
    first_fetched = server._fetched_update_id  # what the bot has taken so far
    mode = command.pop("mode")
    mix: Counter = Counter()
    if mode == "closed":
        tally = await closed_loop(server, **command)
    else:
        if command.pop("fresh"):  # a new bot process: the users start from their chat list
            rush[:] = [
                RushUser(
                    server,
                    FIRST_ASN_ID + i,
                    "en" if i % 5 == 0 else "id",
                    command["seed"],
                    command["queries"],
                )  # fmt: skip
                for i in range(command["users"])
            ]
        tally, mix = await open_loop(server, rush, command["rate"], command["seconds"],
                                     command["seed"])  # fmt: skip
    await asyncio.sleep(0.5)  # let the last callback answers arrive
    fetched = server._fetched_update_id - first_fetched
    errors = Counter(f"{c.method}: {c.error}" for c in server.requests[first_request:] if not c.ok)
    unanswered = sum(
        1
        for key, query in server.callback_queries.items()
        if key not in earlier_queries and query.answer is None
    )
    return {
        "latencies": tally.latencies,
        "lost": dict(tally.lost),
        "unexpected": dict(tally.unexpected),
        "sent": tally.sent,
        "taken": fetched,
        "mix": dict(mix),
        "api_errors": dict(errors),
        "unanswered": unanswered,
    }


class Harness:
    """The fake server and the users, in a child process."""

    async def start(self) -> str:
        context = mp.get_context("spawn")
        self.conn, child = context.Pipe()
        self.process = context.Process(target=_harness_process, args=(child,), daemon=True)
        self.process.start()
        return str(await asyncio.get_running_loop().run_in_executor(None, self.conn.recv))

    @property
    def pid(self) -> int:
        return int(self.process.pid or 0)

    async def run(self, **command: Any) -> dict[str, Any]:
        self.conn.send(command)
        result: dict[str, Any] = await asyncio.get_running_loop().run_in_executor(
            None, self.conn.recv
        )
        return result

    async def stop(self) -> None:
        self.conn.send(None)
        await asyncio.get_running_loop().run_in_executor(None, self.process.join, 20)


# --- the bots, each in a process of its own ------------------------------------------------------


class PollingDriver:
    """Long polling as `tukulokal run` does (POLLING_OPTIONS); the echo bot with aiogram's
    defaults."""

    name = "polling"

    async def start(self, bot: Any, dp: Any, options: dict[str, Any]) -> None:
        # Updates the previous bot fetched but never confirmed are not this bot's business.
        await bot.delete_webhook(drop_pending_updates=True)
        self.task = asyncio.create_task(dp.start_polling(bot, handle_signals=False, **options))

    async def stop(self, bot: Any, dp: Any) -> None:
        with contextlib.suppress(RuntimeError):
            await dp.stop_polling()
        await asyncio.wait_for(self.task, 30)


class WebhookDriver:
    """A webhook worker as `tukulokal webhook` runs one: the bot's own aiohttp application
    (bot.webhook: the secret checked, bounded concurrency, an answer once handled) on a free
    port, registered with setWebhook; the fake server posts every update to it. The echo bot
    behind aiogram's stock SimpleRequestHandler, registered the same way."""

    name = "webhook"
    secret = "bench-webhook-secret"

    async def start(self, bot: Any, dp: Any, options: dict[str, Any]) -> None:
        from aiogram.webhook.aiohttp_server import SimpleRequestHandler, setup_application
        from aiohttp import web
        from pydantic import SecretStr

        from bot.webhook import webhook_app

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        url = f"http://127.0.0.1:{port}"
        settings = options.get("settings")
        if settings is not None:  # the real bot: its own application registers the webhook
            settings = settings.model_copy(update={
                "webhook_url": url, "webhook_port": port, "webhook_register": True,
                "webhook_secret": SecretStr(self.secret),
            })  # fmt: skip
            app = webhook_app(settings, dp["db"], bot, dp)
        else:
            app = web.Application()
            SimpleRequestHandler(dp, bot, secret_token=self.secret).register(app, path="/hook")

            async def register(bot: Any) -> None:
                await bot.set_webhook(url + "/hook", secret_token=self.secret,
                                      allowed_updates=dp.resolve_used_update_types())  # fmt: skip

            dp.startup.register(register)
            setup_application(app, dp, bot=bot)
        self.runner = web.AppRunner(app, handle_signals=False)
        await self.runner.setup()
        await web.TCPSite(self.runner, "127.0.0.1", port).start()

    async def stop(self, bot: Any, dp: Any) -> None:
        await self.runner.cleanup()  # lets the updates in hand finish, then the shutdown


# How updates reach the bot.
DRIVERS: dict[str, type[PollingDriver] | type[WebhookDriver]] = {
    "polling": PollingDriver,
    "webhook": WebhookDriver,
}


class ErrorCounter(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)
        self.count = 0
        self.first: str | None = None

    def emit(self, record: logging.LogRecord) -> None:
        self.count += 1
        if self.first is None:
            self.first = self.format(record)


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
        if callback.message is not None:
            await callback.message.edit_text(f"{callback.data} #{next(edits)}")  # type: ignore[union-attr]
        await callback.answer()

    return bot, dp


def rss_mb() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def _bot_process(conn: Any, api_url: str, database_url: str | None, driver: str,
                 profile: str | None) -> None:  # fmt: skip
    """Child process: one bot (the echo bot when database_url is None) until told to stop."""

    async def main() -> None:
        from bot.factory import POLLING_OPTIONS, create_bot, create_dispatcher
        from bot.settings import Settings
        from models.db import Database

        if database_url is None:
            bot, dp = echo_bot(api_url)
            options: dict[str, Any] = {}
        else:
            settings = Settings(_env_file=None, bot_token=TOKEN, database_url=database_url,
                                telegram_api_url=api_url, redis_url=None)  # fmt: skip
            bot = create_bot(settings)
            dp = create_dispatcher(settings, Database(database_url))
            options = (
                {**POLLING_OPTIONS, "settings": settings}
                if driver == "webhook"
                else POLLING_OPTIONS
            )
        errors = ErrorCounter()
        logging.getLogger().addHandler(errors)
        started = asyncio.Event()
        dp.startup.register(started.set)
        runner = DRIVERS[driver]()
        await runner.start(bot, dp, options)
        await asyncio.wait_for(started.wait(), 60)
        loop = asyncio.get_running_loop()
        spy = None
        if profile:  # py-spy on this process, from now until it stops (collapsed stacks)
            spy = subprocess.Popen([str(Path(sys.executable).with_name("py-spy")), "record",
                                    "--pid", str(os.getpid()), "--rate", "250", "--format",
                                    "raw", "--nonblocking", "--output", profile])  # fmt: skip
            await asyncio.sleep(1.0)
        conn.send("ready")
        await loop.run_in_executor(None, conn.recv)  # "stop"
        if spy is not None:
            spy.send_signal(2)
            await loop.run_in_executor(None, spy.wait)
        await runner.stop(bot, dp)
        await bot.session.close()
        conn.send({"errors": errors.count, "first_error": errors.first, "rss": rss_mb()})

    logging.basicConfig(level=logging.WARNING)
    asyncio.run(main())


class BotProcess:
    def __init__(self, api_url: str, database_url: str | None, driver: str,
                 profile: str | None = None) -> None:  # fmt: skip
        context = mp.get_context("spawn")
        self.conn, child = context.Pipe()
        self.process = context.Process(
            target=_bot_process, args=(child, api_url, database_url, driver, profile),
            daemon=True,
        )  # fmt: skip

    async def start(self) -> None:
        self.process.start()
        await asyncio.get_running_loop().run_in_executor(None, self.conn.recv)

    @property
    def pid(self) -> int:
        return int(self.process.pid or 0)

    async def stop(self) -> dict[str, Any]:
        loop = asyncio.get_running_loop()
        self.conn.send("stop")
        result: dict[str, Any] = await loop.run_in_executor(None, self.conn.recv)
        await loop.run_in_executor(None, self.process.join, 30)
        return result


async def measure(harness: Harness, bot: BotProcess, pg: Postgres | None,
                  **command: Any) -> dict[str, Any]:  # fmt: skip
    """One harness command, with the CPU each process used meanwhile."""
    before = CpuMark.take(bot.pid, harness.pid, pg)
    result = await harness.run(**command)
    result["cpu"] = CpuMark.take(bot.pid, harness.pid, pg).since(before)
    return result


# --- figures -------------------------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


def figures(result: dict[str, Any], seconds: float) -> dict[str, float]:
    """The figures of one measurement (latencies in ms, CPU in ms per update)."""
    every = [v for values in result["latencies"].values() for v in values]
    # Per update the bot took from the server meanwhile (on an overloaded machine fewer than
    # were sent: the rest waits, or was taken before the measurement).
    cpu, sent = result["cpu"], max(1, result["taken"] or result["sent"])
    not_modified = sum(n for e, n in result["api_errors"].items() if "not modified" in e)
    writes = sum(n for k, n in result["mix"].items() if k in WRITES)
    return {
        "rate": len(every) / seconds,
        "p50": percentile(every, 0.50) * 1000,
        "p95": percentile(every, 0.95) * 1000,
        "p99": percentile(every, 0.99) * 1000,
        "lost": float(sum(result["lost"].values())),
        "bot_ms": cpu["bot"] * 1000 / sent,
        "pg_ms": cpu["pg"] * 1000 / sent,
        "other": cpu["other"] / cpu["wall"],
        "writes": writes / max(1, sum(result["mix"].values())),
        "problems": float(len(problems(result, not_modified))),
    }


def problems(result: dict[str, Any], not_modified: int = 0) -> list[str]:
    found = []
    errors = sum(result["api_errors"].values()) - not_modified
    if errors:
        found.append(f"{errors} failed API calls {result['api_errors']}")
    if result["unanswered"]:
        found.append(f"{result['unanswered']} callback queries never answered")
    if result.get("bot_errors"):
        found.append(f"{result['bot_errors']} errors logged: {result['bot_first_error']}")
    if result["unexpected"]:
        found.append(f"unexpected replies {result['unexpected']}")
    return found


def median_of(runs: list[dict[str, float]]) -> dict[str, float]:
    return {key: statistics.median(r[key] for r in runs) for key in runs[0]}


def print_capacity(label: str, f: dict[str, float], echo: dict[str, float] | None) -> None:
    wall = f["rate"] / echo["rate"] if echo else float("nan")
    cpu = echo["bot_ms"] / f["bot_ms"] if echo else float("nan")
    print(
        f"{label:<12}{f['rate']:>10.0f}{f['p50']:>8.0f}{f['p99']:>8.0f}{f['lost']:>6.0f}"
        f"{f['bot_ms']:>10.2f}{f['pg_ms']:>9.2f}{wall:>9.0%}{cpu:>9.0%}{f['other']:>8.2f}"
    )


CAPACITY_HEADER = (
    f"{'':<12}{'replies/s':>10}{'p50 ms':>8}{'p99 ms':>8}{'lost':>6}{'bot ms/u':>10}"
    f"{'PG ms/u':>9}{'wall %':>9}{'CPU %':>9}{'other':>8}"
)
RUSH_HEADER = (
    f"{'':<12}{'rate/s':>7}{'got/s':>7}{'writes':>8}{'p50 ms':>8}{'p95 ms':>8}{'p99 ms':>8}"
    f"{'lost':>6}{'bot ms/u':>10}{'PG ms/u':>9}{'other':>8}"
)


def print_rush(label: str, rate: float, f: dict[str, float]) -> None:
    print(
        f"{label:<12}{rate:>7.0f}{f['rate']:>7.1f}{f['writes']:>8.0%}{f['p50']:>8.1f}"
        f"{f['p95']:>8.1f}{f['p99']:>8.1f}{f['lost']:>6.0f}{f['bot_ms']:>10.2f}"
        f"{f['pg_ms']:>9.2f}{f['other']:>8.2f}"
    )


# --- main ----------------------------------------------------------------------------------------


async def run_backend(label: str, url: str, harness: Harness, api_url: str, pg: Postgres | None,
                      args: argparse.Namespace, queries: list[str], repeat: int
                      ) -> dict[str, Any]:  # fmt: skip
    """One bot process: capacity, then the rush hour at each rate; figures per measurement."""
    profile = f"{args.profile}.{label}.{repeat + 1}.txt" if args.profile else None
    bot = BotProcess(api_url, url, args.driver, profile)
    await bot.start()
    out: dict[str, Any] = {"rush": {}}
    results = []
    try:
        result = await measure(harness, bot, pg, mode="closed", users=args.users,
                               seconds=args.seconds, queries=queries, echo=False,
                               seed=args.seed + repeat, run=repeat * 3 + 1)  # fmt: skip
        results.append(result)
        out["capacity"] = figures(result, args.seconds)
        for i, rate in enumerate([] if args.skip_rush else args.rates):
            result = await measure(harness, bot, pg, mode="open", users=args.rush_users,
                                   rate=rate, seconds=args.rush_seconds, queries=queries,
                                   seed=args.seed + repeat * 10 + i, fresh=i == 0)  # fmt: skip
            results.append(result)
            out["rush"][rate] = figures(result, args.rush_seconds)
    finally:
        final = await bot.stop()
    out["rss"] = final["rss"]
    results[-1]["bot_errors"] = final["errors"]
    results[-1]["bot_first_error"] = final["first_error"]
    out["problems"] = [p for r in results for p in problems(r)]
    print_capacity(f"{label} #{repeat + 1}", out["capacity"], None)
    for rate, f in out["rush"].items():
        print_rush(f"{label} #{repeat + 1}", rate, f)
    for problem in out["problems"]:
        print(f"  ! {label}: {problem}")
    return out


async def run_echo(harness: Harness, api_url: str, args: argparse.Namespace,
                   queries: list[str], repeat: int) -> dict[str, float]:  # fmt: skip
    bot = BotProcess(api_url, None, "polling")
    await bot.start()
    try:
        result = await measure(harness, bot, None, mode="closed", users=args.users,
                               seconds=args.seconds, queries=queries, echo=True,
                               seed=args.seed + repeat, run=repeat * 3)  # fmt: skip
    finally:
        await bot.stop()
    f = figures(result, args.seconds)
    print_capacity(f"echo #{repeat + 1}", f, None)
    return f


def verdict(label: str, runs: list[dict[str, Any]], echo: dict[str, float], rates: list[float]
            ) -> list[str]:  # fmt: skip
    """The medians of a backend against the targets; returns what misses."""
    misses = []
    capacity = median_of([r["capacity"] for r in runs])
    ratio = echo["bot_ms"] / capacity["bot_ms"]
    if not ratio >= TARGET_RATIO[label]:
        misses.append(f"capacity {ratio:.0%} of the echo bot (CPU), target "
                      f"{TARGET_RATIO[label]:.0%}")  # fmt: skip
    for rate in rates:
        if rate > TARGET_RUSH_RATE:
            continue
        f = median_of([r["rush"][rate] for r in runs])
        if f["p50"] > TARGET_P50_MS:
            misses.append(f"{rate:.0f}/s: p50 {f['p50']:.0f} ms, target {TARGET_P50_MS:.0f}")
        if not f["p99"] <= TARGET_P99_MS:
            misses.append(f"{rate:.0f}/s: p99 {f['p99']:.0f} ms, target {TARGET_P99_MS:.0f}")
        if f["lost"]:
            misses.append(f"{rate:.0f}/s: {f['lost']:.0f} replies lost")
    rss = statistics.median(r["rss"] for r in runs)
    if rss > TARGET_RSS_MB:
        misses.append(f"RSS {rss:.0f} MB, target {TARGET_RSS_MB:.0f}")
    if any(r["problems"] for r in runs):
        misses.append("problems in a run (above)")
    return misses


def report(backends: dict[str, list[dict[str, Any]]], echoes: list[dict[str, float]],
           args: argparse.Namespace) -> bool:  # fmt: skip
    """The table of medians and the verdict; True when every target is met."""
    echo = median_of(echoes)
    print(f"\nCapacity: {args.users} users, closed loop, {args.seconds:.0f} s, driver "
          f"{args.driver}; medians of {len(echoes)} runs")  # fmt: skip
    print(CAPACITY_HEADER)
    print("-" * len(CAPACITY_HEADER))
    print_capacity("echo bot", echo, echo)
    for label, runs in backends.items():
        print_capacity(label, median_of([r["capacity"] for r in runs]), echo)
    print("(ms/u: CPU milliseconds per update, warm-up included; wall %: replies/s against the "
          "echo bot's; CPU %: the echo bot's ms/u against the bot's; other: cores used by the "
          f"rest of the machine, of {os.cpu_count()})")  # fmt: skip
    if not args.skip_rush:
        print(f"\nRush hour: {args.rush_users} registered ASN, open loop (Poisson arrivals), "
              f"{args.rush_seconds:.0f} s per rate; medians")  # fmt: skip
        print(RUSH_HEADER)
        print("-" * len(RUSH_HEADER))
        for label, runs in backends.items():
            for rate in args.rates:
                print_rush(label, rate, median_of([r["rush"][rate] for r in runs]))
    print("\nMemory: RSS of the bot process after its run: " + ", ".join(
        f"{label} {statistics.median(r['rss'] for r in runs):.0f} MB"
        for label, runs in backends.items()
    ))  # fmt: skip
    print("\nTargets")
    ok = True
    for label, runs in backends.items():
        misses = verdict(label, runs, echo, [] if args.skip_rush else args.rates)
        met = "every target met" if not misses else "MISSES " + "; ".join(misses)
        print(f"  {label}: {met}")
        ok = ok and not misses
    return ok


async def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--rush-users", type=int, default=1000)
    parser.add_argument("--rush-seconds", type=float, default=20.0)
    parser.add_argument("--rates", default="20,50,80")
    parser.add_argument("--products", type=int, default=20_000)
    parser.add_argument("--merchants", type=int, default=300)
    parser.add_argument("--seed", type=int, default=2022)
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument("--skip-rush", action="store_true")
    parser.add_argument("--driver", choices=sorted(DRIVERS), default="polling")
    parser.add_argument(
        "--profile",
        metavar="PREFIX",
        help="py-spy the bots: PREFIX.<backend>.<repeat>.txt, collapsed stacks",
    )
    parser.add_argument(
        "--pg-url",
        default=os.environ.get("TUKULOKAL_BENCH_PG_URL"),
        help="an existing server's admin database instead of a private server",
    )
    args = parser.parse_args()
    args.rates = [float(r) for r in args.rates.split(",") if r]
    logging.basicConfig(level=logging.WARNING)
    queries = make_queries(random.Random(args.seed + 1), 500)
    print(f"machine: {os.cpu_count()} cores, {_cpu_model()}; Python {sys.version.split()[0]}")

    harness = Harness()
    api_url = await harness.start()
    pg = None if args.skip_postgres else Postgres(args.pg_url)
    databases: dict[str, str] = {}
    with tempfile.TemporaryDirectory(prefix="tukulokal-bench-") as tmp:
        try:
            if not args.skip_sqlite:
                databases["SQLite"] = f"sqlite+aiosqlite:///{tmp}/bench.db"
            if pg is not None:
                pg.start()
                await pg.admin(f'DROP DATABASE IF EXISTS "{PG_DATABASE}" WITH (FORCE)')
                await pg.admin(f'CREATE DATABASE "{PG_DATABASE}"')
                databases["PostgreSQL"] = pg.url
            for label, url in databases.items():
                products, took = await populate(url, args)
                print(f"{label}: {products} products, {args.rush_users} ASN, loaded and indexed "
                      f"in {took:.1f} s")  # fmt: skip
            print(CAPACITY_HEADER + "   (each run)")
            echoes: list[dict[str, float]] = []
            backends: dict[str, list[dict[str, Any]]] = {label: [] for label in databases}
            for repeat in range(args.repeats):
                echoes.append(await run_echo(harness, api_url, args, queries, repeat))
                for label, url in databases.items():
                    uses_pg = pg if label == "PostgreSQL" else None
                    backends[label].append(await run_backend(
                        label, url, harness, api_url, uses_pg, args, queries, repeat
                    ))  # fmt: skip
        finally:
            await harness.stop()
            if pg is not None:
                with contextlib.suppress(Exception):
                    await pg.admin(f'DROP DATABASE IF EXISTS "{PG_DATABASE}" WITH (FORCE)')
                pg.stop()
    return 0 if report(backends, echoes, args) else 1


def _cpu_model() -> str:
    with contextlib.suppress(OSError), open("/proc/cpuinfo") as fh:
        for line in fh:
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return "unknown CPU"


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
