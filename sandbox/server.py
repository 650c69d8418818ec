"""`tukulokal sandbox`: the real bot against the in-repo Bot API, with a chat page.

One process, one event loop:

- the fake Telegram (:mod:`sandbox.fakegram`) on a free loopback port, with the personas' accounts;
- the real bot, unmodified, long-polling it, on its own SQLite demo database under
  ``data_dir`` (never the configured DATABASE_URL), with a clock that the page can move;
- the scheduled jobs (the APScheduler of ``tukulokal scheduler``), run once more at every move
  of the clock;
- the chat page and its small JSON API on ``http://127.0.0.1:<port>``.

The page polls ``/api/poll`` (a long poll: it returns as soon as the chat, the unread counts or
the clock change) and acts through POST requests that return once the bot has handled the
update. Files are served from the fake's store at ``/files/<file_id>``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import math
import re
import signal
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from pathlib import Path
from typing import Any

from aiohttp import web
from pydantic import SecretStr
from sqlalchemy import update
from sqlmodel import col

from bot.factory import create_bot, create_dispatcher, start_scheduler
from bot.settings import Settings
from models import User
from models.db import Database
from sandbox.console import (
    BOT_USERNAME,
    FILES_DIR,
    TOKEN,
    UpdateTracker,
    prepare_demo_database,
    restore_files,
    save_files,
)
from sandbox.demo import DemoWorld, Persona, prepare_world, sandbox_personas
from sandbox.fakegram import ApiError, BotMessage, FakeTelegram, FakeUser, TextError, text_length
from sandbox.fakegram.formatting import format_text
from scheduler import jobs as job_module
from scheduler.jobs import JobContext
from scheduler.runner import stop_scheduler
from services.quota import (
    QuotaPolicy,
    deadline_credit,
    deadline_day_for,
    deadline_for,
    month_start,
    next_month,
)

log = logging.getLogger(__name__)

DB_FILE = "tukulokal-sandbox.db"
STATE_FILE = "sandbox.json"  # the clock's moves and the chats, kept between runs
WEB_DIR = Path(__file__).parent / "web"
WEB_FILES = {
    "sandbox.css": "text/css",
    "texts.js": "application/javascript",
    "sandbox.js": "application/javascript",
    "favicon.svg": "image/svg+xml",
}
ACTION_TIMEOUT = 20.0  # seconds the bot may take to handle one update
POLL_WAIT = 25.0  # seconds a long poll waits for something new
HISTORY_SHOWN = 300  # newest messages of a chat sent to the page
TEXT_LIMIT = 4096  # characters (code points) of a message, as Telegram counts them
CAPTION_LIMIT = 1024
LANGUAGES = ("id", "en")
# Only the page itself may act: browsers refuse to send this header cross-site without CORS.
ACTION_HEADER = "X-TukuLokal-Sandbox"
CSP = (
    "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; script-src 'self'; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)


class SandboxClock:
    """The bot's "now": real time plus an offset the page moves forward (whole seconds).

    The fake Telegram runs on it too (``FakeTelegram(clock=...)``): message dates, edit dates
    and the 48 hours of deleteMessage follow the sandbox's time, as the bot sees it. Every
    move is remembered (real instant, offset); ``at`` gives the sandbox time of a real
    instant, for chats kept by versions that dated messages in real time.
    """

    def __init__(self, marks: list[tuple[float, float]] | None = None) -> None:
        self.marks: list[tuple[float, float]] = sorted(marks or [(0.0, 0.0)])

    @property
    def offset(self) -> timedelta:
        return timedelta(seconds=self.marks[-1][1])

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def timestamp(self) -> float:
        """The sandbox's "now" in Unix seconds (the fake Telegram's clock)."""
        return time.time() + self.marks[-1][1]

    def move_to(self, target: datetime) -> None:
        """Move forward so that this very second is ``target``'s (to the second).

        A message sent right after a move to 09:00 is dated 09:00:00, never 08:59:59: the
        offset is whole seconds and the sandbox's second starts with the real one.
        """
        second = math.floor(time.time())
        offset = float(round(target.timestamp() - second))
        if offset <= self.marks[-1][1]:
            raise ValueError("the sandbox clock only moves forward")
        self.marks.append((float(second), offset))

    def advance(self, delta: timedelta) -> None:
        if delta <= timedelta(0):
            raise ValueError("the sandbox clock only moves forward")
        self.move_to(self() + delta)

    def at(self, real_timestamp: float) -> float:
        """The sandbox time (a timestamp) of a real instant."""
        offset = self.marks[0][1]
        for when, value in self.marks:
            if when > real_timestamp:
                break
            offset = value
        return real_timestamp + offset


@dataclass
class JobRun:
    name: str
    ok: bool
    result: Any = None


class Sandbox:
    def __init__(
        self,
        settings: Settings,
        data_dir: Path,
        *,
        host: str = "127.0.0.1",
        port: int = 8088,
        language: str = "id",
    ) -> None:
        self.base_settings = settings
        self.data_dir = Path(data_dir).resolve()
        self.host = host
        self.port = port
        self.language = language if language in LANGUAGES else "id"
        self.personas: list[Persona] = sandbox_personas()
        self.clock = SandboxClock()
        self.tracker = UpdateTracker()
        self.url = ""
        self.ready = False  # the page's API answers 503 until the bot runs
        self.tg: FakeTelegram | None = None
        self.db: Database | None = None
        self.settings: Settings | None = None
        self.bot: Any = None
        self.dp: Any = None
        self.world: DemoWorld | None = None
        self._polling: asyncio.Task | None = None
        self._scheduler: Any = None
        self._runner: web.AppRunner | None = None
        self._changed = asyncio.Event()
        self._time_lock = asyncio.Lock()

    # ------------------------------------------------------------------ lifecycle

    @property
    def db_path(self) -> Path:
        return self.data_dir / DB_FILE

    def persona(self, key: str) -> Persona:
        for persona in self.personas:
            if persona.key == key:
                return persona
        raise refusal("no_persona", f"no persona {key!r}", status=404)

    async def start(self) -> None:

        self.data_dir.mkdir(parents=True, exist_ok=True)
        # The page's port first: a busy one fails now, not after preparing the demo data.
        self._runner = web.AppRunner(self.web_app(), access_log=None, handler_cancellation=True)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        port = self._runner.addresses[0][1]
        self.url = f"http://{self.host}:{port}"
        state = self._load_state()
        self.clock = SandboxClock([tuple(m) for m in state.get("clock", [])] or None)
        self.language = state.get("language", self.language)
        # The fake Telegram keeps the sandbox's time: message dates and the 48-hour delete rule
        # follow the clock the page moves (looked up at each call: the clock object stays).
        tg = self.tg = FakeTelegram(
            token=TOKEN, bot_username=BOT_USERNAME, clock=lambda: self.clock.timestamp()
        )
        await tg.start("127.0.0.1", 0)
        restore_files(tg, self.data_dir / FILES_DIR)
        self.db = Database(f"sqlite+aiosqlite:///{self.db_path}")
        await prepare_demo_database(self.db, self.data_dir / "photos")
        self.world = await prepare_world(
            self.db, self.personas, policy=self._policy(), now=self.clock()
        )
        for persona in self.personas:
            persona.user = tg.user(
                persona.telegram_id,
                persona.first_name,
                persona.last_name,
                language_code=self.language,
                phone=persona.phone,
                started=persona.registered,  # used the bot before: it may write to them
            )
        for telegram_id, first_name, phone in self.world.background:
            tg.user(telegram_id, first_name, language_code="id", phone=phone, started=True)
        # Chats kept before the fake ran on the sandbox's clock have real-time dates.
        real_dates = state.get("dates") != "sandbox"
        self._restore_chats(state.get("chats", {}), real_dates=real_dates)
        await self.set_language(self.language)
        self.settings = self.base_settings.model_copy(
            update={
                "bot_token": SecretStr(TOKEN),
                "database_url": self.db.url,
                "telegram_api_url": tg.base_url,
                "redis_url": None,  # conversation state in the demo database
                "admin_ids": frozenset(p.telegram_id for p in self.personas if p.key == "admin"),
                "db_echo": False,
                "scheduler_enabled": False,  # started below, so the page can run its jobs
            }
        )
        self.bot = create_bot(self.settings, token=TOKEN)
        self.dp = create_dispatcher(self.settings, self.db, clock=self.clock)
        self._install_tracker()
        started = asyncio.Event()
        self.dp.startup.register(lambda: started.set())
        self._polling = asyncio.create_task(
            self.dp.start_polling(self.bot, handle_signals=False, polling_timeout=10)
        )
        waiter = asyncio.create_task(started.wait())
        done, _ = await asyncio.wait(
            {waiter, self._polling}, timeout=60, return_when=asyncio.FIRST_COMPLETED
        )
        if waiter not in done:
            waiter.cancel()
            if self._polling in done:
                self._polling.result()  # raises what stopped the bot
            raise RuntimeError("the bot did not start within 60 s")
        self._scheduler = self._start_scheduler(start_scheduler)
        self.ready = True

    def _start_scheduler(self, start_scheduler: Callable[..., Any]) -> Any:
        """The scheduler as `tukulokal run` has it (with the process's sender and broadcast
        runner), but held here so the page can run its jobs."""
        assert self.settings is not None
        return start_scheduler(
            self.settings.policy(),
            self.db,
            self.bot,
            self.clock,
            sender=self.dp["sender"],
            broadcasts=self.dp["broadcasts"],
        )

    async def _stop_scheduler(self) -> None:

        await stop_scheduler(self._scheduler)

    def _install_tracker(self) -> None:
        # Outermost, so that "handled" means after the error handler and the session commit.
        manager = self.dp.update.outer_middleware
        existing = list(manager)
        for middleware in existing:
            manager.unregister(middleware)
        manager.register(self.tracker)
        for middleware in existing:
            manager.register(middleware)

    async def stop(self) -> None:
        self.ready = False
        if self._runner is not None:
            with contextlib.suppress(Exception):
                await self._runner.cleanup()
            self._runner = None
        if self._scheduler is not None:
            with contextlib.suppress(Exception):
                await self._stop_scheduler()
            self._scheduler = None
        if self._polling is not None:
            if not self._polling.done():
                with contextlib.suppress(RuntimeError, TimeoutError):
                    await asyncio.wait_for(self.dp.stop_polling(), 20)
            with contextlib.suppress(Exception, asyncio.CancelledError):
                await asyncio.wait_for(self._polling, 20)
            self._polling = None
        if self.bot is not None:
            await self.bot.session.close()
            self.bot = None
        if self.db is not None:
            await self.db.dispose()
        if self.tg is not None:
            await self.tg.stop()
            try:
                save_files(self.tg, self.data_dir / FILES_DIR)
                self._save_state()
            except OSError as exc:
                log.warning("could not keep the sandbox's chats and files: %s", exc)
            self.tg = None

    # ------------------------------------------------------------------ kept between runs

    def _load_state(self) -> dict[str, Any]:
        try:
            state = json.loads((self.data_dir / STATE_FILE).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return state if isinstance(state, dict) else {}

    def _save_state(self) -> None:
        assert self.tg is not None
        chats = {}
        for persona in self.personas:
            messages = self.tg.chat(persona.telegram_id)[-HISTORY_SHOWN:]
            chats[str(persona.telegram_id)] = {
                "messages": [_dump_message(m) for m in messages if not m.deleted],
                "next_id": max(
                    (m.message_id for m in self.tg.chat(persona.telegram_id)), default=0
                ),
                "keyboard": persona.user.keyboard if persona.user else None,
            }
        state = {
            "clock": self.clock.marks,
            "language": self.language,
            "dates": "sandbox",  # message dates in sandbox time (earlier versions: real time)
            "chats": chats,
        }
        tmp = self.data_dir / (STATE_FILE + ".tmp")
        tmp.write_text(json.dumps(state), encoding="utf-8")
        tmp.replace(self.data_dir / STATE_FILE)

    def _restore_chats(self, chats: dict[str, Any], *, real_dates: bool = False) -> None:
        """Put back the personas' chats: the bot may still edit its earlier messages."""
        assert self.tg is not None
        counters = getattr(self.tg, "_message_ids", None)
        for persona in self.personas:
            saved = chats.get(str(persona.telegram_id))
            if not isinstance(saved, dict):
                continue
            restored = []
            for data in saved.get("messages", []):
                with contextlib.suppress(KeyError, TypeError, ValueError):
                    message = _load_message(data, self.tg)
                    if real_dates:
                        message.date = int(self.clock.at(message.date))
                        if message.edit_date:
                            message.edit_date = int(self.clock.at(message.edit_date))
                    restored.append(message)
            self.tg.chats[persona.telegram_id] = restored
            if isinstance(counters, dict):
                counters[persona.telegram_id] = int(saved.get("next_id") or 0)
            if persona.user is not None and saved.get("keyboard"):
                persona.user.keyboard = saved["keyboard"]

    # ------------------------------------------------------------------ time

    def _policy(self) -> Any:

        settings = self.base_settings
        return QuotaPolicy(
            tz=settings.tz,
            default_minimum=settings.default_quota_minimum,
            deadline_day=settings.quota_deadline_day,
        )

    async def _deadline(self, month: date) -> date:

        assert self.db is not None
        async with self.db.session() as session:
            day = await deadline_day_for(
                session, month, default=self.base_settings.quota_deadline_day
            )
            credit = await deadline_credit(session, month)
        return deadline_for(month, day, credit)

    async def target_time(self, action: str) -> datetime:
        """Where a time button moves the clock (always forward)."""

        now = self.clock()
        tz = self.base_settings.tz
        steps = {"+1h": timedelta(hours=1), "+1d": timedelta(days=1), "+1w": timedelta(days=7)}
        if action in steps:
            return now + steps[action]
        if action not in ("deadline-3", "deadline", "deadline+1", "next-month"):
            raise refusal("bad_step", f"unknown time step {action!r}")
        month = month_start(now.astimezone(tz).date())
        for _ in range(3):  # this month's moment, or the next month's if it has passed
            if action == "next-month":
                day = next_month(month)
            else:
                deadline = await self._deadline(month)
                shift = {"deadline-3": -3, "deadline": 0, "deadline+1": 1}[action]
                day = deadline + timedelta(days=shift)
            target = datetime.combine(day, dtime(9), tzinfo=tz).astimezone(UTC)
            if target > now + timedelta(minutes=1):
                return target
            month = next_month(month)
        raise refusal("no_moment", "could not find that moment")

    async def move_time(self, action: str) -> dict[str, Any]:
        async with self._time_lock:
            target = await self.target_time(action)
            self.clock.move_to(target)
            self._notify()
            runs = await self.run_jobs()
            if self.dp is not None and "broadcasts" in self.dp.workflow_data:
                with contextlib.suppress(Exception):
                    self.dp["broadcasts"].wake()  # scheduled broadcasts that are due now
            await self._settle()
            return {
                "clock": self._clock_json(),
                "jobs": [{"name": r.name, "ok": r.ok} for r in runs],
            }

    async def run_jobs(self) -> list[JobRun]:
        """Every scheduled job once, now, with the scheduler's own context (and lease)."""

        if self._scheduler is None:
            return []
        scheduled = list(self._scheduler.get_jobs())
        run_all = getattr(job_module, "run_all_jobs", None)
        ctx = next((a for j in scheduled for a in j.args if isinstance(a, JobContext)), None)
        if callable(run_all) and ctx is not None:
            run = await self._run_one("run_all_jobs", run_all, (ctx,), {})
            if run.ok and isinstance(run.result, dict):  # name -> result, None if it failed
                return [
                    JobRun(name, value is not None, value) for name, value in run.result.items()
                ]
            return [run]
        runs = []
        for job in sorted(scheduled, key=lambda j: j.id):
            runs.append(await self._run_one(job.id, job.func, job.args, job.kwargs))
        return runs

    async def _run_one(
        self, name: str, func: Callable[..., Awaitable[Any]], args: Any, kwargs: Any
    ) -> JobRun:
        try:
            result = await func(*args, **kwargs)
        except Exception:
            log.exception("sandbox: job %s failed", name)
            return JobRun(name, False)
        return JobRun(name, True, result)

    def _clock_json(self) -> dict[str, Any]:
        now = self.clock()
        local = now.astimezone(self.base_settings.tz)
        return {
            "now": now.timestamp(),
            "offset": self.clock.offset.total_seconds(),
            "label": f"{local:%a %d %b %Y, %H:%M} {local.tzname()}",
            "zone": local.tzname(),  # the page writes the label in its language
            "moved": self.clock.offset > timedelta(0),
        }

    # ------------------------------------------------------------------ acting as a persona

    def _notify(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    async def _settle(self) -> None:
        assert self.tg is not None
        with contextlib.suppress(TimeoutError):
            await self.tg.settle(quiet=0.05, timeout=5)

    async def act(self, action: Awaitable[Any]) -> Any:
        """A user action; returns once the bot has handled it (or ACTION_TIMEOUT passed)."""
        assert self.tg is not None
        before = len(self.tg.updates_log)
        try:
            result = await action
        except (AssertionError, ApiError) as exc:  # what a Telegram client would not do
            raise refusal("refused", str(exc), detail=str(exc)) from None
        ids = {u["update_id"] for u in self.tg.updates_log[before:]}
        if ids and not await self.tracker.wait(ids, ACTION_TIMEOUT):
            log.warning("sandbox: the bot did not handle %s within %s s", ids, ACTION_TIMEOUT)
        await self._settle()
        return result

    async def set_language(self, language: str) -> None:
        """The personas' Telegram app language (the bot follows it unless /bahasa chose)."""

        if language not in LANGUAGES:
            raise refusal("bad_language", "language must be id or en")
        self.language = language
        ids = [p.telegram_id for p in self.personas]
        for persona in self.personas:
            if persona.user is not None:
                persona.user.language_code = language
        assert self.db is not None
        # Notifications to a persona use the language its app last reported.
        async with self.db.session() as session:
            await session.exec(
                update(User)
                .where(col(User.telegram_id).in_(ids))
                .values(telegram_language=language)
            )
            await session.commit()
        self._notify()

    # ------------------------------------------------------------------ what the page shows

    def _events(self, persona: Persona) -> list[Any]:
        assert self.tg is not None
        return self.tg.chat_events(persona.telegram_id)

    def unread(self, persona: Persona) -> int:
        seen = persona.seen_seq
        return len(
            {
                e.message.message_id
                for e in self._events(persona)
                if e.seq > seen and e.kind == "sent"
            }
        )

    def mark_seen(self, persona: Persona) -> None:
        events = self._events(persona)
        if events:
            persona.seen_seq = events[-1].seq

    def version(self, persona: Persona | None) -> str:
        parts: list[Any] = [self.clock.marks[-1][1], self.language]
        parts += [self.unread(p) for p in self.personas if p is not persona]
        if persona is not None:
            assert self.tg is not None
            events = self._events(persona)
            user = persona.user
            parts += [
                len(self.tg.chat(persona.telegram_id)),
                events[-1].seq if events else 0,
                json.dumps(user.keyboard if user else None, sort_keys=True),
                bool(user and user.force_reply),
            ]
        return ":".join(str(p) for p in parts)

    def snapshot(self, persona: Persona | None) -> dict[str, Any]:
        assert self.tg is not None
        data: dict[str, Any] = {
            "version": self.version(persona),
            "clock": self._clock_json(),
            "language": self.language,
            "bot": {"username": BOT_USERNAME, "name": "TukuLokal"},
            "timezone": self.base_settings.timezone,
            "personas": [
                {
                    "key": p.key,
                    "name": p.name,
                    "role": p.role,
                    "about": p.about,
                    "hint": p.hint,
                    "phone": p.phone,
                    "shop": p.last_name if p.shop_code else None,
                    "unread": 0 if p is persona else self.unread(p),
                    **self._last_line(p),
                }
                for p in self.personas
            ],
        }
        if persona is not None:
            user = persona.user
            messages = [m for m in self.tg.chat(persona.telegram_id) if not m.deleted]
            data["chat"] = {
                "persona": persona.key,
                "messages": [self._message_json(m) for m in messages[-HISTORY_SHOWN:]],
                "keyboard": _keyboard_json(user.keyboard) if user else None,
                "force_reply": (user.force_reply or {}).get("input_field_placeholder")
                if user and user.force_reply
                else None,
                "commands": self._commands(persona),
                "description": self._description(persona),
            }
        return data

    def _last_line(self, persona: Persona) -> dict[str, str]:
        """The chat list's preview: ``last`` (the newest text's first line), ``last_kind``
        (photo, document, contact: the page names it in its language)."""
        assert self.tg is not None
        for message in reversed(self.tg.chat(persona.telegram_id)):
            if message.deleted:
                continue
            if message.text:
                return {"last": message.text.split("\n", 1)[0][:80], "last_kind": "text"}
            if message.kind in ("photo", "document", "contact"):
                return {"last": "", "last_kind": message.kind}
            return {"last": "", "last_kind": ""}
        return {"last": "", "last_kind": ""}

    def _description(self, persona: Persona) -> str | None:
        """The bot's "What can this bot do?" text (setMyDescription) in the app's language."""
        assert self.tg is not None
        language = (persona.user.language_code if persona.user else None) or ""
        texts = self.tg.bot_texts
        return texts.get(("description", language)) or texts.get(("description", "")) or None

    def _commands(self, persona: Persona) -> list[dict[str, str]]:
        """The bot's command menu as Telegram picks it: most specific scope, then language."""
        assert self.tg is not None
        language = (persona.user.language_code if persona.user else None) or ""
        scopes: list[dict[str, Any]] = [
            {"type": "chat", "chat_id": persona.telegram_id},
            {"type": "all_private_chats"},
            {"type": "default"},
        ]
        for scope in scopes:
            for code in dict.fromkeys((language, "")):
                commands = self.tg.my_commands(scope, code)
                if commands:
                    return commands
        return []

    def _message_json(self, message: BotMessage) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": message.message_id,
            "out": not message.from_bot,
            "date": message.date,  # the fake Telegram runs on the sandbox's clock
            "text": message.text or "",
            "entities": message.entities,
            "edited": message.edited,
            "reply_to": message.reply_to_message_id,
        }
        photo = message.photo_file
        if photo is not None:
            data["photo"] = {
                "url": f"/files/{photo.file_id}",
                "width": photo.width,
                "height": photo.height,
            }
        document = message.document_file
        if document is not None:
            data["document"] = {
                "url": f"/files/{document.file_id}",
                "name": document.file_name or "document",
                "size": document.file_size,
                "mime": document.mime_type or "",
            }
        if message.contact:
            data["contact"] = {
                "phone": message.contact.get("phone_number"),
                "name": " ".join(
                    p
                    for p in (message.contact.get("first_name"), message.contact.get("last_name"))
                    if p
                ),
            }
        if message.forward_origin:
            data["forwarded"] = True
        if message.inline_keyboard:
            data["buttons"] = [[_inline_button(b) for b in row] for row in message.inline_keyboard]
        return data

    # ------------------------------------------------------------------ the web app

    def web_app(self) -> web.Application:
        app = web.Application(client_max_size=25 * 1024 * 1024, middlewares=[self._headers])
        app.router.add_get("/", self.h_index)
        app.router.add_get("/static/{name}", self.h_static)
        app.router.add_get("/favicon.ico", self.h_favicon)
        app.router.add_get("/files/{file_id}", self.h_file)
        app.router.add_get("/api/poll", self.h_poll)
        app.router.add_post("/api/chat/{key}/send", self.h_send)
        app.router.add_post("/api/chat/{key}/tap", self.h_tap)
        app.router.add_post("/api/chat/{key}/press", self.h_press)
        app.router.add_post("/api/chat/{key}/start", self.h_start)
        app.router.add_post("/api/chat/{key}/upload", self.h_upload)
        app.router.add_post("/api/time", self.h_time)
        app.router.add_post("/api/language", self.h_language)
        return app

    @web.middleware
    async def _headers(
        self, request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        if request.method == "POST" and request.headers.get(ACTION_HEADER) != "1":
            raise refusal("forbidden", "actions come from the sandbox page only", status=403)
        if not self.ready and request.path.startswith(("/api/", "/files/")):
            raise refusal("starting", "the sandbox is starting", status=503)
        response = await handler(request)
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        return response

    async def h_index(self, request: web.Request) -> web.Response:
        html = (WEB_DIR / "index.html").read_text(encoding="utf-8")
        # The page's language from the first paint (sandbox.js reads it before the first poll).
        html = html.replace('<html lang="id">', f'<html lang="{self.language}">', 1)
        return web.Response(
            text=html, content_type="text/html", headers={"Cache-Control": "no-cache"}
        )

    async def h_static(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        if name not in WEB_FILES:
            raise web.HTTPNotFound()
        return web.Response(
            body=(WEB_DIR / name).read_bytes(),
            content_type=WEB_FILES[name],
            charset="utf-8" if not name.endswith(".svg") else None,
            headers={"Cache-Control": "no-cache"},
        )

    async def h_favicon(self, request: web.Request) -> web.Response:
        raise web.HTTPFound("/static/favicon.svg")

    async def h_file(self, request: web.Request) -> web.Response:
        assert self.tg is not None
        file = self.tg.files.get(request.match_info["file_id"])
        if file is None:
            raise web.HTTPNotFound()
        headers = {"Cache-Control": "private, max-age=3600"}
        if file.kind == "document":
            name = re.sub(r'[\r\n"\\]', "_", file.file_name or "document")
            headers["Content-Disposition"] = f'attachment; filename="{name}"'
        return web.Response(
            body=file.data,
            content_type=file.mime_type or "application/octet-stream",
            headers=headers,
        )

    async def h_poll(self, request: web.Request) -> web.Response:
        key = request.query.get("chat") or ""
        persona = self.persona(key) if key else None
        known = request.query.get("v", "")
        try:
            wait = min(max(float(request.query.get("wait", POLL_WAIT)), 0.0), 60.0)
        except ValueError:
            wait = POLL_WAIT
        deadline = time.monotonic() + wait
        while True:
            if persona is not None:
                self.mark_seen(persona)
            current = self.version(persona)
            remaining = deadline - time.monotonic()
            if current != known or remaining <= 0:
                break
            await self._wait_change(remaining)
        if current == known:
            return web.json_response({"version": current, "unchanged": True})
        return web.json_response(self.snapshot(persona))

    async def _wait_change(self, timeout: float) -> None:
        assert self.tg is not None
        mine = asyncio.ensure_future(self._changed.wait())
        theirs = asyncio.ensure_future(self.tg.wait_changed(timeout))
        try:
            await asyncio.wait(
                {mine, theirs}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED
            )
        finally:
            for task in (mine, theirs):
                task.cancel()
        await asyncio.sleep(0.02)  # let a burst of changes land together

    async def _json_body(self, request: web.Request) -> dict[str, Any]:
        try:
            body = await request.json()
        except ValueError:
            raise refusal("bad_request", "expected a JSON body") from None
        if not isinstance(body, dict):
            raise refusal("bad_request", "expected a JSON object")
        return body

    def _user(self, request: web.Request) -> tuple[Persona, FakeUser]:
        persona = self.persona(request.match_info["key"])
        assert persona.user is not None
        return persona, persona.user

    async def h_send(self, request: web.Request) -> web.Response:
        _persona, user = self._user(request)
        body = await self._json_body(request)
        text, entities = _typed(body.get("text"), body.get("entities"), limit=TEXT_LIMIT)
        if not text:
            raise refusal("empty", "empty message")
        if entities:  # formatted in the page: the text and its entities, as a client sends
            await self.act(user.send(text, entities=entities))
        else:
            await self.act(user.send(text))
        return web.json_response({"ok": True})

    async def h_start(self, request: web.Request) -> web.Response:
        _persona, user = self._user(request)
        payload = str((await self._json_body(request)).get("payload") or "").strip()
        if payload and not re.fullmatch(r"[A-Za-z0-9_-]{1,64}", payload):
            raise refusal("bad_start", "a start parameter is 1-64 letters, digits, _ or -")
        await self.act(user.start(payload or None))
        return web.json_response({"ok": True})

    async def h_tap(self, request: web.Request) -> web.Response:
        assert self.tg is not None
        persona, user = self._user(request)
        body = await self._json_body(request)
        message = self.tg.message(persona.telegram_id, int(body.get("message_id") or 0))
        if message is None or message.deleted:
            raise refusal("gone_message", "that message is no longer in the chat")
        data = str(body.get("data") or "")
        shown = [b.get("callback_data") for row in message.inline_keyboard for b in row]
        if data not in shown:
            raise refusal("gone_button", "that button is no longer there")
        record = await self.act(user.click_data(message, data))
        answer: dict[str, Any] | None = None
        with contextlib.suppress(AssertionError):
            answer = await user.wait_answer(record, timeout=ACTION_TIMEOUT)
        return web.json_response({"ok": True, "answer": _answer_json(answer)})

    async def h_press(self, request: web.Request) -> web.Response:
        _persona, user = self._user(request)
        text = str((await self._json_body(request)).get("text") or "")
        if not user.keyboard:
            raise refusal("no_keyboard", "there is no keyboard")
        flat = [b for row in user.keyboard.get("keyboard", []) for b in row]
        button = next((b for b in flat if b.get("text") == text), None)
        if button is None:
            raise refusal("gone_key", "that key is no longer there")
        if button.get("request_contact"):
            if not user.phone:
                raise refusal("no_phone", "this account has no phone number")
            await self.act(user.send_contact(user.phone, own=True))
        else:
            await self.act(user.press(text))
        return web.json_response({"ok": True})

    async def h_upload(self, request: web.Request) -> web.Response:
        _persona, user = self._user(request)
        form = await request.post()
        upload = form.get("file")
        if not isinstance(upload, web.FileField):
            raise refusal("no_file", "no file")
        data = upload.file.read()
        raw_entities = form.get("caption_entities")
        try:
            entities = json.loads(str(raw_entities)) if raw_entities else None
        except ValueError:
            raise refusal("bad_format", "caption_entities is not JSON") from None
        caption, fixed = _typed(form.get("caption"), entities, limit=CAPTION_LIMIT)
        formatting = fixed or None
        if form.get("kind") == "photo":
            await self.act(
                user.send_photo(data, caption=caption or None, caption_entities=formatting)
            )
        else:
            name = Path(upload.filename or "file").name[:200] or "file"
            await self.act(
                user.send_document(
                    data,
                    name,
                    upload.content_type,
                    caption=caption or None,
                    caption_entities=formatting,
                )
            )
        return web.json_response({"ok": True})

    async def h_time(self, request: web.Request) -> web.Response:
        action = str((await self._json_body(request)).get("step") or "")
        return web.json_response(await self.move_time(action))

    async def h_language(self, request: web.Request) -> web.Response:
        await self.set_language(str((await self._json_body(request)).get("language") or ""))
        return web.json_response({"ok": True, "language": self.language})


# ---------------------------------------------------------------------- refusals and texts


def refusal(code: str, message: str, *, status: int = 400, **params: Any) -> web.HTTPException:
    """An error for the page: ``code`` names its words in the page's language (sandbox.js's
    TEXTS, ``error.<code>``, with ``params``), ``message`` is the English fallback."""
    kinds: dict[int, type[web.HTTPException]] = {
        400: web.HTTPBadRequest,
        403: web.HTTPForbidden,
        404: web.HTTPNotFound,
        503: web.HTTPServiceUnavailable,
    }
    body = json.dumps({"error": code, "message": message, "params": params})
    return kinds[status](text=body, content_type="application/json")


def _typed(raw: Any, entities: Any, *, limit: int) -> tuple[str, list[dict[str, Any]]]:
    """A text typed in the page as Telegram's server keeps it: cleaned and trimmed, its
    entities (UTF-16 offsets, the formatting a client sends) checked and fixed."""
    if entities is not None and not isinstance(entities, list):
        raise refusal("bad_format", "entities must be a list", detail="entities")
    try:
        text, fixed = format_text(str(raw or ""), None, entities or [])
    except TextError as exc:
        raise refusal("bad_format", str(exc), detail=str(exc)) from None
    length = text_length(text)
    if length > limit:
        what = "message" if limit == TEXT_LIMIT else "caption"
        raise refusal(
            "too_long" if limit == TEXT_LIMIT else "caption_too_long",
            f"a {what} has at most {limit} characters",
            limit=limit,
            length=length,
        )
    return text, fixed


# ---------------------------------------------------------------------- JSON shapes


def _inline_button(button: dict[str, Any]) -> dict[str, Any]:
    shown: dict[str, Any] = {"text": button.get("text", "")}
    if "callback_data" in button:
        shown.update(type="callback", data=button["callback_data"])
    elif button.get("url"):
        shown.update(type="url", url=button["url"])
    elif isinstance(button.get("copy_text"), dict):
        shown.update(type="copy", copy=button["copy_text"].get("text", ""))
    else:
        shown.update(type=next((k for k in button if k != "text"), "other"))
    return shown


def _keyboard_json(markup: dict[str, Any] | None) -> dict[str, Any] | None:
    if not markup or "keyboard" not in markup:
        return None
    return {
        "rows": [
            [
                {
                    "text": b.get("text", ""),
                    "contact": bool(b.get("request_contact")),
                    "unsupported": any(
                        b.get(k)
                        for k in (
                            "request_location",
                            "request_users",
                            "request_chat",
                            "request_poll",
                            "web_app",
                        )
                    ),
                }
                for b in row
            ]
            for row in markup["keyboard"]
        ],
        "placeholder": markup.get("input_field_placeholder"),
        "one_time": bool(markup.get("one_time_keyboard")),
        "persistent": bool(markup.get("is_persistent")),
    }


def _answer_json(answer: dict[str, Any] | None) -> dict[str, Any] | None:
    if not answer:
        return None
    return {
        "text": answer.get("text"),
        "alert": bool(answer.get("show_alert")),
        "url": answer.get("url"),
    }


def _dump_message(message: BotMessage) -> dict[str, Any]:
    return {
        "message_id": message.message_id,
        "chat_id": message.chat_id,
        "from_bot": message.from_bot,
        "date": message.date,
        "sender_id": message.sender_id,
        "text": message.text,
        "html": message.html,
        "entities": message.entities,
        "parse_mode": message.parse_mode,
        "photo": [f.file_id for f in message.photo_sizes],
        "document": message.document_file.file_id if message.document_file else None,
        "contact": message.contact,
        "reply_markup": message.reply_markup,
        "reply_to_message_id": message.reply_to_message_id,
        "edited": message.edited,
        "edit_date": message.edit_date,
    }


def _load_message(data: dict[str, Any], tg: FakeTelegram) -> BotMessage:
    photos = [tg.files[file_id] for file_id in data.get("photo") or []]
    document = tg.files[data["document"]] if data.get("document") else None
    return BotMessage(
        message_id=int(data["message_id"]),
        chat_id=int(data["chat_id"]),
        from_bot=bool(data["from_bot"]),
        date=int(data["date"]),
        sender_id=int(data["sender_id"]),
        text=data.get("text"),
        html=data.get("html"),
        entities=list(data.get("entities") or []),
        parse_mode=data.get("parse_mode"),
        photo_sizes=photos,
        document_file=document,
        contact=data.get("contact"),
        reply_markup=data.get("reply_markup"),
        reply_to_message_id=data.get("reply_to_message_id"),
        edited=int(data.get("edited") or 0),
        edit_date=data.get("edit_date"),
    )


# ---------------------------------------------------------------------- entry point


async def run_sandbox(
    settings: Settings,
    *,
    data_dir: Path,
    port: int = 8088,
    host: str = "127.0.0.1",
    language: str = "id",
    stop: asyncio.Event | None = None,
    out: Callable[[str], None] = print,
) -> int:
    """Run until ``stop`` is set, SIGTERM, or Ctrl-C; 0 after a clean shutdown."""

    sandbox = Sandbox(settings, data_dir, host=host, port=port, language=language)
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
        loop.add_signal_handler(signal.SIGTERM, stop.set)
    root = logging.getLogger()
    saved_level = root.level
    if root.level != logging.NOTSET and root.level > logging.DEBUG:
        root.setLevel(logging.WARNING)  # aiogram's per-update INFO lines are noise here
    if sandbox.db_path.exists():
        out(f"Starting the TukuLokal sandbox (demo data in {sandbox.data_dir}) …")
    else:
        out(f"First start: preparing the demo data in {sandbox.data_dir} (a few seconds) …")
    try:
        try:
            await sandbox.start()
        except OSError as exc:
            out(f"Could not start: {exc} (is another sandbox running? try --port)")
            return 1
        out(f"Open {sandbox.url} in your browser. Ctrl-C stops the sandbox.")
        try:
            await stop.wait()
        except asyncio.CancelledError:  # Ctrl-C: asyncio.run cancels this task
            task = asyncio.current_task()
            if task is not None:
                task.uncancel()
        return 0
    finally:
        await sandbox.stop()
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.remove_signal_handler(signal.SIGTERM)
        out("Sandbox stopped; the demo data stays for next time.")
        root.setLevel(saved_level)
