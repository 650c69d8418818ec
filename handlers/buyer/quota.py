"""/kuota: this month's minimum, what was counted, what remains and by when; the history of
the last months; whether the ASN is exempt."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from aiogram import F
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message
from sqlmodel.ext.asyncio.session import AsyncSession

from handlers.routes import Routes
from handlers.ui import show
from models import BuyerKind, User
from services.compliance import quota_history
from services.errors import Refusal, ServiceError
from services.policy import Policy
from services.quota import quota_status
from views import keyboards as kb
from views.callbacks import QuotaHistoryCb, QuotaViewCb
from views.quota import HISTORY_MONTHS, history_screen, quota_screen
from views.refusals import describe

routes = Routes("quota")


@routes.message(Command("kuota", "quota"))
@routes.message(F.text == kb.MENU_QUOTA)
async def quota_command(
    message: Message,
    session: AsyncSession,
    user: User,
    locale: str,
    policy: Policy,
    clock: Callable[[], datetime],
) -> None:
    if user.kind != BuyerKind.ASN:
        await message.answer(
            describe(ServiceError(Refusal.NOT_ASN)), reply_markup=kb.register_prompt_keyboard()
        )
        return
    status = await quota_status(session, user, now=clock(), policy=policy.quota)
    text, markup = quota_screen(status, locale, policy.tz)
    await message.answer(text, reply_markup=markup)


@routes.callback_query(QuotaViewCb.filter())
async def quota_again(
    callback: CallbackQuery,
    session: AsyncSession,
    user: User,
    locale: str,
    policy: Policy,
    clock: Callable[[], datetime],
) -> None:
    """Back from the history: this month's minimum, in the same message."""
    status = await quota_status(session, user, now=clock(), policy=policy.quota)
    await show(callback, *quota_screen(status, locale, policy.tz))


@routes.callback_query(QuotaHistoryCb.filter())
async def history(
    callback: CallbackQuery,
    session: AsyncSession,
    user: User,
    locale: str,
    policy: Policy,
    clock: Callable[[], datetime],
) -> None:
    months = await quota_history(
        session, user, now=clock(), policy=policy.quota, months=HISTORY_MONTHS
    )
    await show(callback, *history_screen(months, locale))
