"""/laporan [YYYY-MM]: the monthly report for administrators (the city) and OPD operators
(their OPD): a summary, a chart, and on buttons the spreadsheet and the month comparison."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime

from aiogram import Bot, Router
from aiogram.filters import Command, CommandObject
from aiogram.types import (
    BufferedInputFile,
    CallbackQuery,
    InlineKeyboardMarkup,
    InputMediaPhoto,
    Message,
)
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.settings import Settings
from views.refusals import describe
from handlers.quota import policy
from handlers.ui import alert
from models import User
from services.admins import role_of
from services.compliance import current_month
from services.errors import ServiceError
from services.quota import month_code, month_from_code, next_month, parse_month
from services.reports import Report, build_report
from views.callbacks import ReportCb
from views.reports import (
    report_buttons,
    chart_caption,
    chart_pngs,
    comparison_text,
    month_name,
    summary_text,
    workbook_filename,
    workbook_xlsx,
)

router = Router(name="reports")


async def send_report(
    message: Message,
    session: AsyncSession,
    user: User,
    month,  # noqa: ANN001
    locale: str,
    settings: Settings,
    now: datetime,
) -> None:
    role = await role_of(session, user.telegram_id, settings.admin_ids)
    try:
        report = await build_report(session, month, role=role, policy=policy(settings), now=now)
    except ServiceError as exc:
        await message.answer(describe(exc))
        return
    latest = report.month >= current_month(now, policy(settings))
    await message.answer(
        summary_text(report, locale, settings.tz),
        reply_markup=report_buttons(report, locale, latest=latest),
    )
    await send_chart(message, report, locale)


async def send_chart(message: Message, report: Report, locale: str) -> None:
    """The chart: one photo, or an album of phone-sized pages for the whole city."""
    pages = await asyncio.to_thread(chart_pngs, report, locale)
    name = f"tukulokal-{report.month:%Y-%m}"
    caption = chart_caption(report, locale)
    if len(pages) == 1:
        await message.answer_photo(
            BufferedInputFile(pages[0], filename=f"{name}.png"), caption=caption
        )
        return
    await message.answer_media_group(
        [
            InputMediaPhoto(
                media=BufferedInputFile(png, filename=f"{name}-{i}.png"),
                caption=caption if i == 1 else None,
            )
            for i, png in enumerate(pages[:10], start=1)
        ]
    )


@router.message(Command("laporan", "report"))
async def report_command(
    message: Message,
    command: CommandObject,
    session: AsyncSession,
    user: User,
    locale: str,
    settings: Settings,
    clock: Callable[[], datetime],
) -> None:
    now = clock()
    try:
        month = parse_month(command.args) if command.args else None
    except ServiceError as exc:
        await message.answer(describe(exc))
        return
    month = month or current_month(now, policy(settings))
    await send_report(message, session, user, month, locale, settings, now)


@router.callback_query(ReportCb.filter())
async def report_button(
    callback: CallbackQuery,
    callback_data: ReportCb,
    session: AsyncSession,
    user: User,
    bot: Bot,
    locale: str,
    settings: Settings,
    clock: Callable[[], datetime],
    callback_answer,
) -> None:  # noqa: ANN001
    now = clock()
    try:
        month = month_from_code(callback_data.month)
    except ServiceError as exc:
        alert(callback_answer, describe(exc))
        return
    if callback_data.action == "show":
        await send_report(callback.message, session, user, month, locale, settings, now)
        return
    role = await role_of(session, user.telegram_id, settings.admin_ids)
    details = callback_data.action == "xlsx"
    try:
        report = await build_report(
            session, month, role=role, policy=policy(settings), now=now, details=details
        )
    except ServiceError as exc:
        alert(callback_answer, describe(exc))
        return
    if callback_data.action == "cmp":
        await callback.message.answer(comparison_text(report, locale))
        return
    if details:
        await bot.send_chat_action(callback.from_user.id, "upload_document")
        data = await asyncio.to_thread(workbook_xlsx, report, locale, settings.tz)
        await callback.message.answer_document(
            BufferedInputFile(data, filename=workbook_filename(report)),
            caption=_("📥 TukuLokal report — {month}").format(
                month=month_name(report.month, locale)
            ),
        )
