"""FakeUser: a Telegram user acting on the fake server (types, taps, shares, uploads)."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .entities import Entity, sort_entities
from .formatting import bot_command_entities, format_text
from .inline import QUERY_CHARS, InlineQueryRecord, new_query_id
from .state import BotMessage, CallbackQueryRecord, ChatEvent

if TYPE_CHECKING:
    from .server import FakeTelegram

_other_contact_ids = itertools.count(9_000_000_001)


class FakeUser:
    """A private-chat user. Create it with ``FakeTelegram.user()``."""

    def __init__(
        self,
        server: FakeTelegram,
        user_id: int,
        *,
        first_name: str,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = None,
        phone: str | None = None,
    ) -> None:
        self.server = server
        self.id = user_id
        self.first_name = first_name
        self.last_name = last_name
        self.username = username
        self.language_code = language_code
        self.phone = phone
        self.chat_type = "private"  # "channel" for FakeTelegram.channel()
        self.started = False  # has ever written to the bot
        self.blocked = False
        self.deleted = False
        self.keyboard: dict[str, Any] | None = None  # current ReplyKeyboardMarkup
        self.force_reply: dict[str, Any] | None = None
        self._cursor = 0  # ChatEvent.seq already consumed by wait_reply

    def __repr__(self) -> str:
        return f"<FakeUser {self.id} {self.first_name!r}>"

    # ------------------------------------------------------------------ Bot API shapes

    def api_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        if self.last_name:
            data["last_name"] = self.last_name
        if self.username:
            data["username"] = self.username
        if self.language_code:
            data["language_code"] = self.language_code
        return data

    def chat_dict(self) -> dict[str, Any]:
        if self.chat_type == "channel":
            return {"id": self.id, "type": "channel", "title": self.first_name,
                    "username": self.username}  # fmt: skip
        data: dict[str, Any] = {"id": self.id, "type": "private", "first_name": self.first_name}
        if self.last_name:
            data["last_name"] = self.last_name
        if self.username:
            data["username"] = self.username
        return data

    # ------------------------------------------------------------------ what the user sees

    @property
    def messages(self) -> list[BotMessage]:
        """The chat as shown to the user: current content, deleted messages left out."""
        return [m for m in self.server.chat(self.id) if not m.deleted]

    @property
    def bot_messages(self) -> list[BotMessage]:
        return [m for m in self.messages if m.from_bot]

    @property
    def last(self) -> BotMessage | None:
        """The newest bot message still in the chat."""
        bot_messages = self.bot_messages
        return bot_messages[-1] if bot_messages else None

    @property
    def keyboard_buttons(self) -> list[str]:
        if not self.keyboard:
            return []
        return [b["text"] for row in self.keyboard["keyboard"] for b in row]

    def apply_markup(self, markup: dict[str, Any] | None) -> None:
        """Update the reply keyboard after a bot message carrying ``markup``."""
        if not markup:
            return
        if "keyboard" in markup:
            self.keyboard, self.force_reply = markup, None
        elif markup.get("remove_keyboard"):
            self.keyboard = None
        elif markup.get("force_reply"):
            self.force_reply = markup

    # ------------------------------------------------------------------ actions

    def _begin_action(self) -> None:
        if self.deleted:
            raise AssertionError(f"user {self.id} deleted their account and can't act")
        if self.blocked:
            self.server.unblock(self.id)  # writing again means pressing "Restart"
        self.started = True
        self.force_reply = None
        events = self.server.chat_events(self.id)
        self._cursor = events[-1].seq if events else self._cursor

    async def _post(self, **fields: Any) -> BotMessage:
        self._begin_action()
        msg = BotMessage(
            message_id=self.server.new_message_id(self.id),
            chat_id=self.id,
            from_bot=False,
            date=int(self.server.now()),
            sender_id=self.id,
            **fields,
        )
        self.server.append_message(msg)
        self.server.add_update("message", self.server.message_dict(msg))
        await asyncio.sleep(0)
        return msg

    async def send(
        self,
        text: str,
        *,
        reply_to: BotMessage | int | None = None,
        html: bool = False,
        entities: list[dict[str, Any]] | None = None,
    ) -> BotMessage:
        """Type and send a text; /commands get bot_command entities.

        With ``html=True`` the text is written with formatting (bold, links, ...) given as
        Telegram HTML: the bot receives the plain text and its entities, as from a client.
        With ``entities`` the formatting comes as a client sends it: the text and its entities
        (UTF-16 offsets); Telegram cleans and trims them, and /commands outside code and links
        get their bot_command entities as in any typed text.
        """
        if not text.strip():
            raise AssertionError("Telegram clients don't send empty messages")
        if html and entities is not None:
            raise TypeError("send() takes html=True or entities, not both")
        if html:
            plain, found = format_text(text, "HTML", None)
            return await self._post(
                text=plain, entities=found, reply_to_message_id=_message_id(reply_to)
            )
        if entities is not None:
            plain, found = formatted(text, entities)
            return await self._post(
                text=plain, entities=found, reply_to_message_id=_message_id(reply_to)
            )
        return await self._post(
            text=text,
            entities=bot_command_entities(text),
            reply_to_message_id=_message_id(reply_to),
        )

    async def start(self, payload: str | None = None) -> BotMessage:
        """Open the bot (a t.me/<bot>?start=<payload> deep link sends "/start <payload>")."""
        return await self.send(f"/start {payload}" if payload else "/start")

    async def send_contact(
        self,
        phone: str,
        own: bool = True,
        *,
        first_name: str | None = None,
        last_name: str | None = None,
        user_id: int | None = None,
    ) -> BotMessage:
        """Share a contact: one's own (user_id = self) or someone else's (own=False)."""
        if own:
            contact: dict[str, Any] = {
                "phone_number": phone,
                "first_name": first_name or self.first_name,
                "user_id": self.id,
            }
            if last_name or self.last_name:
                contact["last_name"] = last_name or self.last_name
            self.phone = self.phone or phone
        else:
            contact = {
                "phone_number": phone,
                "first_name": first_name or "Kontak",
                "user_id": user_id if user_id is not None else next(_other_contact_ids),
            }
            if last_name:
                contact["last_name"] = last_name
        return await self._post(contact=contact)

    async def share_location(self, lat: float, lon: float) -> BotMessage:
        """Share a location (the attachment menu's or a request_location button's): Telegram
        sends the bot a message with ``location`` and nothing else."""
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            raise AssertionError(f"Telegram clients can't send the location {lat}, {lon}")
        return await self._post(location={"latitude": lat, "longitude": lon})

    async def send_photo(
        self,
        data: bytes,
        caption: str | None = None,
        *,
        html: bool = False,
        caption_entities: list[dict[str, Any]] | None = None,
        media_group_id: str | None = None,
    ) -> BotMessage:
        """Send an image (Pillow must be able to read it); ``html``: a formatted caption,
        or ``caption_entities``: its formatting as a client sends it (see ``send``);
        ``media_group_id``: one picture of an album (each arrives as its own message)."""
        sizes = self.server.register_photo(data)
        caption, entities = _caption(caption, html, caption_entities)
        return await self._post(
            photo_sizes=sizes, text=caption, entities=entities, media_group_id=media_group_id
        )

    async def send_document(
        self,
        data: bytes,
        filename: str = "document",
        mime_type: str | None = None,
        caption: str | None = None,
        *,
        caption_entities: list[dict[str, Any]] | None = None,
    ) -> BotMessage:
        file = self.server.register_document(data, filename, mime_type)
        caption, entities = _caption(caption, False, caption_entities)
        return await self._post(document_file=file, text=caption, entities=entities)

    async def press(self, text: str, *, location: tuple[float, float] | None = None) -> BotMessage:
        """Press a reply-keyboard button: send its text, or the own contact if it asks so, or
        ``location`` (lat, lon) for a request_location button."""
        if not self.keyboard:
            raise AssertionError(f"user {self.id} has no reply keyboard to press {text!r} on")
        flat = [b for row in self.keyboard["keyboard"] for b in row]
        exact = [b for b in flat if b["text"] == text]
        matches = exact or [b for b in flat if text in b["text"]]
        if len(matches) != 1:
            raise AssertionError(
                f"no single reply button matching {text!r}; buttons: {self.keyboard_buttons!r}"
            )
        button = matches[0]
        if button.get("request_contact"):
            if not self.phone:
                raise AssertionError(
                    f"user {self.id} has no phone; create it with server.user(..., phone=...)"
                )
            return await self.send_contact(self.phone, own=True)
        if button.get("request_location"):
            if location is None:
                raise AssertionError("press a request_location button with location=(lat, lon)")
            return await self.share_location(*location)
        unsupported = [k for k in ("request_users", "request_chat",
                                   "request_poll", "web_app") if button.get(k)]  # fmt: skip
        if unsupported:
            raise AssertionError(f"fakegram can't press {unsupported[0]} buttons")
        return await self.send(button["text"])

    def _find_button(
        self, text: str | None, data: str | None, message: BotMessage | None
    ) -> tuple[BotMessage, dict[str, Any]]:
        def match(msg: BotMessage) -> dict[str, Any] | None:
            flat = [b for row in msg.inline_keyboard for b in row]
            if data is not None:
                found = [b for b in flat if b.get("callback_data") == data]
            else:
                assert text is not None
                found = [b for b in flat if b["text"] == text] or [
                    b for b in flat if text in b["text"]
                ]
            return found[0] if found else None

        if message is not None:
            live = self.server.message(self.id, message.message_id)
            if live is None or live.deleted:
                raise AssertionError(f"message {message.message_id} is no longer in the chat")
            candidates = [live]
        else:
            candidates = list(reversed(self.bot_messages))
        for msg in candidates:
            button = match(msg)
            if button is not None:
                return msg, button
        shown = [(m.message_id, m.buttons) for m in candidates if m.inline_keyboard]
        wanted = f"callback_data {data!r}" if data is not None else f"text {text!r}"
        raise AssertionError(f"no inline button with {wanted}; buttons shown: {shown!r}")

    async def click(
        self,
        text: str | None = None,
        message: BotMessage | None = None,
        *,
        click_data: str | None = None,
    ) -> CallbackQueryRecord:
        """Tap an inline button (by text, or by exact ``click_data``); returns the query."""
        if text is None and click_data is None:
            raise TypeError("click() needs the button text or click_data")
        msg, button = self._find_button(text, click_data, message)
        if "callback_data" not in button:
            action = next((k for k in button if k != "text"), "?")
            raise AssertionError(
                f"button {button['text']!r} is a {action} button ({button.get(action)!r}), "
                "tapping it sends no callback query"
            )
        return await self.click_data(msg, button["callback_data"])

    async def click_data(self, message: BotMessage, data: str) -> CallbackQueryRecord:
        """Send a callback query with arbitrary data from ``message`` (a forged tap)."""
        live = self.server.message(self.id, message.message_id)
        if live is None or live.deleted:
            raise AssertionError(f"message {message.message_id} is no longer in the chat")
        self._begin_action()
        record = CallbackQueryRecord(
            id=self.server.new_callback_id(),
            user_id=self.id,
            chat_id=self.id,
            message_id=live.message_id,
            data=data,
            created=time.monotonic(),
        )
        self.server.callback_queries[record.id] = record
        self.server.add_update(
            "callback_query",
            {
                "id": record.id,
                "from": self.api_dict(),
                "message": self.server.message_dict(live),
                "chat_instance": str(-(self.id * 7919 + self.server.bot_id) % 10**18),
                "data": data,
            },
        )
        await asyncio.sleep(0)
        return record

    async def inline_query(
        self, query: str, offset: str = "", *, chat_type: str = "sender"
    ) -> InlineQueryRecord:
        """Type ``@bot query`` in a chat (``chat_type`` as Telegram reports it: sender,
        private, group, supergroup, channel); ``offset``: the answer's next_offset, for more
        results. Inline queries need no /start."""
        if self.deleted:
            raise AssertionError(f"user {self.id} deleted their account and can't act")
        record = InlineQueryRecord(
            id=new_query_id(), user_id=self.id, query=query[:QUERY_CHARS], offset=offset,
            created=time.monotonic(),
        )  # fmt: skip
        self.server.inline_queries[record.id] = record
        self.server.add_update(
            "inline_query",
            {
                "id": record.id,
                "from": self.api_dict(),
                "query": record.query,
                "offset": offset,
                "chat_type": chat_type,
            },
        )
        await asyncio.sleep(0)
        return record

    async def wait_inline_answer(
        self, record: InlineQueryRecord, timeout: float = 5.0
    ) -> InlineQueryRecord:
        await asyncio.wait_for(record.answered.wait(), timeout)
        return record

    def choose_inline_result(self, record: InlineQueryRecord, result_id: str) -> BotMessage:
        """Pick a result: it is posted "via @bot" in the chat the query was typed in (a chat
        the bot is not in; kept in ``server.inline_posts``)."""
        posted = (record.answer or {}).get("posted", {}).get(result_id)
        if posted is None:
            raise AssertionError(f"no result {result_id!r} in the answer to {record.query!r}")
        photo = posted.get("photo_file")
        msg = BotMessage(
            message_id=len(self.server.inline_posts) + 1,
            chat_id=0,
            from_bot=False,
            date=int(self.server.now()),
            sender_id=self.id,
            text=posted.get("text"),
            html=posted.get("html"),
            entities=posted.get("entities") or [],
            photo_sizes=[photo] if photo is not None else [],
            reply_markup=posted.get("reply_markup"),
        )
        self.server.inline_posts.append(msg)
        return msg

    async def wait_answer(self, record: CallbackQueryRecord, timeout: float = 5.0) -> dict:
        return await self.server.wait_callback_answer(record.id, timeout)

    async def wait_reply(
        self,
        timeout: float = 5.0,
        predicate: Callable[[BotMessage], bool] | None = None,
        *,
        containing: str | None = None,
    ) -> BotMessage:
        """The next bot message sent or edited in this chat after the user's last action.

        ``containing``: only a message whose text contains this string; the text of a photo
        or document is its caption (``BotMessage.text`` holds either). ``predicate``: only a
        message it accepts. Given both, a message must satisfy both; messages that don't are
        skipped (consumed).

        Returns a snapshot taken at that event (``edited`` > 0 for an edit); each call
        consumes events, so consecutive calls return consecutive replies.
        """
        deadline = time.monotonic() + timeout
        while True:
            for event in self._new_events():
                self._cursor = event.seq
                if event.kind in ("sent", "edited") and _matches(
                    event.message, containing, predicate
                ):
                    return event.message
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(self._no_reply_report(timeout, containing))
            await self.server.wait_changed(remaining)

    def _new_events(self) -> list[ChatEvent]:
        return [e for e in self.server.chat_events(self.id) if e.seq > self._cursor]

    def _no_reply_report(self, timeout: float, containing: str | None = None) -> str:
        tail = "\n  ".join(repr(m) for m in self.messages[-5:]) or "(empty chat)"
        errors = (
            "\n  ".join(f"{c.method} -> {c.error}" for c in self.server.errors[-5:]) or "(none)"
        )
        wanted = f" containing {containing!r}" if containing is not None else ""
        return (
            f"no reply to user {self.id}{wanted} within {timeout}s.\n"
            f"last messages:\n  {tail}\nrecent API errors:\n  {errors}"
        )


def _matches(
    message: BotMessage,
    containing: str | None,
    predicate: Callable[[BotMessage], bool] | None,
) -> bool:
    if containing is not None and containing not in (message.text or ""):
        return False
    return predicate is None or predicate(message)


def formatted(text: str, entities: list[dict[str, Any]]) -> tuple[str, list[Entity]]:
    """A text and its formatting as a Telegram client sends them, as the server keeps them:
    cleaned and trimmed (entities shifted), plus the /commands the client finds, except
    inside code, pre and links. Raises TextError as Telegram refuses."""
    plain, found = format_text(text, None, entities)
    covered = [e for e in found if e["type"] in ("code", "pre", "text_link")]

    def free(command: Entity) -> bool:
        start, end = command["offset"], command["offset"] + command["length"]
        return not any(c["offset"] < end and start < c["offset"] + c["length"] for c in covered)

    return plain, sort_entities(found + [c for c in bot_command_entities(plain) if free(c)])


def _caption(
    caption: str | None, html: bool, entities: list[dict[str, Any]] | None
) -> tuple[str | None, list[Entity]]:
    if caption is None:
        return None, []
    if html and entities is not None:
        raise TypeError("a caption takes html=True or caption_entities, not both")
    if html:
        return format_text(caption, "HTML", None)
    if entities is not None:
        plain, found = format_text(caption, None, entities)
        return plain or None, found
    return caption, []


def _message_id(value: BotMessage | int | None) -> int | None:
    if value is None:
        return None
    return value if isinstance(value, int) else value.message_id
