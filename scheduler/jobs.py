"""The jobs. Each one: take the lease (one process runs jobs), open its own DB sessions (never
shared between tasks), call services, and tell people in their own language (set explicitly per
recipient). "Now" is always `ctx.clock()`, so tests and the sandbox move time instead of waiting;
every job works out from that moment what is due, which also catches up after a downtime.

- `order_hygiene`: nudge slow shops, expire unanswered orders, remind unpaid buyers, autocomplete;
- `deadline_reminders`: the reminder slot due now, to each ASN below the minimum, exactly once,
  through the process's rate-limited sender;
- `month_closing`: close the months whose deadline day is over, then the monthly summary (with
  the chart) to administrators and to each OPD operator for their OPD;
- `scheduled_broadcasts`: start due scheduled broadcasts (the broadcast runner has its own lease);
- `weekly_showcase`: the showcase album of the week to SHOWCASE_CHANNEL, once;
- `forget_handled_updates`: forget the update ids older than Telegram's redelivery window;
- `renew_lease`: keep the lease while alive; `run_all_jobs`: everything once, in order.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from functools import partial
from typing import Any

from aiogram import Bot
from aiogram.types import BufferedInputFile, InlineKeyboardMarkup, InputMediaPhoto, MediaUnion
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from delivery.broadcasts import BroadcastRunner
from delivery.orders import notify_buyer, notify_merchant
from delivery.sender import MakeMessage, Outcome, Sender, SendResult, create_sender
from delivery.showcase import post_week
from models import AdminAccount, Order, User
from models.db import Database
from models.enums import AdminRole
from models.tables import stored_id
from services import deadlines, hygiene, showcase, updates
from services.admins import Role, admin_telegram_ids
from services.compliance import close_month, current_month
from services.errors import ServiceError
from services.leases import Lease
from services.policy import Policy
from services.reports import Report, build_report
from views import orders as ov
from views.format import fit_html
from views.i18n import get_i18n, pick_locale
from views.reminders import closing_heading, reminder_markup, reminder_text
from views.reports import chart_caption, chart_pngs, report_buttons, summary_text

Notify = Callable[[Sender, AsyncSession, int, tzinfo, Callable[[], str]], Awaitable[None]]

log = logging.getLogger(__name__)


@dataclass
class JobContext:
    db: Database
    bot: Bot
    policy: Policy
    clock: Callable[[], datetime]
    lease: Lease
    # The process's rate-limited sender (shared with broadcasts); made on first use if None.
    sender: Sender | None = None
    # The process's broadcast runner, if it runs one (scheduled broadcasts start through it).
    broadcasts: BroadcastRunner | None = None

    def get_sender(self) -> Sender:
        if self.sender is None:
            self.sender = create_sender(self.bot, self.policy.broadcasts)
        return self.sender


async def order_hygiene(ctx: JobContext) -> dict[str, int]:
    """Nudge slow shops, expire unanswered orders, remind unpaid buyers, autocomplete."""
    if not await ctx.lease.acquire():
        return {}
    now = ctx.clock()
    policy = ctx.policy.hygiene
    counts: dict[str, int] = {}
    async with ctx.db.session() as session:
        nudged = await hygiene.nudge_slow_merchants(session, now=now, policy=policy)
        await _tell(ctx, session, nudged, (notify_merchant, ov.still_waiting_heading))
        expired = await hygiene.expire_unanswered(session, now=now, policy=policy)
        await _tell(
            ctx,
            session,
            expired,
            (notify_buyer, ov.expired_buyer_heading),
            (notify_merchant, ov.expired_shop_heading),
        )
        reminded = await hygiene.remind_unpaid(session, now=now, policy=policy)
        await _tell(ctx, session, reminded, (notify_buyer, ov.unpaid_heading))
        completed = await hygiene.autocomplete_delivered(session, now=now, policy=policy)
        await _tell(ctx, session, completed, (notify_buyer, ov.autocompleted_heading))
    counts.update(
        nudged=len(nudged), expired=len(expired), reminded=len(reminded), completed=len(completed)
    )
    if any(counts.values()):
        log.info("order hygiene: %s", counts)
    return counts


async def _tell(
    ctx: JobContext,
    session: AsyncSession,
    orders: Sequence[Order],
    *notices: tuple[Notify, Callable[[], str]],
) -> None:
    """For each order, each (notify, heading): notify_buyer or notify_merchant with it."""
    sender = ctx.get_sender()
    for order in orders:
        for notify, heading in notices:
            await notify(sender, session, stored_id(order.id), ctx.policy.tz, heading)


# --- deadline reminders ----------------------------------------------------------------------


async def deadline_reminders(ctx: JobContext) -> dict[str, int]:
    """Send the reminder slot due now to every ASN still below the minimum who lacks it.

    Reminders are claimed a few at a time just before sending (see services.deadlines), and the
    claiming stops if this process loses the lease meanwhile.
    """
    if not await ctx.lease.acquire():
        return {}
    quota = ctx.policy.quota
    async with ctx.db.session() as session:
        slot = await deadlines.due_slot(
            session, now=ctx.clock(), quota=quota, policy=ctx.policy.reminders
        )
        if slot is None:
            return {"sent": 0}
        minimums = await deadlines.slot_minimums(session, slot, quota=quota)
        nips = await deadlines.to_remind(session, slot, quota=quota, minimums=minimums)
    if not nips:
        return {"sent": 0}
    sender = ctx.get_sender()
    size = sender.default_concurrency()
    outcomes: list[deadlines.Outcome] = []
    counts = {"sent": 0, "failed": 0}

    async def flush() -> None:
        batch = outcomes[:]
        del outcomes[:]
        if batch:
            async with ctx.db.session() as session:
                await deadlines.record(session, slot, batch, now=ctx.clock())

    async def claims() -> AsyncIterator[deadlines.Reminder]:
        for index in range(0, len(nips), size):
            await flush()
            if not await ctx.lease.acquire():
                log.warning("reminders: lease lost, another process goes on")
                return
            async with ctx.db.session() as session:
                batch = await deadlines.claim(
                    session,
                    slot,
                    nips[index : index + size],
                    quota=quota,
                    minimums=minimums,
                    now=ctx.clock(),
                )
            for reminder in batch:
                yield reminder

    def on_result(reminder: deadlines.Reminder, result: SendResult) -> None:
        gone = result.outcome in (Outcome.BLOCKED, Outcome.NOT_FOUND)
        outcomes.append(deadlines.Outcome(reminder, result.ok, gone))
        counts["sent" if result.ok else "failed"] += 1

    try:
        await sender.send_batch(claims(), partial(_reminder_message, ctx, slot), on_result)
    finally:
        await asyncio.shield(flush())
    log.info("deadline reminders %s, %s days before: %s", slot.month, slot.offset_days, counts)
    return counts


def _reminder_message(
    ctx: JobContext, slot: deadlines.Slot, reminder: deadlines.Reminder
) -> tuple[int, MakeMessage]:
    """Where the reminder goes and how to send it, in the ASN's language."""
    locale = pick_locale(reminder.language, reminder.telegram_language)
    today = ctx.clock().astimezone(ctx.policy.tz).date()
    i18n = get_i18n()
    with i18n.context(), i18n.use_locale(locale):
        text = reminder_text(
            month=slot.month,
            deadline=slot.deadline,
            today=today,
            minimum=reminder.minimum,
            spent=reminder.spent,
            locale=locale,
        )
        markup = reminder_markup()

    def make(bot: Bot, chat_id: int) -> Awaitable[Any]:
        return bot.send_message(chat_id, text, reply_markup=markup)

    return reminder.telegram_id, make


