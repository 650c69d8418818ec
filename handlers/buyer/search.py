"""Search: /cari, the Search button, and any text typed outside a conversation."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from aiogram import F
from aiogram.filters import Command, CommandObject, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.i18n import gettext as _
from sqlmodel.ext.asyncio.session import AsyncSession

from handlers.routes import Routes
from handlers.ui import alert, show
from services import fairness
from services.categories import list_categories
from services.policy import Policy
from services.search import search_products
from views import catalog as screens
from views import keyboards as kb
from views.callbacks import SearchPageCb

routes = Routes("search")

# Paging buttons of the last few searches keep working (their queries stay in the FSM data).
REMEMBERED_SEARCHES = 5


async def _results(
    session: AsyncSession, query: str, page: int, locale: str, policy: Policy, now: datetime
) -> tuple[str, InlineKeyboardMarkup]:
    standing = await fairness.standing(session, now=now, tz=policy.tz, policy=policy.fairness)
    result = await search_products(
        session, query, page=page, page_size=policy.page_size, standing=standing
    )
    categories = await list_categories(session) if not result.items else []
    return screens.search_screen(result, query, categories, locale, policy.page_size)


async def _run_search(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    query: str,
    locale: str,
    policy: Policy,
    now: datetime,
) -> None:
    query = query[:200]
    searches = dict((await state.get_data()).get("searches", {}))
    searches[screens.query_key(query)] = query
    await state.update_data(searches=dict(list(searches.items())[-REMEMBERED_SEARCHES:]))
    text, markup = await _results(session, query, 0, locale, policy, now)
    await message.answer(text, reply_markup=markup)


@routes.message(Command("cari", "search"))
async def search_command(
    message: Message,
    command: CommandObject,
    state: FSMContext,
    session: AsyncSession,
    locale: str,
    policy: Policy,
    clock: Callable[[], datetime],
) -> None:
    query = (command.args or "").strip()
    if not query:
        await message.answer(
            _(
                "What are you looking for? Type it, e.g. <code>/cari keripik "
                "tempe</code>, or simply type the words."
            )
        )
        return
    await _run_search(message, state, session, query, locale, policy, clock())


@routes.message(F.text == kb.MENU_SEARCH)
async def search_button(message: Message) -> None:
    await message.answer(screens.search_prompt())


@routes.message(StateFilter(None), F.text, ~F.text.startswith("/"))
async def free_text_search(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    locale: str,
    policy: Policy,
    clock: Callable[[], datetime],
) -> None:
    await _run_search(message, state, session, message.text or "", locale, policy, clock())


@routes.message(StateFilter(None), F.text.startswith("/"))
async def unknown_command(message: Message) -> None:
    await message.answer(
        _("I don't know that command. /bantuan lists what I can do."), reply_markup=kb.main_menu()
    )


@routes.callback_query(SearchPageCb.filter())
async def search_page(
    callback: CallbackQuery,
    callback_data: SearchPageCb,
    state: FSMContext,
    session: AsyncSession,
    locale: str,
    policy: Policy,
    callback_answer: CallbackAnswer,
    clock: Callable[[], datetime],
) -> None:
    query = (await state.get_data()).get("searches", {}).get(callback_data.q)
    if not query:
        alert(callback_answer, _("This search has expired. Please search again."))
        return
    text, markup = await _results(session, query, callback_data.page, locale, policy, clock())
    await show(callback, text, markup)
