"""A product's export details and certificate numbers (owner), the shop's global window (what
each product still lacks), the NIB's verification request, and the shop's inquiries."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from aiogram import F
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.i18n import gettext as _
from sqlmodel.ext.asyncio.session import AsyncSession

from handlers.routes import Routes
from handlers.ui import show, toast
from models import Category, Merchant, User
from services import exporting, inquiries
from services.errors import NotFound, Refusal, ServiceError
from services.export_formats import PRODUCT_CERTS
from services.policy import Policy
from services.products import managed_product
from views import global_window as screens
from views import keyboards as kb
from views.callbacks import ExportCb, GlobalCb
from views.format import esc
from views.refusals import describe, describe_in_flow

routes = Routes("export")

_FIELDS = frozenset(exporting.EXPORT_FIELDS)
_CERTS = frozenset(k.value for k in PRODUCT_CERTS)


class ExportForm(StatesGroup):
    value = State()


async def export_view(
    session: AsyncSession, user: User, product_id: int, locale: str
) -> tuple[str, InlineKeyboardMarkup]:
    item = await managed_product(session, user, product_id)
    certs = await exporting.certifications_of(session, item.product)
    category = await session.get(Category, item.product.category_id)
    missing = exporting.missing_for_global(item.product, category, certs)
    return screens.export_screen(item.product, certs, missing, locale)


@routes.callback_query(ExportCb.filter())
async def export_screen(
    callback: CallbackQuery,
    callback_data: ExportCb,
    state: FSMContext,
    session: AsyncSession,
    user: User,
    locale: str,
) -> None:
    field = callback_data.field
    if not field:
        await show(callback, *await export_view(session, user, callback_data.id, locale))
        return
    if field not in _FIELDS | _CERTS:
        raise NotFound(Refusal.NOT_FOUND)
    item = await managed_product(session, user, callback_data.id)
    await state.set_state(ExportForm.value)
    await state.update_data(export_product=callback_data.id, export_field=field)
    if isinstance(callback.message, Message):
        await callback.message.answer(
            _("✏️ <b>{name}</b> · {field}").format(
                name=esc(item.product.name), field=screens.field_label(field)
            )
            + "\n"
            + screens.field_prompt(field),
            reply_markup=kb.cancel_keyboard(),
        )


@routes.message(ExportForm.value, F.text, ~F.text.startswith("/"), F.text != kb.CANCEL)
async def export_value(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    user: User,
    locale: str,
    clock: Callable[[], datetime],
) -> None:
    data = await state.get_data()
    pid, field = data["export_product"], data["export_field"]
    try:
        if field in _CERTS:
            await exporting.submit_certification(
                session, user, kind=field, text=message.text or "", now=clock(), product_id=pid
            )
        else:
            await exporting.set_export_field(
                session, user, pid, field, message.text or "", now=clock()
            )
    except ServiceError as exc:
        if exc.code in (
            Refusal.FORBIDDEN,
            Refusal.OWNER_ONLY,
            Refusal.PRODUCT_NOT_FOUND,
            Refusal.MERCHANT_SUSPENDED,
        ):
            await state.clear()
            await message.answer(describe(exc), reply_markup=kb.main_menu())
            return
        await message.answer(describe_in_flow(exc))
        return
    await state.clear()
    saved = _("✅ Saved.")
    if field in _CERTS:
        saved = _(
            "✅ Saved. Diskopindag verifies the number; until then the badge shows as not "
            "verified."
        )
    await message.answer(saved, reply_markup=kb.main_menu())
    text, markup = await export_view(session, user, pid, locale)
    await message.answer(text, reply_markup=markup)


@routes.message(ExportForm.value, ~F.text)
async def export_not_text(message: Message) -> None:
    await message.answer(_("Please type it as text, or tap Cancel."))


@routes.callback_query(GlobalCb.filter())
async def global_window(
    callback: CallbackQuery,
    callback_data: GlobalCb,
    session: AsyncSession,
    user: User,
    locale: str,
    policy: Policy,
    callback_answer: CallbackAnswer,
    clock: Callable[[], datetime],
) -> None:
    m = callback_data.m
    if callback_data.action == "inq":
        items, counts = await inquiries.shop_inquiries(session, user, m)
        merchant = await session.get(Merchant, m)
        assert merchant is not None
        await show(callback, *screens.inquiries_screen(merchant, items, counts, locale, policy.tz))
        return
    if callback_data.action == "nib":
        merchant = await session.get(Merchant, m)
        await exporting.submit_certification(
            session,
            user,
            kind="nib",
            text=merchant.nib if merchant else "",
            now=clock(),
            merchant_id=m,
        )
        toast(callback_answer, _("Sent to Diskopindag for verification."))
    statuses = await exporting.global_window_status(session, user, m)
    merchant = await session.get(Merchant, m)
    assert merchant is not None
    nib = await exporting.nib_certification(session, m)
    await show(callback, *screens.global_screen(merchant, statuses, nib))