# --- month closing and the monthly summary ---------------------------------------------------


async def month_closing(ctx: JobContext) -> dict[str, int]:
    """Close the months whose deadline day is over (once), then send their summaries.

    Only the process whose closing recorded the month sends its summary, so closing twice (a
    re-run, a second process, the command line) never sends it twice.
    """
    if not await ctx.lease.acquire():
        return {}
    now = ctx.clock()
    quota = ctx.policy.quota
    closed: list[date] = []
    async with ctx.db.session() as session:
        for month in await deadlines.months_to_close(session, now=now, quota=quota):
            try:
                result = await close_month(session, month, policy=quota, now=now)
            except ServiceError as exc:  # not over after all (the deadline day was changed)
                log.info("month %s not closed: %s", month, exc.code)
                continue
            if result.created:
                log.info(
                    "month %s closed: %s ASN, %s compliant, %s exempt",
                    month,
                    result.asn,
                    result.compliant,
                    result.exempt,
                )
                closed.append(month)
    summaries = 0
    for month in closed:
        summaries += await send_month_summary(ctx, month)
    return {"closed": len(closed), "summaries": summaries}


async def _summary_recipients(ctx: JobContext) -> list[tuple[int, Role, str]]:
    """(telegram id, role, locale) of every administrator and OPD operator."""
    async with ctx.db.session() as session:
        admins = await admin_telegram_ids(session, ctx.policy.admin_ids)
        operators = (
            await session.exec(
                select(AdminAccount).where(
                    col(AdminAccount.role) == AdminRole.OPD_OPERATOR,
                    col(AdminAccount.opd).is_not(None),
                )
            )
        ).all()
        people = [(tid, Role(AdminRole.ADMIN)) for tid in admins]
        people += [
            (op.telegram_id, Role(AdminRole.OPD_OPERATOR, op.opd))
            for op in operators
            if op.telegram_id not in admins
        ]
        users = {
            u.telegram_id: u
            for u in (
                await session.exec(
                    select(User).where(col(User.telegram_id).in_([tid for tid, _r in people]))
                )
            ).all()
        }
    recipients = []
    for telegram_id, role in people:
        user = users.get(telegram_id)
        locale = (
            pick_locale(user.language, user.telegram_language)
            if user is not None
            else ctx.policy.default_locale
        )
        recipients.append((telegram_id, role, locale))
    return recipients


