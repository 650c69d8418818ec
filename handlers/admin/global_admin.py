"""/mendunia: the city's side of the global window — certificate numbers waiting for
verification (verify or reject, audited), the exchange rates for approximate prices
(/kurs CODE RUPIAH [YYYY-MM-DD]), and the weekly showcase (preview, skip a week)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime

from aiogram import Bot
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.i18n import gettext as _
from sqlmodel.ext.asyncio.session import AsyncSession

from delivery.showcase import showcase_media
from handlers.routes import Routes
from handlers.ui import show, toast
from services import currency, exporting, showcase
from services.errors import Refusal, ServiceError
from services.policy import Policy
from services.roles import Roles
from views import global_admin as screens
from views.callbacks import CertDecisionCb, ShowcaseCb

routes = Routes("global_admin")


async def _home(
    session: AsyncSession, roles: Roles, locale: str, policy: Policy, now: datetime
) -> tuple[str, InlineKeyboardMarkup]:
    pending, total = await exporting.pending_certifications(session, actor=roles)
    rates = await currency.all_rates(session)
    week = showcase.week_of(now, policy.tz)
    post = await showcase.week_post(session, week)
    return screens.home_screen(pending, total, rates, week, post, policy, locale)


@routes.message(Command("mendunia", "global"))
async def global_command(
    message: Message, session: AsyncSession, roles: Roles, locale: str, policy: Policy,
    clock: Callable[[], datetime],
) -> None:  # fmt: skip
    text, markup = await _home(session, roles, locale, policy, clock())
    await message.answer(text, reply_markup=markup)


@routes.callback_query(CertDecisionCb.filter())
async def decide(
    callback: CallbackQuery,
    callback_data: CertDecisionCb,
    session: AsyncSession,
    roles: Roles,
    locale: str,
    policy: Policy,
    callback_answer: CallbackAnswer,
    clock: Callable[[], datetime],
) -> None:
    if callback_data.action in ("ok", "no"):
        cert = await exporting.decide_certification(
            session, actor=roles, cert_id=callback_data.id, verified=callback_data.action == "ok",
            now=clock(),
        )  # fmt: skip
        toast(callback_answer, screens.decided_toast(cert))
    await show(callback, *await _home(session, roles, locale, policy, clock()))


@routes.message(Command("kurs", "rate"))
async def rate_command(
    message: Message,
    command: CommandObject,
    session: AsyncSession,
    roles: Roles,
    locale: str,
    policy: Policy,
    clock: Callable[[], datetime],
) -> None:
    parts = (command.args or "").split()
    if len(parts) not in (2, 3):
        await message.answer(screens.rate_usage())
        return
    now = clock()
    as_of = now.astimezone(policy.tz).date()
    if len(parts) == 3:
        try:
            as_of = date.fromisoformat(parts[2])
        except ValueError:
            raise ServiceError(Refusal.DAY_INVALID) from None
    rate = await currency.set_rate(
        session, actor=roles, code=parts[0], text=parts[1], as_of=as_of, now=now
    )
    await message.answer(screens.rate_saved(rate, locale))


@routes.callback_query(ShowcaseCb.filter())
async def showcase_button(
    callback: CallbackQuery,
    callback_data: ShowcaseCb,
    bot: Bot,
    session: AsyncSession,
    roles: Roles,
    locale: str,
    policy: Policy,
    callback_answer: CallbackAnswer,
    clock: Callable[[], datetime],
) -> None:
    now = clock()
    week = showcase.week_of(now, policy.tz)
    if callback_data.week != int(week.strftime("%Y%m%d")):
        # A button of an earlier week's screen: show this week's instead of acting on it.
        toast(callback_answer, screens.old_week_toast())
    elif callback_data.action in ("skip", "unskip"):
        await showcase.skip_week(
            session, actor=roles, week=week, skip=callback_data.action == "skip", now=now
        )
        toast(callback_answer, _("Saved."))
    elif callback_data.action == "preview" and isinstance(callback.message, Message):
        roles.require_admin()
        picks = await showcase.pick_products(session, week, policy.tz)
        rate = await currency.default_rate(session)
        me = await bot.me()
        media = showcase_media(picks, me.username or "", rate)
        if len(media) >= showcase.ALBUM_MIN:
            await callback.message.answer_media_group(media)
        else:
            await callback.message.answer(screens.too_few_text())
    await show(callback, *await _home(session, roles, locale, policy, now))
