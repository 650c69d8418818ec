"""Exempting an ASN from the minimum for some months (leave, study, new appointment, ...),
and ending an exemption (administrators; checked and audited in services.compliance)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from aiogram import F
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.i18n import gettext as _
from sqlmodel.ext.asyncio.session import AsyncSession

from handlers.routes import Routes
from handlers.ui import show, toast
from services import compliance
from services.errors import Refusal, ServiceError
from services.policy import Policy
from services.quota import month_code, month_from_code, parse_month
from services.roles import Roles
from views import keyboards as kb
from views.callbacks import ExemptReasonCb, QuotaAdminCb
from views.format import esc
from views.quota import EXEMPTION_REASONS, exemption_reason, month_label
from views.quota_admin import EXEMPTIONS_PAGE, exemptions_screen, reason_choices
from views.refusals import describe

routes = Routes("exemptions")

Clock = Callable[[], datetime]


class ExemptionForm(StatesGroup):
    nip = State()
    months = State()  # data: ex_nip, ex_name
    reason = State()  # data: + ex_from, ex_to (YYYYMM)


async def _list(
    session: AsyncSession, roles: Roles, locale: str, policy: Policy, now: datetime, page: int
) -> tuple[str, InlineKeyboardMarkup]:
    rows, total = await compliance.list_exemptions(
        session, actor=roles, now=now, policy=policy.quota, page=page, page_size=EXEMPTIONS_PAGE
    )
    return exemptions_screen(rows, total, page, locale)


@routes.callback_query(QuotaAdminCb.filter(F.action.in_({"ex", "exrm"})))
async def exemptions(
    callback: CallbackQuery,
    callback_data: QuotaAdminCb,
    session: AsyncSession,
    roles: Roles,
    locale: str,
    policy: Policy,
    clock: Clock,
    callback_answer: CallbackAnswer,
) -> None:
    if callback_data.action == "exrm":
        await compliance.remove_exemption(session, actor=roles, exemption_id=callback_data.id)
        toast(callback_answer, _("Exemption ended."))
    await show(callback, *await _list(session, roles, locale, policy, clock(), callback_data.page))


@routes.callback_query(QuotaAdminCb.filter(F.action == "exadd"))
async def ask_nip(callback: CallbackQuery, state: FSMContext, roles: Roles) -> None:
    roles.require_admin()
    await state.set_state(ExemptionForm.nip)
    if isinstance(callback.message, Message):
        await callback.message.answer(
            _("Type the NIP of the ASN to exempt."), reply_markup=kb.cancel_keyboard()
        )


@routes.message(ExemptionForm.nip, F.text, ~F.text.startswith("/"), F.text != kb.CANCEL)
async def got_nip(message: Message, state: FSMContext, session: AsyncSession) -> None:
    nip = "".join((message.text or "").split())
    try:
        entry = await compliance.find_asn(session, nip)
    except ServiceError:
        await message.answer(
            _("NIP {nip} is not in the ASN roster. Check the number and type it again.").format(
                nip=esc(nip[:30])
            )
        )
        return
    await state.update_data(ex_nip=entry.nip, ex_name=entry.name)
    await state.set_state(ExemptionForm.months)
    await message.answer(
        _(
            "{name} ({opd}). For which months? Type one month (<i>2026-12</i>) or the first "
            "and the last (<i>2026-12 2027-05</i>)."
        ).format(name=esc(entry.name), opd=esc(entry.opd))
    )


@routes.message(ExemptionForm.months, F.text, ~F.text.startswith("/"), F.text != kb.CANCEL)
async def got_months(message: Message, state: FSMContext) -> None:
    parts = (message.text or "").replace("–", " ").replace(" - ", " ").split()
    if len(parts) not in (1, 2):
        raise ServiceError(Refusal.MONTH_INVALID)
    first, last = parse_month(parts[0]), parse_month(parts[-1])
    if last < first:
        raise ServiceError(Refusal.MONTH_RANGE_INVALID)
    await state.update_data(ex_from=month_code(first), ex_to=month_code(last))
    await state.set_state(ExemptionForm.reason)
    await message.answer(
        _("Why? Tap a reason or type another one."), reply_markup=reason_choices()
    )


@routes.callback_query(StateFilter(ExemptionForm.reason), ExemptReasonCb.filter())
async def reason_tapped(
    callback: CallbackQuery,
    callback_data: ExemptReasonCb,
    state: FSMContext,
    session: AsyncSession,
    roles: Roles,
    locale: str,
    policy: Policy,
    clock: Clock,
) -> None:
    if callback_data.code not in EXEMPTION_REASONS or not isinstance(callback.message, Message):
        return
    await _save(
        callback.message, state, session, roles, locale, policy, clock(), callback_data.code
    )


@routes.message(ExemptionForm.reason, F.text, ~F.text.startswith("/"), F.text != kb.CANCEL)
async def reason_typed(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    roles: Roles,
    locale: str,
    policy: Policy,
    clock: Clock,
) -> None:
    await _save(message, state, session, roles, locale, policy, clock(), message.text or "")


async def _save(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    roles: Roles,
    locale: str,
    policy: Policy,
    now: datetime,
    reason: str,
) -> None:
    data = await state.get_data()
    await state.clear()
    try:
        exemption = await compliance.add_exemption(
            session,
            actor=roles,
            nip=str(data.get("ex_nip", "")),
            from_month=month_from_code(int(data.get("ex_from", 0))),
            to_month=month_from_code(int(data.get("ex_to", 0))),
            reason=reason,
        )
    except ServiceError as exc:
        await message.answer(describe(exc), reply_markup=kb.main_menu())
        return
    await message.answer(
        _("✅ {name} is exempt from {start} to {end} ({reason}).").format(
            name=esc(str(data.get("ex_name", ""))),
            start=month_label(exemption.from_month, locale),
            end=month_label(exemption.to_month, locale),
            reason=exemption_reason(exemption.reason),
        ),
        reply_markup=kb.main_menu(),
    )
    text, markup = await _list(session, roles, locale, policy, now, 0)
    await message.answer(text, reply_markup=markup)


# Registered last: any other text while the form waits for an answer.
@routes.message(StateFilter(ExemptionForm), ~F.text.startswith("/"))
async def text_expected(message: Message) -> None:
    await message.answer(_("Please type your answer as text, or tap Cancel."))
