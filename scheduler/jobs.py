"""The jobs. Each one: take the lease (one process runs jobs), open its own DB session, call
services, and tell people in their own language."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from aiogram import Bot
from aiogram.utils.i18n import gettext as _

from bot.settings import Settings
from handlers.order_views import notify_buyer, notify_merchant
from models.db import Database
from scheduler.lease import Lease
from services import hygiene

log = logging.getLogger(__name__)


@dataclass
class JobContext:
    db: Database
    bot: Bot
    settings: Settings
    clock: Callable[[], datetime]
    lease: Lease


def hygiene_policy(settings: Settings) -> hygiene.HygienePolicy:
    return hygiene.HygienePolicy(
        nudge_after=timedelta(hours=settings.order_nudge_hours),
        expire_after=timedelta(hours=settings.order_expire_hours),
        remind_payment_after=timedelta(days=settings.payment_reminder_days),
        autocomplete_after=timedelta(days=settings.autocomplete_days),
    )


async def order_hygiene(ctx: JobContext) -> dict[str, int]:
    """Nudge slow shops, expire unanswered orders, remind unpaid buyers, autocomplete."""
    if not await ctx.lease.acquire():
        return {}
    now = ctx.clock()
    policy = hygiene_policy(ctx.settings)
    counts: dict[str, int] = {}
    async with ctx.db.session() as session:
        nudged = await hygiene.nudge_slow_merchants(session, now=now, policy=policy)
        for order in nudged:
            await notify_merchant(
                ctx.bot,
                session,
                order.id,
                ctx.settings,
                lambda: _(
                    "⏰ <b>This order is still waiting for your answer.</b> Please accept "
                    "or reject it; unanswered orders expire."
                ),
            )
        expired = await hygiene.expire_unanswered(session, now=now, policy=policy)
        for order in expired:
            await notify_buyer(
                ctx.bot,
                session,
                order.id,
                ctx.settings,
                lambda: _(
                    "⌛ The shop did not answer your order in time, so it expired. "
                    "Nothing is owed. Please order from another shop in /katalog."
                ),
            )
            await notify_merchant(
                ctx.bot,
                session,
                order.id,
                ctx.settings,
                lambda: _(
                    "⌛ This order expired because it was not answered in time. The "
                    "stock was released."
                ),
            )
        reminded = await hygiene.remind_unpaid(session, now=now, policy=policy)
        for order in reminded:
            await notify_buyer(
                ctx.bot,
                session,
                order.id,
                ctx.settings,
                lambda: _(
                    "💳 Reminder: this order was accepted but is not paid yet. Please "
                    "pay the shop, or contact it if you changed your mind."
                ),
            )
        completed = await hygiene.autocomplete_delivered(session, now=now, policy=policy)
        for order in completed:
            await notify_buyer(
                ctx.bot,
                session,
                order.id,
                ctx.settings,
                lambda: _(
                    "🎉 This order was completed automatically, since it was handed "
                    "over some days ago."
                ),
            )
    counts.update(
        nudged=len(nudged), expired=len(expired), reminded=len(reminded), completed=len(completed)
    )
    if any(counts.values()):
        log.info("order hygiene: %s", counts)
    return counts
