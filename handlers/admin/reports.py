"""/laporan [YYYY-MM]: the monthly report for administrators (the city) and OPD operators
(their OPD): a summary, a chart, and on buttons the spreadsheet and the month comparison.
What each may see is decided in services.reports by their role."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import date, datetime, time

from aiogram import Bot, F
from aiogram.filters import Command, CommandObject
from aiogram.types import BufferedInputFile, CallbackQuery, InputMediaPhoto, Message
from aiogram.utils.i18n import gettext as _
from sqlmodel.ext.asyncio.session import AsyncSession

from handlers.routes import Routes
from services import admins, inquiries
from services.compliance import current_month
from services.errors import ServiceError
from services.policy import Policy
from services.quota import month_from_code, next_month, parse_month
from services.reports import Report, build_report
from services.roles import Roles
from services.users import users_by_telegram_id
from views import global_window as global_views
from views import keyboards as kb
from views.admin import audit_screen
from views.callbacks import AdminHomeCb, ReportCb
from views.refusals import describe
from views.reports import (
    chart_caption,
    chart_pngs,
    comparison_text,
    month_name,
    report_buttons,
    summary_text,
    workbook_filename,
    workbook_xlsx,
)

AUDIT_ENTRIES = 30

routes = Routes("reports")


async def send_report(
    message: Message,
    session: AsyncSession,
    roles: Roles,
    month: date,
    locale: str,
    policy: Policy,
    now: datetime,
) -> None:
    try:
        report = await build_report(
            session,
            month,
            role=roles.administration,
            policy=policy.quota,
            now=now,
            monthly_cap=policy.fairness.monthly_cap,
            red_flag_policy=policy.red_flags,
        )
    except ServiceError as exc:
        await message.answer(describe(exc))
        return
    latest = report.month >= current_month(now, policy.quota)
    await message.answer(
        summary_text(report, locale, policy.tz),
        reply_markup=report_buttons(report, locale, latest=latest),
    )
    if roles.is_admin:
        start = datetime.combine(report.month, time(0), policy.tz)
        end = datetime.combine(next_month(report.month), time(0), policy.tz)
        stats = await inquiries.global_interest(session, actor=roles, start=start, end=end)
        await message.answer(
            global_views.global_interest_text(stats, month_name(report.month, locale), locale)
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


@routes.message(Command("laporan", "report"))
@routes.message(F.text == kb.MENU_REPORT)
async def report_command(
    message: Message,
    session: AsyncSession,
    roles: Roles,
    locale: str,
    policy: Policy,
    clock: Callable[[], datetime],
    command: CommandObject | None = None,
) -> None:
    now = clock()
    month = current_month(now, policy.quota)
    if command is not None and command.args:
        month = parse_month(command.args)
    await send_report(message, session, roles, month, locale, policy, now)


@routes.callback_query(AdminHomeCb.filter(F.action == "report"))
async def report_from_home(
    callback: CallbackQuery,
    session: AsyncSession,
    roles: Roles,
    locale: str,
    policy: Policy,
    clock: Callable[[], datetime],
) -> None:
    now = clock()
    if isinstance(callback.message, Message):
        month = current_month(now, policy.quota)
        await send_report(callback.message, session, roles, month, locale, policy, now)


@routes.callback_query(ReportCb.filter())
async def report_button(
    callback: CallbackQuery,
    callback_data: ReportCb,
    session: AsyncSession,
    roles: Roles,
    bot: Bot,
    locale: str,
    policy: Policy,
    clock: Callable[[], datetime],
) -> None:
    now = clock()
    month = month_from_code(callback_data.month)
    if not isinstance(callback.message, Message):
        return
    if callback_data.action == "show":
        await send_report(callback.message, session, roles, month, locale, policy, now)
        return
    details = callback_data.action == "xlsx"
    report = await build_report(
        session,
        month,
        role=roles.administration,
        policy=policy.quota,
        now=now,
        details=details,
        red_flag_policy=policy.red_flags if details else None,
    )
    if callback_data.action == "cmp":
        await callback.message.answer(comparison_text(report, locale))
        return
    if details:
        await bot.send_chat_action(callback.from_user.id, "upload_document")
        data = await asyncio.to_thread(workbook_xlsx, report, locale, policy.tz)
        await callback.message.answer_document(
            BufferedInputFile(data, filename=workbook_filename(report)),
            caption=_("📥 TukuLokal report — {month}").format(
                month=month_name(report.month, locale)
            ),
        )


@routes.message(Command("audit", "log_audit"))
async def audit_log(
    message: Message, session: AsyncSession, roles: Roles, locale: str, policy: Policy
) -> None:
    """The audit log, read-only: administrators and the inspectorate."""
    entries = await admins.recent_audit(session, actor=roles, limit=AUDIT_ENTRIES)
    people = await users_by_telegram_id(
        session, (e.actor_telegram_id for e in entries if e.actor_telegram_id is not None)
    )
    text, markup = audit_screen(entries, people, locale, policy.tz, back=roles.is_admin)
    await message.answer(text, reply_markup=markup)
