"""The `tukulokal` command line (also `python -m bot`)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Awaitable, Callable, Coroutine
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from aiohttp import web
from redis.asyncio import Redis
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.factory import (
    POLLING_OPTIONS,
    create_bot,
    create_dispatcher,
    start_broadcast_runner,
    start_scheduler,
)
from bot.logs import setup_logging
from bot.settings import Settings, get_settings
from bot.webhook import Health, serve, webhook_app
from models.db import Database
from models.migrate import current_revision, head_revision, upgrade
from sandbox.console import run_console
from sandbox.server import run_sandbox
from scheduler.runner import stop_scheduler
from services import importer
from services.categories import ensure_categories
from services.compliance import close_month
from services.demo import seed_demo
from services.errors import Refusal, ServiceError
from services.merchants import create_link_token
from services.money import MoneyError, parse_rupiah
from services.quota import QuotaPolicy, parse_month, set_minimum
from views.i18n import get_i18n
from views.import_messages import describe_issue

log = logging.getLogger("tukulokal")


def _print(text: str) -> None:
    print(text, flush=True)


async def _with_db(settings: Settings, work: Callable[[AsyncSession], Awaitable[int]]) -> int:

    db = Database(settings.database_url)
    try:
        await upgrade(db.engine)
        async with db.session() as session:
            await ensure_categories(session)
            return await work(session)
    finally:
        await db.dispose()


async def cmd_run(settings: Settings, _args: argparse.Namespace) -> int:

    if not settings.bot_token:
        _print(
            "BOT_TOKEN is not set. Create a bot with @BotFather, then put BOT_TOKEN=... in "
            ".env (see README.md). To try TukuLokal without a token: tukulokal try"
        )
        return 2
    db = Database(settings.database_url, echo=settings.db_echo)
    bot = create_bot(settings)
    dp = create_dispatcher(settings, db)
    await dp.start_polling(bot, **POLLING_OPTIONS)
    return 0


def _stop_on_signals() -> asyncio.Event:
    """An event set by SIGTERM or SIGINT (systemd stops, Ctrl-C)."""
    import signal

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    return stop


async def cmd_webhook(settings: Settings, args: argparse.Namespace) -> int:
    """One webhook worker (several run behind nginx, each on its own port)."""

    missing = [
        name
        for name, value in (
            ("BOT_TOKEN", settings.bot_token),
            ("WEBHOOK_URL", settings.webhook_url),
            ("WEBHOOK_SECRET", settings.webhook_secret),
        )
        if not value
    ]
    if missing:
        _print(f"Not set: {', '.join(missing)} (see deploy/env.example).")
        return 2
    db = Database(settings.database_url, echo=settings.db_echo)
    revision, head = await current_revision(db.engine), head_revision()
    if revision != head:
        _print(f"The database is at migration {revision}, this release needs {head}: "
               "run `tukulokal db upgrade` first.")  # fmt: skip
        await db.dispose()
        return 2
    bot = create_bot(settings)
    dp = create_dispatcher(settings, db, migrate=False)
    app = webhook_app(settings, db, bot, dp)
    port = args.port or settings.webhook_port
    await serve(app, args.host or settings.webhook_host, port, _stop_on_signals())
    return 0


async def cmd_scheduler(settings: Settings, _args: argparse.Namespace) -> int:
    """Run only the scheduled jobs (the bot itself started with SCHEDULER_ENABLED=false).

    It also runs a broadcast runner: whichever process holds the "broadcasts" lease sends them.
    """

    if not settings.bot_token:
        _print("BOT_TOKEN is not set: the jobs send messages through the bot.")
        return 2
    db = Database(settings.database_url)
    await upgrade(db.engine)
    bot = create_bot(settings)

    def clock() -> datetime:
        return datetime.now(UTC)

    policy = settings.policy()
    sender, runner = await start_broadcast_runner(policy, db, bot, clock)
    scheduler = start_scheduler(policy, db, bot, clock, sender=sender, broadcasts=runner)
    _print("Scheduler running; Ctrl-C to stop.")
    stop = _stop_on_signals()
    try:
        if settings.health_port:
            health = web.Application()
            redis = Redis.from_url(settings.redis_url) if settings.redis_url else None
            Health(db, redis, None, clock).add_routes(health)
            await serve(health, settings.webhook_host, settings.health_port, stop)
        else:
            await stop.wait()
    finally:
        await stop_scheduler(scheduler)
        await runner.stop()
        await bot.session.close()
        await db.dispose()
    return 0


async def cmd_db_upgrade(settings: Settings, _args: argparse.Namespace) -> int:
    async def work(_session: AsyncSession) -> int:
        _print("Database is up to date.")
        return 0

    return await _with_db(settings, work)


def _import(kind: str) -> Callable[[Settings, argparse.Namespace], Awaitable[int]]:
    async def command(settings: Settings, args: argparse.Namespace) -> int:

        path = Path(args.file)
        if not path.is_file():
            _print(f"File not found: {path}")
            return 2
        data = path.read_bytes()
        i18n = get_i18n()

        def gettext(message: str) -> str:
            return i18n.gettext(message, locale=args.lang)

        async def work(session: AsyncSession) -> int:
            func = {
                "roster": importer.import_roster,
                "merchants": importer.import_merchants,
                "products": importer.import_products,
            }[kind]
            kwargs = {"deactivate_missing": True} if kind == "roster" and args.deactivate else {}
            try:
                result = await func(session, data, **kwargs)
            except importer.ImportFailed as exc:
                _print(gettext("Nothing was imported. Fix these lines and try again:"))
                for issue in exc.issues:
                    _print("  " + describe_issue(issue, gettext))
                return 1
            _print(
                gettext(
                    "Imported: {created} new, {updated} updated, {deactivated} deactivated."
                ).format(
                    created=result.created, updated=result.updated, deactivated=result.deactivated
                )
            )
            return 0

        return await _with_db(settings, work)

    return command


async def cmd_quota_set(settings: Settings, args: argparse.Namespace) -> int:

    try:
        amount = parse_rupiah(args.rupiah)
    except MoneyError:
        _print(f"Not an amount of rupiah: {args.rupiah}")
        return 2
    if args.from_month:
        try:
            valid_from = datetime.strptime(args.from_month, "%Y-%m").date()  # noqa: DTZ007
        except ValueError:
            _print(f"--from must be YYYY-MM, not {args.from_month}")
            return 2
    else:
        valid_from = date(2000, 1, 1)

    async def work(session: AsyncSession) -> int:
        try:
            rule = await set_minimum(session, args.quota_class, amount, valid_from=valid_from)
        except ServiceError as exc:
            _print(f"Refused: {exc.code} {exc.params}")
            return 2
        _print(
            f"Minimum for class {rule.quota_class}: Rp{rule.amount:,} from "
            f"{rule.valid_from:%Y-%m}".replace(",", ".")
        )
        return 0

    return await _with_db(settings, work)


async def cmd_close_month(settings: Settings, args: argparse.Namespace) -> int:

    try:
        month = parse_month(args.month)
    except ServiceError:
        _print(f"The month must be YYYY-MM, not {args.month}")
        return 2
    policy = QuotaPolicy(
        tz=settings.tz,
        default_minimum=settings.default_quota_minimum,
        deadline_day=settings.quota_deadline_day,
    )

    async def work(session: AsyncSession) -> int:
        try:
            result = await close_month(
                session, month, policy=policy, now=datetime.now(UTC), rerun=args.rerun
            )
        except ServiceError as exc:
            if exc.code == Refusal.MONTH_NOT_OVER:
                deadline = exc.params["deadline"]
                _print(f"{month:%Y-%m} cannot be closed before its deadline ({deadline}) is over.")
                return 2
            _print(f"Refused: {exc.code} {exc.params}")
            return 2
        if result.created:
            _print(
                f"Closed {month:%Y-%m}: {result.asn} ASN recorded, {result.compliant} met the "
                f"minimum, {result.exempt} exempt."
            )
        else:
            _print(
                f"{month:%Y-%m} was already closed on {result.closed_at:%Y-%m-%d %H:%M} UTC "
                f"({result.asn} ASN, {result.compliant} met the minimum); nothing changed. "
                "Use --rerun to record it anew."
            )
        return 0

    return await _with_db(settings, work)


async def cmd_seed_demo(settings: Settings, args: argparse.Namespace) -> int:

    async def work(session: AsyncSession) -> int:
        summary = await seed_demo(session, photos_dir=Path(args.photos) if args.photos else None)
        _print(f"Demo data ready: {summary}")
        return 0

    return await _with_db(settings, work)


async def cmd_merchant_link(settings: Settings, args: argparse.Namespace) -> int:

    async def work(session: AsyncSession) -> int:
        try:
            token = await create_link_token(session, args.code)
        except ServiceError:
            _print(f"No merchant with code {args.code}")
            return 2
        username = args.bot or "<bot_username>"
        _print(
            f"Send this one-time link to the shop owner: https://t.me/{username}?start=m_{token}"
        )
        return 0

    return await _with_db(settings, work)


async def cmd_try(settings: Settings, args: argparse.Namespace) -> int:
    return await run_console(settings, data_dir=Path(args.data_dir))


async def cmd_sandbox(settings: Settings, args: argparse.Namespace) -> int:
    if not args.verbose:
        logging.getLogger().setLevel(logging.WARNING)
    return await run_sandbox(
        settings,
        data_dir=Path(args.data_dir),
        port=args.port,
        language=args.lang,
        out=_print,
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tukulokal", description="TukuLokal Telegram bot")
    parser.add_argument("-v", "--verbose", action="store_true")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("run", help="run the bot (long polling)").set_defaults(func=cmd_run)
    hook = sub.add_parser("webhook", help="run one webhook worker (behind nginx)")
    hook.add_argument("--port", type=int, help="port to listen on (default: WEBHOOK_PORT)")
    hook.add_argument("--host", help="address to listen on (default: WEBHOOK_HOST)")
    hook.set_defaults(func=cmd_webhook)
    sub.add_parser("scheduler", help="run only the scheduled jobs").set_defaults(
        func=cmd_scheduler
    )
    db = sub.add_parser("db", help="database maintenance")
    db_sub = db.add_subparsers(dest="db_command", required=True)
    db_sub.add_parser("upgrade", help="apply migrations").set_defaults(func=cmd_db_upgrade)
    for kind in ("roster", "merchants", "products"):
        p = sub.add_parser(f"import-{kind}", help=f"import the {kind} CSV (all or nothing)")
        p.add_argument("file")
        p.add_argument(
            "--lang", default="en", choices=("id", "en"), help="language of the messages"
        )
        if kind == "roster":
            p.add_argument(
                "--deactivate", action="store_true", help="deactivate ASN missing from this file"
            )
        p.set_defaults(func=_import(kind))
    quota = sub.add_parser("quota", help="monthly minimum per class")
    quota_sub = quota.add_subparsers(dest="quota_command", required=True)
    qs = quota_sub.add_parser("set", help="set the minimum of a class")
    qs.add_argument("quota_class", metavar="CLASS", help="I, II, III, IV or PPPK")
    qs.add_argument("rupiah", metavar="RUPIAH")
    qs.add_argument(
        "--from",
        dest="from_month",
        metavar="YYYY-MM",
        help="first month the rule applies to (default: all months)",
    )
    qs.set_defaults(func=cmd_quota_set)
    close = sub.add_parser(
        "close-month", help="record each ASN's result of a month whose deadline is over"
    )
    close.add_argument("month", metavar="YYYY-MM")
    close.add_argument("--rerun", action="store_true", help="record an already closed month anew")
    close.set_defaults(func=cmd_close_month)
    seed = sub.add_parser("seed-demo", help="load a realistic demo dataset")
    seed.add_argument("--photos", help="folder for generated product photos")
    seed.set_defaults(func=cmd_seed_demo)
    link = sub.add_parser("merchant-link", help="one-time deep link for a shop owner")
    link.add_argument("code")
    link.add_argument("--bot", help="the bot's username")
    link.set_defaults(func=cmd_merchant_link)
    trial = sub.add_parser("try", help="chat with the bot in this terminal, no token needed")
    trial.add_argument("--data-dir", default="data/try")
    trial.set_defaults(func=cmd_try)
    sandbox = sub.add_parser(
        "sandbox", help="try the bot in a browser: a local chat page, no token needed"
    )
    sandbox.add_argument("--port", type=int, default=8088, help="port on 127.0.0.1 (0: any)")
    sandbox.add_argument("--data-dir", default="data/sandbox", help="demo database and files")
    sandbox.add_argument(
        "--lang", default="id", choices=("id", "en"), help="the personas' Telegram language"
    )
    sandbox.set_defaults(func=cmd_sandbox)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    settings = get_settings()
    setup_logging(settings.log_format, verbose=args.verbose)
    command: Callable[[Settings, argparse.Namespace], Coroutine[Any, Any, int]] = args.func
    try:
        return asyncio.run(command(settings, args))
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
