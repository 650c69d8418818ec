"""Inline mode: ``@<bot> keripik`` in any chat lists matching products in the user's language
(photo, price, an approximate price in their currency); the chosen one is posted as a card with
a deep link back into the bot (``?start=p<id>``)."""

from __future__ import annotations

from aiogram import Bot
from aiogram.types import (
    InlineQuery,
    InlineQueryResultArticle,
    InlineQueryResultCachedPhoto,
    InlineQueryResultPhoto,
    InlineQueryResultsButton,
    InlineQueryResultUnion,
    InputTextMessageContent,
)
from sqlmodel.ext.asyncio.session import AsyncSession

from handlers.routes import Routes
from models import User
from services import currency
from services.sharing import SharedProduct, inline_page
from views import global_window as screens
from views.catalog import share_link

routes = Routes("inline")

# Results depend on the user's language and currency (is_personal); a minute of caching keeps
# stock and prices fresh enough.
CACHE_SECONDS = 60


def _result(
    item: SharedProduct, caption: str, description: str, title: str, link: str
) -> InlineQueryResultUnion:
    product = item.product
    rid = f"p{product.id}"
    markup = screens.open_button(link)
    if product.photo_file_id:
        return InlineQueryResultCachedPhoto(
            id=rid, photo_file_id=product.photo_file_id, title=title, description=description,
            caption=caption, reply_markup=markup,
        )  # fmt: skip
    if product.photo and product.photo.startswith(("http://", "https://")):
        return InlineQueryResultPhoto(
            id=rid, photo_url=product.photo, thumbnail_url=product.photo, title=title,
            description=description, caption=caption, reply_markup=markup,
        )  # fmt: skip
    return InlineQueryResultArticle(
        id=rid, title=title, description=description, reply_markup=markup,
        input_message_content=InputTextMessageContent(message_text=caption),
    )  # fmt: skip


@routes.inline_query()
async def inline_products(
    query: InlineQuery, bot: Bot, session: AsyncSession, user: User, locale: str
) -> None:
    page = await inline_page(session, query.query, query.offset)
    rate = await currency.rate_for(session, user, locale)
    me = await bot.me()
    results = []
    for item in page.items:
        approx = currency.approx(item.product.price, rate)
        link = share_link(me.username or "", item.product.id or 0)
        title = (
            item.product.name_en if locale == "en" and item.product.name_en else item.product.name
        )
        results.append(
            _result(
                item,
                screens.shared_caption(item, approx, link, locale),
                screens.shared_description(item, approx, locale),
                title,
                link,
            )
        )
    await query.answer(
        results,
        cache_time=CACHE_SECONDS,
        is_personal=True,
        next_offset=page.next_offset,
        button=InlineQueryResultsButton(
            text=screens.inline_start_text(), start_parameter="inline"
        ),
    )
