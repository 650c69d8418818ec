"""fakegram: an in-repo fake Telegram Bot API server and users that drive a real bot."""

from .client import FakeUser
from .errors import ApiError
from .formatting import ParseError, parse_html, utf16_len
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
    "parse_html",
    "utf16_len",
]
