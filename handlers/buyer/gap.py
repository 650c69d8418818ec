""" "Close my gap" (Lengkapi kuota saya), from /kuota and the deadline reminders: products that
close what remains of the minimum, each one tap from the cart."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from aiogram import F
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext
from sqlmodel.ext.asyncio.session import AsyncSession

from handlers.routes import Routes
from handlers.ui import alert, show, toast
from models import BuyerKind, User
from services import fairness, gap
from services.errors import Refusal, ServiceError
from services.policy import Policy
from services.quota import quota_status
from views.callbacks import GapCb
from views.gap import gap_screen

routes = Routes("gap")


async def _proposal(
    session: AsyncSession, user: User, policy: Policy, now: datetime
) -> gap.GapProposal:
    if user.kind != BuyerKind.ASN:
        raise ServiceError(Refusal.NOT_ASN)
    status = await quota_status(session, user, now=now, policy=policy.quota)
    remaining = 0 if status.exemption is not None else status.remaining
    standing = await fairness.standing(session, now=now, tz=policy.tz, policy=policy.fairness)
    return await gap.close_my_gap(session, user, remaining, standing)


async def _render(
    session: AsyncSession, user: User, locale: str, proposal: gap.GapProposal
) -> tuple[str, InlineKeyboardMarkup]:
    held = await gap.cart_quantities(session, user, [line.product_id for line in proposal.lines])
    return gap_screen(proposal, held, locale)


async def _screen(
    session: AsyncSession, user: User, locale: str, policy: Policy, now: datetime
) -> tuple[str, InlineKeyboardMarkup]:
    return await _render(session, user, locale, await _proposal(session, user, policy, now))


@routes.callback_query(GapCb.filter(F.action == "show"))
async def gap_show(
    callback: CallbackQuery,
    session: AsyncSession,
    user: User,
    locale: str,
    policy: Policy,
    clock: Callable[[], datetime],
) -> None:
    """A new message: the quota or reminder it was tapped under stays as it was."""
    text, markup = await _screen(session, user, locale, policy, clock())
    if isinstance(callback.message, Message):
        await callback.message.answer(text, reply_markup=markup)


@routes.callback_query(GapCb.filter(F.action == "add"))
async def gap_add(
    callback: CallbackQuery,
    callback_data: GapCb,
    session: AsyncSession,
    user: User,
    locale: str,
    policy: Policy,
    clock: Callable[[], datetime],
    callback_answer: CallbackAnswer,
) -> None:
    await gap.add_line(session, user, callback_data.id, callback_data.n)
    toast(callback_answer, _("Added to your cart."))
    await show(callback, *await _screen(session, user, locale, policy, clock()))


@routes.callback_query(GapCb.filter(F.action == "all"))
async def gap_all(
    callback: CallbackQuery,
    callback_data: GapCb,
    session: AsyncSession,
    user: User,
    locale: str,
    policy: Policy,
    clock: Callable[[], datetime],
    callback_answer: CallbackAnswer,
) -> None:
    """Every line in one tap; a proposal that changed since it was shown is shown again and
    nothing is added."""
    proposal = await _proposal(session, user, policy, clock())
    if proposal.digest != callback_data.h:
        alert(
            callback_answer, _("The proposal has changed. Nothing was added: please look again.")
        )
    else:
        missed = await gap.add_lines(session, user, proposal)
        if missed:
            alert(
                callback_answer,
                ngettext(
                    "Added to your cart, except {n} product that is no longer available.",
                    "Added to your cart, except {n} products that are no longer available.",
                    len(missed),
                ).format(n=len(missed)),
            )
        else:
            toast(callback_answer, _("Added to your cart."))
        proposal = await _proposal(session, user, policy, clock())
    await show(callback, *await _render(session, user, locale, proposal))
