"""The weekly showcase album in `SHOWCASE_CHANNEL`: the products `services.showcase` picks,
each photo captioned in Indonesian and English with its deep link, sent as one album
(sendMediaGroup, 2-10 photos) — one request a week in the channel, far below Telegram's 20
messages a minute per chat; a 429 is waited out by the shared sender."""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, tzinfo
from pathlib import Path
from typing import Any

from aiogram import Bot
from aiogram.types import FSInputFile, InputMediaPhoto, MediaUnion

from delivery.sender import Sender
from models import CurrencyRate, Product
from services import currency, showcase
from views.catalog import share_link
from views.global_window import showcase_caption

log = logging.getLogger(__name__)


def photo_of(product: Product) -> str | FSInputFile | None:
    if product.photo_file_id:
        return product.photo_file_id
    photo = product.photo or ""
    if photo.startswith(("http://", "https://")):
        return photo
    if photo and Path(photo).exists():
        return FSInputFile(photo)
    if photo and "/" not in photo and "." not in photo:
        return photo
    return None


def showcase_media(
    picks: Sequence[showcase.Pick], bot_username: str, rate: CurrencyRate | None
) -> list[MediaUnion]:
    media: list[MediaUnion] = []
    for pick in picks:
        photo = photo_of(pick.product)
        if photo is None:
            continue
        link = share_link(bot_username, pick.product.id or 0)
        caption = showcase_caption(pick, link, currency.approx(pick.product.price, rate))
        media.append(InputMediaPhoto(media=photo, caption=caption))
    return media[: showcase.ALBUM_MAX]


async def post_week(
    session_factory: Callable[[], Any],
    bot: Bot,
    sender: Sender,
    channel: str,
    *,
    now: datetime,
    tz: tzinfo,
) -> str:
    """Post this week's album if due and not posted, claimed, or skipped yet. Returns what
    happened: posted, already, skipped, too_few, failed."""
    week = showcase.week_of(now, tz)
    async with session_factory() as session:
        post = await showcase.week_post(session, week)
        if post is not None:
            return "skipped" if post.status == "skipped" else "already"
        picks = await showcase.pick_products(session, week, tz)
        rate = await currency.default_rate(session)
        me = await bot.me()
        media = showcase_media(picks, me.username or "", rate)
        if len(media) < showcase.ALBUM_MIN:
            return "too_few"
        ids = [p.product.id or 0 for p in picks][: len(media)]
        if not await showcase.claim_week(session, week, ids, now=now):
            return "already"
    chat = await bot.get_chat(channel)

    def make(bot_: Bot, chat_id: int) -> Awaitable[Any]:
        return bot_.send_media_group(chat_id, media)

    result = await sender.send(chat.id, make)
    async with session_factory() as session:
        await showcase.finish_week(session, week, posted=result.ok, now=now)
    if not result.ok:
        log.warning("the showcase album of %s was not posted: %s", week, result.error)
        return "failed"
    log.info("showcase album of %s posted: %s", week, json.dumps(ids))
    return "posted"
