"""Inline mode: a user types ``@bot words`` in any chat, the bot answers with results
(answerInlineQuery), the user picks one and it is posted in that chat "via @bot".

As strict as Telegram (sources in CONFORMANCE.md): at most 50 results, result ids 1-64 bytes
and unique within an answer, ``next_offset`` at most 64 bytes, texts and captions within their
limits after parsing, inline keyboards only, a query answered once and in time.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .errors import bad_request, td_error

if TYPE_CHECKING:
    from .server import FakeTelegram

RESULTS_LIMIT = 50
TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
ID_BYTES = 64
OFFSET_BYTES = 64
START_PARAMETER = 64
QUERY_CHARS = 256
QUERY_TOO_OLD = "query is too old and response timeout expired or query ID is invalid"
RESULT_TYPES = frozenset({"article", "photo"})  # and their cached forms below
CACHED_TYPES = frozenset({"photo"})

_ids = itertools.count(7_000_000_001)


@dataclass
class InlineQueryRecord:
    id: str
    user_id: int
    query: str
    offset: str
    created: float  # time.monotonic()
    answer: dict[str, Any] | None = None
    answered: asyncio.Event = field(default_factory=asyncio.Event, repr=False)

    @property
    def results(self) -> list[dict[str, Any]]:
        return list((self.answer or {}).get("results") or [])

    @property
    def next_offset(self) -> str:
        return str((self.answer or {}).get("next_offset") or "")


def new_query_id() -> str:
    return str(next(_ids) * 104_729)


def _results(value: Any) -> list[dict[str, Any]]:
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            raise bad_request("can't parse inline query results JSON object") from None
    if not isinstance(value, list):
        raise bad_request("expected an Array of InlineQueryResult")
    if any(not isinstance(item, dict) for item in value):
        raise bad_request("can't parse InlineQueryResult: expected an Object")
    return value


def _check_result(server: FakeTelegram, item: dict[str, Any]) -> dict[str, Any]:
    """A result as the chosen message will be: its text or caption parsed, its keyboard
    checked."""
    kind = str(item.get("type") or "").lower()
    result_id = str(item.get("id") or "")
    if not result_id or len(result_id.encode()) > ID_BYTES:
        raise bad_request("RESULT_ID_INVALID")
    cached = "photo_file_id" in item
    if kind not in RESULT_TYPES:
        raise bad_request(f"fakegram implements inline results of types {sorted(RESULT_TYPES)}")
    markup = server._markup({"reply_markup": item.get("reply_markup")}, inline_only=True)
    posted: dict[str, Any] = {"id": result_id, "type": kind, "reply_markup": markup}
    if kind == "article":
        if not item.get("title"):
            raise bad_request("can't parse InlineQueryResultArticle: title is empty")
        content = item.get("input_message_content")
        if not isinstance(content, dict) or content.get("message_text") in (None, ""):
            raise bad_request("message text is empty")
        text, entities = server._format(
            content["message_text"], content.get("parse_mode"), content.get("entities"),
            allow_empty=False,
        )  # fmt: skip
        if len(text) > TEXT_LIMIT:
            raise bad_request("MESSAGE_TOO_LONG")
        posted.update(text=text, entities=entities, html=content["message_text"])
        thumb = item.get("thumbnail_url")
        if thumb is not None and not str(thumb).startswith(("http://", "https://")):
            raise bad_request("PHOTO_THUMB_URL_INVALID")
        return posted
    if cached:
        file = server.files.get(str(item["photo_file_id"]))
        if file is None or file.kind != "photo":
            raise td_error("Wrong file identifier/HTTP URL specified")
        posted["photo_file"] = file
    else:
        for key in ("photo_url", "thumbnail_url"):
            if not str(item.get(key) or "").startswith(("http://", "https://")):
                raise bad_request(
                    "PHOTO_INVALID" if key == "photo_url" else "PHOTO_THUMB_URL_INVALID"
                )
        posted["photo_url"] = item["photo_url"]
    caption, entities = server._caption(item, "")
    if caption is not None and len(caption) > CAPTION_LIMIT:
        raise bad_request("MEDIA_CAPTION_TOO_LONG")
    posted.update(text=caption or "", entities=entities, html=item.get("caption"))
    return posted


def answer_inline_query(server: FakeTelegram, params: dict[str, Any]) -> bool:
    record = server.inline_queries.get(str(params.get("inline_query_id") or ""))
    if (
        record is None
        or record.answer is not None
        or time.monotonic() - record.created > server.callback_answer_timeout
    ):
        raise bad_request(QUERY_TOO_OLD)
    results = _results(params.get("results"))
    if len(results) > RESULTS_LIMIT:
        raise bad_request("RESULTS_TOO_MUCH")
    checked = [_check_result(server, item) for item in results]
    ids = [r["id"] for r in checked]
    if len(set(ids)) != len(ids):
        raise bad_request("RESULT_ID_DUPLICATE")
    offset = str(params.get("next_offset") or "")
    if len(offset.encode()) > OFFSET_BYTES:
        raise bad_request("NEXT_OFFSET_INVALID")
    cache_time = params.get("cache_time", 300)
    try:
        cache_time = int(cache_time)
    except (TypeError, ValueError):
        raise bad_request('field "cache_time" must be a valid Number') from None
    button = params.get("button")
    if isinstance(button, str):
        button = json.loads(button)
    if isinstance(button, dict) and "start_parameter" in button:
        start = str(button.get("start_parameter") or "")
        if not start:
            raise td_error("Can't use empty switch_pm_parameter")
        if len(start) > START_PARAMETER:
            raise td_error("Too long switch_pm_parameter specified")
        if not all(c.isascii() and (c.isalnum() or c in "_-") for c in start):
            raise td_error("Unallowed characters in switch_pm_parameter are used")
    record.answer = {
        "results": results,
        "posted": {r["id"]: r for r in checked},
        "next_offset": offset,
        "cache_time": cache_time,
        "is_personal": bool(params.get("is_personal")),
        "button": button,
    }
    record.answered.set()
    return True
