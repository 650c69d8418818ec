"""Benchmark of services.search on SQLite and PostgreSQL.

Generates 20,000 realistic products (Indonesian product words x variants x 400 merchants in the
five kecamatan) into a fresh SQLite file and a fresh PostgreSQL database
(`tukulokal_bench_search`, dropped at the end), indexes them, then times ~500 varied queries
(exact words, multi-term, typos, prefixes, spelling variants, English, merchants, kecamatan,
no-hit, hostile input) and prints p50/p95/max latency per backend. Beside the latency it
reports the relevance of the results on the relevance set in tests/search_relevance.py (the
demo catalog, in a database of its own): precision@5 and recall per query and on average.

Run from the repository root: .venv/bin/python bench/search.py [--products N] [--queries N]
Environment: TUKULOKAL_BENCH_PG_URL (default postgresql+asyncpg://postgres@127.0.0.1:5432/postgres,
the server's admin database; the benchmark database is created next to it).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import event, insert, text
from sqlmodel import select

from models import Category, Merchant, Product
from models.db import Database
from models.migrate import upgrade
from services.categories import ensure_categories
from services.demo import seed_demo
from services.search import search_products, sync_search_index
from tests.search_relevance import evaluate

PG_ADMIN_URL = os.environ.get(
    "TUKULOKAL_BENCH_PG_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
)
PG_DATABASE = "tukulokal_bench_search"
PG_RELEVANCE = "tukulokal_bench_relevance"
TARGET_P95_MS = 20.0

KECAMATAN = {
    "Blimbing": ["Purwantoro", "Polowijen", "Arjosari", "Pandanwangi", "Bunulrejo"],
    "Klojen": ["Kauman", "Samaan", "Oro-oro Dowo", "Kidul Dalem", "Penanggungan"],
    "Kedungkandang": ["Buring", "Lesanpuro", "Sawojajar", "Madyopuro", "Cemorokandang"],
    "Lowokwaru": ["Tlogomas", "Dinoyo", "Merjosari", "Tunggulwulung", "Jatimulyo"],
    "Sukun": ["Bandungrejosari", "Ciptomulyo", "Gadang", "Kebonsari", "Tanjungrejo"],
}
SHOP_KINDS = ["UD", "CV", "Toko", "Warung", "Dapur", "Griya", "Rumah", "Sentra", "Kedai", "Omah"]
OWNERS = [
    "Bu Tin",
    "Pak Slamet",
    "Mbak Sari",
    "Bu Rudy",
    "Pak Harto",
    "Cak Man",
    "Ning Ayu",
    "Bu Yanti",
    "Pak Joko",
    "Mas Bayu",
    "Bu Endang",
    "Pak Darmo",
    "Mbak Rina",
    "Bu Siti",
    "Pak Agus",
    "Cak Ipul",
    "Bu Lilik",
    "Pak Bambang",
    "Mbak Dewi",
    "Bu Ratna",
]
PLACES = [
    "Sanan",
    "Dinoyo",
    "Tlogomas",
    "Kampung Biru",
    "Celaket",
    "Kayutangan",
    "Dampit",
    "Tumpang",
    "Singosari",
    "Arjosari",
    "Jodipan",
    "Sawojajar",
    "Soekarno Hatta",
]

# category slug -> (base words with English, variant words with English)
KULINER_BASES = {
    "Keripik": "Chips",
    "Kerupuk": "Crackers",
    "Sambal": "Chili Sauce",
    "Kopi": "Coffee",
    "Teh": "Tea",
    "Madu": "Honey",
    "Kue": "Cake",
    "Roti": "Bread",
    "Bakpia": "Bakpia",
    "Brownies": "Brownies",
    "Dodol": "Dodol",
    "Jenang": "Jenang",
    "Sari": "Juice",
    "Susu": "Milk",
    "Bakso": "Meatballs",
    "Pecel": "Pecel",
    "Abon": "Floss",
    "Tempe": "Tempeh",
    "Tahu": "Tofu",
    "Sosis": "Sausage",
    "Rendang": "Rendang",
    "Selai": "Jam",
    "Sirup": "Syrup",
    "Cookies": "Cookies",
    "Permen": "Candy",
}
KULINER_VARIANTS = {
    "Tempe": "Tempeh",
    "Singkong": "Cassava",
    "Pisang": "Banana",
    "Apel": "Apple",
    "Kentang": "Potato",
    "Talas": "Taro",
    "Bawang": "Garlic",
    "Terasi": "Shrimp Paste",
    "Cumi": "Squid",
    "Udang": "Shrimp",
    "Ikan": "Fish",
    "Ayam": "Chicken",
    "Sapi": "Beef",
    "Coklat": "Chocolate",
    "Keju": "Cheese",
    "Pandan": "Pandan",
    "Durian": "Durian",
    "Nangka": "Jackfruit",
    "Salak": "Snakefruit",
    "Jeruk": "Orange",
    "Robusta": "Robusta",
    "Arabika": "Arabica",
    "Dampit": "Dampit",
    "Pedas": "Spicy",
    "Manis": "Sweet",
    "Balado": "Balado",
    "Original": "Original",
    "Kacang": "Peanut",
    "Jahe": "Ginger",
    "Rosela": "Roselle",
    "Kelengkeng": "Longan",
    "Stroberi": "Strawberry",
}
FESYEN_BASES = {
    "Batik Tulis": "Hand-drawn Batik",
    "Batik Cap": "Stamped Batik",
    "Kemeja Batik": "Batik Shirt",
    "Kaos": "T-shirt",
    "Jilbab": "Hijab",
    "Kerudung": "Headscarf",
    "Selendang": "Shawl",
    "Sarung": "Sarong",
    "Dompet": "Wallet",
    "Tas": "Bag",
    "Sepatu": "Shoes",
    "Sandal": "Sandals",
    "Blus": "Blouse",
    "Rok": "Skirt",
    "Outer": "Outer",
}
FESYEN_VARIANTS = {
    "Malangan": "Malangan",
    "Kawung": "Kawung",
    "Parang": "Parang",
    "Topeng": "Mask",
    "Singo Edan": "Singo Edan",
    "Teratai": "Lotus",
    "Jumputan": "Tie-dye",
    "Sutra": "Silk",
    "Katun": "Cotton",
    "Kulit": "Leather",
    "Tenun": "Woven",
    "Pria": "Men's",
    "Wanita": "Women's",
    "Anak": "Kids'",
}
KRIYA_BASES = {
    "Gerabah": "Pottery",
    "Anyaman": "Weaving",
    "Topeng": "Mask",
    "Ukiran": "Carving",
    "Lukisan": "Painting",
    "Miniatur": "Miniature",
    "Gantungan Kunci": "Keychain",
    "Vas": "Vase",
    "Keranjang": "Basket",
    "Tikar": "Mat",
    "Lampu Hias": "Decorative Lamp",
    "Wayang": "Puppet",
}
KRIYA_VARIANTS = {
    "Bambu": "Bamboo",
    "Rotan": "Rattan",
    "Pandan": "Pandan",
    "Kayu Jati": "Teak",
    "Tanah Liat": "Clay",
    "Kulit": "Leather",
    "Eceng Gondok": "Water Hyacinth",
    "Malangan": "Malangan",
    "Batik": "Batik",
    "Tembaga": "Copper",
}
SIZES = [
    "",
    "",
    "",
    "Mini",
    "Jumbo",
    "Premium",
    "Spesial",
    "100gr",
    "250gr",
    "500gr",
    "1kg",
    "Isi 10",
    "Paket Hemat",
    "Super",
    "Khas Malang",
    "Edisi Lebaran",
]
PHRASES = [
    "Produk UMKM asli Kota Malang.",
    "Dibuat setiap hari tanpa pengawet.",
    "Cocok untuk oleh-oleh keluarga.",
    "Buatan tangan pengrajin lokal.",
    "Kualitas ekspor dengan harga terjangkau.",
    "Tahan lama dan dikemas rapi.",
    "Bahan pilihan dari petani sekitar.",
    "Bisa pesan partai besar untuk acara kantor.",
]
LINES = {
    "kuliner": (KULINER_BASES, KULINER_VARIANTS, ["bungkus", "botol", "toples", "kotak"]),
    "fesyen": (FESYEN_BASES, FESYEN_VARIANTS, ["lembar", "pcs", "pasang"]),
    "kriya": (KRIYA_BASES, KRIYA_VARIANTS, ["pcs", "set", "buah"]),
}


def make_merchants(rng: random.Random, count: int) -> list[dict]:
    merchants = []
    for i in range(count):
        kecamatan = rng.choice(list(KECAMATAN))
        name = f"{rng.choice(SHOP_KINDS)} {rng.choice(OWNERS)} {rng.choice(PLACES)}"
        status = "suspended" if rng.random() < 0.03 else "active"
        merchants.append(
            {
                "code": f"B{i:05d}",
                "name": name,
                "nib": f"{rng.randrange(10**12, 10**13)}",
                "kecamatan": kecamatan,
                "kelurahan": rng.choice(KECAMATAN[kecamatan]),
                "address": f"Jl. {rng.choice(PLACES)} {rng.randint(1, 200)}",
                "phone": f"+62812{i:07d}",
                "is_open": rng.random() > 0.05,
                "status": status,
            }
        )
    return merchants


def make_products(
    rng: random.Random, merchant_ids: list[int], categories: dict[str, int], count: int
) -> list[dict]:
    products: list[dict] = []
    per_merchant = count // len(merchant_ids)
    for merchant_id in merchant_ids:
        line = rng.choice(list(LINES))
        bases, variants, units = LINES[line]
        seen: set[str] = set()
        while len(seen) < per_merchant:
            base = rng.choice(list(bases))
            variant = rng.choice(list(variants))
            size = rng.choice(SIZES)
            name = " ".join(p for p in (base, variant, size) if p)
            if name in seen:
                name = f"{name} {len(seen)}"
            seen.add(name)
            english = rng.random() < 0.4
            slug = line
            if line == "kriya" and base in ("Topeng", "Wayang"):
                slug = "budaya"
            products.append(
                {
                    "merchant_id": merchant_id,
                    "category_id": categories[slug],
                    "name": name,
                    "name_en": f"{variants[variant]} {bases[base]}" if english else None,
                    "description": (
                        f"{base} {variant.lower()} {size.lower()}. "
                        + " ".join(rng.sample(PHRASES, 2))
                    ),
                    "description_en": None,
                    "price": rng.randrange(5, 500) * 1000,
                    "stock": 0 if rng.random() < 0.1 else rng.randint(1, 100),
                    "unit": rng.choice(units),
                    "is_active": rng.random() > 0.03,
                }
            )
    return products


def typo(rng: random.Random, word: str) -> str:
    i = rng.randrange(1, len(word) - 1)
    kind = rng.choice(["drop", "swap", "replace", "double"])
    if kind == "drop":
        return word[:i] + word[i + 1 :]
    if kind == "swap":
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    if kind == "replace":
        return word[:i] + rng.choice("aiueokrstnm") + word[i + 1 :]
    return word[:i] + word[i] + word[i:]


def make_queries(rng: random.Random, products: list[dict], merchants: list[dict], count: int):
    names = [p["name"] for p in products]
    long_words = sorted(
        {w.lower() for n in names for w in n.split() if len(w) >= 5 and w.isalpha()}
    )
    queries: list[tuple[str, str]] = []

    def add(kind: str, query: str) -> None:
        queries.append((kind, query))

    for _ in range(count * 25 // 100):
        add("exact", rng.choice(rng.choice(names).split()).lower())
    for _ in range(count * 20 // 100):
        words = rng.choice(names).split()
        add("multi", " ".join(rng.sample(words, min(len(words), rng.choice([2, 2, 3])))))
    for _ in range(count * 15 // 100):
        add("typo", typo(rng, rng.choice(long_words)))
    for _ in range(count * 10 // 100):
        word = rng.choice(long_words)
        add("prefix", word[: rng.randint(4, max(4, len(word) - 1))])
    variants = [
        "kripik",
        "sambel",
        "krupuk",
        "tempeh",
        "kopi dampit",
        "batik malang",
        "kripik tempe",
        "sambel bawang",
        "coklat",
        "cabe",
        "jilbab",
        "kerudung",
    ]
    for _ in range(count * 8 // 100):
        add("variant", rng.choice(variants))
    english = sorted({w for d in LINES.values() for w in (*d[0].values(), *d[1].values())})
    for _ in range(count * 7 // 100):
        add("english", rng.choice(english).lower())
    for _ in range(count * 5 // 100):
        add("merchant", rng.choice(merchants)["name"])
    for _ in range(count * 2 // 100):
        add("kecamatan", rng.choice(list(KECAMATAN)))
    for _ in range(count * 6 // 100):
        add(
            "nohit", "".join(rng.choice("bcdfghjklmnpqrstvwxz") for _ in range(rng.randint(5, 12)))
        )
    hostile = [
        '"kopi',
        "NEAR(kopi teh)",
        "'; DROP TABLE products; --",
        "*",
        "🔥🌶️",
        "k" * 10_000,
        "kopi AND OR NOT teh",
        "",
    ]
    while len(queries) < count:
        add("hostile", hostile[len(queries) % len(hostile)])
    rng.shuffle(queries)
    return queries


async def populate(database: Database, seed: int, products_count: int) -> tuple[list, list]:
    rng = random.Random(seed)
    async with database.session() as session:
        await ensure_categories(session)
        categories = {c.slug: c.id for c in (await session.exec(select(Category))).all()}
        merchants = make_merchants(rng, max(1, products_count // 50))
        await session.exec(insert(Merchant), params=merchants)
        await session.commit()
        merchant_ids = list((await session.exec(select(Merchant.id).order_by(Merchant.id))).all())
        products = make_products(rng, merchant_ids, categories, products_count)
        for start in range(0, len(products), 5000):
            await session.exec(insert(Product), params=products[start : start + 5000])
        await session.commit()
    return merchants, products


class SqlClock:
    """Statements run and the time from sending each to its result (SQLAlchemy's cursor
    events)."""

    def __init__(self, database: Database) -> None:
        self.engine = database.engine.sync_engine
        self.count, self.seconds, self._started = 0, 0.0, 0.0
        event.listen(self.engine, "before_cursor_execute", self._before)
        event.listen(self.engine, "after_cursor_execute", self._after)

    def _before(self, *_args: object) -> None:
        self._started = time.perf_counter()

    def _after(self, *_args: object) -> None:
        self.count += 1
        self.seconds += time.perf_counter() - self._started

    def stop(self) -> None:
        event.remove(self.engine, "before_cursor_execute", self._before)
        event.remove(self.engine, "after_cursor_execute", self._after)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


async def run_backend(label: str, url: str, args: argparse.Namespace) -> dict:
    database = Database(url)
    try:
        await upgrade(database.engine)
        t0 = time.perf_counter()
        merchants, products = await populate(database, args.seed, args.products)
        t1 = time.perf_counter()
        async with database.session() as session:
            indexed = await sync_search_index(session)
        t2 = time.perf_counter()
        # Steady state, as autovacuum would leave PostgreSQL a minute after a bulk import:
        # planner statistics (without them it guesses join orders), visibility map, and no
        # vacuum competing with the measured queries for the CPU.
        async with database.engine.connect() as conn:
            conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(text("ANALYZE" if database.is_sqlite else "VACUUM ANALYZE"))
        queries = make_queries(random.Random(args.seed + 1), products, merchants, args.queries)
        for _, query in queries[:20]:  # warm-up: connection pool, vocabulary, statement caches
            async with database.session() as session:
                await search_products(session, query)
        timings: list[float] = []
        by_kind: dict[str, list[float]] = {}
        hits = Counter()
        sql = SqlClock(database)
        cpu_ms = 0.0
        for i, (kind, query) in enumerate(queries):
            page = 1 if i % 10 == 9 else 0
            start, cpu = time.perf_counter(), time.process_time()
            async with database.session() as session:
                result = await search_products(session, query, page=page)
            elapsed = (time.perf_counter() - start) * 1000
            cpu_ms += (time.process_time() - cpu) * 1000
            timings.append(elapsed)
            by_kind.setdefault(kind, []).append(elapsed)
            hits[kind] += bool(result.total)
        sql.stop()
        stats = {
            "label": label,
            "insert_s": t1 - t0,
            "index_s": t2 - t1,
            "indexed": indexed,
            "p50": statistics.median(timings),
            "p95": percentile(timings, 0.95),
            "max": max(timings),
            "queries": len(timings),
            # where a query's time goes, on average: statements (driver to database and back),
            # this process's CPU (Python: parsing, ranking, SQLAlchemy, the driver)
            "total_ms": statistics.mean(timings),
            "sql_ms": sql.seconds * 1000 / len(timings),
            "statements": sql.count / len(timings),
            "cpu_ms": cpu_ms / len(timings),
            "kinds": {
                k: (len(v), hits[k], statistics.median(v), percentile(v, 0.95), max(v))
                for k, v in sorted(by_kind.items())
            },
        }
        return stats
    finally:
        await database.dispose()


async def relevance(label: str, url: str) -> None:
    database = Database(url)
    try:
        await upgrade(database.engine)
        async with database.session() as session:
            await seed_demo(session)
            await sync_search_index(session)
            outcomes = await evaluate(session)
    finally:
        await database.dispose()
    print(f"\n{label}: relevance on the demo catalog, {len(outcomes)} queries")
    print("  query                 P@5  recall  results")
    for o in outcomes:
        flag = "  " + "; ".join(o.problems) if o.problems else ""
        figures = f"{o.precision_at_5:5.2f}  {o.recall:6.2f}  {len(o.shown):>7}"
        print(f"  {o.case.query:<20} {figures}{flag}")
    p5 = statistics.mean(o.precision_at_5 for o in outcomes)
    recall = statistics.mean(o.recall for o in outcomes)
    print(f"  mean precision@5 {p5:.2f}  mean recall {recall:.2f}")


async def pg_admin(statement: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(PG_ADMIN_URL.replace("postgresql+asyncpg", "postgresql"))
    try:
        await conn.execute(statement)
    finally:
        await conn.close()


def report(stats: dict) -> None:
    print(
        f"\n{stats['label']}: {stats['indexed']} products indexed "
        f"(insert {stats['insert_s']:.1f} s, index {stats['index_s']:.1f} s), "
        f"{stats['queries']} queries"
    )
    print(
        f"  latency ms  p50 {stats['p50']:6.2f}  p95 {stats['p95']:6.2f}  max {stats['max']:6.2f}"
    )
    print(
        f"  mean {stats['total_ms']:.2f} ms a query: {stats['statements']:.1f} statements "
        f"taking {stats['sql_ms']:.2f} ms from sending to the last row; this process's CPU "
        f"{stats['cpu_ms']:.2f} ms (Python, SQLAlchemy, driver; SQLite's work included)"
    )
    verdict = "OK" if stats["p95"] <= TARGET_P95_MS else "ABOVE TARGET"
    print(f"  target p95 <= {TARGET_P95_MS:.0f} ms: {verdict}")
    print("  by kind     n  with hits    p50    p95    max")
    for kind, (n, with_hits, p50, p95, top) in stats["kinds"].items():
        print(f"  {kind:<9} {n:>3}  {with_hits:>9}  {p50:5.2f}  {p95:5.2f}  {top:5.2f}")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--products", type=int, default=20_000)
    parser.add_argument("--queries", type=int, default=500)
    parser.add_argument("--seed", type=int, default=2022)
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument("--skip-sqlite", action="store_true")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="tukulokal-bench-") as tmp:
        if not args.skip_sqlite:
            report(await run_backend("SQLite", f"sqlite+aiosqlite:///{tmp}/bench.db", args))
            await relevance("SQLite", f"sqlite+aiosqlite:///{tmp}/relevance.db")
    if args.skip_postgres:
        return
    base, _, _ = PG_ADMIN_URL.rpartition("/")
    for name in (PG_DATABASE, PG_RELEVANCE):
        await pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await pg_admin(f'CREATE DATABASE "{name}"')
    try:
        report(await run_backend("PostgreSQL", f"{base}/{PG_DATABASE}", args))
        await relevance("PostgreSQL", f"{base}/{PG_RELEVANCE}")
    finally:
        for name in (PG_DATABASE, PG_RELEVANCE):
            await pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    asyncio.run(main())
