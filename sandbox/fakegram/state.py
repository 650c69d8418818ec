"""The fake Telegram's state: files, messages, callback queries and the request log."""

from __future__ import annotations

import asyncio
import copy
from dataclasses import dataclass, field
from typing import Any


@dataclass
class ApiCall:
    """One request the bot made."""

    method: str
    params: dict[str, Any]
    chat_id: int | str | None
    at: float  # time.monotonic()
    ok: bool = True
    error: str | None = None
    status: int = 200


@dataclass
class SentRecord:
    """One message the bot sent successfully (for rate computations)."""

    method: str
    chat_id: int
    message_id: int
    at: float  # time.monotonic()


@dataclass
class FakeFile:
    """A file stored on the fake server."""

    file_id: str
    file_unique_id: str
    kind: str  # "photo" | "document"
    data: bytes
    file_path: str
    file_name: str | None = None
    mime_type: str | None = None
    width: int | None = None
    height: int | None = None

    @property
    def file_size(self) -> int:
        return len(self.data)

    def photo_size(self) -> dict[str, Any]:
        return {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": self.file_size,
            "width": self.width or 0,
            "height": self.height or 0,
        }

    def document(self) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": self.file_size,
        }
        if self.file_name:
            doc["file_name"] = self.file_name
        if self.mime_type:
            doc["mime_type"] = self.mime_type
        return doc

    def file_object(self) -> dict[str, Any]:
        return {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": self.file_size,
            "file_path": self.file_path,
        }


@dataclass
class BotMessage:
    """A message in a chat, as its participants see it (bot's or user's)."""

    message_id: int
    chat_id: int
    from_bot: bool
    date: int
    sender_id: int
    text: str | None = None  # plain text, or the caption of a media message
    html: str | None = None  # the raw text/caption as sent, if parse_mode was HTML
    entities: list[dict[str, Any]] = field(default_factory=list)
    parse_mode: str | None = None
    photo_sizes: list[FakeFile] = field(default_factory=list)  # smallest first
    document_file: FakeFile | None = None
    contact: dict[str, Any] | None = None
    location: dict[str, Any] | None = None  # {"latitude": …, "longitude": …}
    reply_markup: dict[str, Any] | None = None
    reply_to_message_id: int | None = None
    media_group_id: str | None = None
    forward_origin: dict[str, Any] | None = None
    edited: int = 0  # number of edits
    edit_date: int | None = None
    deleted: bool = False

    @property
    def photo_file(self) -> FakeFile | None:
        """The largest size of the photo, if any."""
        return self.photo_sizes[-1] if self.photo_sizes else None

    @property
    def kind(self) -> str:
        if self.photo_file:
            return "photo"
        if self.document_file:
            return "document"
        if self.contact:
            return "contact"
        if self.location:
            return "location"
        return "text"

    @property
    def has_media(self) -> bool:
        return bool(self.photo_sizes) or self.document_file is not None

    @property
    def caption(self) -> str | None:
        return self.text if self.has_media else None

    @property
    def photo(self) -> bytes | None:
        return self.photo_file.data if self.photo_file else None

    @property
    def document(self) -> tuple[bytes, str] | None:
        if not self.document_file:
            return None
        return self.document_file.data, self.document_file.file_name or "document"

    @property
    def inline_keyboard(self) -> list[list[dict[str, Any]]]:
        if self.reply_markup and "inline_keyboard" in self.reply_markup:
            rows: list[list[dict[str, Any]]] = self.reply_markup["inline_keyboard"]
            return rows
        return []

    @property
    def buttons(self) -> list[str]:
        """Texts of the inline buttons, row by row."""
        return [button["text"] for row in self.inline_keyboard for button in row]

    def button(self, text: str) -> dict[str, Any]:
        """The inline button whose text equals, or else contains, ``text``."""
        flat = [button for row in self.inline_keyboard for button in row]
        for button in flat:
            if button["text"] == text:
                return button
        matches = [button for button in flat if text in button["text"]]
        if len(matches) == 1:
            return matches[0]
        raise AssertionError(
            f"no single inline button matching {text!r} in message {self.message_id}; "
            f"buttons: {self.buttons!r}"
        )

    def snapshot(self) -> BotMessage:
        return copy.deepcopy(self)

    def __repr__(self) -> str:
        who = "bot" if self.from_bot else f"user {self.sender_id}"
        flags = "".join(
            [f" edited×{self.edited}" if self.edited else "", " deleted" if self.deleted else ""]
        )
        return (
            f"<BotMessage #{self.message_id} {who} {self.kind}{flags}: {self.text!r} "
            f"buttons={self.buttons!r}>"
        )


@dataclass
class CallbackQueryRecord:
    """A callback query a user sent by tapping an inline button."""

    id: str
    user_id: int
    chat_id: int
    message_id: int
    data: str | None
    created: float  # time.monotonic()
    answer: dict[str, Any] | None = None
    answered_at: float | None = None
    answered: asyncio.Event = field(default_factory=asyncio.Event, repr=False)


@dataclass
class ChatEvent:
    """A change the user can observe in a chat (bot message sent or edited)."""

    seq: int
    kind: str  # "sent" | "edited" | "deleted"
    message: BotMessage  # snapshot at the time of the event