async def send_month_summary(ctx: JobContext, month: date) -> int:
    """The closed month's summary and chart to each administrator (the city) and OPD operator
    (their OPD), in their language; returns how many received it."""
    now = ctx.clock()
    quota = ctx.policy.quota
    tz = ctx.policy.tz
    sender = ctx.get_sender()
    i18n = get_i18n()
    reports: dict[str | None, Report] = {}
    # The chart's pages per (scope, locale): PNG bytes, then Telegram's file ids once uploaded.
    charts: dict[tuple[str | None, str], list[str | bytes]] = {}
    delivered = 0
    for telegram_id, role, locale in await _summary_recipients(ctx):
        scope = None if role.is_admin else role.opd
        report = reports.get(scope)
        if report is None:
            async with ctx.db.session() as session:
                report = await build_report(session, month, role=role, policy=quota, now=now)
            reports[scope] = report
        latest = report.month >= current_month(now, quota)
        with i18n.context(), i18n.use_locale(locale):
            text = fit_html(
                closing_heading(month, locale) + "\n\n" + summary_text(report, locale, tz)
            )
            markup = report_buttons(report, locale, latest=latest)
            caption = chart_caption(report, locale)
            pages = charts.get((scope, locale))
            if pages is None:
                pngs: list[str | bytes] = list(await asyncio.to_thread(chart_pngs, report, locale))
                pages = pngs[:10]

        def make_text(
            bot: Bot, chat_id: int, text: str = text, markup: InlineKeyboardMarkup = markup
        ) -> Awaitable[Any]:
            return bot.send_message(chat_id, text, reply_markup=markup)

        sent = await sender.send(telegram_id, make_text)
        if not sent.ok:
            log.info("monthly summary not delivered to %s: %s", telegram_id, sent.error)
            continue
        delivered += 1
        shown = await sender.send(telegram_id, _chart_sender(pages, caption, month))
        uploaded = shown.result if isinstance(shown.result, list) else [shown.result]
        if shown.ok and all(m is not None and m.photo for m in uploaded):
            charts[(scope, locale)] = [m.photo[-1].file_id for m in uploaded]
        else:
            charts[(scope, locale)] = pages
    return delivered


