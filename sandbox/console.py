"""`tukulokal try`: chat with the real bot in this terminal, without a token or a network.

The bot runs unmodified against the in-repo fake Bot API (:mod:`sandbox.fakegram`) on
127.0.0.1, with its own SQLite demo database under ``data_dir`` (never the configured
DATABASE_URL). The console acts as several Telegram accounts ("personas") and shows, line by
line, what the bot sends to the one in use, so it also works when piped::

    printf '/start\\n/tap 4\\n/quit\\n' | tukulokal try

The console chrome is English; the bot speaks each persona's language (Indonesian first).
"""

from __future__ import annotations

import asyncio
import contextlib
import csv
import json
import logging
import mimetypes
import re
import sys
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, TextIO

from pydantic import SecretStr
from sqlmodel import col, select

from bot.factory import create_bot, create_dispatcher
from bot.settings import Settings
from models import Merchant, User
from models.db import Database
from models.migrate import upgrade
from sandbox.fakegram import ApiError, BotMessage, FakeFile, FakeTelegram, FakeUser
from services.categories import ensure_categories
from services.demo import MERCHANTS_CSV, ROSTER_CSV, seed_demo
from services.phones import PhoneError, normalize_phone

log = logging.getLogger(__name__)

TOKEN = "7000000001:TUKULOKAL-TRY-LOCAL-ONLY"
BOT_USERNAME = "TukuLokalBot"
DB_FILE = "tukulokal-try.db"
FILES_DIR = "telegram-files"  # the fake's files, kept so that stored file_ids stay valid

# Personas: fixed Telegram ids, so that a persona finds its account again in the demo database
# the next time the console runs.
ASN_ID = 710_001
MERCHANT_ID = 720_001
ADMIN_ID = 790_001
GUEST_ID = 730_001
# Preferred demo rows (the first usable row is taken if they leave the demo CSVs).
PREFERRED_NIP = "198408172010011014"
PREFERRED_SHOP = "KOPI-TLOGOMAS"
ADMIN_PHONE = "+6281230009001"
GUEST_PHONE = "+6281298765432"

REPLAY = 6  # messages shown when switching persona
REPLAY_MAX = 20
ACTION_TIMEOUT = 20.0  # seconds to wait for the bot to handle one update


# ---------------------------------------------------------------------- input and output


class LineSource(Protocol):
    """Where the console reads lines: ``readline()`` returns "" (or b"") at the end."""

    async def readline(self) -> str | bytes: ...


class LineQueue:
    """Lines fed by a test, or by a thread reading a blocking file such as ``sys.stdin``.

    A thread instead of ``loop.connect_read_pipe`` because stdin may also be a regular file
    (``tukulokal try < script.txt``), which the event loop cannot watch.
    """

    def __init__(self) -> None:
        self._queue: asyncio.Queue[str | None] = asyncio.Queue()

    def feed(self, line: str) -> None:
        self._queue.put_nowait(line if line.endswith("\n") else line + "\n")

    def feed_eof(self) -> None:
        self._queue.put_nowait(None)

    async def readline(self) -> str:
        line = await self._queue.get()
        if line is None:
            self._queue.put_nowait(None)  # stays at the end
            return ""
        return line

    @classmethod
    def from_file(cls, file: TextIO) -> LineQueue:
        reader = cls()
        loop = asyncio.get_running_loop()

        def pump() -> None:
            try:
                for line in iter(file.readline, ""):
                    loop.call_soon_threadsafe(reader.feed, line)
            except (OSError, ValueError):
                pass  # stdin closed
            with contextlib.suppress(RuntimeError):  # the loop is already closed
                loop.call_soon_threadsafe(reader.feed_eof)

        threading.Thread(target=pump, name="tukulokal-try-stdin", daemon=True).start()
        return reader


