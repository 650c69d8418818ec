"""Logging: text for people or one JSON object a line (LOG_FORMAT=json), and the per-update
and per-job records.

Records carry Telegram user ids only as a keyed hash (`user_hash`): enough to follow one
user's updates through the log, not to look anyone up. Never a NIP, a phone number or the
token: those are never passed to a log call (tests/e2e/test_logs.py greps a full run for
them).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import sys

from pythonjsonlogger.json import JsonFormatter

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def setup_logging(fmt: str = "text", *, verbose: bool = False) -> None:
    handler = logging.StreamHandler(sys.stderr)
    if fmt == "json":
        handler.setFormatter(
            JsonFormatter(
                "%(asctime)s %(levelname)s %(name)s %(message)s",
                rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
                json_ensure_ascii=False,
            )
        )
    else:
        handler.setFormatter(logging.Formatter(TEXT_FORMAT))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    pin_levels()


# Loggers kept above DEBUG whatever the verbosity: aiosqlite's DEBUG lines carry every SQL
# statement with its parameters (NIPs, phone numbers); aiogram's own line per update
# ("Update id=… is handled") duplicates ours.
PINNED = {"aiosqlite": logging.INFO, "aiogram.event": logging.WARNING}


def pin_levels() -> None:
    for name, level in PINNED.items():
        logging.getLogger(name).setLevel(level)


def user_hash(telegram_id: int | None, key: bytes) -> str | None:
    """A stable pseudonym of a Telegram user id (HMAC with the deployment's key)."""
    if telegram_id is None:
        return None
    return hmac.new(key, str(telegram_id).encode(), hashlib.sha256).hexdigest()[:16]


def hash_key(secret: str | None) -> bytes:
    """The key of `user_hash`: derived from the bot token (never logged itself)."""
    return hashlib.sha256(b"tukulokal-log:" + (secret or "").encode()).digest()
