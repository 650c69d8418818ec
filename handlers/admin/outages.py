"""/gangguan: an administrator declares that the service was unavailable between two times;
the month's deadline moves (services.outages) and everyone is told through the durable
broadcast runner, each in their language."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import UTC, datetime

from aiogram import F
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from sqlmodel.ext.asyncio.session import AsyncSession

from delivery.broadcasts import BroadcastRunner
from handlers.routes import Routes
from services import audience as aud
from services import broadcasts as broadcast_svc
from services import outages
from services.broadcasts import parse_when
from services.errors import Refusal, ServiceError
from services.policy import Policy
from services.roles import Roles
from views import keyboards as kb
from views import outages as screens
from views.callbacks import OutageCb
from views.refusals import describe, describe_in_flow

routes = Routes("outages")

Clock = Callable[[], datetime]


class OutageForm(StatesGroup):
    start = State()
    end = State()  # data: og_start (ISO, UTC)
    confirm = State()  # + og_end, og_key


@routes.message(Command("gangguan", "outage"))
async def outage_command(message: Message, state: FSMContext, roles: Roles) -> None:
    roles.require_admin()
    await state.clear()
    await state.set_state(OutageForm.start)
    await message.answer(screens.ask_start(), reply_markup=kb.cancel_keyboard())


def _when(text: str, policy: Policy) -> datetime:
    when = parse_when(text.strip(), policy.tz)
    if when is None:
        raise ServiceError(Refusal.OUTAGE_INVALID)
    return when.astimezone(UTC)


@routes.message(OutageForm.start, F.text, ~F.text.startswith("/"), F.text != kb.CANCEL)
async def got_start(message: Message, state: FSMContext, policy: Policy) -> None:
    try:
        starts_at = _when(message.text or "", policy)
    except ServiceError as exc:
        await message.answer(describe_in_flow(exc))
        return
    await state.update_data(og_start=starts_at.isoformat())
    await state.set_state(OutageForm.end)
    await message.answer(screens.ask_end())


@routes.message(OutageForm.end, F.text, ~F.text.startswith("/"), F.text != kb.CANCEL)
async def got_end(
    message: Message, state: FSMContext, locale: str, policy: Policy, clock: Clock
) -> None:
    starts_at = datetime.fromisoformat(str((await state.get_data()).get("og_start")))
    try:
        ends_at = _when(message.text or "", policy)
        if not starts_at < ends_at <= clock():
            raise ServiceError(Refusal.OUTAGE_INVALID)
    except ServiceError as exc:
        await message.answer(describe_in_flow(exc))
        return
    key = secrets.token_hex(8)
    await state.update_data(og_end=ends_at.isoformat(), og_key=key)
    await state.set_state(OutageForm.confirm)
    text, markup = screens.confirm(starts_at, ends_at, key, locale, policy.tz)
    await message.answer(text, reply_markup=markup)


@routes.callback_query(StateFilter(OutageForm.confirm), OutageCb.filter(F.action == "ok"))
async def confirmed(
    callback: CallbackQuery,
    callback_data: OutageCb,
    state: FSMContext,
    session: AsyncSession,
    roles: Roles,
    locale: str,
    policy: Policy,
    clock: Clock,
    broadcasts: BroadcastRunner | None = None,
) -> None:
    data = await state.get_data()
    if data.get("og_key") != callback_data.key or not isinstance(callback.message, Message):
        return
    await state.clear()
    now = clock()
    starts_at = datetime.fromisoformat(str(data["og_start"]))
    ends_at = datetime.fromisoformat(str(data["og_end"]))
    try:
        credits = await outages.declare(
            session,
            actor=roles,
            starts_at=starts_at,
            ends_at=ends_at,
            now=now,
            policy=policy.quota,
            setting_days=policy.outside.outage_credit_days,
        )
    except ServiceError as exc:
        await callback.message.answer(describe(exc), reply_markup=kb.main_menu())
        return
    await callback.message.edit_reply_markup(reply_markup=None)
    notice, _created = await broadcast_svc.create(
        session,
        actor=roles,
        content=broadcast_svc.Content(
            "outage", screens.notice_payload(starts_at, ends_at, credits)
        ),
        audience=aud.Audience(kind=aud.EVERYONE),
        now=now,
        policy=policy.quota,
        draft_key=f"outage-{callback_data.key}",
    )
    await callback.message.answer(
        screens.declared_text(credits, notice.total, locale), reply_markup=kb.main_menu()
    )
    if broadcasts is not None:
        broadcasts.wake()
