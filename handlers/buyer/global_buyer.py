"""/mata_uang (/currency): the currency in which cards also show an approximate price."""

from __future__ import annotations

from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.i18n import gettext as _
from sqlmodel.ext.asyncio.session import AsyncSession

from handlers.routes import Routes
from handlers.ui import show, toast
from models import User
from services import currency
from views import global_window as screens
from views.callbacks import CurrencyCb

routes = Routes("currency")


@routes.message(Command("mata_uang", "currency"))
async def currency_command(
    message: Message, session: AsyncSession, user: User, locale: str
) -> None:
    rates = await currency.all_rates(session)
    text, markup = screens.currency_screen(rates, user.currency, locale)
    await message.answer(text, reply_markup=markup)


@routes.callback_query(CurrencyCb.filter())
async def currency_chosen(
    callback: CallbackQuery,
    callback_data: CurrencyCb,
    session: AsyncSession,
    user: User,
    locale: str,
    callback_answer: CallbackAnswer,
) -> None:
    await currency.choose_currency(session, user, callback_data.code)
    toast(callback_answer, _("Saved."))
    await show(
        callback,
        *screens.currency_screen(await currency.all_rates(session), user.currency, locale),
    )
