"""/broadcasts (past, running and scheduled broadcasts) and the controls of one: pause,
resume, cancel (asked first), and the recipients it did not reach as a CSV file."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from aiogram.filters import Command
from aiogram.types import BufferedInputFile, CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.i18n import gettext as _
from sqlmodel.ext.asyncio.session import AsyncSession

from delivery.broadcasts import BroadcastRunner
from handlers.routes import Routes
from handlers.ui import show, toast
from models import BroadcastStatus
from services import broadcasts as svc
from services.export import csv_bytes
from services.policy import Policy
from services.roles import Roles
from views import broadcasts as screens

routes = Routes("broadcast_control")

B = BroadcastStatus


async def _list(
    session: AsyncSession, roles: Roles, locale: str, policy: Policy, page: int
) -> tuple[str, InlineKeyboardMarkup | None]:
    size = policy.page_size
    rows, total = await svc.list_recent(
        session, actor=roles, limit=size, offset=max(0, page) * size
    )
    return screens.list_screen(rows, total, page, size, locale, policy.tz)


@routes.message(Command("broadcasts", "siaran_list"))
async def broadcasts_command(
    message: Message, session: AsyncSession, roles: Roles, locale: str, policy: Policy
) -> None:
    text, markup = await _list(session, roles, locale, policy, 0)
    await message.answer(text, reply_markup=markup)


@routes.callback_query(screens.BroadcastListCb.filter())
async def broadcasts_page(
    callback: CallbackQuery,
    callback_data: screens.BroadcastListCb,
    session: AsyncSession,
    roles: Roles,
    locale: str,
    policy: Policy,
) -> None:
    text, markup = await _list(session, roles, locale, policy, callback_data.page)
    await show(callback, text, markup)


CONTROL_DONE = {
    "pause": lambda: _("⏸ Paused."),
    "resume": lambda: _("▶️ Resumed."),
    "cancel": lambda: _("✖️ Cancelled."),
}


@routes.callback_query(screens.BroadcastCtlCb.filter())
async def control(
    callback: CallbackQuery,
    callback_data: screens.BroadcastCtlCb,
    session: AsyncSession,
    roles: Roles,
    locale: str,
    policy: Policy,
    clock: Callable[[], datetime],
    callback_answer: CallbackAnswer,
    broadcasts: BroadcastRunner | None = None,
) -> None:
    action, bid = callback_data.action, callback_data.id
    if action in CONTROL_DONE:
        broadcast = await svc.control(
            session, actor=roles, broadcast_id=bid, action=action, now=clock()
        )
        if broadcasts is not None:
            broadcasts.refresh(bid)
        toast(callback_answer, CONTROL_DONE[action]())
    else:
        broadcast = await svc.get(session, actor=roles, broadcast_id=bid)
    if action == "csv":
        await _send_csv(callback, session, roles, bid)
        return
    if action == "ask":
        if broadcast.status in (B.RUNNING, B.PAUSED, B.SCHEDULED) and isinstance(
            callback.message, Message
        ):
            await callback.message.edit_reply_markup(
                reply_markup=screens.confirm_cancel_markup(bid)
            )
        return
    sending = broadcasts is not None and broadcasts.is_running(bid)
    stats = await svc.stats(session, bid)
    text = screens.detail_text(broadcast, stats, locale, policy.tz, sending=sending)
    await show(callback, text, screens.control_markup(broadcast, stats))


async def _send_csv(
    callback: CallbackQuery, session: AsyncSession, roles: Roles, bid: int
) -> None:
    rows = await svc.failed_recipients(session, actor=roles, broadcast_id=bid)
    data = csv_bytes(
        ["telegram_id", "name", "username", "nip", "outcome", "error"],
        (
            [
                account.telegram_id,
                account.full_name or account.first_name,
                account.username or "",
                account.nip or "",
                delivery.status,
                delivery.error or "",
            ]
            for account, delivery in rows
        ),
    )
    if isinstance(callback.message, Message):
        await callback.message.answer_document(
            BufferedInputFile(data, filename=f"broadcast-{bid}-failed.csv"),
            caption=_("Recipients of broadcast #{id} the message did not reach: {n}").format(
                id=bid, n=len(rows)
            ),
        )
