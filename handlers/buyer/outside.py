"""/belanja_luar: an ASN reports a purchase at a shop outside the catalog (name, kecamatan and
kelurahan of Kota Malang, what was bought, the amount, the date, photos), previews and submits
it; cancel saves nothing. Also the extra photo a verifier asked for."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

from aiogram import Bot, F
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from sqlmodel.ext.asyncio.session import AsyncSession

from handlers.routes import Routes
from models import BuyerKind, User
from services import outside, products, wilayah
from services.errors import Refusal, ServiceError
from services.policy import Policy
from services.quota import month_start, outside_share_for
from views import keyboards as kb
from views import outside as screens
from views.callbacks import OutsideFormCb, OutsideMoreCb
from views.format import file_too_large
from views.refusals import describe, describe_in_flow

routes = Routes("outside")

Clock = Callable[[], datetime]
MAX_FILE_BYTES = 10 * 1024 * 1024


class OutsideForm(StatesGroup):
    shop = State()
    kecamatan = State()  # data: ol_shop
    kelurahan = State()  # + ol_kec
    items = State()  # + ol_kel
    amount = State()  # + ol_items
    day = State()  # + ol_amount
    photos = State()  # + ol_date (ISO)
    preview = State()


class MorePhoto(StatesGroup):
    photo = State()  # data: om_id


def _typed(state: State) -> tuple[Any, ...]:
    return (state, F.text, ~F.text.startswith("/"), F.text != kb.CANCEL)


async def _begin(message: Message, state: FSMContext, session: AsyncSession, user: User) -> None:
    if user.kind != BuyerKind.ASN:
        await message.answer(
            describe(ServiceError(Refusal.NOT_ASN)), reply_markup=kb.register_prompt_keyboard()
        )
        return
    await outside.discard_draft(session, user)
    await state.clear()
    await state.set_state(OutsideForm.shop)
    await message.answer(screens.ask_shop(), reply_markup=kb.cancel_keyboard())


@routes.message(Command("belanja_luar", "outside"))
async def outside_command(
    message: Message, state: FSMContext, session: AsyncSession, user: User
) -> None:
    await _begin(message, state, session, user)


@routes.callback_query(OutsideFormCb.filter(F.action == "start"))
async def outside_button(
    callback: CallbackQuery, state: FSMContext, session: AsyncSession, user: User
) -> None:
    if isinstance(callback.message, Message):
        await _begin(callback.message, state, session, user)


@routes.message(*_typed(OutsideForm.shop))
async def got_shop(message: Message, state: FSMContext, session: AsyncSession) -> None:
    try:
        name = outside.check_shop_name(message.text or "")
    except ServiceError as exc:
        await message.answer(describe_in_flow(exc))
        return
    registered = await outside.registered_shop(session, name)
    if registered is not None:
        await message.answer(
            screens.registered_shop_text(registered.name),
            reply_markup=kb.cancel_keyboard(),
        )
        return
    await state.update_data(ol_shop=name)
    await state.set_state(OutsideForm.kecamatan)
    await message.answer(
        screens.ask_kecamatan(), reply_markup=screens.kecamatan_markup(wilayah.list_kecamatan())
    )


async def _kecamatan_chosen(message: Message, state: FSMContext, kecamatan: str) -> None:
    await state.update_data(ol_kec=kecamatan)
    await state.set_state(OutsideForm.kelurahan)
    await message.answer(
        screens.ask_kelurahan(kecamatan),
        reply_markup=screens.kelurahan_markup(wilayah.list_kelurahan(kecamatan)),
    )


@routes.message(*_typed(OutsideForm.kecamatan))
async def typed_kecamatan(message: Message, state: FSMContext) -> None:
    try:
        kecamatan = wilayah.match_kecamatan(message.text or "")
    except wilayah.WilayahError:
        await message.answer(
            screens.ask_kecamatan(),
            reply_markup=screens.kecamatan_markup(wilayah.list_kecamatan()),
        )
        return
    await _kecamatan_chosen(message, state, kecamatan)


@routes.callback_query(StateFilter(OutsideForm.kecamatan), OutsideFormCb.filter(F.action == "kec"))
async def tapped_kecamatan(
    callback: CallbackQuery, callback_data: OutsideFormCb, state: FSMContext
) -> None:
    names = wilayah.list_kecamatan()
    if callback_data.value < len(names) and isinstance(callback.message, Message):
        await _kecamatan_chosen(callback.message, state, names[callback_data.value])


async def _kelurahan_chosen(message: Message, state: FSMContext, kelurahan: str) -> None:
    await state.update_data(ol_kel=kelurahan)
    await state.set_state(OutsideForm.items)
    await message.answer(screens.ask_items(), reply_markup=kb.cancel_keyboard())


@routes.message(*_typed(OutsideForm.kelurahan))
async def typed_kelurahan(message: Message, state: FSMContext) -> None:
    kecamatan = str((await state.get_data()).get("ol_kec", ""))
    try:
        place = wilayah.match_kelurahan(message.text or "", kecamatan)
    except wilayah.WilayahError:
        await message.answer(
            screens.ask_kelurahan(kecamatan),
            reply_markup=screens.kelurahan_markup(wilayah.list_kelurahan(kecamatan)),
        )
        return
    await _kelurahan_chosen(message, state, place.name)


@routes.callback_query(StateFilter(OutsideForm.kelurahan), OutsideFormCb.filter(F.action == "kel"))
async def tapped_kelurahan(
    callback: CallbackQuery, callback_data: OutsideFormCb, state: FSMContext
) -> None:
    kecamatan = str((await state.get_data()).get("ol_kec", ""))
    places = wilayah.list_kelurahan(kecamatan)
    if callback_data.value < len(places) and isinstance(callback.message, Message):
        await _kelurahan_chosen(callback.message, state, places[callback_data.value].name)


@routes.message(*_typed(OutsideForm.items))
async def got_items(message: Message, state: FSMContext) -> None:
    try:
        items = outside.check_items(message.text or "")
    except ServiceError as exc:
        await message.answer(describe_in_flow(exc))
        return
    await state.update_data(ol_items=items)
    await state.set_state(OutsideForm.amount)
    await message.answer(screens.ask_amount())


@routes.message(*_typed(OutsideForm.amount))
async def got_amount(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    locale: str,
    policy: Policy,
    clock: Clock,
) -> None:
    try:
        amount = outside.check_amount(products.parse_price(message.text or ""))
    except ServiceError as exc:
        await message.answer(describe_in_flow(exc))
        return
    await state.update_data(ol_amount=amount)
    await state.set_state(OutsideForm.day)
    now = clock()
    months = await outside.open_months(session, now=now, quota=policy.quota, policy=policy.outside)
    today = now.astimezone(policy.tz).date()
    text, markup = screens.ask_date(months[0], today, locale)
    await message.answer(text, reply_markup=markup)


async def _date_chosen(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    policy: Policy,
    now: datetime,
    day: date,
) -> None:
    try:
        day = await outside.check_date(
            session, day, now=now, quota=policy.quota, policy=policy.outside
        )
    except ServiceError as exc:
        await message.answer(describe_in_flow(exc))
        return
    await state.update_data(ol_date=day.isoformat())
    await state.set_state(OutsideForm.photos)
    await message.answer(screens.ask_photos())


@routes.message(*_typed(OutsideForm.day))
async def typed_date(
    message: Message, state: FSMContext, session: AsyncSession, policy: Policy, clock: Clock
) -> None:
    now = clock()
    try:
        day = outside.parse_date(message.text or "", today=now.astimezone(policy.tz).date())
    except ServiceError as exc:
        await message.answer(describe_in_flow(exc))
        return
    await _date_chosen(message, state, session, policy, now, day)


@routes.callback_query(StateFilter(OutsideForm.day), OutsideFormCb.filter(F.action == "date"))
async def tapped_date(
    callback: CallbackQuery,
    callback_data: OutsideFormCb,
    state: FSMContext,
    session: AsyncSession,
    policy: Policy,
    clock: Clock,
) -> None:
    now = clock()
    day = now.astimezone(policy.tz).date() - timedelta(days=min(callback_data.value, 1))
    if isinstance(callback.message, Message):
        await _date_chosen(callback.message, state, session, policy, now, day)


async def _picture(message: Message, bot: Bot) -> tuple[str, bytes] | None:
    """The file id and bytes of a photo, or of an image sent as a file (keeps its EXIF)."""
    if message.photo:
        file_id = message.photo[-1].file_id
    elif (
        message.document is not None
        and (message.document.mime_type or "").startswith("image/")
        and (message.document.file_size or 0) <= MAX_FILE_BYTES
    ):
        file_id = message.document.file_id
    else:
        return None
    buffer = io.BytesIO()
    await bot.download(file_id, destination=buffer)
    return file_id, buffer.getvalue()


def _not_a_picture(message: Message, locale: str) -> str:
    size = (message.document.file_size or 0) if message.document else 0
    if size > MAX_FILE_BYTES:  # an image too large to read (never downloaded)
        return file_too_large(size, MAX_FILE_BYTES, locale)
    return screens.ask_photos()


@routes.message(OutsideForm.photos, F.photo | F.document)
async def got_photo(
    message: Message, bot: Bot, session: AsyncSession, user: User, clock: Clock, locale: str
) -> None:
    picture = await _picture(message, bot)
    if picture is None:
        await message.answer(_not_a_picture(message, locale))
        return
    try:
        count = await outside.add_photo(
            session, user, file_id=picture[0], data=picture[1], now=clock()
        )
    except ServiceError as exc:
        await message.answer(describe_in_flow(exc))
        return
    text, markup = screens.photo_received(count)
    await message.answer(text, reply_markup=markup)


def _draft(data: dict[str, Any]) -> outside.Draft:
    return outside.Draft(
        shop_name=str(data.get("ol_shop", "")),
        kecamatan=str(data.get("ol_kec", "")),
        kelurahan=str(data.get("ol_kel", "")),
        items=str(data.get("ol_items", "")),
        amount=int(data.get("ol_amount", 0)),
        purchase_date=date.fromisoformat(str(data.get("ol_date", "2000-01-01"))),
    )


@routes.callback_query(StateFilter(OutsideForm.photos), OutsideFormCb.filter(F.action == "done"))
async def photos_done(
    callback: CallbackQuery,
    state: FSMContext,
    session: AsyncSession,
    user: User,
    locale: str,
    policy: Policy,
) -> None:
    count = await outside.draft_photo_count(session, user)
    if not count or not isinstance(callback.message, Message):
        raise ServiceError(Refusal.OUTSIDE_NO_PHOTO)
    draft = _draft(await state.get_data())
    share = await outside_share_for(
        session, month_start(draft.purchase_date), default=policy.quota.outside_share
    )
    await state.set_state(OutsideForm.preview)
    text, markup = screens.preview(draft, count, share, locale)
    await callback.message.answer(text, reply_markup=markup)


@routes.callback_query(
    StateFilter(OutsideForm.preview), OutsideFormCb.filter(F.action == "submit")
)
async def submit(
    callback: CallbackQuery,
    state: FSMContext,
    session: AsyncSession,
    user: User,
    policy: Policy,
    clock: Clock,
) -> None:
    if not isinstance(callback.message, Message):
        return
    purchase = await outside.submit(
        session,
        user,
        _draft(await state.get_data()),
        now=clock(),
        quota=policy.quota,
        policy=policy.outside,
    )
    await state.clear()
    await callback.message.edit_reply_markup(reply_markup=None)
    await callback.message.answer(screens.submitted(purchase.id or 0), reply_markup=kb.main_menu())


# --- another photo, asked for by a verifier ---------------------------------------------------


@routes.callback_query(OutsideMoreCb.filter())
async def more_photo(
    callback: CallbackQuery,
    callback_data: OutsideMoreCb,
    state: FSMContext,
    session: AsyncSession,
    user: User,
) -> None:
    purchase = await outside.own_purchase(session, user, callback_data.id)
    if purchase.status != "more_photos":
        raise ServiceError(Refusal.ALREADY_DECIDED)
    await state.set_state(MorePhoto.photo)
    await state.update_data(om_id=purchase.id)
    if isinstance(callback.message, Message):
        await callback.message.answer(screens.ask_photos(), reply_markup=kb.cancel_keyboard())


@routes.message(MorePhoto.photo, F.photo | F.document)
async def got_more_photo(
    message: Message,
    bot: Bot,
    state: FSMContext,
    session: AsyncSession,
    user: User,
    clock: Clock,
    locale: str,
) -> None:
    picture = await _picture(message, bot)
    if picture is None:
        await message.answer(_not_a_picture(message, locale))
        return
    purchase_id = int((await state.get_data()).get("om_id", 0))
    await state.clear()
    await outside.add_photo(
        session, user, file_id=picture[0], data=picture[1], purchase_id=purchase_id, now=clock()
    )
    await message.answer(screens.submitted(purchase_id), reply_markup=kb.main_menu())


# Registered last: anything else while the report waits for an answer.
@routes.message(StateFilter(OutsideForm, MorePhoto), ~F.text.startswith("/"), F.text != kb.CANCEL)
async def answer_expected(message: Message, state: FSMContext) -> None:
    current = await state.get_state()
    if current in (OutsideForm.photos.state, MorePhoto.photo.state):
        await message.answer(screens.ask_photos())
        return
    await message.answer(screens.answer_expected())
