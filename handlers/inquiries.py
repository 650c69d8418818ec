"""Inquiries ("Ask for a quote"): the buyer's questions (quantity, destination, message), the
shop's replies and quotes, relayed both ways by the bot; closing."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from aiogram import F
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.i18n import gettext as _
from sqlmodel.ext.asyncio.session import AsyncSession

from delivery import inquiries as relay
from delivery.sender import Sender
from handlers.routes import Routes
from handlers.ui import toast
from models import User
from services import inquiries
from services.errors import Refusal, ServiceError
from services.policy import Policy
from views import global_window as screens
from views import keyboards as kb
from views.callbacks import InquiryCb
from views.format import esc
from views.refusals import describe, describe_in_flow

routes = Routes("inquiries")


class AskQuote(StatesGroup):
    quantity = State()
    country = State()
    message = State()


class ReplyInquiry(StatesGroup):
    text = State()


@routes.callback_query(InquiryCb.filter(F.action == "new"))
async def ask_start(
    callback: CallbackQuery, callback_data: InquiryCb, state: FSMContext, session: AsyncSession
) -> None:
    product = await inquiries.inquiry_product(session, callback_data.id)
    await state.set_state(AskQuote.quantity)
    await state.update_data(inquiry_product=product.id)
    moq = product.export_moq
    text = _("✉️ <b>Ask for a quote</b> · {name}\nHow many {unit} do you need?").format(
        name=esc(product.name_en or product.name), unit=esc(product.unit)
    )
    if moq:
        text += "\n" + _("The shop's minimum order for export is {moq}.").format(moq=moq)
    if isinstance(callback.message, Message):
        await callback.message.answer(text, reply_markup=kb.cancel_keyboard())


@routes.message(AskQuote.quantity, F.text, ~F.text.startswith("/"), F.text != kb.CANCEL)
async def ask_quantity(message: Message, state: FSMContext, session: AsyncSession) -> None:
    data = await state.get_data()
    product = await inquiries.inquiry_product(session, data["inquiry_product"])
    try:
        quantity = inquiries.parse_quantity(message.text or "", product.export_moq)
    except ServiceError as exc:
        await message.answer(describe_in_flow(exc))
        return
    await state.update_data(inquiry_quantity=quantity)
    await state.set_state(AskQuote.country)
    await message.answer(
        _(
            "To which country should the goods go? Type its name or code, e.g. <i>Japan</i> or "
            "<i>JP</i>."
        )
    )


@routes.message(AskQuote.country, F.text, ~F.text.startswith("/"), F.text != kb.CANCEL)
async def ask_country(message: Message, state: FSMContext) -> None:
    try:
        country = inquiries.parse_country(message.text or "")
    except ServiceError as exc:
        await message.answer(describe_in_flow(exc))
        return
    await state.update_data(inquiry_country=country)
    await state.set_state(AskQuote.message)
    await message.answer(
        _(
            "Your message to the shop (packaging, delivery terms such as FOB or CIF, questions), "
            "at most 1000 characters:"
        )
    )


@routes.message(AskQuote.message, F.text, ~F.text.startswith("/"), F.text != kb.CANCEL)
async def ask_message(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    user: User,
    locale: str,
    sender: Sender,
    policy: Policy,
    clock: Callable[[], datetime],
) -> None:
    data = await state.get_data()
    try:
        thread = await inquiries.create_inquiry(
            session, user, product_id=data["inquiry_product"], quantity=data["inquiry_quantity"],
            country=data["inquiry_country"], message=message.text or "", language=locale,
            now=clock(),
        )  # fmt: skip
    except ServiceError as exc:
        await message.answer(describe_in_flow(exc))
        return
    await state.clear()
    await message.answer(screens.inquiry_sent_text(thread, locale), reply_markup=kb.main_menu())
    await relay.to_shop(sender, thread, policy.tz)


@routes.message(StateFilter(AskQuote, ReplyInquiry), ~F.text)
async def ask_not_text(message: Message) -> None:
    await message.answer(_("Please type it as text, or tap Cancel."))


@routes.callback_query(InquiryCb.filter(F.action.in_({"reply", "quote"})))
async def reply_start(
    callback: CallbackQuery,
    callback_data: InquiryCb,
    state: FSMContext,
    session: AsyncSession,
    user: User,
) -> None:
    thread, from_shop = await inquiries.thread_for(session, user, callback_data.id)
    if thread.inquiry.status == "closed":
        raise ServiceError(Refusal.INQUIRY_CLOSED)
    quote = callback_data.action == "quote" and from_shop
    await state.set_state(ReplyInquiry.text)
    await state.update_data(inquiry_id=callback_data.id, inquiry_quote=quote)
    prompt = (
        _(
            "💰 Type your quote for inquiry #{id}: price per unit, total, delivery terms (e.g. "
            "FOB Surabaya) and how long it is valid."
        )
        if quote
        else _("↩️ Type your reply to inquiry #{id}:")
    ).format(id=callback_data.id)
    if isinstance(callback.message, Message):
        await callback.message.answer(prompt, reply_markup=kb.cancel_keyboard())


@routes.message(ReplyInquiry.text, F.text, ~F.text.startswith("/"), F.text != kb.CANCEL)
async def reply_text(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    user: User,
    sender: Sender,
    policy: Policy,
    clock: Callable[[], datetime],
) -> None:
    data = await state.get_data()
    try:
        thread = await inquiries.reply(
            session,
            user,
            data["inquiry_id"],
            message.text or "",
            quote=bool(data.get("inquiry_quote")),
            now=clock(),
        )
    except ServiceError as exc:
        await state.clear()
        await message.answer(describe(exc), reply_markup=kb.main_menu())
        return
    await state.clear()
    await message.answer(
        _("✅ Sent. The other side gets it from the bot; no phone number is shared."),
        reply_markup=kb.main_menu(),
    )
    if thread.last is not None and thread.last.from_shop:
        await relay.to_buyer(sender, thread)
    else:
        await relay.to_shop(sender, thread, policy.tz)


@routes.callback_query(InquiryCb.filter(F.action == "close"))
async def close_inquiry(
    callback: CallbackQuery,
    callback_data: InquiryCb,
    session: AsyncSession,
    user: User,
    sender: Sender,
    policy: Policy,
    callback_answer: CallbackAnswer,
    clock: Callable[[], datetime],
) -> None:
    before, from_shop = await inquiries.thread_for(session, user, callback_data.id)
    was_closed = before.inquiry.status == "closed"
    thread = await inquiries.close(session, user, callback_data.id, now=clock())
    toast(callback_answer, _("Inquiry #{id} is closed.").format(id=callback_data.id))
    if isinstance(callback.message, Message):
        await callback.message.edit_reply_markup(reply_markup=None)
    if was_closed:
        return  # closed already (a second tap): nobody is told twice
    if from_shop:
        await relay.to_buyer(sender, thread)
    else:
        await relay.to_shop(sender, thread, policy.tz)


@routes.callback_query(InquiryCb.filter(F.action == "view"))
async def view_inquiry(
    callback: CallbackQuery,
    callback_data: InquiryCb,
    session: AsyncSession,
    user: User,
    locale: str,
    policy: Policy,
) -> None:
    thread, from_shop = await inquiries.thread_for(session, user, callback_data.id)
    text, markup = (
        screens.inquiry_for_shop(thread, locale, policy.tz)
        if from_shop
        else screens.inquiry_for_buyer(thread, locale)
    )
    if isinstance(callback.message, Message):
        await callback.message.answer(text, reply_markup=markup)
