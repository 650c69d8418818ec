"""fakegram: an in-repo fake Telegram Bot API server and users that drive a real bot."""

from .client import FakeUser
from .errors import ApiError
from .formatting import ParseError, TextError, parse_html, text_length, utf16_len
from .server import FakeTelegram
from .state import ApiCall, BotMessage, CallbackQueryRecord, ChatEvent, FakeFile, SentRecord

__all__ = [
    "ApiCall",
    "ApiError",
    "BotMessage",
    "CallbackQueryRecord",
    "ChatEvent",
    "FakeFile",
    "FakeTelegram",
    "FakeUser",
    "ParseError",
    "SentRecord",
    "TextError",
    "parse_html",
    "text_length",
    "utf16_len",
]