class _Out:
    def __init__(self, stream: Any) -> None:
        self.stream = stream
        self.closed = False

    def __call__(self, text: str = "", end: str = "\n") -> None:
        if self.closed:
            return
        try:
            try:
                self.stream.write(text + end)
            except UnicodeEncodeError:  # a terminal that cannot show emoji
                encoding = getattr(self.stream, "encoding", None) or "ascii"
                self.stream.write(text.encode(encoding, "replace").decode(encoding) + end)
            with contextlib.suppress(AttributeError):
                self.stream.flush()
        except (BrokenPipeError, ValueError):  # `tukulokal try | head`, or a closed stream
            self.closed = True

    def isatty(self) -> bool:
        try:
            return bool(self.stream.isatty())
        except (AttributeError, ValueError):
            return False


# ---------------------------------------------------------------------- personas


@dataclass
class Persona:
    key: str
    telegram_id: int
    first_name: str
    last_name: str | None
    phone: str | None
    about: str  # one line for the intro
    hint: str  # how to get going with this persona
    user: FakeUser | None = None
    cursor: int = 0  # last ChatEvent.seq shown
    announced: int = 0  # unread messages already announced
    keyboard: dict[str, Any] | None = None  # reply keyboard last shown
    # message id -> (text, file id) as last printed, to tell what an edit changed
    shown: dict[int, tuple[str | None, str | None]] = field(default_factory=dict)


def csv_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return [{k: (v or "").strip() for k, v in row.items()} for row in csv.DictReader(fh)]


def split_name(full: str) -> tuple[str, str | None]:
    """'Dr. Ir. Bambang Sutrisno, M.M.' -> ('Bambang', 'Sutrisno'): Telegram-like names."""
    words = [w for w in full.split(",")[0].split() if not w.endswith(".")]
    words = words or full.split()[:1] or ["ASN"]
    return words[0], " ".join(words[1:]) or None


def demo_personas() -> list[Persona]:
    """The four accounts, chosen from the demo CSVs (services/data/demo)."""

    def phone_of(text: str) -> str | None:
        try:
            return normalize_phone(text) if text else None
        except PhoneError:
            return None

    roster = [r for r in csv_rows(ROSTER_CSV) if phone_of(r.get("telepon", ""))]
    asn = next((r for r in roster if r["nip"] == PREFERRED_NIP), roster[0] if roster else None)
    shops = [m for m in csv_rows(MERCHANTS_CSV) if phone_of(m.get("telepon", ""))]
    shop = next((m for m in shops if m["kode"] == PREFERRED_SHOP), shops[0] if shops else None)

    personas = []
    if asn is not None:
        first, last = split_name(asn["nama"])
        personas.append(
            Persona(
                "asn",
                ASN_ID,
                first,
                last,
                phone_of(asn["telepon"]),
                f"{asn['nama']}, ASN at {asn['opd']} (golongan {asn['golongan']}), "
                f"NIP {asn['nip']}, phone {asn['telepon']}",
                f"/start, /tap ASN, type the NIP {asn['nip']}, then /press 1 to share the phone",
            )
        )
    if shop is not None:
        personas.append(
            Persona(
                "merchant",
                MERCHANT_ID,
                "Pemilik",
                shop["nama"],
                phone_of(shop["telepon"]),
                f"owner of {shop['nama']} ({shop['kode']}), phone {shop['telepon']}",
                "/start, /tap UMKM, then /press 1 to share the shop's phone: orders arrive here",
            )
        )
    personas.append(
        Persona(
            "admin",
            ADMIN_ID,
            "Admin",
            "Diskopindag",
            ADMIN_PHONE,
            "a city administrator (in ADMIN_IDS for this session)",
            "registration checks and alerts arrive here",
        )
    )
    personas.append(
        Persona(
            "guest",
            GUEST_ID,
            "Dimas",
            None,
            GUEST_PHONE,
            f"anyone else, phone {GUEST_PHONE}",
            "browse and search, or register as a general buyer",
        )
    )
    return personas


# ---------------------------------------------------------------------- the bot


class UpdateTracker:
    """Outermost update middleware: tells when the bot finished handling an update."""

    def __init__(self) -> None:
        self.done: set[int] = set()
        self._changed = asyncio.Event()

    async def __call__(
        self,
        handler: Callable[[Any, dict[str, Any]], Awaitable[Any]],
        event: Any,
        data: dict[str, Any],
    ) -> Any:
        try:
            return await handler(event, data)
        finally:
            self.done.add(event.update_id)
            self._changed.set()
            self._changed = asyncio.Event()

    async def wait(self, update_ids: set[int], timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while not update_ids <= self.done:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), remaining)
        self.done -= update_ids
        return True


