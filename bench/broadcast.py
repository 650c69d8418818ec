"""A broadcast to 7,000 ASN through the fake Bot API: duration against N / rate, duplicates,
losses, and how fast the bot still answers a user meanwhile.

What it does
- Fills a fresh SQLite file (or the PostgreSQL database given with --database-url) with
  --users registered ASN who all started the bot; 1% of them blocked it and 0.5% deleted
  their account (they must be reported, not counted as losses).
- Starts the in-repo fake Bot API (sandbox.fakegram) in this process, limited like Telegram
  (--api-limit messages/s to different chats, default 30: beyond it, 429 with retry_after).
- Creates the broadcast through services.broadcasts (as "Send now" does) and starts the real
  bot as a separate process, `python -m bot run`, exactly as in production
  (BROADCAST_RATE=--rate). The bot resumes the running broadcast on start.
- Once the broadcast is under way, a probe user sends /bantuan every 0.5 s and waits for the
  answer.
- At the end it prints: the sending time (first to last message, plus one interval) as a
  ratio of the ideal N / rate (target <= 1.05), duplicates (target 0), losses (target 0), 429
  answers, the unreachable accounts reported, and the probe's reply latency.

Run from the repository root: .venv/bin/python bench/broadcast.py
  [--users 7000] [--rate 25] [--api-limit 30] [--database-url URL]
With the default rate this takes N / 25 = 280 s; `--rate 200 --api-limit 240` is a quick check.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import insert  # noqa: E402
from sqlmodel import select  # noqa: E402

from models import Broadcast, BroadcastDelivery, RosterEntry, User  # noqa: E402
from models.db import Database  # noqa: E402
from models.migrate import upgrade  # noqa: E402
from sandbox.fakegram import FakeTelegram  # noqa: E402
from services import audience as aud  # noqa: E402
from services import broadcasts as svc  # noqa: E402
from services.categories import ensure_categories  # noqa: E402
from services.quota import QuotaPolicy  # noqa: E402
from services.roles import roles_of  # noqa: E402

TOKEN = "123456:BENCH"
ADMIN_ID = 900
PROBE_ID = 901
FIRST_ID = 100_000
MARKER = "BENCH-BROADCAST"


def log(text: str) -> None:
    print(text, flush=True)


async def populate(db: Database, tg: FakeTelegram, users: int) -> tuple[set[int], set[int]]:
    """Roster and accounts in bulk; returns (blocked, deleted) Telegram ids."""
    roster, accounts = [], []
    for i in range(users):
        telegram_id = FIRST_ID + i
        nip = f"1985{i:014d}"
        roster.append(
            {
                "nip": nip,
                "name": f"ASN {i}",
                "opd": f"OPD {i % 40:02d}",
                "golongan": "III/a",
                "quota_class": "III",
                "employee_kind": "PNS",
                "active": True,
                "updated_at": datetime.now(UTC),
            }
        )
        accounts.append(
            {
                "telegram_id": telegram_id,
                "first_name": f"ASN{i}",
                "kind": "asn",
                "nip": nip,
                "full_name": f"ASN {i}",
                "telegram_language": "id" if i % 3 else "en",
                "unreachable": False,
                "created_at": datetime.now(UTC),
            }
        )
        tg.user(telegram_id, first_name=f"ASN{i}", language_code="id", started=True)
    async with db.session() as session:
        await ensure_categories(session)
        for chunk in range(0, users, 1000):
            await session.exec(insert(RosterEntry), params=roster[chunk : chunk + 1000])
        for chunk in range(0, users, 1000):
            await session.exec(insert(User), params=accounts[chunk : chunk + 1000])
        await session.commit()
    blocked = {FIRST_ID + i for i in range(0, users, 100)}
    deleted = {FIRST_ID + i for i in range(50, users, 200)}
    for telegram_id in blocked:
        tg.block(telegram_id)
    for telegram_id in deleted:
        tg.delete_account(telegram_id)
    return blocked, deleted


async def start_bot(
    tg: FakeTelegram, url: str, rate: float, workdir: Path
) -> asyncio.subprocess.Process:
    env = {
        **os.environ,
        "BOT_TOKEN": TOKEN,
        "DATABASE_URL": url,
        "TELEGRAM_API_URL": tg.base_url,
        "ADMIN_IDS": str(ADMIN_ID),
        "SCHEDULER_ENABLED": "false",
        "BROADCAST_RATE": str(rate),
        "PYTHONPATH": str(ROOT),
    }
    env.pop("REDIS_URL", None)
    logfile = (workdir / "bot.log").open("ab")
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run",
        cwd=workdir, env=env, stdout=logfile, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip


async def probe(tg: FakeTelegram, stop: asyncio.Event, latencies: list[float]) -> None:
    """A user asking for /bantuan every 0.5 s while the broadcast runs."""
    user = tg.user(PROBE_ID, first_name="Probe", language_code="en", started=True)
    while not stop.is_set():
        start = time.monotonic()
        await user.send("/bantuan")
        try:
            await user.wait_reply(timeout=10, predicate=lambda m: "/katalog" in (m.text or ""))
            latencies.append(time.monotonic() - start)
        except AssertionError:
            latencies.append(float("inf"))
        await asyncio.sleep(0.5)


async def main(args: argparse.Namespace) -> int:
    workdir = Path(tempfile.mkdtemp(prefix="tukulokal-bench-broadcast-"))
    url = args.database_url or f"sqlite+aiosqlite:///{workdir / 'bench.db'}"
    tg = FakeTelegram(token=TOKEN, bot_username="TukuLokalBenchBot")
    await tg.start()
    tg.set_rate_limits(global_per_second=args.api_limit)
    db = Database(url)
    await upgrade(db.engine)
    log(f"filling {url} with {args.users} ASN ...")
    blocked, deleted = await populate(db, tg, args.users)
    tg.user(ADMIN_ID, first_name="Admin", language_code="en", started=True)
    async with db.session() as session:  # the administrator reads the report in English
        session.add(User(telegram_id=ADMIN_ID, first_name="Admin", language="en"))
        await session.commit()
    async with db.session() as session:
        broadcast, _ = await svc.create(
            session, actor=await roles_of(session, ADMIN_ID, frozenset({ADMIN_ID})),
            content=svc.Content("text", f"<b>Pengumuman</b> untuk semua ASN. {MARKER}"),
            audience=aud.Audience(), buttons=["catalog"], now=datetime.now(UTC),
            policy=QuotaPolicy(tz=ZoneInfo("Asia/Jakarta")), draft_key="bench",
        )  # fmt: skip
    total = broadcast.total
    log(f"broadcast #{broadcast.id} to {total} recipients at {args.rate}/s "
        f"(fake API limit {args.api_limit}/s); ideal {total / args.rate:.1f} s")  # fmt: skip
    bot = await start_bot(tg, url, args.rate, workdir)
    while not tg.sent_messages():  # the bot process starts up, then resumes the broadcast
        await asyncio.sleep(0.05)
    stop, latencies = asyncio.Event(), []
    prober = asyncio.create_task(probe(tg, stop, latencies))
    admin = tg.users[ADMIN_ID]
    try:
        await admin.wait_reply(
            timeout=total / args.rate * 3 + 120,
            predicate=lambda m: "Delivered" in (m.text or ""),
        )
    finally:
        stop.set()
        await prober
        bot.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(bot.wait(), 30)
        except TimeoutError:
            bot.kill()

    reachable = {FIRST_ID + i for i in range(args.users)} - blocked - deleted
    sends = [s for s in tg.sent_messages() if s.chat_id in reachable]
    times = sorted(s.at for s in sends)
    per_chat: dict[int, int] = {}
    for s in sends:
        per_chat[s.chat_id] = per_chat.get(s.chat_id, 0) + 1
    duplicates = sum(n - 1 for n in per_chat.values())
    losses = len(reachable - set(per_chat))
    ideal = total / args.rate
    duration = times[-1] - times[0] + 1 / args.rate
    refused = [c for c in tg.errors if c.status == 429]
    async with db.session() as session:
        stored = await session.get(Broadcast, broadcast.id)
        rows = (
            await session.exec(
                select(BroadcastDelivery.status).where(
                    BroadcastDelivery.broadcast_id == broadcast.id
                )
            )
        ).all()
    outcome = {status: rows.count(status) for status in sorted(set(rows))}
    finite = [x for x in latencies if x != float("inf")]
    log("")
    log(f"recipients           {total} ({len(reachable)} reachable, {len(blocked)} blocked, "
        f"{len(deleted)} deleted)")  # fmt: skip
    log(f"broadcast status     {stored.status}; deliveries {outcome}")
    log(f"sending time         {duration:.1f} s (first to last message + 1/rate)")
    log(f"ideal N / rate       {ideal:.1f} s")
    log(f"ratio                {duration / ideal:.3f}   (target <= 1.05)")
    log(f"duplicates           {duplicates}   (target 0)")
    log(f"losses               {losses}   (target 0)")
    log(f"429 answers          {len(refused)}")
    log(f"peak per second      {tg.peak_rate()} (limit {args.api_limit})")
    if finite:
        log(f"probe /bantuan       {len(latencies)} asked, p50 "
            f"{statistics.median(finite) * 1000:.0f} ms, max {max(finite) * 1000:.0f} ms, "
            f"unanswered {len(latencies) - len(finite)}")  # fmt: skip
    await db.dispose()
    await tg.stop()
    log(f"(bot log: {workdir / 'bot.log'})")
    return 0 if duplicates == 0 and losses == 0 and duration / ideal <= 1.05 else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--users", type=int, default=7000)
    parser.add_argument("--rate", type=float, default=25.0, help="BROADCAST_RATE of the bot")
    parser.add_argument("--api-limit", type=float, default=30.0, help="the fake API's limit")
    parser.add_argument("--database-url", help="default: a fresh SQLite file")
    sys.exit(asyncio.run(main(parser.parse_args())))