def _chart_sender(pages: list[str | bytes], caption: str, month: date) -> MakeMessage:
    """One photo, or an album of the chart's pages (as /laporan shows it)."""

    def media(page: str | bytes, number: int) -> str | BufferedInputFile:
        if isinstance(page, bytes):
            return BufferedInputFile(page, filename=f"tukulokal-{month:%Y-%m}-{number}.png")
        return page

    def make(bot: Bot, chat_id: int) -> Awaitable[Any]:
        if len(pages) == 1:
            return bot.send_photo(chat_id, media(pages[0], 1), caption=caption)
        album: list[MediaUnion] = [
            InputMediaPhoto(media=media(page, i), caption=caption if i == 1 else None)
            for i, page in enumerate(pages, start=1)
        ]
        return bot.send_media_group(chat_id, album)

    return make


# --- scheduled broadcasts, the lease, everything at once -------------------------------------


async def scheduled_broadcasts(ctx: JobContext) -> dict[str, int]:
    """Start the scheduled broadcasts that are due (through the process's broadcast runner,
    which sends only while it holds the "broadcasts" lease)."""
    if ctx.broadcasts is None:
        return {}
    started = await ctx.broadcasts.poll()
    return {"started": len(started)}


async def forget_handled_updates(ctx: JobContext) -> dict[str, int]:
    """Forget which updates were handled once Telegram can no longer deliver them again."""
    if not await ctx.lease.acquire():
        return {}
    async with ctx.db.session() as session:
        return {"forgotten": await updates.forget_old(session, now=ctx.clock())}


async def renew_lease(ctx: JobContext) -> bool:
    """Keep the lease while this process is alive (or take it over from a dead holder)."""
    return await ctx.lease.acquire()


async def weekly_showcase(ctx: JobContext) -> str:
    """The showcase album of this week, once it is due (SHOWCASE_DAY at SHOWCASE_HOUR WIB)
    and unless it was posted, is being posted or was skipped: exactly once a week, also
    across restarts and processes (a row claimed before sending)."""
    policy = ctx.policy
    if policy.showcase_channel is None or not await ctx.lease.acquire():
        return "off"
    now = ctx.clock()
    week = showcase.week_of(now, policy.tz)
    if now < showcase.due_at(week, policy.showcase_weekday, policy.showcase_hour, policy.tz):
        return "not_due"
    return await post_week(
        ctx.db.session, ctx.bot, ctx.get_sender(), policy.showcase_channel, now=now, tz=policy.tz
    )


JOBS: tuple[tuple[str, Callable[[JobContext], Awaitable[object]]], ...] = (
    ("order_hygiene", order_hygiene),
    ("month_closing", month_closing),
    ("deadline_reminders", deadline_reminders),
    ("scheduled_broadcasts", scheduled_broadcasts),
    ("forget_handled_updates", forget_handled_updates),
    ("weekly_showcase", weekly_showcase),
)


async def run_all_jobs(ctx: JobContext) -> dict[str, object]:
    """Every job once, now (by `ctx.clock()`): what the sandbox's time control calls after
    moving the clock. A failing job is logged and does not stop the others."""
    results: dict[str, object] = {}
    for name, job in JOBS:
        try:
            results[name] = await job(ctx)
        except Exception:
            log.exception("job %s failed", name)
            results[name] = None
    return results
