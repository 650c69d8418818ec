"""Adding a product: a guided conversation (name, category, price, unit, stock, description,
English name and description, photo), a preview, then Save.

What was typed is kept in the FSM data only; the product is written once, on "Save". Cancel
(the button, /batal, or leaving with /toko or /produk) leaves nothing behind.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from aiogram import F
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.i18n import gettext as _
from sqlmodel.ext.asyncio.session import AsyncSession

from handlers.routes import Routes
from handlers.ui import alert
from models import Category, User
from services import products
from services.categories import list_categories
from services.errors import NotFound, Refusal, ServiceError
from views import keyboards as kb
from views import products as screens
from views.callbacks import NewProductCb
from views.format import CAPTION_LIMIT, TEXT_LIMIT, esc
from views.refusals import describe, describe_in_flow

routes = Routes("new_product")


class NewProduct(StatesGroup):
    name = State()
    category = State()
    price = State()
    unit = State()
    stock = State()
    description = State()
    name_en = State()
    description_en = State()
    photo = State()
    preview = State()


async def _draft(state: FSMContext) -> dict[str, Any]:
    return dict((await state.get_data()).get("new_product") or {})


async def _save_draft(state: FSMContext, **values: Any) -> dict[str, Any]:
    draft = await _draft(state)
    draft.update(values)
    await state.update_data(new_product=draft)
    return draft


@routes.callback_query(NewProductCb.filter(F.action == "start"))
async def new_product_start(
    callback: CallbackQuery,
    callback_data: NewProductCb,
    state: FSMContext,
    session: AsyncSession,
    user: User,
) -> None:
    merchant, _role = await products.require_member(
        session, user, callback_data.m, owner=True, active=True
    )
    await state.set_state(NewProduct.name)
    await state.update_data(new_product={"m": merchant.id})
    if not isinstance(callback.message, Message):
        return
    await callback.message.answer(
        _(
            "➕ <b>New product for {shop}</b>\n\nWhat is it called? Type the name, e.g. "
            "<i>Keripik Tempe Original 250 g</i>.\n\nTap Cancel at any time: nothing is saved "
            "until you confirm at the end."
        ).format(shop=esc(merchant.name)),
        reply_markup=kb.cancel_keyboard(),
    )


def _text_step(state_: State) -> tuple[Any, ...]:
    """Filter for a typed answer in a step (commands and Cancel are handled elsewhere)."""
    return (state_, F.text, ~F.text.startswith("/"), F.text != kb.CANCEL)


async def _answer_step(
    message: Message,
    state: FSMContext,
    parse: Callable[[str], Any],
    field: str,
    next_step: State,
    question: str,
    reply_markup: Any = None,
) -> None:
    """A typed answer: parsed into the draft and on to the next question, or asked again."""
    try:
        value = parse(message.text or "")
    except ServiceError as exc:
        await message.answer(describe_in_flow(exc))
        return
    await _save_draft(state, **{field: value})
    await state.set_state(next_step)
    await message.answer(question, reply_markup=reply_markup)


@routes.message(*_text_step(NewProduct.name))
async def np_name(
    message: Message, state: FSMContext, session: AsyncSession, user: User, locale: str
) -> None:
    draft = await _draft(state)
    try:
        name = await products.check_new_name(session, user, draft.get("m", 0), message.text or "")
    except ServiceError as exc:
        await message.answer(describe_in_flow(exc))
        return
    await _save_draft(state, name=name)
    await state.set_state(NewProduct.category)
    text, markup = screens.category_chooser(name, await list_categories(session), locale)
    await message.answer(text, reply_markup=markup)


@routes.callback_query(NewProduct.category, NewProductCb.filter(F.action == "cat"))
async def np_category(
    callback: CallbackQuery,
    callback_data: NewProductCb,
    state: FSMContext,
    session: AsyncSession,
    locale: str,
) -> None:
    category = await session.get(Category, callback_data.id)
    if category is None:
        raise NotFound(Refusal.CATEGORY_NOT_FOUND)
    await _save_draft(state, category_id=category.id)
    await state.set_state(NewProduct.price)
    name = category.name_en if locale == "en" else category.name_id
    if not isinstance(callback.message, Message):
        return
    await callback.message.answer(
        _(
            "🏷️ {category}\n\nWhat is the price in rupiah? e.g. 25000, 25.000, 25rb or Rp 25.000."
        ).format(category=esc(name)),
        reply_markup=kb.cancel_keyboard(),
    )


@routes.message(StateFilter(NewProduct.category), F.text != kb.CANCEL)
async def np_category_expected(message: Message) -> None:
    await message.answer(_("Please choose the category with the buttons above."))


@routes.message(*_text_step(NewProduct.price))
async def np_price(message: Message, state: FSMContext) -> None:
    await _answer_step(
        message,
        state,
        products.parse_price,
        "price",
        NewProduct.unit,
        _("Per which unit is that price? e.g. pcs, bungkus, botol, kg."),
    )


@routes.message(*_text_step(NewProduct.unit))
async def np_unit(message: Message, state: FSMContext) -> None:
    await _answer_step(
        message,
        state,
        products.parse_unit,
        "unit",
        NewProduct.stock,
        _("How many are in stock? Type a whole number (0 means sold out)."),
    )


@routes.message(*_text_step(NewProduct.stock))
async def np_stock(message: Message, state: FSMContext) -> None:
    await _answer_step(
        message,
        state,
        products.parse_stock,
        "stock",
        NewProduct.description,
        _("Describe the product for buyers (at most 3000 characters), or tap Skip."),
        screens.skip_keyboard(),
    )


@routes.message(*_text_step(NewProduct.description))
async def np_description(message: Message, state: FSMContext) -> None:
    await _answer_step(
        message,
        state,
        lambda text: products.parse_description("" if text == screens.SKIP else text),
        "description",
        NewProduct.name_en,
        _(
            "Optional, for visitors from abroad: the product's name in English. Type it, or "
            "tap Skip."
        ),
        screens.skip_keyboard(),
    )


@routes.message(*_text_step(NewProduct.name_en))
async def np_name_en(message: Message, state: FSMContext) -> None:
    try:
        name_en = None if message.text == screens.SKIP else products.parse_name(message.text or "")
    except ServiceError as exc:
        await message.answer(describe_in_flow(exc))
        return
    await _save_draft(state, name_en=name_en)
    if name_en is None:
        await _ask_photo(message, state)
        return
    await state.set_state(NewProduct.description_en)
    await message.answer(
        _("And the description in English? Type it, or tap Skip."),
        reply_markup=screens.skip_keyboard(),
    )


@routes.message(*_text_step(NewProduct.description_en))
async def np_description_en(message: Message, state: FSMContext) -> None:
    text = "" if message.text == screens.SKIP else message.text or ""
    try:
        description_en = products.parse_description(text) or None
    except ServiceError as exc:
        await message.answer(describe_in_flow(exc))
        return
    await _save_draft(state, description_en=description_en)
    await _ask_photo(message, state)


async def _ask_photo(message: Message, state: FSMContext) -> None:
    await state.set_state(NewProduct.photo)
    await message.answer(
        _(
            "Last step: send a photo of the product (as a photo, not as a file), or tap Skip. "
            "Products with a good photo sell better."
        ),
        reply_markup=screens.skip_keyboard(),
    )


@routes.message(NewProduct.photo, F.photo)
async def np_photo(
    message: Message, state: FSMContext, session: AsyncSession, locale: str
) -> None:
    assert message.photo is not None
    await _save_draft(state, photo=message.photo[-1].file_id)
    await _preview(message, state, session, locale)


@routes.message(NewProduct.photo, F.text == screens.SKIP)
async def np_photo_skip(
    message: Message, state: FSMContext, session: AsyncSession, locale: str
) -> None:
    await _save_draft(state, photo=None)
    await _preview(message, state, session, locale)


@routes.message(NewProduct.photo, F.document)
async def np_photo_as_file(message: Message) -> None:
    await message.answer(screens.photo_as_file_text(), reply_markup=screens.skip_keyboard())


# Every other step: a photo, a sticker, a file... where text is expected.
@routes.message(
    StateFilter(
        NewProduct.name,
        NewProduct.price,
        NewProduct.unit,
        NewProduct.stock,
        NewProduct.description,
        NewProduct.name_en,
        NewProduct.description_en,
    ),
    ~F.text,
)
async def np_text_expected(message: Message) -> None:
    await message.answer(_("Please type your answer as text, or tap Cancel."))


@routes.message(StateFilter(NewProduct.photo), F.text != kb.CANCEL)
async def np_photo_expected(message: Message) -> None:
    await message.answer(
        _("Please send a photo of the product, or tap Skip."), reply_markup=screens.skip_keyboard()
    )


async def _preview(
    message: Message, state: FSMContext, session: AsyncSession, locale: str
) -> None:
    draft = await _draft(state)
    missing = [k for k in ("m", "name", "category_id", "price", "unit", "stock") if k not in draft]
    if missing:  # the conversation data was lost: start over rather than save half a product
        await state.clear()
        await message.answer(
            _("Sorry, this conversation was interrupted. Please start again."),
            reply_markup=kb.main_menu(),
        )
        return
    await state.set_state(NewProduct.preview)
    category = await session.get(Category, draft["category_id"])
    await message.answer(_("Almost done."), reply_markup=kb.cancel_keyboard())
    if draft.get("photo"):
        await message.answer_photo(
            draft["photo"],
            caption=screens.preview_text(draft, category, locale, CAPTION_LIMIT),
            reply_markup=screens.preview_buttons(),
        )
    else:
        await message.answer(
            screens.preview_text(draft, category, locale, TEXT_LIMIT),
            reply_markup=screens.preview_buttons(),
        )


@routes.message(StateFilter(NewProduct.preview), F.text != kb.CANCEL)
async def np_preview_expected(message: Message) -> None:
    await message.answer(_("Tap ✅ Save under the preview, or Cancel."))


@routes.callback_query(NewProduct.preview, NewProductCb.filter(F.action == "save"))
async def np_save(
    callback: CallbackQuery,
    state: FSMContext,
    session: AsyncSession,
    user: User,
    locale: str,
    callback_answer: CallbackAnswer,
    clock: Callable[[], datetime],
) -> None:
    draft = await _draft(state)
    try:
        product = await products.create_product(
            session,
            user,
            draft["m"],
            products.ProductDraft(
                name=draft["name"],
                category_id=draft["category_id"],
                price=draft["price"],
                unit=draft["unit"],
                stock=draft["stock"],
                description=draft.get("description") or "",
                name_en=draft.get("name_en"),
                description_en=draft.get("description_en"),
                photo=draft.get("photo"),
            ),
            now=clock(),
        )
    except ServiceError as exc:
        alert(callback_answer, describe(exc))
        if not isinstance(callback.message, Message):
            return
        if exc.code != Refusal.NAME_TAKEN:
            await state.clear()
            await callback.message.answer(describe(exc), reply_markup=kb.main_menu())
            return
        await state.set_state(NewProduct.name)
        await callback.message.answer(
            describe(exc) + "\n" + _("Type another name."), reply_markup=kb.cancel_keyboard()
        )
        return
    await state.clear()
    if not isinstance(callback.message, Message):
        return
    await callback.message.edit_reply_markup(reply_markup=None)
    text, markup = screens.saved_screen(product)
    await callback.message.answer(text, reply_markup=kb.main_menu())
    await callback.message.answer(_("What next?"), reply_markup=markup)


@routes.callback_query(NewProductCb.filter(F.action == "cancel"))
async def np_cancel(callback: CallbackQuery, state: FSMContext) -> None:
    await state.clear()
    if isinstance(callback.message, Message):
        await callback.message.edit_reply_markup(reply_markup=None)
        await callback.message.answer(
            _("Cancelled. Nothing was saved."), reply_markup=kb.main_menu()
        )