def restore_files(tg: FakeTelegram, folder: Path) -> int:
    """Give the fake Telegram the files of earlier sessions, under their old file_ids.

    Telegram keeps files forever, and the bot stores file_ids (cached product photos, photos
    uploaded by shops, payment proofs): without this they would all break on the next run.
    """
    try:
        entries = json.loads((folder / "index.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return 0
    by_path = getattr(tg, "_files_by_path", None)  # where the file download route looks
    restored = 0
    for n, entry in enumerate(entries, 1):
        try:
            data = (folder / entry["blob"]).read_bytes()
            old_path = Path(entry["file_path"])
            file = FakeFile(
                file_id=entry["file_id"],
                file_unique_id=entry["file_unique_id"],
                kind=entry["kind"],
                data=data,
                # new names: this session numbers its own files from 1 again
                file_path=f"{old_path.parent.as_posix()}/kept_{n}{old_path.suffix}",
                file_name=entry.get("file_name"),
                mime_type=entry.get("mime_type"),
                width=entry.get("width"),
                height=entry.get("height"),
            )
        except (OSError, KeyError, TypeError):
            continue
        tg.files[file.file_id] = file
        if isinstance(by_path, dict):
            by_path[file.file_path] = file
        restored += 1
    return restored


def save_files(tg: FakeTelegram, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    entries = []
    blobs = set()
    for file in tg.files.values():
        blob = f"{file.file_unique_id}.bin"  # the same content has the same unique id
        if blob not in blobs and not (folder / blob).exists():
            (folder / blob).write_bytes(file.data)
        blobs.add(blob)
        entries.append(
            {
                "file_id": file.file_id,
                "file_unique_id": file.file_unique_id,
                "kind": file.kind,
                "blob": blob,
                "file_path": file.file_path,
                "file_name": file.file_name,
                "mime_type": file.mime_type,
                "width": file.width,
                "height": file.height,
            }
        )
    tmp = folder / "index.json.tmp"
    tmp.write_text(json.dumps(entries), encoding="utf-8")
    tmp.replace(folder / "index.json")
    for stale in folder.glob("*.bin"):
        if stale.name not in blobs:
            stale.unlink(missing_ok=True)


async def prepare_demo_database(db: Database, photos_dir: Path) -> bool:
    """Migrate; load the demo data the first time. True when it was loaded now.

    Shared with `tukulokal sandbox` (sandbox), as are the demo personas and CSV helpers.
    """

    await upgrade(db.engine)
    async with db.session() as session:
        await ensure_categories(session)
        if (await session.exec(select(Merchant).limit(1))).first() is not None:
            return False
        await seed_demo(session, photos_dir=photos_dir)
        return True


async def _known_accounts(db: Database, telegram_ids: list[int]) -> set[int]:

    async with db.session() as session:
        rows = await session.exec(
            select(User.telegram_id).where(col(User.telegram_id).in_(telegram_ids))
        )
        return set(rows.all())


class Console:
    def __init__(
        self, settings: Settings, data_dir: Path, reader: LineSource, out: _Out, *, prompt: bool
    ) -> None:
        self.base_settings = settings
        self.data_dir = data_dir
        self.reader = reader
        self.out = out
        self.prompt = prompt
        self.personas = demo_personas()
        self.current = self.personas[0]
        self.tracker = UpdateTracker()
        self.busy = False
        self.errors_seen = 0
        self.tg: FakeTelegram
        self.db: Database
        self.dp: Any = None
        self.bot: Any = None
        self.polling: asyncio.Task | None = None
        self.watcher: asyncio.Task | None = None

    # ------------------------------------------------------------------ lifecycle

    @property
    def db_path(self) -> Path:
        return self.data_dir / DB_FILE

    async def start(self) -> None:

        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.tg = FakeTelegram(token=TOKEN, bot_username=BOT_USERNAME)
        await self.tg.start("127.0.0.1", 0)
        restore_files(self.tg, self.data_dir / FILES_DIR)
        self.db = Database(f"sqlite+aiosqlite:///{self.db_path}")
        seeded = await prepare_demo_database(self.db, self.data_dir / "photos")
        if seeded:
            self.out("Loaded the demo data (Malang UMKM, products, ASN roster).")
        settings = self.base_settings.model_copy(
            update={
                "bot_token": SecretStr(TOKEN),
                "database_url": self.db.url,
                "telegram_api_url": self.tg.base_url,
                "redis_url": None,  # FSM state in the demo database, not a real Redis
                "admin_ids": frozenset({ADMIN_ID}),
                "db_echo": False,
            }
        )
        known = await _known_accounts(self.db, [p.telegram_id for p in self.personas])
        for persona in self.personas:
            persona.user = self.tg.user(
                persona.telegram_id,
                persona.first_name,
                persona.last_name,
                language_code="id",
                phone=persona.phone,
                # opened the bot in an earlier session: the bot may write to them first
                started=persona.telegram_id in known,
            )
        self.bot = create_bot(settings, token=TOKEN)
        self.dp = create_dispatcher(settings, self.db)
        self._install_tracker()
        started = asyncio.Event()
        self.dp.startup.register(lambda: started.set())
        self.polling = asyncio.create_task(
            self.dp.start_polling(self.bot, handle_signals=False, polling_timeout=5)
        )
        waiter = asyncio.create_task(started.wait())
        done, _ = await asyncio.wait(
            {waiter, self.polling}, timeout=30, return_when=asyncio.FIRST_COMPLETED
        )
        if waiter not in done:
            waiter.cancel()
            if self.polling in done:
                self.polling.result()  # raises what stopped the bot
            raise RuntimeError("the bot did not start within 30 s")
        self.watcher = asyncio.create_task(self._watch())

    def _install_tracker(self) -> None:
        # Outermost, so that "done" means after the error handler and the session commit.
        manager = self.dp.update.outer_middleware
        existing = list(manager)
        for middleware in existing:
            manager.unregister(middleware)
        manager.register(self.tracker)
        for middleware in existing:
            manager.register(middleware)

    async def stop(self) -> None:
        if self.watcher is not None:
            self.watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.watcher
        if self.polling is not None:
            if not self.polling.done():
                with contextlib.suppress(RuntimeError, TimeoutError):  # already ended, or stuck
                    await asyncio.wait_for(self.dp.stop_polling(), 20)
            with contextlib.suppress(Exception, asyncio.CancelledError):
                await asyncio.wait_for(self.polling, 20)
        if self.bot is not None:
            await self.bot.session.close()
        if hasattr(self, "db"):
            await self.db.dispose()
        if hasattr(self, "tg"):
            await self.tg.stop()
            try:
                save_files(self.tg, self.data_dir / FILES_DIR)
            except OSError as exc:
                self.out(f"⚠️  could not keep the files sent in this session: {exc}")

    # ------------------------------------------------------------------ the loop

    async def run(self) -> None:
        self.intro()
        while True:
            self._show_prompt()
            line = await self.reader.readline()
            if isinstance(line, bytes):
                line = line.decode("utf-8", "replace")
            if not line:
                self.out("(end of input)")
                break
            line = line.strip()
            if line and not self.prompt:
                self.out(f"{self.current.key}› {line}")  # a transcript of piped input
            self.busy = True
            try:
                if await self.handle(line) is False:
                    break
            finally:
                self.busy = False
        await self._settle()
        self.flush()

    def _show_prompt(self) -> None:
        if self.prompt:
            self.out(f"{self.current.key}› ", end="")

    async def handle(self, line: str) -> bool:
        """One input line; False to quit."""
        if not line:
            return True
        tap = re.fullmatch(r":(\d+(?:\.\d+)?)", line)
        if tap:
            await self.cmd_tap(tap.group(1))
            return True
        if line.startswith("//"):
            await self.act(self.user.send(line[1:]))
            return True
        command, _, rest = line.partition(" ")
        rest = rest.strip()
        command = command.lower()
        if command in ("/quit", "/exit", "/q"):
            return False
        handlers: dict[str, Callable[[str], Awaitable[None]]] = {
            "/tap": self.cmd_tap,
            "/press": self.cmd_press,
            "/as": self.cmd_as,
            "/photo": self.cmd_photo,
            "/file": self.cmd_file,
            "/keyboard": self.cmd_keyboard,
            "/help": self.cmd_help,
        }
        handler = handlers.get(command)
        if handler is None:  # text, /start, /katalog, /cari kopi …: for the bot
            await self.act(self.user.send(line))
        else:
            await handler(rest)
        return True

    @property
    def user(self) -> FakeUser:
        assert self.current.user is not None
        return self.current.user

    async def act(self, action: Awaitable[Any]) -> Any:
        """Do a user action, wait until the bot handled it, then show what changed."""
        before = len(self.tg.updates_log)
        try:
            result = await action
        except (AssertionError, ApiError) as exc:  # what a Telegram client would refuse
            self.out(f"⚠️  {exc}")
            return None
        ids = {u["update_id"] for u in self.tg.updates_log[before:]}
        if ids and not await self.tracker.wait(ids, ACTION_TIMEOUT):
            self.out(f"⚠️  the bot did not finish within {ACTION_TIMEOUT:.0f} s")
        await self._settle()
        self.flush()
        return result

    async def _settle(self) -> None:
        with contextlib.suppress(TimeoutError):
            await self.tg.settle(quiet=0.05, timeout=5)

    async def _watch(self) -> None:
        """Show what arrives while the console waits for input (late or scheduled messages)."""
        while True:
            await self.tg.wait_changed(3600)
            if self.busy:
                continue
            await self._settle()
            if not self.busy and self.flush():
                self._show_prompt()

    # ------------------------------------------------------------------ commands

    async def cmd_help(self, _rest: str = "") -> None:
        self.out(HELP)

    def intro(self) -> None:
        self.out("")
        self.out("TukuLokal — try the bot in this terminal")
        self.out(
            f"A fake Telegram runs on {self.tg.base_url} and the real bot talks to it; "
            "nothing leaves this computer."
        )
        self.out(f"Demo database: {self.db_path} (delete {self.data_dir} to start over).")
        self.out("")
        self.out("Accounts (switch with /as NAME):")
        width = max(len(p.key) for p in self.personas)
        for persona in self.personas:
            self.out(f"  {persona.key:<{width}}  {persona.about}")
            self.out(f"  {'':<{width}}  → {persona.hint}")
        self.out("")
        self.out(HELP)
        self.out("")
        self.out(f"You are {self.current.key}. Type /start to open the bot.")

    async def cmd_tap(self, rest: str) -> None:
        found = self._find_inline(rest)
        if found is None:
            return
        message, button = found
        label = button["text"]
        if "callback_data" in button:
            self.out(f"› tap {label}")
            record = await self.act(self.user.click_data(message, button["callback_data"]))
            answer = record.answer if record is not None else None
            if answer and answer.get("text"):
                mark = "⚠️  alert" if answer.get("show_alert") else "💬"
                self.out(f"{mark}: {answer['text']}")
            return
        url = button.get("url")
        if url:
            deep = re.match(
                rf"^(?:https?://)?t\.me/{re.escape(BOT_USERNAME)}\?start=(\S+)$", url, re.I
            )
            if deep:
                self.out(f"› open link {url}")
                await self.act(self.user.start(deep.group(1)))
            else:
                self.out(f"🔗 {label} opens {url} (outside this console)")
            return
        kind = next((k for k in button if k != "text"), "?")
        self.out(f"⚠️  {label!r} is a {kind} button; this console can't use it")

    def _find_inline(self, rest: str) -> tuple[BotMessage, dict[str, Any]] | None:
        with_buttons = [m for m in reversed(self.user.bot_messages) if m.inline_keyboard]
        if not with_buttons:
            self.out("No message with buttons here.")
            return None
        numbered = re.fullmatch(r"#?(?:(\d+)[.\s]+)?(\d+)", rest)
        if not rest or numbered:
            if numbered and numbered.group(1):
                wanted = int(numbered.group(1))
                message = next((m for m in with_buttons if m.message_id == wanted), None)
                if message is None:
                    self.out(f"Message #{wanted} has no buttons (or is gone).")
                    return None
            else:
                message = with_buttons[0]
            flat = [b for row in message.inline_keyboard for b in row]
            index = int(numbered.group(2)) if numbered else 0
            if not 1 <= index <= len(flat):
                self.out(f"Buttons of message #{message.message_id}:")
                self.out(_buttons(message))
                if rest:
                    self.out(f"(there is no button {index})")
                return None
            return message, flat[index - 1]
        needle = rest.casefold()
        for message in with_buttons:
            flat = [b for row in message.inline_keyboard for b in row]
            exact = [b for b in flat if b["text"].casefold() == needle]
            loose = exact or [b for b in flat if needle in b["text"].casefold()]
            if loose:
                return message, loose[0]
        self.out(f"No button matching {rest!r}.")
        return None

    async def cmd_press(self, rest: str) -> None:
        keyboard = self.user.keyboard
        if not keyboard:
            self.out("There is no reply keyboard now.")
            return
        flat = [b for row in keyboard["keyboard"] for b in row]
        if not rest:
            self.out(self._keyboard_text(keyboard))
            return
        if rest.isdigit():
            index = int(rest)
            if not 1 <= index <= len(flat):
                self.out(f"There is no key {index}.")
                self.out(self._keyboard_text(keyboard))
                return
            button = flat[index - 1]
        else:
            needle = rest.casefold()
            matches = [b for b in flat if b["text"].casefold() == needle] or [
                b for b in flat if needle in b["text"].casefold()
            ]
            if len(matches) != 1:
                self.out(f"No single key matching {rest!r}.")
                self.out(self._keyboard_text(keyboard))
                return
            button = matches[0]
        if button.get("request_contact"):
            self.out(f"› share contact {self.user.phone}")
        else:
            self.out(f"› {button['text']}")
        await self.act(self.user.press(button["text"]))

    async def cmd_as(self, rest: str) -> None:
        key = rest.strip().lower()
        matches = [p for p in self.personas if p.key == key] or [
            p for p in self.personas if key and p.key.startswith(key)
        ]
        if len(matches) != 1:
            self.out("Accounts: " + ", ".join(self._persona_label(p) for p in self.personas))
            self.out("Switch with /as NAME")
            return
        self.flush()  # nothing of the current persona stays unseen
        persona = matches[0]
        self.current = persona
        events = self.tg.chat_events(self.user.id)
        unread = self._unread(persona)
        count = min(max(REPLAY, unread), REPLAY_MAX)
        messages = self.user.messages[-count:]
        self.out(f"━━ now: {persona.key} — {persona.about}")
        if not messages:
            self.out("(no messages yet — type /start)")
        for message in messages:
            self._print_message(persona, message, note="")
        persona.cursor = events[-1].seq if events else persona.cursor
        persona.announced = 0
        persona.keyboard = self.user.keyboard
        if self.user.keyboard:
            self.out(self._keyboard_text(self.user.keyboard))

    async def cmd_photo(self, rest: str) -> None:
        loaded = self._load_file(rest, "/photo PATH [caption]")
        if loaded is None:
            return
        path, data, caption = loaded
        self.out(f"› photo {path.name}")
        await self.act(self.user.send_photo(data, caption=caption))

    async def cmd_file(self, rest: str) -> None:
        loaded = self._load_file(rest, "/file PATH [caption]")
        if loaded is None:
            return
        path, data, caption = loaded
        mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        self.out(f"› file {path.name}")
        await self.act(self.user.send_document(data, path.name, mime, caption=caption))

    def _load_file(self, rest: str, usage: str) -> tuple[Path, bytes, str | None] | None:
        if not rest:
            self.out(f"Usage: {usage}")
            return None
        whole = Path(rest.strip("'\"")).expanduser()
        if whole.is_file():
            path, caption = whole, None
        else:
            first, _, caption_text = rest.partition(" ")
            path, caption = Path(first.strip("'\"")).expanduser(), caption_text.strip() or None
        if not path.is_file():
            self.out(f"No such file: {path}")
            return None
        return path, path.read_bytes(), caption

    async def cmd_keyboard(self, _rest: str = "") -> None:
        newest = next((m for m in reversed(self.user.bot_messages) if m.inline_keyboard), None)
        if newest is not None:
            self.out(f"Buttons of message #{newest.message_id} (/tap N):")
            self.out(_buttons(newest))
        if self.user.keyboard:
            self.out(self._keyboard_text(self.user.keyboard))
        if newest is None and not self.user.keyboard:
            self.out("No buttons now.")

    # ------------------------------------------------------------------ showing the chat

    def flush(self) -> bool:
        """Print what is new for the current persona; hint at the others. True if printed."""
        printed = False
        persona = self.current
        events = [e for e in self.tg.chat_events(self.user.id) if e.seq > persona.cursor]
        if events:
            persona.cursor = events[-1].seq
        order: list[int] = []
        first_kind: dict[int, str] = {}
        last: dict[int, Any] = {}
        for event in events:
            mid = event.message.message_id
            if mid not in last:
                order.append(mid)
                first_kind[mid] = event.kind
            last[mid] = event
        for mid in order:
            event = last[mid]
            if event.kind == "deleted":
                if mid in persona.shown:
                    self.out(f"🗑  the bot deleted message #{mid}")
                    printed = True
                continue
            edited = first_kind[mid] == "edited" or (mid in persona.shown)
            self._print_message(persona, event.message, note=" (edited)" if edited else "")
            printed = True
        if self.user.keyboard != persona.keyboard:
            persona.keyboard = self.user.keyboard
            if self.user.keyboard:
                self.out(self._keyboard_text(self.user.keyboard))
            else:
                self.out("⌨️  (keyboard closed)")
            printed = True
        printed = self._report_errors() or printed
        for other in self.personas:
            if other is persona:
                continue
            unread = self._unread(other)
            if unread > other.announced:
                plural = "s" if unread > 1 else ""
                self.out(f"🔔 {unread} new message{plural} for {other.key} — /as {other.key}")
                printed = True
            other.announced = unread
        return printed

    def _unread(self, persona: Persona) -> int:
        assert persona.user is not None
        return len(
            [
                e
                for e in self.tg.chat_events(persona.user.id)
                if e.seq > persona.cursor and e.kind == "sent"
            ]
        )

    def _persona_label(self, persona: Persona) -> str:
        unread = self._unread(persona) if persona is not self.current else 0
        mark = " (you)" if persona is self.current else f" ({unread} new)" if unread else ""
        return persona.key + mark

    def _print_message(self, persona: Persona, message: BotMessage, note: str) -> None:
        if not message.from_bot:
            self.out(f"› you: {_describe_own(message)}")
            return
        file = message.photo_file or message.document_file
        signature = (message.text, file.file_id if file else None)
        if note and persona.shown.get(message.message_id) == signature:
            self.out(f"🤖 #{message.message_id} (buttons changed)")
            self.out(_buttons(message) if message.inline_keyboard else "   (no buttons)")
            return
        persona.shown[message.message_id] = signature
        self.out(f"🤖 #{message.message_id}{note}")
        media = self._media_line(persona, message)
        if media:
            self.out(media)
        if message.text:
            self.out(message.text)
        if message.inline_keyboard:
            self.out(_buttons(message))

    def _media_line(self, persona: Persona, message: BotMessage) -> str | None:
        file = message.photo_file or message.document_file
        if file is None:
            return None
        folder = self.data_dir / "received"
        if message.photo_file:
            suffix = Path(file.file_path).suffix or ".jpg"
            name = f"{persona.key}-{message.message_id}{suffix}"
            label = f"🖼  photo {file.width}×{file.height}"
        else:
            name = f"{persona.key}-{message.message_id}-{Path(file.file_name or 'file').name}"
            label = f"📎 {file.file_name or 'document'} ({_size(file.file_size)})"
        try:
            folder.mkdir(parents=True, exist_ok=True)
            (folder / name).write_bytes(file.data)
        except OSError:
            return label
        return f"{label} → {folder / name}"

    def _keyboard_text(self, keyboard: dict[str, Any]) -> str:
        lines = ["⌨️  Keyboard (/press N):"]
        n = 0
        for row in keyboard.get("keyboard", []):
            cells = []
            for button in row:
                n += 1
                text = f"({n}) {button['text']}"
                if button.get("request_contact"):
                    text += f" → shares {self.user.phone or 'no phone'}"
                cells.append(text)
            lines.append("   " + "   ".join(cells))
        return "\n".join(lines)

    def _report_errors(self) -> bool:
        errors = self.tg.errors
        new = errors[self.errors_seen :]
        self.errors_seen = len(errors)
        shown = False
        for call in new:
            if "not modified" in (call.error or ""):
                continue
            self.out(f"⚠️  the bot's {call.method} call failed: {call.error}")
            shown = True
        return shown


def _buttons(message: BotMessage) -> str:
    lines = []
    n = 0
    for row in message.inline_keyboard:
        cells = []
        for button in row:
            n += 1
            text = f"[{n}] {button['text']}"
            if button.get("url"):
                text += f" 🔗 {button['url']}"
            cells.append(text)
        lines.append("   " + "   ".join(cells))
    return "\n".join(lines)


def _describe_own(message: BotMessage) -> str:
    if message.contact:
        return f"📱 shared contact {message.contact.get('phone_number')}"
    if message.photo_file:
        return "🖼  photo" + (f": {message.text}" if message.text else "")
    if message.document_file:
        name = message.document_file.file_name or "document"
        return f"📎 {name}" + (f": {message.text}" if message.text else "")
    return message.text or ""


def _size(n: int) -> str:
    return f"{n} B" if n < 1024 else f"{n / 1024:.1f} kB"


HELP = """\
Type a message to send it to the bot. Bot commands go to the bot too: /start, /katalog,
/cari kopi, /keranjang, /pesanan, /kuota, /bahasa, /bantuan (the bot's help).
Console commands:
  /tap N   (or :N)  tap inline button N of the newest message with buttons
  /tap M.N          tap button N of message #M;  /tap TEXT  the newest button containing TEXT
  /press N|TEXT     press a reply-keyboard key (the 📱 one shares this account's phone)
  /as NAME          switch account (asn, merchant, admin, guest) and show its last messages
  /photo PATH       send a photo (optionally followed by a caption)
  /file PATH        send a document, e.g. a CSV
  /keyboard         show the current buttons again
  /help             this help;  //cmd sends /cmd to the bot as typed
  /quit             exit (Ctrl-D and Ctrl-C work too)"""


# ---------------------------------------------------------------------- entry point


async def run_console(
    settings: Settings,
    *,
    data_dir: Path,
    stdin: LineSource | None = None,
    stdout: Any = None,
) -> int:
    """Run the bot against a local fake Telegram and chat with it line by line.

    ``stdin`` is anything with an async ``readline()`` (an :class:`asyncio.StreamReader`, a
    :class:`LineQueue`); by default the process's stdin. ``stdout`` needs ``write()``.
    """
    out = _Out(stdout if stdout is not None else sys.stdout)
    interactive = stdin is None and sys.stdin.isatty() and out.isatty()
    reader = stdin if stdin is not None else LineQueue.from_file(sys.stdin)
    root = logging.getLogger()
    quiet = root.level != logging.NOTSET and root.level > logging.DEBUG
    saved_level = root.level
    if quiet:
        root.setLevel(logging.WARNING)  # aiogram's per-update INFO lines would drown the chat
    data_dir = Path(data_dir).resolve()
    out(f"Starting TukuLokal with the demo database in {data_dir} …")
    console = Console(settings, data_dir, reader, out, prompt=interactive)
    code = 0
    try:
        try:
            await console.start()
        except Exception as exc:
            log.debug("start failed", exc_info=True)
            out(f"Could not start: {exc!r}")
            return 1
        try:
            await console.run()
        except (asyncio.CancelledError, KeyboardInterrupt):
            task = asyncio.current_task()
            if task is not None:
                task.uncancel()  # Ctrl-C: leave cleanly below
            out("")
            out("(interrupted)")
        return code
    finally:
        with contextlib.suppress(Exception):
            await console.stop()
        out("Bye.")
        if quiet:
            root.setLevel(saved_level)
