"""/verifikasi: administrators and OPD operators (their OPD only, checked in the services) go
through the purchases outside the catalog and the exemption requests one at a time: approve,
reject with a reason (buttons, or typed), ask for another photo. The ASN is told each decision.
/calon_umkm: shops outside TukuLokal to invite (administrators), with a CSV."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from aiogram import F
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import BufferedInputFile, CallbackQuery, InputMediaPhoto, Message
from sqlmodel.ext.asyncio.session import AsyncSession

from delivery.notify import Markup, notify
from delivery.sender import Sender
from handlers.routes import Routes
from services import appeals, export, outside
from services.errors import Refusal, ServiceError
from services.policy import Policy
from services.roles import Roles
from views import appeals as appeal_screens
from views import keyboards as kb
from views import outside as screens
from views.callbacks import VerifyCb

routes = Routes("verify")

Clock = Callable[[], datetime]
MEDIA_GROUP = 10  # Telegram's album limit


class VerdictForm(StatesGroup):
    reason = State()  # data: vf_kind ("p" or "e"), vf_id


@routes.message(Command("verifikasi", "verify"))
async def verify_command(message: Message, session: AsyncSession, roles: Roles) -> None:
    purchases = await outside.queue_size(session, actor=roles)
    requests = await appeals.pending_count(session, actor=roles)
    text, markup = screens.menu_text(purchases, requests)
    await message.answer(text, reply_markup=markup)


async def _show_next(
    message: Message,
    session: AsyncSession,
    roles: Roles,
    locale: str,
    policy: Policy,
    now: datetime,
    kind: str,
    after: int = 0,
) -> None:
    if kind == "e":
        view = await appeals.next_request(session, actor=roles)
        if view is None:
            await message.answer(screens.queue_empty())
            return
        request_id = view.request.id or 0
        if view.request.photo_file_id:
            await message.answer_photo(view.request.photo_file_id)
        await message.answer(
            appeal_screens.request_text(view, locale, policy.tz),
            reply_markup=appeal_screens.request_markup(request_id),
        )
        return
    review = await outside.next_review(
        session, actor=roles, now=now, quota=policy.quota, policy=policy.outside, after=after
    )
    if review is None:
        await message.answer(screens.queue_empty())
        return
    photos = review.photos[:MEDIA_GROUP]
    if len(photos) == 1:
        await message.answer_photo(photos[0])
    elif photos:
        await message.answer_media_group([InputMediaPhoto(media=p) for p in photos])
    await message.answer(
        screens.review_text(review, locale, policy.tz), reply_markup=screens.review_markup(review)
    )


@routes.callback_query(VerifyCb.filter(F.action.in_({"next", "skip"})))
async def next_item(
    callback: CallbackQuery,
    callback_data: VerifyCb,
    session: AsyncSession,
    roles: Roles,
    locale: str,
    policy: Policy,
    clock: Clock,
) -> None:
    if not isinstance(callback.message, Message):
        return
    after = callback_data.id if callback_data.action == "skip" else 0
    await _show_next(
        callback.message, session, roles, locale, policy, clock(), callback_data.kind, after
    )


async def _decide_purchase(
    message: Message,
    session: AsyncSession,
    roles: Roles,
    sender: Sender,
    now: datetime,
    purchase_id: int,
    action: str,
    reason: str = "",
) -> None:
    decision = await outside.decide(
        session, actor=roles, purchase_id=purchase_id, action=action, reason=reason, now=now
    )
    p = decision.purchase
    await message.answer(
        screens.decided_text(purchase_id, p.status, decision.closed), reply_markup=kb.main_menu()
    )
    if decision.buyer is None:
        return

    def render(locale: str) -> tuple[str, Markup]:
        return screens.decision_notice(
            purchase_id, p.shop_name, p.amount, p.status, p.reject_reason, locale
        )

    await notify(sender, decision.buyer, render)


async def _decide_request(
    message: Message,
    session: AsyncSession,
    roles: Roles,
    sender: Sender,
    now: datetime,
    request_id: int,
    approve: bool,
    reason: str = "",
) -> None:
    decision = await appeals.decide(
        session, actor=roles, request_id=request_id, approve=approve, reason=reason, now=now
    )
    await message.answer(
        appeal_screens.decided_text(request_id, approve), reply_markup=kb.main_menu()
    )
    if decision.asn is None:
        return
    r = decision.request

    def render(locale: str) -> tuple[str, Markup]:
        return appeal_screens.decision_notice(r.month, approve, r.decline_reason, locale), None

    await notify(sender, decision.asn, render)


@routes.callback_query(VerifyCb.filter(F.action.in_({"ok", "more"})))
async def approve(
    callback: CallbackQuery,
    callback_data: VerifyCb,
    session: AsyncSession,
    roles: Roles,
    sender: Sender,
    locale: str,
    policy: Policy,
    clock: Clock,
) -> None:
    message = callback.message
    if not isinstance(message, Message):
        return
    now = clock()
    if callback_data.kind == "e":
        if callback_data.action != "ok":
            raise ServiceError(Refusal.UNKNOWN_ACTION)
        await _decide_request(message, session, roles, sender, now, callback_data.id, True)
    else:
        action = "approve" if callback_data.action == "ok" else "more"
        await _decide_purchase(message, session, roles, sender, now, callback_data.id, action)
    await message.edit_reply_markup(reply_markup=None)
    await _show_next(message, session, roles, locale, policy, now, callback_data.kind)


@routes.callback_query(VerifyCb.filter(F.action == "rej"))
async def ask_reason(
    callback: CallbackQuery, callback_data: VerifyCb, state: FSMContext, roles: Roles
) -> None:
    roles.require_staff()
    if not isinstance(callback.message, Message):
        return
    await state.set_state(VerdictForm.reason)
    await state.update_data(vf_kind=callback_data.kind, vf_id=callback_data.id)
    if callback_data.kind == "e":
        await callback.message.answer(
            appeal_screens.ask_decline_reason(callback_data.id),
            reply_markup=kb.cancel_keyboard(),
        )
        return
    await callback.message.answer(
        screens.ask_reject_reason(callback_data.id),
        reply_markup=screens.reasons_markup(callback_data.id),
    )


async def _reject(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    roles: Roles,
    sender: Sender,
    locale: str,
    policy: Policy,
    now: datetime,
    reason: str,
) -> None:
    data = await state.get_data()
    await state.clear()
    kind, item = str(data.get("vf_kind", "p")), int(data.get("vf_id", 0))
    if kind == "e":
        await _decide_request(message, session, roles, sender, now, item, False, reason)
    else:
        await _decide_purchase(message, session, roles, sender, now, item, "reject", reason)
    await _show_next(message, session, roles, locale, policy, now, kind)


@routes.callback_query(StateFilter(VerdictForm.reason), VerifyCb.filter(F.action == "reason"))
async def reason_tapped(
    callback: CallbackQuery,
    callback_data: VerifyCb,
    state: FSMContext,
    session: AsyncSession,
    roles: Roles,
    sender: Sender,
    locale: str,
    policy: Policy,
    clock: Clock,
) -> None:
    if callback_data.code >= len(outside.REJECT_REASONS):
        return
    if not isinstance(callback.message, Message):
        return
    reason = outside.REJECT_REASONS[callback_data.code]
    await callback.message.edit_reply_markup(reply_markup=None)
    await _reject(callback.message, state, session, roles, sender, locale, policy, clock(), reason)


@routes.message(VerdictForm.reason, F.text, ~F.text.startswith("/"), F.text != kb.CANCEL)
async def reason_typed(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    roles: Roles,
    sender: Sender,
    locale: str,
    policy: Policy,
    clock: Clock,
) -> None:
    await _reject(
        message, state, session, roles, sender, locale, policy, clock(), message.text or ""
    )


# --- shops to onboard ---------------------------------------------------------------------


@routes.message(Command("calon_umkm", "shops_to_invite"))
async def candidates(message: Message, session: AsyncSession, roles: Roles, locale: str) -> None:
    rows = await outside.candidates(session, actor=roles)
    text, markup = screens.candidates_screen(rows, locale)
    await message.answer(text, reply_markup=markup)


@routes.callback_query(VerifyCb.filter(F.action == "csv"))
async def candidates_csv(callback: CallbackQuery, session: AsyncSession, roles: Roles) -> None:
    rows = await outside.candidates(session, actor=roles)
    data = export.csv_bytes(
        screens.candidates_header(),
        [(c.name, c.kecamatan, c.asn, c.purchases, c.total) for c in rows],
    )
    if isinstance(callback.message, Message):
        await callback.message.answer_document(BufferedInputFile(data, filename="calon-umkm.csv"))
