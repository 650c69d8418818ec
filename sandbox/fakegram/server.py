"""FakeTelegram: an aiohttp server speaking the Bot API and enforcing Telegram's rules."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import inspect
import io
import itertools
import json
import logging
import math
import mimetypes
import re
import secrets
import ssl
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from html.entities import name2codepoint
from typing import TYPE_CHECKING, Any

import aiohttp
from aiohttp import web

from .errors import ApiError, bad_request, forbidden, td_error
from .faults import Fault, Faults
from .formatting import ParseError, TextError, UnsupportedParseMode, format_text
from .inline import InlineQueryRecord, answer_inline_query
from .keyboards import validate_reply_markup
from .links import UrlError, parse_url
from .state import ApiCall, BotMessage, CallbackQueryRecord, ChatEvent, FakeFile, SentRecord
from .webhook import WebhookDelivery

if TYPE_CHECKING:
    from .client import FakeUser

log = logging.getLogger(__name__)

TEXT_LIMIT = 4096  # code points: message_text_length_max, MessageContent.cpp
CAPTION_LIMIT = 1024  # code points: message_caption_length_max
CALLBACK_TEXT_LIMIT = 200  # Bot API answerCallbackQuery: "0-200 characters"
DELETE_TIME_LIMIT = 2 * 86400  # MessagesManager::can_revoke_message, bots: 48 hours
MEDIA_GROUP_LIMIT = 10  # MAX_GROUPED_MESSAGES, MessageContent.cpp
COMMANDS_LIMIT = 100  # Bot API setMyCommands; the server answers BOT_COMMANDS_TOO_MUCH
COMMAND_LENGTH = 32  # MAX_COMMAND_TEXT_LENGTH, BotCommand.cpp
COMMAND_DESCRIPTION_LENGTH = 256  # MAX_COMMAND_DESCRIPTION_LENGTH, BotCommand.cpp
URL_PHOTO_LIMIT = 5 * 1024 * 1024  # Bot API "Sending files": 5 MB for photos by URL
URL_FILE_LIMIT = 20 * 1024 * 1024  # and 20 MB for other files
DOWNLOAD_LIMIT = 20 * 1024 * 1024
UPLOAD_LIMIT = 50 * 1024 * 1024
PHOTO_LIMIT = 10 * 1024 * 1024

CONFLICT_POLLING = (
    "Conflict: terminated by other getUpdates request; "
    "make sure that only one bot instance is running"
)
CONFLICT_WEBHOOK = (
    "Conflict: can't use getUpdates method while webhook is active; "
    "use deleteWebhook to delete the webhook first"
)
NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)
CALLBACK_TOO_OLD = "query is too old and response timeout expired or query ID is invalid"
WRONG_FILE = "wrong file identifier/HTTP URL specified"  # MEDIA_EMPTY, MessagesManager.cpp
URL_FAILED = "failed to get HTTP URL content"  # WEBPAGE_CURL_FAILED, Client.cpp
URL_NOT_MEDIA = "wrong type of the web page content"  # WEBPAGE_MEDIA_EMPTY, Client.cpp
# Bot API "Sending files": by URL, sendDocument works only for GIF, PDF and ZIP files.
URL_DOCUMENT_TYPES = frozenset({"image/gif", "application/pdf", "application/zip"})
# Callback answers have no parse mode: HTML formatting in them shows literally (strict_alerts).
# Only Telegram's own tags count: a name such as "Sambal <Pedas>" is text, shown as it is.
_ALERT_TAGS = "b|strong|i|em|u|ins|s|strike|del|a|code|pre|tg-spoiler|tg-emoji|tg-time|span"
_HTML_IN_ALERT = re.compile(
    rf"</?(?:{_ALERT_TAGS}|blockquote)(?:\s[^<>]*)?/?>|&(?:#[0-9]+|#[xX][0-9A-Fa-f]+|(?:"
    + "|".join(sorted(name2codepoint, key=len, reverse=True))
    + r"));"
)

# Update types delivered when the bot does not pass allowed_updates.
DEFAULT_UPDATE_EXCLUDED = frozenset({"chat_member", "message_reaction", "message_reaction_count"})
# Sends that count against rate limits by default (edits can be added at runtime).
DEFAULT_RATE_LIMITED = frozenset(
    {"sendmessage", "sendphoto", "senddocument", "sendmediagroup", "copymessage",
     "forwardmessage"}
)  # fmt: skip
# Request fields that are plain strings even when they look like JSON.
STRING_FIELDS = frozenset(
    {
        "text", "caption", "parse_mode", "callback_query_id", "url", "language_code", "photo",
        "document", "video", "audio", "animation", "voice", "sticker", "thumbnail", "file_id",
        "inline_message_id", "business_connection_id", "message_effect_id", "action",
        "secret_token", "ip_address", "description", "short_description", "name", "emoji",
        "title", "phone_number", "first_name", "last_name", "vcard", "address",
    }
)  # fmt: skip
CHAT_ACTIONS = frozenset(
    {
        "typing", "upload_photo", "record_video", "upload_video", "record_voice",
        "upload_voice", "upload_document", "choose_sticker", "find_location",
        "record_video_note", "upload_video_note",
    }
)  # fmt: skip


@dataclass
class Upload:
    """A file part of a multipart request."""

    data: bytes
    filename: str | None
    content_type: str | None


Handler = Callable[[dict[str, Any], dict[str, Upload]], Any]


class FakeTelegram:
    """An in-process Telegram Bot API server with users that tests (or a sandbox) drive."""

    def __init__(
        self,
        token: str = "123456:TEST",
        bot_username: str = "TukuLokalBot",
        bot_id: int | None = None,
        *,
        bot_first_name: str = "TukuLokal",
        callback_answer_timeout: float = 15.0,
        clock: Callable[[], float] | None = None,
        strict_amp: bool = False,
        strict_buttons: bool = False,
        strict_alerts: bool = False,
        url_timeout: float = 10.0,
        webhook_ssl: ssl.SSLContext | bool = True,
        allow_http_webhook: bool = False,
        webhook_timeout: float = 10.0,
        webhook_retry_delay: float = 0.5,
    ) -> None:
        """``clock``: the server's "now" in Unix seconds (message dates, the 48 hours of
        deleteMessage), real time by default; ``advance_clock()`` moves it.

        Checks stricter than Telegram's, for tests (off by default, as on Telegram):
        ``strict_amp`` refuses an ``&`` that starts no entity in HTML text, ``strict_buttons``
        refuses buttons Telegram drops or ignores silently, ``strict_alerts`` refuses an
        answerCallbackQuery text with HTML tags or entities (it has no parse mode: the user
        would see them literally). ``url_timeout``: how long a photo URL may take to answer.
        """
        self.token = token
        prefix = token.split(":", 1)[0]
        self.bot_id = bot_id if bot_id is not None else (int(prefix) if prefix.isdigit() else 1)
        self.bot_username = bot_username
        self.bot_first_name = bot_first_name
        self.callback_answer_timeout = callback_answer_timeout
        self.clock: Callable[[], float] = clock or time.time
        self.clock_offset = 0.0
        self.strict_amp = strict_amp
        self.strict_buttons = strict_buttons
        self.strict_alerts = strict_alerts
        self.url_timeout = url_timeout
        # Webhooks (sandbox/fakegram/webhook.py): the TLS context trusted for the bot's
        # certificate, plain http allowed (tests without a proxy), timeout and retry pause.
        self.webhook_ssl = webhook_ssl
        self.allow_http_webhook = allow_http_webhook
        self.webhook_timeout = webhook_timeout
        self.webhook_retry_delay = webhook_retry_delay
        self.delivery: WebhookDelivery | None = None
        self.base_url = ""
        self._init_state()
        self._methods = self._method_table()

    def _init_state(self) -> None:
        """What the server holds: users and chats, files, updates, rates and pauses."""
        self.users: dict[int, FakeUser] = {}
        self.chats: dict[int, list[BotMessage]] = {}
        self.files: dict[str, FakeFile] = {}
        self.callback_queries: dict[str, CallbackQueryRecord] = {}
        self.inline_queries: dict[str, InlineQueryRecord] = {}
        # Messages users posted from inline results into chats the bot is not in.
        self.inline_posts: list[BotMessage] = []
        self.channels: dict[str, int] = {}  # public channels the bot posts in: username -> id
        self.requests: list[ApiCall] = []
        self.updates_log: list[dict[str, Any]] = []
        self.bot_commands: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self.menu_buttons: dict[int | None, dict[str, Any]] = {}
        self.bot_texts: dict[tuple[str, str], str] = {}  # (field, language_code) -> value
        self.webhook: dict[str, Any] = {}
        self.allowed_updates: list[str] | None = None
        self.rate_limited_methods: set[str] = set(DEFAULT_RATE_LIMITED)
        # sends attempted while a retry_after pause was running (a bot that waits has none)
        self.refused_during_pause: list[SentRecord] = []

        self._files_by_path: dict[str, FakeFile] = {}
        self._updates: list[dict[str, Any]] = []
        # Telegram starts a bot's update ids at some number of its own (and at a random one
        # after a week without updates): a new fake server never repeats an old one's ids.
        self._next_update_id = 100_000_001 + secrets.randbelow(1_000_000_000)
        self._fetched_update_id = 0
        self._message_ids: dict[int, int] = {}
        self._events: dict[int, list[ChatEvent]] = {}
        self._seq = itertools.count(1)
        self._file_seq = itertools.count(1)
        self._cq_seq = itertools.count(1)
        self._sent: list[SentRecord] = []
        self._poller_active = False
        self._inflight = 0
        self._last_activity = 0.0
        self._last_fetch = 0.0
        self._changed = asyncio.Event()
        self._stopping = False
        self._runner: web.AppRunner | None = None

        self._rate_global: float | None = None
        self._rate_chat: float | None = None
        self._window_global: deque[float] = deque()
        self._window_chat: dict[int, deque[float]] = {}
        self._penalty_global = 0.0
        self._penalty_chat: dict[int, float] = {}
        self._forced_retry: list[tuple[int, int | None]] = []
        self._fail_next: list[tuple[str, int, str]] = []
        self.faults = Faults()

    def _method_table(self) -> dict[str, tuple[str, Handler]]:
        """The Bot API methods served, by lower-cased name: (their name, their handler)."""
        return {
            name.lower(): (name, handler)
            for name, handler in {
                "getMe": self._get_me,
                "getUpdates": self._get_updates,
                "setWebhook": self._set_webhook,
                "deleteWebhook": self._delete_webhook,
                "getWebhookInfo": self._get_webhook_info,
                "sendMessage": self._send_message,
                "sendPhoto": self._send_photo,
                "sendDocument": self._send_document,
                "sendMediaGroup": self._send_media_group,
                "copyMessage": self._copy_message,
                "forwardMessage": self._forward_message,
                "editMessageText": self._edit_message_text,
                "editMessageCaption": self._edit_message_caption,
                "editMessageReplyMarkup": self._edit_message_reply_markup,
                "editMessageMedia": self._edit_message_media,
                "deleteMessage": self._delete_message,
                "deleteMessages": self._delete_messages,
                "answerCallbackQuery": self._answer_callback_query,
                "answerInlineQuery": lambda params, uploads: answer_inline_query(self, params),
                "sendChatAction": self._send_chat_action,
                "setMyCommands": self._set_my_commands,
                "getMyCommands": self._get_my_commands,
                "deleteMyCommands": self._delete_my_commands,
                "setChatMenuButton": self._set_chat_menu_button,
                "getChatMenuButton": self._get_chat_menu_button,
                "setMyDescription": self._bot_text_setter("description"),
                "getMyDescription": self._bot_text_getter("description"),
                "setMyShortDescription": self._bot_text_setter("short_description"),
                "getMyShortDescription": self._bot_text_getter("short_description"),
                "setMyName": self._bot_text_setter("name"),
                "getMyName": self._bot_text_getter("name"),
                "getFile": self._get_file,
                "getChat": self._get_chat,
                "close": self._true,
                "logOut": self._true,
            }.items()
        }

    # ------------------------------------------------------------------ lifecycle

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        """Start listening; ``base_url`` is set afterwards."""
        self._stopping = False
        app = web.Application(client_max_size=UPLOAD_LIMIT + 1024 * 1024)
        app.router.add_route("GET", "/bot{token}/{method}", self._handle_api)
        app.router.add_route("POST", "/bot{token}/{method}", self._handle_api)
        app.router.add_get("/file/bot{token}/{path:.+}", self._handle_file)
        self._runner = web.AppRunner(app, handler_cancellation=True, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        bound_host, bound_port = self._runner.addresses[0][:2]
        self.base_url = f"http://{host or bound_host}:{bound_port}"

    async def stop(self) -> None:
        """Stop the server; pending long polls return empty."""
        self._stopping = True
        self.faults.clear()
        self._notify()
        if self.delivery is not None:
            await self.delivery.stop()
            self.delivery = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeTelegram:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    def api_server(self) -> Any:
        """An aiogram TelegramAPIServer pointing here."""
        from aiogram.client.telegram import TelegramAPIServer

        return TelegramAPIServer.from_base(self.base_url)

    def session(self, **kwargs: Any) -> Any:
        """An aiogram AiohttpSession pointing here."""
        from aiogram.client.session.aiohttp import AiohttpSession

        return AiohttpSession(api=self.api_server(), **kwargs)

    # ------------------------------------------------------------------ users

    def user(
        self,
        user_id: int,
        first_name: str | None = None,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = None,
        *,
        phone: str | None = None,
        started: bool | None = None,
    ) -> FakeUser:
        """Get or create a user; fields given explicitly update an existing one."""
        from .client import FakeUser

        user = self.users.get(user_id)
        if user is None:
            user = FakeUser(
                self,
                user_id,
                first_name=first_name or f"User{user_id}",
                last_name=last_name,
                username=username,
                language_code=language_code or "id",
                phone=phone,
            )
            self.users[user_id] = user
        else:
            for name, value in (
                ("first_name", first_name),
                ("last_name", last_name),
                ("username", username),
                ("language_code", language_code),
                ("phone", phone),
            ):
                if value is not None:
                    setattr(user, name, value)
        if started is not None:
            user.started = started
        return user

    def channel(self, username: str, chat_id: int = -1001000000001, title: str = "") -> FakeUser:
        """A public channel where the bot is an administrator (it posts there; its messages
        are read with ``chat(chat_id)``)."""
        channel = self.user(chat_id, first_name=title or username, username=username, started=True)
        channel.chat_type = "channel"
        self.channels[username.lower()] = chat_id
        return channel

    def block(self, user_id: int) -> None:
        """The user blocks the bot (the bot gets a my_chat_member update)."""
        user = self._known_user(user_id)
        if not user.blocked:
            user.blocked = True
            self._my_chat_member(user, "member", "kicked")

    def unblock(self, user_id: int) -> None:
        """The user unblocks (restarts) the bot."""
        user = self._known_user(user_id)
        if user.blocked:
            user.blocked = False
            self._my_chat_member(user, "kicked", "member")

    def delete_account(self, user_id: int) -> None:
        """The user deletes their Telegram account: the chat is gone for the bot."""
        user = self._known_user(user_id)
        user.deleted = True
        user.first_name, user.last_name, user.username = "Deleted Account", None, None

    def _known_user(self, user_id: int) -> FakeUser:
        if user_id not in self.users:
            raise KeyError(f"unknown user {user_id}; create it with server.user()")
        return self.users[user_id]

    # ------------------------------------------------------------------ the server's clock

    def now(self) -> float:
        """The server's time (Unix seconds): ``clock()`` plus what ``advance_clock`` added."""
        return self.clock() + self.clock_offset

    def advance_clock(self, seconds: float) -> None:
        """Move the server's clock forward (message dates stay: messages get older)."""
        self.clock_offset += seconds

    # ------------------------------------------------------------------ fault injection

    def set_rate_limits(
        self, global_per_second: float | None = None, per_chat_per_second: float | None = None
    ) -> None:
        """Limit sends in a sliding window (None = unlimited).

        A rate r >= 1 allows floor(r) sends per second; r < 1 allows one send per 1/r seconds.
        """
        self._rate_global = global_per_second
        self._rate_chat = per_chat_per_second

    def force_retry_after(self, seconds: int, chat_id: int | None = None) -> None:
        """Answer the next send (to ``chat_id``, or any) with 429 and pause sends that long."""
        self._forced_retry.append((max(1, math.ceil(seconds)), chat_id))

    def fail_next(
        self, method: str, status: int = 500, description: str = "Internal Server Error"
    ) -> None:
        """Answer the next call of ``method`` ("*" = any) with this error."""
        self._fail_next.append((method.lower(), status, description))

    def inject_fault(
        self,
        kind: str,
        methods: tuple[str, ...] | None = None,
        *,
        processed: bool = False,
        count: int | None = None,
        status: int = 500,
        description: str = "Internal Server Error",
    ) -> Fault:
        """An outage until `clear_faults()` (or for the next `count` calls): "error" answers
        `status`, "timeout" holds the request until the outage ends and then closes the
        connection, "drop" closes it at once; with `processed` the call takes effect first
        (its answer is what is lost). See `faults.py`."""
        return self.faults.add(
            kind, methods, processed=processed, count=count, status=status,
            description=description,
        )  # fmt: skip

    def clear_faults(self) -> None:
        self.faults.clear()

    # ------------------------------------------------------------------ inspection

    @property
    def errors(self) -> list[ApiCall]:
        return [call for call in self.requests if not call.ok]

    def calls(self, method: str) -> list[ApiCall]:
        """Recorded requests of one method (case-insensitive)."""
        return [call for call in self.requests if call.method.lower() == method.lower()]

    def sent_messages(self, chat_id: int | None = None) -> list[SentRecord]:
        """Successful sends (one record per message), optionally to one chat."""
        return [s for s in self._sent if chat_id is None or s.chat_id == chat_id]

    def send_counts(self, window: float = 1.0) -> list[int]:
        """Successful sends per consecutive ``window`` (a second by default), from the first."""
        times = [s.at for s in self._sent]
        if not times:
            return []
        counts = [0] * (int((times[-1] - times[0]) // window) + 1)
        for at in times:
            counts[int((at - times[0]) // window)] += 1
        return counts

    def peak_rate(self, chat_id: int | None = None, window: float = 1.0) -> int:
        """The largest number of sends observed within any ``window`` seconds."""
        times = [s.at for s in self.sent_messages(chat_id)]
        best, start = 0, 0
        for end, at in enumerate(times):
            while at - times[start] >= window:
                start += 1
            best = max(best, end - start + 1)
        return best

    def chat(self, chat_id: int) -> list[BotMessage]:
        """All messages of a chat, including deleted ones (flagged)."""
        return self.chats.get(chat_id, [])

    def message(self, chat_id: int, message_id: int) -> BotMessage | None:
        for msg in self.chats.get(chat_id, []):
            if msg.message_id == message_id:
                return msg
        return None

    def my_commands(
        self, scope: dict[str, Any] | None = None, language_code: str = ""
    ) -> list[dict[str, Any]]:
        return self.bot_commands.get((_scope_key(scope), language_code), [])

    def commands_for(self, user_id: int) -> list[dict[str, Any]]:
        """The command menu this user sees in the private chat, as Telegram resolves it: the
        chat's own scope, then all private chats, then the default; each first in the user's
        language, then without one."""
        user = self.users.get(user_id)
        language = ((user.language_code if user else None) or "")[:2].lower()
        scopes = ({"type": "chat", "chat_id": user_id}, {"type": "all_private_chats"}, None)
        for scope in scopes:
            for code in dict.fromkeys((language, "")):
                key = (_scope_key(scope), code)
                if key in self.bot_commands:
                    return self.bot_commands[key]
        return []

    def clear_logs(self) -> None:
        """Forget recorded requests and sends (long-running sandboxes)."""
        self.requests.clear()
        self._sent.clear()

    @property
    def pending_updates(self) -> list[dict[str, Any]]:
        if self.delivery is not None:  # by webhook: every update not answered with 2xx yet
            return list(self._updates)
        return [u for u in self._updates if u["update_id"] > self._fetched_update_id]

    @property
    def unconfirmed_updates(self) -> list[dict[str, Any]]:
        """Updates queued for the bot that it has not confirmed yet.

        A polling bot confirms the updates it got by asking getUpdates for a higher offset
        (until then Telegram would deliver them again). A bot that handles its updates one
        at a time asks only once it has handled them; aiogram's default polling starts a
        task per update and asks as soon as the tasks are started.
        """
        return list(self._updates)

    async def wait_updates_confirmed(self, timeout: float = 5.0) -> None:
        """Wait until the bot has confirmed every update queued so far (see
        ``unconfirmed_updates``): it has taken each of them in hand.

        Unlike ``settle`` this waits for no quiet period. Before asserting that the bot did
        *not* react to something, also wait until it has finished handling what it took
        (for aiogram's task per update, the e2e tests' ``BotApp.wait_handled``).
        """
        deadline = time.monotonic() + timeout
        while self._updates:
            if time.monotonic() >= deadline:
                ids = [u["update_id"] for u in self._updates]
                raise TimeoutError(
                    f"the bot did not confirm updates {ids} within {timeout}s "
                    f"(is it polling?); errors: {self._error_summary()}"
                )
            await asyncio.sleep(0.01)  # confirming (a getUpdates call starting) notifies no one

    async def wait_callback_answer(self, cq_id: str, timeout: float = 5.0) -> dict[str, Any]:
        """Wait until the bot answers this callback query; return its parameters."""
        record = self.callback_queries[cq_id]
        try:
            await asyncio.wait_for(record.answered.wait(), timeout)
        except TimeoutError:
            raise AssertionError(
                f"callback query {cq_id} (data={record.data!r}) not answered within "
                f"{timeout}s; errors: {self._error_summary()}"
            ) from None
        assert record.answer is not None
        return record.answer

    async def settle(self, quiet: float = 0.15, timeout: float = 10.0) -> None:
        """Wait until the bot fetched every update and made no API call for ``quiet`` s."""
        deadline = time.monotonic() + timeout
        while True:
            now = time.monotonic()
            pending = self.pending_updates
            idle = now - max(self._last_activity, self._last_fetch)
            posting = len(self.delivery.in_flight) if self.delivery else 0
            if not pending and self._inflight == 0 and not posting and idle >= quiet:
                return
            if now >= deadline:
                raise TimeoutError(
                    f"fake Telegram did not settle in {timeout}s: {len(pending)} updates not "
                    f"fetched, {self._inflight} requests in flight"
                )
            await asyncio.sleep(min(0.02, quiet / 3))

    def _error_summary(self) -> str:
        errors = self.errors[-5:]
        return "; ".join(f"{c.method}: {c.error}" for c in errors) or "none"

    # ------------------------------------------------------------------ plumbing

    def _notify(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    async def wait_changed(self, timeout: float) -> None:
        """Sleep until the state changes or ``timeout`` passes."""
        event = self._changed
        if timeout <= 0:
            return
        # asyncio.timeout, not wait_for: Python 3.11's wait_for can swallow a cancellation
        # that comes as the timeout expires (the webhook delivery then never stopped).
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout):
                await event.wait()

    def next_seq(self) -> int:
        return next(self._seq)

    def new_callback_id(self) -> str:
        return str(4_000_000_000_000_000_000 + next(self._cq_seq) * 7_919)

    def add_update(self, kind: str, payload: dict[str, Any]) -> dict[str, Any] | None:
        """Queue an update unless the bot's allowed_updates filter drops it."""
        if self.allowed_updates is not None:
            if kind not in self.allowed_updates:
                return None
        elif kind in DEFAULT_UPDATE_EXCLUDED:
            return None
        update = {"update_id": self._next_update_id, kind: payload}
        self._next_update_id += 1
        self._updates.append(update)
        self.updates_log.append(update)
        self._notify()
        return update

    def deliver_again(self, update: dict[str, Any]) -> None:
        """Queue an update that was delivered before, with its own `update_id`, as Telegram
        does when the bot did not confirm it (the process died before its next getUpdates, or
        a webhook was answered late): a bot that starts polling gets it again."""
        self._updates = sorted([*self._updates, update], key=lambda u: u["update_id"])
        self._fetched_update_id = min(self._fetched_update_id, update["update_id"] - 1)
        self._notify()

    def _my_chat_member(self, user: FakeUser, old: str, new: str) -> None:
        if not user.started:
            return

        def member(status: str) -> dict[str, Any]:
            m: dict[str, Any] = {"status": status, "user": self.bot_user()}
            if status == "kicked":
                m["until_date"] = 0
            return m

        self.add_update(
            "my_chat_member",
            {
                "chat": user.chat_dict(),
                "from": user.api_dict(),
                "date": int(self.now()),
                "old_chat_member": member(old),
                "new_chat_member": member(new),
            },
        )

    def bot_user(self) -> dict[str, Any]:
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": self.bot_first_name,
            "username": self.bot_username,
        }

    def chat_dict(self, chat_id: int) -> dict[str, Any]:
        user = self.users.get(chat_id)
        if user is None:
            return {"id": chat_id, "type": "private", "first_name": str(chat_id)}
        return user.chat_dict()

    def new_message_id(self, chat_id: int) -> int:
        self._message_ids[chat_id] = self._message_ids.get(chat_id, 0) + 1
        return self._message_ids[chat_id]

    def append_message(self, msg: BotMessage) -> None:
        self.chats.setdefault(msg.chat_id, []).append(msg)
        self._notify()

    def chat_events(self, chat_id: int) -> list[ChatEvent]:
        return self._events.get(chat_id, [])

    def _event(self, kind: str, msg: BotMessage) -> None:
        self._events.setdefault(msg.chat_id, []).append(
            ChatEvent(self.next_seq(), kind, msg.snapshot())
        )
        self._notify()

    def message_dict(self, msg: BotMessage, *, with_reply: bool = True) -> dict[str, Any]:
        """The Bot API ``Message`` object for a stored message."""
        sender = self.bot_user() if msg.from_bot else self.users[msg.sender_id].api_dict()
        data: dict[str, Any] = {
            "message_id": msg.message_id,
            "from": sender,
            "chat": self.chat_dict(msg.chat_id),
            "date": msg.date,
        }
        if msg.edit_date:
            data["edit_date"] = msg.edit_date
        if msg.forward_origin:
            data["forward_origin"] = msg.forward_origin
        if msg.media_group_id:
            data["media_group_id"] = msg.media_group_id
        if with_reply and msg.reply_to_message_id:
            replied = self.message(msg.chat_id, msg.reply_to_message_id)
            if replied is not None and not replied.deleted:
                data["reply_to_message"] = self.message_dict(replied, with_reply=False)
        if msg.photo_sizes:
            data["photo"] = [f.photo_size() for f in msg.photo_sizes]
        if msg.document_file:
            data["document"] = msg.document_file.document()
        if msg.contact:
            data["contact"] = msg.contact
        if msg.location:
            data["location"] = msg.location
        if msg.text is not None:
            if msg.has_media:
                if msg.text:
                    data["caption"] = msg.text
                if msg.entities:
                    data["caption_entities"] = msg.entities
            else:
                data["text"] = msg.text
                if msg.entities:
                    data["entities"] = msg.entities
        if msg.reply_markup and "inline_keyboard" in msg.reply_markup:
            data["reply_markup"] = msg.reply_markup
        return data

    # ------------------------------------------------------------------ HTTP

    async def _read_params(self, request: web.Request) -> tuple[dict[str, Any], dict[str, Upload]]:
        params: dict[str, Any] = dict(request.query)
        uploads: dict[str, Upload] = {}
        if request.method == "POST" and request.body_exists:
            if request.content_type == "application/json":
                body = await request.json()
                if not isinstance(body, dict):
                    raise bad_request("request body must be a JSON object")
                return _coerce({**params, **body}), uploads
            form = await request.post()
            for key, value in form.items():
                if isinstance(value, web.FileField):
                    uploads[key] = Upload(value.file.read(), value.filename, value.content_type)
                else:
                    params[key] = value
        return _coerce(params), uploads

    async def _handle_api(self, request: web.Request) -> web.Response:
        now = time.monotonic()
        name = request.match_info["method"]
        key = name.lower()
        canonical, handler = self._methods.get(key, (name, None))
        if request.match_info["token"] != self.token:
            self.requests.append(
                ApiCall(canonical, {}, None, now, False, "Unauthorized", status=401)
            )
            return _json(ApiError(401, "Unauthorized").payload(), 401)
        polling = key == "getupdates"
        if not polling:
            self._inflight += 1
            self._last_activity = now
        call = ApiCall(canonical, {}, None, now)
        self.requests.append(call)
        try:
            params, uploads = await self._read_params(request)
            call.params = {
                **params,
                **{k: f"<upload {u.filename} {len(u.data)}B>" for k, u in uploads.items()},
            }
            call.chat_id = params.get("chat_id")
            if handler is None:
                raise ApiError(404, "Not Found: method not found")
            self._injected_failure(key)
            fault = self.faults.take(key)
            if fault is not None:
                return await self._fault(fault, request, call, handler, params, uploads)
            result = handler(params, uploads)
            if inspect.isawaitable(result):
                result = await result
            return _json({"ok": True, "result": result})
        except ApiError as exc:
            call.ok, call.error, call.status = False, exc.description, exc.status
            return _json(exc.payload(), exc.status)
        except Exception as exc:  # a bug in the fake must not look like a network error
            log.exception("fakegram: %s failed", canonical)
            call.ok, call.error, call.status = False, f"Internal Server Error: {exc!r}", 500
            return _json(ApiError(500, "Internal Server Error").payload(), 500)
        finally:
            if not polling:
                self._inflight -= 1
                self._last_activity = time.monotonic()
            self._notify()

    async def _handle_file(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.token:
            return _json(ApiError(401, "Unauthorized").payload(), 401)
        file = self._files_by_path.get(request.match_info["path"])
        if file is None:
            return _json(ApiError(404, "Not Found").payload(), 404)
        content_type = file.mime_type or "application/octet-stream"
        return web.Response(body=file.data, content_type=content_type)

    async def _fault(
        self,
        fault: Fault,
        request: web.Request,
        call: ApiCall,
        handler: Handler,
        params: dict[str, Any],
        uploads: dict[str, Upload],
    ) -> web.Response:
        """This call runs into `fault`: an error answer, or no answer at all."""
        call.ok, call.status = False, fault.status if fault.kind == "error" else 0
        call.error = f"injected {fault.kind}: {fault.description}"
        if fault.kind == "error":
            return _json(ApiError(fault.status, fault.description).payload(), fault.status)
        if fault.processed:
            result = handler(params, uploads)
            if inspect.isawaitable(result):
                await result
        if fault.kind == "timeout":
            await fault.released.wait()
        if request.transport is not None:
            request.transport.abort()  # the client sees the connection reset, no answer
        return web.Response(status=500)

    def _injected_failure(self, key: str) -> None:
        for index, (method, status, description) in enumerate(self._fail_next):
            if method in (key, "*"):
                del self._fail_next[index]
                raise ApiError(status, description)

    # ------------------------------------------------------------------ rules

    def _resolve_chat(self, params: dict[str, Any], field: str = "chat_id") -> FakeUser:
        chat_id = params.get(field)
        if chat_id in (None, ""):
            raise bad_request(f"{field} is empty")
        if isinstance(chat_id, str):
            if chat_id.startswith("@"):
                channel = self.channels.get(chat_id[1:].lower())
                if channel is None:
                    raise bad_request("chat not found")
                chat_id = channel
            try:
                chat_id = int(chat_id)
            except ValueError:
                raise bad_request("chat not found") from None
        user = self.users.get(chat_id)
        if user is None:
            raise bad_request("chat not found")
        return user

    def _check_access(self, user: FakeUser) -> None:
        """What Telegram's server answers a send to this user (MessagesManager.cpp
        process_send_message_fail_error, Client.cpp fail_query_with_error)."""
        if user.deleted:
            raise forbidden("user is deactivated")  # INPUT_USER_DEACTIVATED
        if user.blocked:
            raise forbidden("bot was blocked by the user")
        if not user.started:
            raise forbidden("bot can't initiate conversation with a user")

    def _check_rate(self, method: str, chat_id: int) -> None:
        if method.lower() not in self.rate_limited_methods:
            return
        now = time.monotonic()
        for index, (seconds, target) in enumerate(self._forced_retry):
            if target is None or target == chat_id:
                del self._forced_retry[index]
                if target is None:
                    self._penalty_global = now + seconds
                else:
                    self._penalty_chat[chat_id] = now + seconds
                raise _too_many(seconds)
        # a small tolerance: a client that slept exactly retry_after must get through
        for until in (self._penalty_global, self._penalty_chat.get(chat_id, 0.0)):
            if until - now > 0.02:
                self.refused_during_pause.append(SentRecord(method, chat_id, 0, now))
                raise _too_many(math.ceil(until - now))
        if self._rate_global is not None:
            retry = _window_retry(self._window_global, self._rate_global, now)
            if retry:
                self._penalty_global = now + retry
                raise _too_many(retry)
        if self._rate_chat is not None:
            window = self._window_chat.setdefault(chat_id, deque())
            retry = _window_retry(window, self._rate_chat, now)
            if retry:
                self._penalty_chat[chat_id] = now + retry
                raise _too_many(retry)

    def _record_send(self, method: str, msg: BotMessage) -> None:
        now = time.monotonic()
        self._sent.append(SentRecord(method, msg.chat_id, msg.message_id, now))
        if self._rate_global is not None:
            self._window_global.append(now)
        if self._rate_chat is not None:
            self._window_chat.setdefault(msg.chat_id, deque()).append(now)

    def _format(
        self, raw: Any, parse_mode: Any, entities: Any, *, allow_empty: bool
    ) -> tuple[str, list[dict[str, Any]]]:
        if raw is None:
            raw = ""
        if not isinstance(raw, str):
            raw = str(raw)
        try:
            return format_text(
                raw,
                parse_mode if isinstance(parse_mode, str) else None,
                entities,
                strict_amp=self.strict_amp,
                allow_empty=allow_empty,
            )
        except ParseError as exc:
            raise td_error(f"Can't parse entities: {exc}") from None
        except TextError as exc:
            raise td_error(str(exc)) from None
        except UnsupportedParseMode as exc:
            if exc.known:
                raise bad_request(
                    f"unsupported parse_mode {exc.mode!r}: fakegram implements only HTML "
                    "(Telegram accepts it)"
                ) from None
            raise bad_request("unsupported parse_mode") from None

    def _text(
        self, params: dict[str, Any], *, edit: bool = False
    ) -> tuple[str, list[dict[str, Any]]]:
        """The text of sendMessage/editMessageText (Client::get_input_message_text)."""
        if params.get("text") in (None, ""):
            raise bad_request("message text is empty")
        text, entities = self._format(
            params.get("text"), params.get("parse_mode"), params.get("entities"), allow_empty=False
        )
        if len(text) > TEXT_LIMIT:  # code points, as TDLib's utf8_length
            raise bad_request("MESSAGE_TOO_LONG" if edit else "message is too long")
        return text, entities

    def _caption(
        self, source: dict[str, Any], present_if_missing: str | None = None, *, edit: bool = False
    ) -> tuple[str | None, list[dict[str, Any]]]:
        if source.get("caption") is None:
            return present_if_missing, []
        caption, entities = self._format(
            source.get("caption"),
            source.get("parse_mode"),
            source.get("caption_entities"),
            allow_empty=True,
        )
        if len(caption) > CAPTION_LIMIT:
            raise bad_request("MEDIA_CAPTION_TOO_LONG" if edit else "message caption is too long")
        return caption, entities

    def _reply_to(self, params: dict[str, Any], chat_id: int) -> int | None:
        reply = params.get("reply_parameters")
        message_id = params.get("reply_to_message_id")
        allow = bool(params.get("allow_sending_without_reply"))
        if isinstance(reply, dict):
            message_id = reply.get("message_id")
            allow = bool(reply.get("allow_sending_without_reply", allow))
        if not message_id:
            return None
        target = self.message(chat_id, int(message_id))
        if target is None or target.deleted:
            if allow:
                return None
            raise bad_request("message to be replied not found")
        return target.message_id

    def _markup(self, params: dict[str, Any], *, inline_only: bool = False) -> Any:
        markup = validate_reply_markup(
            params.get("reply_markup"), strict_buttons=self.strict_buttons
        )
        if inline_only and markup is not None and "inline_keyboard" not in markup:
            raise bad_request("inline keyboard expected")
        return markup

    def _store_bot_message(self, method: str, user: FakeUser, **fields: Any) -> BotMessage:
        msg = BotMessage(
            message_id=self.new_message_id(user.id),
            chat_id=user.id,
            from_bot=True,
            date=int(self.now()),
            sender_id=self.bot_id,
            **fields,
        )
        self.append_message(msg)
        self._record_send(method, msg)
        user.apply_markup(msg.reply_markup)
        self._event("sent", msg)
        return msg

    # ------------------------------------------------------------------ files

    def _new_file(
        self,
        kind: str,
        data: bytes,
        *,
        file_name: str | None = None,
        mime_type: str | None = None,
        width: int | None = None,
        height: int | None = None,
        ext: str = "",
    ) -> FakeFile:
        n = next(self._file_seq)
        prefix = {"photo": "AgACAgUAAxkBAAI", "document": "BQACAgUAAxkBAAI"}.get(kind, "CAAC")
        digest = hashlib.sha1(data + f"{width}x{height}".encode()).hexdigest()[:16]
        folder = "photos" if kind == "photo" else "documents"
        file = FakeFile(
            file_id=f"{prefix}{n:06d}{secrets.token_urlsafe(18)}",
            file_unique_id=f"AQAD{digest}",
            kind=kind,
            data=data,
            file_path=f"{folder}/file_{n}{ext}",
            file_name=file_name,
            mime_type=mime_type,
            width=width,
            height=height,
        )
        self.files[file.file_id] = file
        self._files_by_path[file.file_path] = file
        return file

    def register_photo(self, data: bytes) -> list[FakeFile]:
        """Store an image as Telegram does: a thumbnail (if large) and the full size."""
        from PIL import Image, UnidentifiedImageError

        if len(data) > PHOTO_LIMIT:
            raise bad_request("PHOTO_SAVE_FILE_INVALID")
        try:
            with Image.open(io.BytesIO(data)) as image:
                image.load()
                width, height = image.size
                fmt = (image.format or "jpeg").lower()
                thumb_bytes = None
                if max(width, height) > 320:
                    thumb = image.convert("RGB")
                    thumb.thumbnail((320, 320))
                    buffer = io.BytesIO()
                    thumb.save(buffer, format="JPEG")
                    thumb_bytes, thumb_size = buffer.getvalue(), thumb.size
        except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
            raise bad_request("IMAGE_PROCESS_FAILED") from None
        if width + height > 10000 or max(width, height) > 20 * min(width, height):
            raise bad_request("PHOTO_INVALID_DIMENSIONS")
        ext = ".jpg" if fmt in ("jpeg", "jpg") else f".{fmt}"
        sizes = []
        if thumb_bytes is not None:
            sizes.append(
                self._new_file(
                    "photo",
                    thumb_bytes,
                    mime_type="image/jpeg",
                    width=thumb_size[0],
                    height=thumb_size[1],
                    ext=".jpg",
                )
            )
        sizes.append(
            self._new_file(
                "photo",
                data,
                mime_type=Image.MIME.get(fmt.upper(), "image/jpeg"),
                width=width,
                height=height,
                ext=ext,
            )
        )
        return sizes

    def register_document(
        self, data: bytes, file_name: str | None, mime_type: str | None = None
    ) -> FakeFile:
        if len(data) > UPLOAD_LIMIT:
            raise ApiError(413, "Request Entity Too Large")
        guessed = mimetypes.guess_type(file_name or "")[0]
        if not mime_type or mime_type == "application/octet-stream":
            mime_type = guessed or mime_type or "application/octet-stream"
        ext = ""
        if file_name and "." in file_name:
            ext = "." + file_name.rsplit(".", 1)[1][:8]
        return self._new_file("document", data, file_name=file_name, mime_type=mime_type, ext=ext)

    def _input_file(
        self, value: Any, uploads: dict[str, Upload], field: str
    ) -> Upload | FakeFile | str:
        """An upload, a stored file, or a URL to fetch (Client::get_input_file, then
        FileManager::from_persistent_id: a value with a "." is an HTTP URL)."""
        if field in uploads and not value:
            return uploads[field]
        if not isinstance(value, str) or not value:
            raise bad_request(f"there is no {field} in the request")
        if value.startswith("attach://"):
            name = value[len("attach://") :]
            if name not in uploads:
                raise bad_request(WRONG_FILE)
            return uploads[name]
        if "." in value:
            try:
                return parse_url(value).url()
            except UrlError as exc:
                raise td_error(f"Invalid file HTTP URL specified: {exc}") from None
        file = self.files.get(value)
        if file is None:
            raise bad_request(WRONG_FILE)
        return file

    async def _fetch(self, url: str, limit: int) -> tuple[bytes, str]:
        """Get a URL as Telegram's servers do: (content, content type), or Telegram's error."""
        timeout = aiohttp.ClientTimeout(total=self.url_timeout)
        try:
            async with (
                aiohttp.ClientSession(timeout=timeout) as http,
                http.get(url, allow_redirects=True) as response,
            ):
                if response.status >= 400:
                    raise bad_request(URL_NOT_MEDIA)
                data = await response.content.read(limit + 1)
                content_type = response.headers.get("Content-Type", "")
        except (aiohttp.ClientError, TimeoutError, OSError, ValueError):
            raise bad_request(URL_FAILED) from None
        if len(data) > limit:
            raise bad_request(URL_FAILED)
        return data, content_type.split(";")[0].strip().lower()

    async def _photo_sizes(
        self, value: Any, uploads: dict[str, Upload], field: str
    ) -> list[FakeFile]:
        source = self._input_file(value, uploads, field)
        if isinstance(source, str):
            data, _ = await self._fetch(source, URL_PHOTO_LIMIT)
            try:
                return self.register_photo(data)
            except ApiError:
                raise bad_request(URL_NOT_MEDIA) from None
        if isinstance(source, Upload):
            return self.register_photo(source.data)
        if source.kind != "photo":  # FileManager::check_input_file_id
            raise td_error(f"Can't use file of type {source.kind.title()} as Photo")
        same = [f for f in self.files.values() if f.file_unique_id == source.file_unique_id]
        return [same[0]] if same else [source]

    async def _document(self, value: Any, uploads: dict[str, Upload], field: str) -> FakeFile:
        source = self._input_file(value, uploads, field)
        if isinstance(source, str):
            data, content_type = await self._fetch(source, URL_FILE_LIMIT)
            if content_type not in URL_DOCUMENT_TYPES:
                raise bad_request(URL_NOT_MEDIA)
            name = source.rstrip("/").rsplit("/", 1)[-1] or "file"
            return self.register_document(data, name, content_type)
        if isinstance(source, Upload):
            return self.register_document(source.data, source.filename, source.content_type)
        if source.kind != "document":  # FileManager::check_input_file_id
            raise td_error(f"Can't use file of type {source.kind.title()} as Document")
        return source

    # ------------------------------------------------------------------ methods: bot & updates

    def _true(self, params: dict[str, Any], uploads: dict[str, Upload]) -> bool:
        return True

    def _get_me(self, params: dict[str, Any], uploads: dict[str, Upload]) -> dict[str, Any]:
        return {
            **self.bot_user(),
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": True,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    async def _get_updates(
        self, params: dict[str, Any], uploads: dict[str, Upload]
    ) -> list[dict[str, Any]]:
        if self.webhook.get("url"):
            raise ApiError(409, CONFLICT_WEBHOOK)
        if self._poller_active:
            raise ApiError(409, CONFLICT_POLLING)
        offset = int(params.get("offset") or 0)
        limit = min(max(int(params.get("limit") or 100), 1), 100)
        timeout = max(float(params.get("timeout") or 0), 0.0)
        allowed = params.get("allowed_updates")
        if isinstance(allowed, list):
            self.allowed_updates = allowed or None
        if offset > 0:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
        elif offset < 0:
            self._updates = self._updates[offset:]
        self._poller_active = True
        try:
            deadline = time.monotonic() + timeout
            while not self._updates and not self._stopping:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                await self.wait_changed(remaining)
            result = self._updates[:limit]
            if result:
                self._fetched_update_id = max(self._fetched_update_id, result[-1]["update_id"])
                self._last_fetch = time.monotonic()
            return result
        finally:
            self._poller_active = False

    async def _set_webhook(self, params: dict[str, Any], uploads: dict[str, Upload]) -> bool:
        url = str(params.get("url") or "")
        if url:  # Client::do_set_webhook, then WebhookActor::start_up
            try:
                parsed = parse_url(url, default_protocol="https")
            except UrlError:
                raise bad_request("invalid webhook URL specified") from None
            secret = str(params.get("secret_token") or "")
            if len(secret) > 256:
                raise bad_request("secret token is too long")
            if not re.fullmatch(r"[A-Za-z0-9_-]*", secret):
                raise bad_request("secret token contains unallowed characters")
            if parsed.protocol != "https" and not self.allow_http_webhook:
                raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
            if parsed.port not in (80, 88, 443, 8443) and not self.allow_http_webhook:
                raise bad_request(
                    "bad webhook: Webhook can be set up only on ports 80, 88, 443 or 8443"
                )
        if params.get("drop_pending_updates"):
            self._updates.clear()
        self.webhook = {"url": url, **{k: v for k, v in params.items() if k != "url"}}
        allowed = params.get("allowed_updates")
        if isinstance(allowed, list):
            self.allowed_updates = allowed or None
        await self._restart_delivery()
        return True

    async def _restart_delivery(self) -> None:
        """(Re)start delivering to the webhook set now, or stop (deleteWebhook)."""
        if self.delivery is not None:
            await self.delivery.stop()
            self.delivery = None
        url = self.webhook.get("url")
        if not url:
            return
        # Client::do_set_webhook: max_connections 0 means 40, at most 100.
        max_connections = int(self.webhook.get("max_connections") or 40)
        self.delivery = WebhookDelivery(
            server=self,
            url=url,
            secret=str(self.webhook.get("secret_token") or "") or None,
            max_connections=min(max(max_connections, 1), 100),
            ssl_context=self.webhook_ssl,
            timeout=self.webhook_timeout,
            retry_delay=self.webhook_retry_delay,
        )
        self.delivery.start()

    def _confirm_update(self, update_id: int) -> None:
        """The webhook answered 2xx: the update is delivered."""
        self._updates = [u for u in self._updates if u["update_id"] != update_id]
        self._fetched_update_id = max(self._fetched_update_id, update_id)
        self._last_fetch = time.monotonic()

    @staticmethod
    def _dumps(payload: object) -> str:
        return json.dumps(payload, ensure_ascii=False)

    async def _delete_webhook(self, params: dict[str, Any], uploads: dict[str, Upload]) -> bool:
        self.webhook = {}
        await self._restart_delivery()
        if params.get("drop_pending_updates"):
            self._fetched_update_id = self._next_update_id - 1
            self._updates.clear()
        return True

    def _get_webhook_info(
        self, params: dict[str, Any], uploads: dict[str, Upload]
    ) -> dict[str, Any]:
        info: dict[str, Any] = {
            "url": self.webhook.get("url", ""),
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }
        if self.allowed_updates is not None:
            info["allowed_updates"] = self.allowed_updates
        if self.delivery is not None:
            info["max_connections"] = self.delivery.max_connections
            if self.delivery.last_error_date is not None:
                info["last_error_date"] = self.delivery.last_error_date
                info["last_error_message"] = self.delivery.last_error_message
        return info

    # ------------------------------------------------------------------ methods: sending

    def _send_message(self, params: dict[str, Any], uploads: dict[str, Upload]) -> dict[str, Any]:
        user = self._resolve_chat(params)
        self._check_rate("sendMessage", user.id)
        text, entities = self._text(params)
        markup = self._markup(params)
        reply_to = self._reply_to(params, user.id)
        self._check_access(user)
        msg = self._store_bot_message(
            "sendMessage",
            user,
            text=text,
            html=params.get("text"),
            entities=entities,
            parse_mode=params.get("parse_mode"),
            reply_markup=markup,
            reply_to_message_id=reply_to,
        )
        return self.message_dict(msg)

    async def _send_photo(
        self, params: dict[str, Any], uploads: dict[str, Upload]
    ) -> dict[str, Any]:
        user = self._resolve_chat(params)
        self._check_rate("sendPhoto", user.id)
        caption, entities = self._caption(params)
        markup = self._markup(params)
        reply_to = self._reply_to(params, user.id)
        sizes = await self._photo_sizes(params.get("photo"), uploads, "photo")
        self._check_access(user)
        msg = self._store_bot_message(
            "sendPhoto",
            user,
            text=caption,
            html=params.get("caption"),
            entities=entities,
            parse_mode=params.get("parse_mode"),
            photo_sizes=sizes,
            reply_markup=markup,
            reply_to_message_id=reply_to,
        )
        return self.message_dict(msg)

    async def _send_document(
        self, params: dict[str, Any], uploads: dict[str, Upload]
    ) -> dict[str, Any]:
        user = self._resolve_chat(params)
        self._check_rate("sendDocument", user.id)
        caption, entities = self._caption(params)
        markup = self._markup(params)
        reply_to = self._reply_to(params, user.id)
        file = await self._document(params.get("document"), uploads, "document")
        self._check_access(user)
        msg = self._store_bot_message(
            "sendDocument",
            user,
            text=caption,
            html=params.get("caption"),
            entities=entities,
            parse_mode=params.get("parse_mode"),
            document_file=file,
            reply_markup=markup,
            reply_to_message_id=reply_to,
        )
        return self.message_dict(msg)

    async def _send_media_group(
        self, params: dict[str, Any], uploads: dict[str, Upload]
    ) -> list[dict[str, Any]]:
        user = self._resolve_chat(params)
        self._check_rate("sendMediaGroup", user.id)
        media = params.get("media")
        if not isinstance(media, list):
            raise bad_request("expected an Array of InputMedia")
        if any(not isinstance(item, dict) for item in media):
            raise bad_request("can't parse InputMedia: expected an Object")
        kinds = {item.get("type") for item in media}
        if not kinds <= {"photo", "document"}:
            raise bad_request("fakegram media groups take only photos and documents")
        if len(media) > MEDIA_GROUP_LIMIT:  # check_message_group_message_contents
            raise bad_request("too many messages to send as an album")
        if not media:
            raise bad_request("there are no messages to send")
        if len(kinds) > 1:
            raise bad_request("document can't be mixed with other media types")
        prepared = [await self._album_item(item, uploads) for item in media]
        reply_to = self._reply_to(params, user.id)
        self._check_access(user)
        group_id = str(10**17 + next(self._file_seq)) if len(prepared) > 1 else None
        return [
            self.message_dict(
                self._store_bot_message(
                    "sendMediaGroup",
                    user,
                    media_group_id=group_id,
                    reply_to_message_id=reply_to,
                    **fields,
                )
            )
            for fields in prepared
        ]

    async def _album_item(
        self, item: dict[str, Any], uploads: dict[str, Upload]
    ) -> dict[str, Any]:
        caption, entities = self._caption(item)
        fields: dict[str, Any] = {
            "text": caption,
            "html": item.get("caption"),
            "entities": entities,
            "parse_mode": item.get("parse_mode"),
        }
        if item["type"] == "photo":
            fields["photo_sizes"] = await self._photo_sizes(item.get("media"), uploads, "media")
        else:
            fields["document_file"] = await self._document(item.get("media"), uploads, "media")
        return fields

    def _source_message(self, params: dict[str, Any], what: str) -> BotMessage:
        from_chat: Any = params.get("from_chat_id")  # int() refuses it if missing
        try:
            from_chat_id = int(from_chat)
        except (TypeError, ValueError):
            raise bad_request("chat not found") from None
        source = self.message(from_chat_id, int(params.get("message_id") or 0))
        if source is None or source.deleted:
            raise bad_request(f"message to {what} not found")
        return source

    def _copy_message(self, params: dict[str, Any], uploads: dict[str, Upload]) -> dict[str, Any]:
        user = self._resolve_chat(params)
        self._check_rate("copyMessage", user.id)
        source = self._source_message(params, "copy")
        text, entities, html = source.text, source.entities, source.html
        if source.has_media and params.get("caption") is not None:
            text, entities = self._caption(params)
            html = params.get("caption")
        markup = self._markup(params)
        reply_to = self._reply_to(params, user.id)
        self._check_access(user)
        msg = self._store_bot_message(
            "copyMessage",
            user,
            text=text,
            html=html,
            entities=list(entities),
            parse_mode=source.parse_mode,
            photo_sizes=list(source.photo_sizes),
            document_file=source.document_file,
            contact=source.contact,
            location=source.location,
            reply_markup=markup,
            reply_to_message_id=reply_to,
        )
        return {"message_id": msg.message_id}

    def _forward_message(
        self, params: dict[str, Any], uploads: dict[str, Upload]
    ) -> dict[str, Any]:
        user = self._resolve_chat(params)
        self._check_rate("forwardMessage", user.id)
        source = self._source_message(params, "forward")
        self._check_access(user)
        if source.from_bot:
            origin = {"type": "user", "sender_user": self.bot_user(), "date": source.date}
        else:
            sender = self.users[source.sender_id].api_dict()
            origin = {"type": "user", "sender_user": sender, "date": source.date}
        msg = self._store_bot_message(
            "forwardMessage",
            user,
            text=source.text,
            html=source.html,
            entities=list(source.entities),
            parse_mode=source.parse_mode,
            photo_sizes=list(source.photo_sizes),
            document_file=source.document_file,
            contact=source.contact,
            location=source.location,
            forward_origin=origin,
        )
        return self.message_dict(msg)

    # ------------------------------------------------------------------ methods: editing

    def _editable(self, params: dict[str, Any]) -> tuple[FakeUser, BotMessage]:
        if params.get("inline_message_id"):
            raise bad_request("fakegram does not implement inline messages")
        user = self._resolve_chat(params)
        message_id = params.get("message_id")
        if not message_id:
            raise bad_request("message identifier is not specified")
        msg = self.message(user.id, int(message_id))
        if msg is None or msg.deleted:
            raise bad_request("message to edit not found")
        if not msg.from_bot or msg.forward_origin or _has_reply_keyboard(msg):
            # MessagesManager::can_edit_message: only outgoing messages; never a forward, nor a
            # message sent with a reply keyboard, ReplyKeyboardRemove or ForceReply
            raise bad_request("message can't be edited")
        self._check_access(user)
        return user, msg

    def _apply_edit(
        self,
        method: str,
        user: FakeUser,
        msg: BotMessage,
        compared: dict[str, Any],
        **extra: Any,
    ) -> dict[str, Any]:
        """Apply an edit unless the visible content (``compared``) stays the same."""
        current = {key: getattr(msg, key) for key in compared}
        if "reply_markup" in current and "inline_keyboard" not in (current["reply_markup"] or {}):
            current["reply_markup"] = None  # a reply keyboard is not part of the message
        if current == compared:
            raise bad_request(NOT_MODIFIED)
        self._check_rate(method, user.id)
        for key, value in {**compared, **extra}.items():
            setattr(msg, key, value)
        msg.edited += 1
        msg.edit_date = int(self.now())
        self._event("edited", msg)
        return self.message_dict(msg)

    def _edit_message_text(
        self, params: dict[str, Any], uploads: dict[str, Upload]
    ) -> dict[str, Any]:
        user, msg = self._editable(params)
        if msg.has_media or msg.contact or msg.location:
            raise bad_request("there is no text in the message to edit")
        text, entities = self._text(params, edit=True)
        markup = self._markup(params, inline_only=True)
        return self._apply_edit(
            "editMessageText",
            user,
            msg,
            {"text": text, "entities": entities, "reply_markup": markup},
            html=params.get("text"),
            parse_mode=params.get("parse_mode"),
        )

    def _edit_message_caption(
        self, params: dict[str, Any], uploads: dict[str, Upload]
    ) -> dict[str, Any]:
        user, msg = self._editable(params)
        if not msg.has_media:
            raise bad_request("there is no caption in the message to edit")
        caption, entities = self._caption(params, present_if_missing="", edit=True)
        markup = self._markup(params, inline_only=True)
        return self._apply_edit(
            "editMessageCaption",
            user,
            msg,
            {"text": caption, "entities": entities, "reply_markup": markup},
            html=params.get("caption"),
            parse_mode=params.get("parse_mode"),
        )

    def _edit_message_reply_markup(
        self, params: dict[str, Any], uploads: dict[str, Upload]
    ) -> dict[str, Any]:
        user, msg = self._editable(params)
        markup = self._markup(params, inline_only=True)
        return self._apply_edit("editMessageReplyMarkup", user, msg, {"reply_markup": markup})

    async def _edit_message_media(
        self, params: dict[str, Any], uploads: dict[str, Upload]
    ) -> dict[str, Any]:
        user, msg = self._editable(params)
        media = params.get("media")
        if not isinstance(media, dict) or media.get("type") not in ("photo", "document"):
            raise bad_request("fakegram editMessageMedia takes a photo or a document")
        if not msg.has_media:
            raise bad_request("there is no media in the message to edit")
        caption, entities = self._caption(media, present_if_missing="")
        markup = self._markup(params, inline_only=True)
        fields: dict[str, Any] = {"text": caption, "entities": entities, "reply_markup": markup}
        if media["type"] == "photo":
            fields["photo_sizes"] = await self._photo_sizes(media.get("media"), uploads, "media")
            fields["document_file"] = None
        else:
            fields["document_file"] = await self._document(media.get("media"), uploads, "media")
            fields["photo_sizes"] = []
        return self._apply_edit(
            "editMessageMedia",
            user,
            msg,
            fields,
            html=media.get("caption"),
            parse_mode=media.get("parse_mode"),
        )

    def _delete_message(self, params: dict[str, Any], uploads: dict[str, Upload]) -> bool:
        if params.get("chat_id") in (None, ""):
            raise bad_request("chat identifier is not specified")
        if not params.get("message_id"):
            raise bad_request("message identifier is not specified")
        user = self._resolve_chat(params)
        msg = self.message(user.id, int(params.get("message_id") or 0))
        if msg is None or msg.deleted:
            raise bad_request("message to delete not found")
        self._check_deletable(msg)
        msg.deleted = True
        self._event("deleted", msg)
        return True

    def _check_deletable(self, msg: BotMessage) -> None:
        """MessagesManager::delete_messages: in a private chat a bot may delete its messages
        and the user's (revoke_pm_inbox), for 48 hours (can_revoke_message)."""
        if self.now() - msg.date > DELETE_TIME_LIMIT:
            raise bad_request("message can't be deleted for everyone")

    def _delete_messages(self, params: dict[str, Any], uploads: dict[str, Upload]) -> bool:
        ids = params.get("message_ids")  # Client::get_message_ids
        if ids in (None, "", []):
            raise bad_request("message identifiers are not specified")
        if not isinstance(ids, list):
            raise bad_request("expected an Array of message identifiers")
        if len(ids) > 100:
            raise bad_request("too many message identifiers specified")
        if not all(isinstance(i, int) and not isinstance(i, bool) and i > 0 for i in ids):
            raise bad_request("invalid message identifier specified")
        user = self._resolve_chat(params)
        found = [self.message(user.id, int(i)) for i in ids]
        messages = [m for m in found if m is not None and not m.deleted]
        for msg in messages:  # all or none: TDLib checks every message first
            self._check_deletable(msg)
        for msg in messages:
            msg.deleted = True
            self._event("deleted", msg)
        return True

    # ------------------------------------------------------------------ methods: misc

    def _answer_callback_query(self, params: dict[str, Any], uploads: dict[str, Upload]) -> bool:
        record = self.callback_queries.get(str(params.get("callback_query_id") or ""))
        now = time.monotonic()
        if (
            record is None
            or record.answer is not None
            or now - record.created > self.callback_answer_timeout
        ):
            raise bad_request(CALLBACK_TOO_OLD)
        text = params.get("text")
        if text is not None and len(str(text)) > CALLBACK_TEXT_LIMIT:
            raise bad_request("MESSAGE_TOO_LONG")
        if self.strict_alerts and text and (markup := _HTML_IN_ALERT.search(str(text))):
            raise bad_request(
                f"fakegram strict_alerts: the answer text {str(text)!r} contains "
                f"{markup.group()!r}; callback answers have no parse mode, the user would see "
                "it literally"
            )
        url = params.get("url")
        if url and not re.match(
            rf"^(https?://)?t\.me/{re.escape(self.bot_username)}\?start=", url, re.IGNORECASE
        ):
            raise bad_request("URL_INVALID")  # games aside, only t.me/<bot>?start= links
        record.answer = {k: v for k, v in params.items() if k != "callback_query_id"}
        record.answered_at = now
        record.answered.set()
        return True

    def _send_chat_action(self, params: dict[str, Any], uploads: dict[str, Upload]) -> bool:
        user = self._resolve_chat(params)
        if params.get("action") not in CHAT_ACTIONS:
            raise bad_request("wrong parameter action in request")
        self._check_access(user)
        return True

    def _command_scope(self, params: dict[str, Any]) -> dict[str, Any]:
        """The scope of the *MyCommands methods, normalised (Client::get_bot_command_scope,
        check_bot_command_scope; BotCommandScope::get_bot_command_scope)."""
        scope = params.get("scope")
        if scope in (None, ""):
            return {"type": "default"}
        what = "Can't parse BotCommandScope: "
        if not isinstance(scope, dict):
            raise td_error(what + "BotCommandScope must be an Object")
        kind = scope.get("type")
        if not isinstance(kind, str):
            raise td_error(what + 'Can\'t find field "type"')
        if kind in ("default", "all_private_chats", "all_group_chats", "all_chat_administrators"):
            return {"type": kind}
        if kind not in ("chat", "chat_administrators", "chat_member"):
            raise td_error(what + "Unsupported type specified")
        if scope.get("chat_id") in (None, ""):
            raise td_error(what + "Empty chat_id specified")
        if kind == "chat_member" and not (
            isinstance(scope.get("user_id"), int) and scope["user_id"] > 0
        ):
            raise td_error(what + "Invalid user_id specified")
        user = self._resolve_chat({"chat_id": scope["chat_id"]})
        if not user.started:  # the bot has never seen this user: no such chat for it
            raise bad_request("chat not found")
        if kind != "chat":
            raise td_error("Can't use specified scope in private chats")
        return {"type": "chat", "chat_id": user.id}

    def _commands_json(self, params: dict[str, Any]) -> list[tuple[str, str]]:
        """setMyCommands' commands as JSON (Client::get_bot_commands, before the scope)."""
        commands = params.get("commands")
        if commands in (None, ""):
            return []
        if not isinstance(commands, list):
            raise bad_request("expected an Array of BotCommand")
        parsed = []
        for command in commands:
            if not isinstance(command, dict):
                raise bad_request("can't parse BotCommand: expected an Object")
            for key in ("command", "description"):
                if not isinstance(command.get(key), str):
                    raise bad_request(f"can't parse BotCommand: Can't find field \"{key}\"")
            parsed.append((command["command"], command["description"]))
        return parsed

    def _set_my_commands(self, params: dict[str, Any], uploads: dict[str, Upload]) -> bool:
        parsed = self._commands_json(params)
        scope = self._command_scope(params)
        language = _language_code(params)
        commands = [_bot_command(command, description) for command, description in parsed]
        if len(commands) > COMMANDS_LIMIT:  # Telegram's server
            raise bad_request("BOT_COMMANDS_TOO_MUCH")
        if any(not re.fullmatch(r"[a-z0-9_]+", c["command"]) for c in commands):
            raise bad_request("BOT_COMMAND_INVALID")  # lowercase English letters, digits, _
        key = (_scope_key(scope), language)
        if commands:
            self.bot_commands[key] = commands
        else:
            self.bot_commands.pop(key, None)
        return True

    def _get_my_commands(
        self, params: dict[str, Any], uploads: dict[str, Upload]
    ) -> list[dict[str, Any]]:
        scope = self._command_scope(params)
        return self.my_commands(scope, _language_code(params))

    def _delete_my_commands(self, params: dict[str, Any], uploads: dict[str, Upload]) -> bool:
        key = (_scope_key(self._command_scope(params)), _language_code(params))
        self.bot_commands.pop(key, None)
        return True

    def _set_chat_menu_button(self, params: dict[str, Any], uploads: dict[str, Upload]) -> bool:
        chat_id = params.get("chat_id")
        if chat_id is not None:
            chat_id = self._resolve_chat(params).id
        button = params.get("menu_button") or {"type": "default"}
        if not isinstance(button, dict) or button.get("type") not in (
            "default",
            "commands",
            "web_app",
        ):
            raise bad_request("can't parse menu button")
        self.menu_buttons[chat_id] = button
        return True

    def _get_chat_menu_button(
        self, params: dict[str, Any], uploads: dict[str, Upload]
    ) -> dict[str, Any]:
        chat_id = params.get("chat_id")
        if chat_id is not None:
            chat_id = self._resolve_chat(params).id
        return (
            self.menu_buttons.get(chat_id) or self.menu_buttons.get(None) or {"type": "commands"}
        )

    def _bot_text_setter(self, field: str) -> Handler:
        limits = {"description": 512, "short_description": 120, "name": 64}

        def handler(params: dict[str, Any], uploads: dict[str, Upload]) -> bool:
            language = _language_code(params)
            value = params.get(field) or ""
            if len(value) > limits[field]:
                raise bad_request(f"{field} is too long")  # fakegram's words
            self.bot_texts[(field, language)] = value
            return True

        return handler

    def _bot_text_getter(self, field: str) -> Handler:
        def handler(params: dict[str, Any], uploads: dict[str, Upload]) -> dict[str, Any]:
            lang = _language_code(params)
            value = self.bot_texts.get((field, lang), self.bot_texts.get((field, ""), ""))
            if field == "name" and not value:
                value = self.bot_first_name
            return {field: value}

        return handler

    def _get_file(self, params: dict[str, Any], uploads: dict[str, Upload]) -> dict[str, Any]:
        file = self.files.get(str(params.get("file_id") or ""))
        if file is None:
            raise bad_request("invalid file_id")
        if file.file_size > DOWNLOAD_LIMIT:
            raise bad_request("file is too big")
        return file.file_object()

    def _get_chat(self, params: dict[str, Any], uploads: dict[str, Upload]) -> dict[str, Any]:
        user = self._resolve_chat(params)
        if not user.started:
            raise bad_request("chat not found")
        return {
            **user.chat_dict(),
            "accent_color_id": user.id % 7,
            "max_reaction_count": 11,
            "accepted_gift_types": {
                "unlimited_gifts": True,
                "limited_gifts": True,
                "unique_gifts": True,
                "premium_subscription": True,
                "gifts_from_channels": True,
            },
        }


def _has_reply_keyboard(msg: BotMessage) -> bool:
    """Sent with a ReplyKeyboardMarkup, ReplyKeyboardRemove or ForceReply."""
    return msg.reply_markup is not None and "inline_keyboard" not in msg.reply_markup


def _json(payload: Any, status: int = 200) -> web.Response:
    return web.json_response(payload, status=status, dumps=lambda o: json.dumps(o))


def _too_many(seconds: int) -> ApiError:
    seconds = max(1, int(seconds))
    return ApiError(429, f"Too Many Requests: retry after {seconds}", {"retry_after": seconds})


def _window_retry(window: deque[float], rate: float, now: float) -> int:
    """Seconds to wait if one more send would exceed ``rate``; 0 if it is allowed."""
    if rate <= 0:
        return 1
    span, capacity = (1.0, max(1, int(rate))) if rate >= 1 else (1.0 / rate, 1)
    while window and now - window[0] >= span:
        window.popleft()
    if len(window) < capacity:
        return 0
    return max(1, math.ceil(window[0] + span - now))


def _language_code(params: dict[str, Any]) -> str:
    """validate_bot_language_code (td/telegram/misc.cpp): empty or two letters a-z."""
    code = params.get("language_code")
    code = "" if code is None else str(code)
    if code and not re.fullmatch(r"[a-z]{2}", code):
        raise bad_request("invalid language code specified")
    return code


def _bot_command(command: str, description: str) -> dict[str, str]:
    """One command as TDLib's set_commands cleans and checks it (BotCommand.cpp)."""
    command, _ = format_text(command, None, None)  # clean_input_string
    command = command.strip(" \t\r\n\0\v")
    if command.startswith("/"):
        command = command[1:]
    if not command:
        raise bad_request("command must be non-empty")
    if len(command) > COMMAND_LENGTH:
        raise bad_request(f"command length must not exceed {COMMAND_LENGTH}")
    description = description.strip(" \t\r\n\0\v")
    if not description:
        raise bad_request("command description must be non-empty")
    if len(description) > COMMAND_DESCRIPTION_LENGTH:
        raise bad_request(
            f"command description length must not exceed {COMMAND_DESCRIPTION_LENGTH}"
        )
    return {"command": command, "description": description}


def _scope_key(scope: Any) -> str:
    if not scope:
        scope = {"type": "default"}
    return json.dumps(scope, sort_keys=True)


def _coerce(params: dict[str, Any]) -> dict[str, Any]:
    """Turn form values into JSON types, except fields that are strings by definition."""
    out: dict[str, Any] = {}
    for key, value in params.items():
        if isinstance(value, str) and key not in STRING_FIELDS:
            try:
                out[key] = json.loads(value)
            except ValueError:
                out[key] = value
        else:
            out[key] = value
    return out
