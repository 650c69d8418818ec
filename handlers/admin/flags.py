"""/tanda [YYYY-MM]: the red flags of a month, page by page (administrators and the
inspectorate); administrators mark each "reviewed, fine" or "referred" (audited). A flag "price
raised before a large order" opens the price history of the raised products."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime

from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.i18n import gettext as _
from sqlmodel.ext.asyncio.session import AsyncSession

from handlers.routes import Routes
from handlers.ui import alert, show, toast
from services.compliance import current_month
from services.policy import Policy
from services.price_history import oversight_price_history, raised_products
from services.quota import month_from_code, parse_month
from services.redflags import Flag, Verdict, month_flags, review
from services.roles import Roles
from views.callbacks import FlagCb, FlagPriceCb
from views.price_history import flag_history_screen, raised_chooser
from views.redflags import FLAGS_PER_PAGE, flag_digest, flags_screen

routes = Routes("flags")


async def _screen(
    session: AsyncSession, roles: Roles, month: date, page: int, locale: str, policy: Policy
) -> tuple[str, InlineKeyboardMarkup]:
    flags = await month_flags(
        session, actor=roles, month=month, policy=policy.red_flags, quota=policy.quota
    )
    return flags_screen(flags, month, page, locale, can_review=roles.is_admin)


@routes.message(Command("tanda", "redflags"))
async def flags_command(
    message: Message,
    command: CommandObject,
    session: AsyncSession,
    roles: Roles,
    locale: str,
    policy: Policy,
    clock: Callable[[], datetime],
) -> None:
    text = (command.args or "").strip()
    month = parse_month(text) if text else current_month(clock(), policy.quota)
    screen, markup = await _screen(session, roles, month, 0, locale, policy)
    await message.answer(screen, reply_markup=markup)


@routes.callback_query(FlagCb.filter())
async def flags_button(
    callback: CallbackQuery,
    callback_data: FlagCb,
    session: AsyncSession,
    roles: Roles,
    locale: str,
    policy: Policy,
    callback_answer: CallbackAnswer,
) -> None:
    month = month_from_code(callback_data.month)
    page = callback_data.i
    if callback_data.action in ("fine", "ref", "ph"):
        flags = await month_flags(
            session, actor=roles, month=month, policy=policy.red_flags, quota=policy.quota
        )
        index = callback_data.i
        if index >= len(flags) or flag_digest(flags[index]) != callback_data.h:
            alert(callback_answer, _("The list has changed. Please open /tanda again."))
            return
        if callback_data.action == "ph":
            await _raised(
                callback, session, roles, flags[index], index, callback_data, locale, policy
            )
            return
        verdict = Verdict.FINE if callback_data.action == "fine" else Verdict.REFERRED
        await review(session, actor=roles, month=month, flag_key=flags[index].key, verdict=verdict)
        toast(callback_answer, _("Saved."))
        page = index // FLAGS_PER_PAGE
    await show(callback, *await _screen(session, roles, month, page, locale, policy))


async def _raised(
    callback: CallbackQuery,
    session: AsyncSession,
    roles: Roles,
    flag: Flag,
    index: int,
    callback_data: FlagCb,
    locale: str,
    policy: Policy,
) -> None:
    """The price history of the flag's raised product, or a choice when there are several."""
    raised = await raised_products(session, actor=roles, order_ids=flag.order_ids)
    month, back = callback_data.month, index // FLAGS_PER_PAGE
    if len(raised) == 1:
        history = await oversight_price_history(
            session, actor=roles, product_id=raised[0].product_id
        )
        await show(
            callback, *flag_history_screen(history, locale, policy.tz, month=month, back=back)
        )
        return
    await show(callback, *raised_chooser(raised, number=index + 1, month=month, back=back))


@routes.callback_query(FlagPriceCb.filter())
async def flag_price_history(
    callback: CallbackQuery,
    callback_data: FlagPriceCb,
    session: AsyncSession,
    roles: Roles,
    locale: str,
    policy: Policy,
) -> None:
    history = await oversight_price_history(
        session, actor=roles, product_id=callback_data.id, page=callback_data.page
    )
    screen = flag_history_screen(
        history, locale, policy.tz, month=callback_data.month, back=callback_data.back
    )
    await show(callback, *screen)
