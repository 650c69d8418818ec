"""Benchmark of the monthly report (/laporan) on SQLite and PostgreSQL.

Builds a city of 7,000 ASN in 40 OPDs (90% registered, 50 exempt), 300 merchants with 10
products each and 200,000 orders (1-3 lines each) spread over the last months (default 6; the
reported month is the last and still open, the one before it is closed), into a fresh SQLite
file and a fresh PostgreSQL database (`tukulokal_bench_report`, dropped at the end). Then
times, for the whole city (an administrator):

- summary: build_report (every aggregate in SQL) + the summary message;
- chart: the PNG (matplotlib, 1080 px wide);
- workbook: build_report with every ASN, merchant and order row + the XLSX (XlsxWriter);

and the monthly closing of the previous month. Each figure is the median of --runs runs
(the first, cold run is shown too), with the workbook's two parts (the report with every row,
the XLSX). Target: each of the three <= 1.5 s and the three together <= 3 s on each backend;
the exit status is 0 only when both backends meet it.

Run from the repository root: .venv/bin/python bench/report.py [--months N] [--orders N]
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
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import insert, text
from sqlmodel import func, select

from models import (
    Category,
    Merchant,
    Order,
    OrderItem,
    Product,
    QuotaExemption,
    QuotaRule,
    RosterEntry,
    User,
)
from models.db import Database
from models.migrate import upgrade
from services.admins import Role
from services.categories import ensure_categories
from services.compliance import close_month
from services.quota import QuotaPolicy, month_bounds, next_month
from services.reports import build_report
from views.i18n import get_i18n
from views.reports import chart_pngs, summary_text, workbook_xlsx

PG_ADMIN_URL = os.environ.get(
    "TUKULOKAL_BENCH_PG_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
)
PG_DATABASE = "tukulokal_bench_report"
TARGET_S = 1.5  # each of summary, chart and workbook
TARGET_TOTAL_S = 3.0  # the three together: an administrator waits for all of them
WIB = ZoneInfo("Asia/Jakarta")
POLICY = QuotaPolicy(tz=WIB)
REPORT_MONTH = date(2026, 11, 1)
NOW = datetime(2026, 11, 27, 3, 0, tzinfo=UTC)

OPDS = [
    "Sekretariat Daerah",
    "Sekretariat DPRD",
    "Inspektorat",
    "Bappeda",
    "BKPSDM",
    "Badan Pendapatan Daerah",
    "BPKAD",
    "Bakesbangpol",
    "BPBD",
    "Dinas Pendidikan dan Kebudayaan",
    "Dinas Kesehatan",
    "Dinas Pekerjaan Umum dan Penataan Ruang",
    "Dinas Perumahan dan Kawasan Permukiman",
    "Satpol PP",
    "Dinas Sosial P3AP2KB",
    "Dinas Tenaga Kerja PMPTSP",
    "Dinas Lingkungan Hidup",
    "Dispendukcapil",
    "Dinas Perhubungan",
    "Diskominfo",
    "Diskopindag",
    "Dinas Kepemudaan Olahraga dan Pariwisata",
    "Dinas Perpustakaan Umum dan Arsip Daerah",
    "Dispangtan",
    "Dinas Pemadam Kebakaran dan Penyelamatan",
    "RSUD Kota Malang",
    "Kecamatan Blimbing",
    "Kecamatan Kedungkandang",
    "Kecamatan Klojen",
    "Kecamatan Lowokwaru",
    "Kecamatan Sukun",
    "Puskesmas Arjuno",
    "Puskesmas Dinoyo",
    "Puskesmas Janti",
    "Puskesmas Kendalkerep",
    "UPT Pengelolaan Pasar",
    "UPT Laboratorium Lingkungan",
    "Kelurahan Sawojajar",
    "Kelurahan Tlogomas",
    "Bagian Umum Setda",
]
CLASSES = [("I", 2), ("II", 15), ("III", 55), ("IV", 15), ("PPPK", 13)]
GOLONGAN = {"I": "I/d", "II": "II/c", "III": "III/b", "IV": "IV/a", "PPPK": "PPPK IX"}
MINIMUMS = {"I": 200_000, "II": 300_000, "III": 500_000, "IV": 750_000, "PPPK": 250_000}
KECAMATAN = ["Blimbing", "Kedungkandang", "Klojen", "Lowokwaru", "Sukun"]


async def populate(database: Database, args: argparse.Namespace) -> dict[str, int]:
    rng = random.Random(args.seed)
    async with database.session() as session:
        await ensure_categories(session)
        categories = list((await session.exec(select(Category.id))).all())
        for cls, amount in MINIMUMS.items():
            session.add(QuotaRule(quota_class=cls, amount=amount, valid_from=date(2000, 1, 1)))
        await session.commit()
        now = datetime(2026, 5, 1, tzinfo=UTC)
        classes = [c for c, weight in CLASSES for _ in range(weight)]
        roster = []
        for i in range(args.asn):
            cls = rng.choice(classes)
            roster.append(
                {
                    "nip": f"{i:018d}",
                    "name": f"ASN Kota Malang {i:04d}",
                    "opd": OPDS[min(len(OPDS) - 1, int(rng.paretovariate(1.2)) - 1)]
                    if rng.random() < 0.3
                    else rng.choice(OPDS),
                    "golongan": GOLONGAN[cls],
                    "quota_class": cls,
                    "employee_kind": "PPPK" if cls == "PPPK" else "PNS",
                    "active": i % 200 != 0,  # a few left the roster
                    "updated_at": now,
                }
            )
        await session.exec(insert(RosterEntry), params=roster)
        registered = [r for r in roster if rng.random() < 0.9]
        users = [
            {
                "id": i + 1,
                "telegram_id": 10_000_000 + i,
                "first_name": f"ASN{i}",
                "kind": "asn",
                "nip": r["nip"],
                "full_name": r["name"],
                "unreachable": False,
                "created_at": now,
            }
            for i, r in enumerate(registered)
        ]
        general = len(users) + 1
        users.append(
            {
                "id": general,
                "telegram_id": 9_999_999,
                "first_name": "Umum",
                "kind": "general",
                "unreachable": False,
                "created_at": now,
            }
        )
        await session.exec(insert(User), params=users)
        merchants = [
            {
                "id": m + 1,
                "code": f"UMKM{m:04d}",
                "name": f"UMKM Malang {m:03d}",
                "nib": f"{1200000000000 + m}",
                "kecamatan": KECAMATAN[m % 5],
                "kelurahan": "Purwantoro",
                "address": "Jl. Ijen",
                "phone": f"+628131{m:07d}",
                "is_open": True,
                "status": "active",
                "low_stock_threshold": 3,
                "created_at": now,
                "updated_at": now,
            }
            for m in range(args.merchants)
        ]
        await session.exec(insert(Merchant), params=merchants)
        products = [
            {
                "id": m * 10 + p + 1,
                "merchant_id": m + 1,
                "category_id": rng.choice(categories),
                "name": f"Produk {p} UMKM {m}",
                "description": "",
                "price": rng.choice([15_000, 25_000, 35_000, 50_000, 75_000, 120_000]),
                "stock": 1000,
                "unit": "pcs",
                "is_active": True,
                "created_at": now,
                "updated_at": now,
            }
            for m in range(args.merchants)
            for p in range(10)
        ]
        for start in range(0, len(products), 2000):
            await session.exec(insert(Product), params=products[start : start + 2000])
        await session.commit()
        exempt = rng.sample([r["nip"] for r in roster], 50)
        await session.exec(
            insert(QuotaExemption),
            params=[
                {
                    "nip": n,
                    "from_month": next_month(REPORT_MONTH, -2),
                    "to_month": next_month(REPORT_MONTH, 3),
                    "reason": "study",
                    "created_at": now,
                }
                for n in exempt
            ],
        )
        await session.commit()

        months = [next_month(REPORT_MONTH, -k) for k in range(args.months - 1, -1, -1)]
        # Most merchants sell; a long tail sells little; the last 15 sell nothing.
        sellers = list(range(1, args.merchants - 14))
        weights = [1 / (1 + i / 20) for i in range(len(sellers))]
        statuses = ["completed"] * 12 + ["paid", "ready", "shipped", "refunded"]
        statuses += ["pending", "accepted", "rejected", "cancelled", "expired"]
        asn_users = users[:-1]
        order_rows: list[dict] = []
        item_rows: list[dict] = []
        order_id = item_id = 0
        per_month = args.orders // len(months)

        async def flush() -> None:
            for start in range(0, len(order_rows), 5000):
                await session.exec(insert(Order), params=order_rows[start : start + 5000])
            for start in range(0, len(item_rows), 5000):
                await session.exec(insert(OrderItem), params=item_rows[start : start + 5000])
            await session.commit()
            order_rows.clear()
            item_rows.clear()

        for month in months:
            start, end = month_bounds(month, WIB)
            if month == REPORT_MONTH:
                end = NOW
            span = int((end - start).total_seconds())
            for _ in range(per_month):
                order_id += 1
                buyer = general if rng.random() < 0.05 else rng.choice(asn_users)["id"]
                merchant = rng.choices(sellers, weights)[0]
                lines = []
                for _line in range(rng.choice((1, 1, 2, 3))):
                    product = products[(merchant - 1) * 10 + rng.randrange(10)]
                    qty = rng.randint(1, 4)
                    item_id += 1
                    lines.append(
                        {
                            "id": item_id,
                            "order_id": order_id,
                            "product_id": product["id"],
                            "name": product["name"],
                            "unit": "pcs",
                            "price": product["price"],
                            "quantity": qty,
                        }
                    )
                item_rows.extend(lines)
                created = start + timedelta(seconds=rng.randrange(span))
                status = rng.choice(statuses)
                paid = status in ("completed", "paid", "ready", "shipped", "refunded")
                is_asn = buyer != general
                order_rows.append(
                    {
                        "id": order_id,
                        "buyer_id": buyer,
                        "merchant_id": merchant,
                        "status": status,
                        "total": sum(li["price"] * li["quantity"] for li in lines),
                        "counts_for_quota": is_asn,
                        "buyer_nip": users[buyer - 1]["nip"] if is_asn else None,
                        "payment_method": rng.choice(("cash", "transfer", "qris")),
                        "checkout_key": f"b{order_id}",
                        "created_at": created,
                        "paid_at": min(end - timedelta(seconds=1), created + timedelta(hours=2))
                        if paid
                        else None,
                        "refunded_at": created + timedelta(days=1)
                        if status == "refunded"
                        else None,
                    }
                )
                if len(order_rows) >= 20_000:
                    await flush()
        await flush()
        total = (await session.exec(select(func.count()).select_from(Order))).one()
        in_month = (
            await session.exec(
                select(func.count())
                .select_from(Order)
                .where(Order.created_at >= month_bounds(REPORT_MONTH, WIB)[0])
            )
        ).one()
    return {
        "asn": len(roster),
        "users": len(users),
        "merchants": len(merchants),
        "orders": int(total),
        "orders_in_month": int(in_month),
        "items": item_id,
    }


async def timed(work) -> tuple[float, object]:
    start = time.perf_counter()
    result = await work()
    return time.perf_counter() - start, result


async def run_backend(label: str, url: str, args: argparse.Namespace) -> dict:
    database = Database(url)
    try:
        await upgrade(database.engine)
        t0 = time.perf_counter()
        sizes = await populate(database, args)
        load_s = time.perf_counter() - t0
        async with database.engine.connect() as conn:
            conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(text("ANALYZE" if database.is_sqlite else "VACUUM ANALYZE"))
        previous = next_month(REPORT_MONTH, -1)

        async def close() -> object:
            async with database.session() as session:
                return await close_month(session, previous, policy=POLICY, now=NOW)

        close_s, closing = await timed(close)
        role = Role("admin")
        i18n = get_i18n()
        runs: dict[str, list[float]] = {
            "summary": [], "chart": [], "workbook": [], "  report rows": [], "  XLSX": []
        }  # fmt: skip
        rows: dict[str, int] = {}
        for _ in range(args.runs):
            with i18n.context(), i18n.use_locale("id"):

                async def summary() -> object:
                    async with database.session() as session:
                        report = await build_report(
                            session, REPORT_MONTH, role=role, policy=POLICY, now=NOW
                        )
                    summary_text(report, "id", WIB)
                    return report

                seconds, report = await timed(summary)
                runs["summary"].append(seconds)

                async def chart(report=report) -> object:
                    return await asyncio.to_thread(chart_pngs, report, "id")

                seconds, png = await timed(chart)
                runs["chart"].append(seconds)

                async def workbook() -> object:
                    started = time.perf_counter()
                    async with database.session() as session:
                        full = await build_report(
                            session, REPORT_MONTH, role=role, policy=POLICY, now=NOW, details=True
                        )
                    runs["  report rows"].append(time.perf_counter() - started)
                    rows.update(
                        asn=len(full.details.asn),
                        merchants=len(full.details.merchants),
                        orders=len(full.details.orders),
                    )
                    started = time.perf_counter()
                    xlsx = await asyncio.to_thread(workbook_xlsx, full, "id", WIB)
                    runs["  XLSX"].append(time.perf_counter() - started)
                    return xlsx

                seconds, xlsx = await timed(workbook)
                runs["workbook"].append(seconds)
        return {
            "label": label,
            "sizes": sizes,
            "load_s": load_s,
            "close_s": close_s,
            "closed_asn": closing.asn,
            "runs": runs,
            "rows": rows,
            "png_bytes": sum(len(page) for page in png),
            "png_pages": len(png),
            "xlsx_bytes": len(xlsx),
        }
    finally:
        await database.dispose()


async def pg_admin(statement: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(PG_ADMIN_URL.replace("postgresql+asyncpg", "postgresql"))
    try:
        await conn.execute(statement)
    finally:
        await conn.close()


def report(stats: dict) -> bool:
    s = stats["sizes"]
    print(
        f"\n{stats['label']}: {s['asn']:,} ASN ({s['users']:,} accounts), {s['merchants']} "
        f"merchants, {s['orders']:,} orders ({s['items']:,} lines; {s['orders_in_month']:,} "
        f"in the reported month), loaded in {stats['load_s']:.1f} s"
    )
    print(f"  closing the previous month: {stats['close_s']:.2f} s ({stats['closed_asn']:,} ASN)")
    ok = True
    for name, values in stats["runs"].items():
        median = statistics.median(values)
        part = name.startswith(" ")
        ok &= part or median <= TARGET_S
        verdict = "" if part else "OK" if median <= TARGET_S else "ABOVE TARGET"
        print(
            f"  {name:<13} median {median:5.2f} s  (first {values[0]:5.2f} s, "
            f"best {min(values):5.2f} s)  {verdict}"
        )
    three = [stats["runs"][k] for k in ("summary", "chart", "workbook")]
    together = [sum(run) for run in zip(*three, strict=True)]
    total = statistics.median(together)
    ok &= total <= TARGET_TOTAL_S
    print(f"  {'together':<13} median {total:5.2f} s  "
          f"{'OK' if total <= TARGET_TOTAL_S else 'ABOVE TARGET'}")  # fmt: skip
    r = stats["rows"]
    print(
        f"  workbook rows: {r['asn']:,} ASN, {r['merchants']} merchants, {r['orders']:,} orders;"
        f" {stats['xlsx_bytes'] / 1e6:.1f} MB; chart {stats['png_pages']} pages,"
        f" {stats['png_bytes'] / 1e3:.0f} kB"
    )
    print(
        f"  target <= {TARGET_S} s each, <= {TARGET_TOTAL_S:.0f} s together: "
        f"{'OK' if ok else 'ABOVE TARGET'}"
    )
    return ok


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--asn", type=int, default=7_000)
    parser.add_argument("--merchants", type=int, default=300)
    parser.add_argument("--orders", type=int, default=200_000)
    parser.add_argument("--months", type=int, default=6, help="months the orders spread over")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=2022)
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument("--skip-sqlite", action="store_true")
    args = parser.parse_args()
    if args.months < 2:
        parser.error("--months must be at least 2 (the previous month is closed)")

    ok = True
    if not args.skip_sqlite:
        with tempfile.TemporaryDirectory(prefix="tukulokal-bench-") as tmp:
            ok &= report(await run_backend("SQLite", f"sqlite+aiosqlite:///{tmp}/bench.db", args))
    if args.skip_postgres:
        return 0 if ok else 1
    await pg_admin(f'DROP DATABASE IF EXISTS "{PG_DATABASE}" WITH (FORCE)')
    await pg_admin(f'CREATE DATABASE "{PG_DATABASE}"')
    try:
        base, _, _ = PG_ADMIN_URL.rpartition("/")
        ok &= report(await run_backend("PostgreSQL", f"{base}/{PG_DATABASE}", args))
    finally:
        await pg_admin(f'DROP DATABASE IF EXISTS "{PG_DATABASE}" WITH (FORCE)')
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
