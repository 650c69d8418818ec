"""/keringanan: an ASN asks to be exempted from a month's minimum (leave, illness, secondment,
other), with an optional photo of a document."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from aiogram import F
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from sqlmodel.ext.asyncio.session import AsyncSession

from handlers.routes import Routes
from models import BuyerKind, User
from services import appeals
from services.errors import Refusal, ServiceError
from services.policy import Policy
from services.quota import month_code, month_from_code
from views import appeals as screens
from views import keyboards as kb
from views.callbacks import AppealCb
from views.outside import answer_expected as answer_expected_text
from views.refusals import describe

routes = Routes("appeals")

Clock = Callable[[], datetime]


class AppealForm(StatesGroup):
    month = State()
    reason = State()  # data: ap_month (YYYYMM)
    note = State()  # + ap_reason
    document = State()  # + ap_note


@routes.message(Command("keringanan", "exemption"))
async def appeal_command(
    message: Message, state: FSMContext, user: User, locale: str, policy: Policy, clock: Clock
) -> None:
    if user.kind != BuyerKind.ASN:
        await message.answer(
            describe(ServiceError(Refusal.NOT_ASN)), reply_markup=kb.register_prompt_keyboard()
        )
        return
    await state.clear()
    await state.set_state(AppealForm.month)
    months = appeals.request_months(clock(), policy.quota)
    text, markup = screens.ask_month(months, locale)
    await message.answer(text, reply_markup=markup)


@routes.callback_query(StateFilter(AppealForm.month), AppealCb.filter(F.action == "month"))
async def month_chosen(
    callback: CallbackQuery,
    callback_data: AppealCb,
    state: FSMContext,
    policy: Policy,
    clock: Clock,
) -> None:
    month = month_from_code(callback_data.value)
    if month not in appeals.request_months(clock(), policy.quota):
        raise ServiceError(Refusal.MONTH_INVALID)
    await state.update_data(ap_month=month_code(month))
    await state.set_state(AppealForm.reason)
    if isinstance(callback.message, Message):
        text, markup = screens.ask_reason()
        await callback.message.answer(text, reply_markup=markup)


@routes.callback_query(StateFilter(AppealForm.reason), AppealCb.filter(F.action == "reason"))
async def reason_chosen(
    callback: CallbackQuery, callback_data: AppealCb, state: FSMContext
) -> None:
    if callback_data.value >= len(appeals.REASONS) or not isinstance(callback.message, Message):
        return
    reason = appeals.REASONS[callback_data.value]
    await state.update_data(ap_reason=reason)
    await state.set_state(AppealForm.note)
    text, markup = screens.ask_note(required=reason == "other")
    await callback.message.answer(text, reply_markup=markup or kb.cancel_keyboard())


async def _ask_document(message: Message, state: FSMContext, note: str) -> None:
    await state.update_data(ap_note=note)
    await state.set_state(AppealForm.document)
    text, markup = screens.ask_document()
    await message.answer(text, reply_markup=markup)


@routes.message(AppealForm.note, F.text, ~F.text.startswith("/"), F.text != kb.CANCEL)
async def note_typed(message: Message, state: FSMContext) -> None:
    await _ask_document(message, state, message.text or "")


@routes.callback_query(StateFilter(AppealForm.note), AppealCb.filter(F.action == "skip"))
async def note_skipped(callback: CallbackQuery, state: FSMContext) -> None:
    if (await state.get_data()).get("ap_reason") == "other":
        raise ServiceError(Refusal.REASON_REQUIRED)
    if isinstance(callback.message, Message):
        await _ask_document(callback.message, state, "")


async def _send(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    user: User,
    locale: str,
    policy: Policy,
    now: datetime,
    photo: str | None,
) -> None:
    data: dict[str, Any] = await state.get_data()
    await state.clear()
    request = await appeals.ask(
        session,
        user,
        month=month_from_code(int(data.get("ap_month", 0))),
        reason=str(data.get("ap_reason", "")),
        note=str(data.get("ap_note", "")),
        photo_file_id=photo,
        now=now,
        policy=policy.quota,
    )
    await message.answer(screens.sent_text(request.month, locale), reply_markup=kb.main_menu())


@routes.message(AppealForm.document, F.photo)
async def document_sent(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    user: User,
    locale: str,
    policy: Policy,
    clock: Clock,
) -> None:
    assert message.photo is not None
    photo = message.photo[-1].file_id
    await _send(message, state, session, user, locale, policy, clock(), photo)


@routes.callback_query(StateFilter(AppealForm.document), AppealCb.filter(F.action == "send"))
async def sent_without(
    callback: CallbackQuery,
    state: FSMContext,
    session: AsyncSession,
    user: User,
    locale: str,
    policy: Policy,
    clock: Clock,
) -> None:
    if isinstance(callback.message, Message):
        await _send(callback.message, state, session, user, locale, policy, clock(), None)


@routes.message(StateFilter(AppealForm), ~F.text.startswith("/"), F.text != kb.CANCEL)
async def answer_expected(message: Message) -> None:
    await message.answer(answer_expected_text())
