"""/produk: the owner's products (paginated), editing one, and the add-product conversation.

The conversation keeps what was typed in the FSM data only; the product is written once, on
"Save". Cancel (the button, /batal, or leaving with /toko or /produk) leaves nothing behind.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from aiogram import F, Router
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import (
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    Message,
    ReplyKeyboardMarkup,
)
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import lazy_gettext as __
from aiogram.utils.keyboard import InlineKeyboardBuilder
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.settings import Settings
from handlers.catalog import visible_length
from views.refusals import describe
from handlers.shop import not_a_merchant_text, shop_chooser
from handlers.ui import alert, show
from models import Category, MemberRole, User
from services import products
from services.categories import list_categories
from services.errors import Refusal, ServiceError
from services.shop import my_shops
from views import keyboards as kb
from views.callbacks import ManageProductCb, NewProductCb, ProductCb, ShopCb, ShopProductsCb
from views.format import CAPTION_LIMIT, TEXT_LIMIT, button_text, esc, money, shorten

router = Router(name="shop_products")

SKIP = __("⏭️ Skip")


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


class EditProduct(StatesGroup):
    value = State()
    photo = State()


def skip_keyboard() -> ReplyKeyboardMarkup:
    return ReplyKeyboardMarkup(
        keyboard=[[KeyboardButton(text=str(SKIP)), KeyboardButton(text=str(kb.CANCEL))]],
        resize_keyboard=True,
    )


def _try_again(exc: ServiceError) -> str:
    return describe(exc) + "\n" + _("Please try again, or tap Cancel.")


def photo_as_file_text() -> str:
    return _(
        "This picture came as a <b>file</b>. Please send it as a <b>photo</b> (in the 📎 "
        "menu choose Photo or Gallery, not File), so that it shows in the catalog."
    )


# --- product list --------------------------------------------------------------------------


def _flags(product, threshold: int) -> str:  # noqa: ANN001
    flags = []
    if not product.is_active:
        flags.append(_("🙈 hidden"))
    if product.stock <= 0:
        flags.append(_("❌ sold out"))
    elif product.stock <= threshold:
        flags.append(_("⚠️ low stock"))
    return (" · " + " · ".join(flags)) if flags else ""


async def products_screen(
    session: AsyncSession, user: User, merchant_id: int, page: int, locale: str, settings: Settings
) -> tuple[str, InlineKeyboardMarkup]:
    result = await products.shop_products(
        session, user, merchant_id, page=page, page_size=settings.page_size
    )
    lines = [
        _("📦 <b>Products of {shop}</b> ({total})").format(
            shop=esc(result.merchant.name), total=result.total
        )
    ]
    builder = InlineKeyboardBuilder()
    if not result.items:
        lines.append(_("No products yet. Add the first one!"))
    for product in result.items:
        lines.append(
            _("• {name} — {price} / {unit} · stock {stock}").format(
                name=esc(product.name),
                price=money(product.price, locale),
                unit=esc(product.unit),
                stock=product.stock,
            )
            + _flags(product, result.low_stock_threshold)
        )
        builder.row(
            InlineKeyboardButton(
                text=button_text(product.name), callback_data=ManageProductCb(id=product.id).pack()
            )
        )
    kb.pager(builder, result.page, result.pages, lambda p: ShopProductsCb(m=merchant_id, page=p))
    builder.row(
        InlineKeyboardButton(
            text=_("➕ Add product"),
            callback_data=NewProductCb(action="start", m=merchant_id).pack(),
        ),
        InlineKeyboardButton(text=_("⬅️ My shop"), callback_data=ShopCb(m=merchant_id).pack()),
    )
    return shorten("\n".join(lines), TEXT_LIMIT), builder.as_markup()


@router.message(Command("produk", "products"))
async def produk_command(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    user: User,
    locale: str,
    settings: Settings,
) -> None:
    await state.clear()
    shops = [(m, role) for m, role in await my_shops(session, user)]
    if not shops:
        await message.answer(not_a_merchant_text(), reply_markup=kb.main_menu())
        return
    owned = [(m, role) for m, role in shops if role == MemberRole.OWNER]
    if not owned:
        await message.answer(describe(ServiceError(Refusal.OWNER_ONLY)), reply_markup=kb.main_menu())
        return
    if len(owned) > 1:
        await message.answer(
            _("Which shop?"), reply_markup=shop_chooser(owned, lambda m: ShopProductsCb(m=m))
        )
        return
    text, markup = await products_screen(session, user, owned[0][0].id, 0, locale, settings)
    await message.answer(text, reply_markup=markup)


@router.callback_query(ShopProductsCb.filter())
async def products_page(
    callback: CallbackQuery,
    callback_data: ShopProductsCb,
    session: AsyncSession,
    user: User,
    locale: str,
    settings: Settings,
    callback_answer: CallbackAnswer,
) -> None:
    try:
        text, markup = await products_screen(
            session, user, callback_data.m, callback_data.page, locale, settings
        )
    except ServiceError as exc:
        alert(callback_answer, describe(exc))
        return
    await show(callback, text, markup)


# --- one product ---------------------------------------------------------------------------


def manage_screen(item: products.ManagedProduct, locale: str) -> tuple[str, InlineKeyboardMarkup]:
    product = item.product
    category = item.category.name_en if locale == "en" else item.category.name_id
    lines = [
        f"<b>{esc(product.name)}</b>",
        _("💰 {price} / {unit}").format(
            price=money(product.price, locale), unit=esc(product.unit)
        ),
        _("📦 Stock: {stock}").format(stock=product.stock)
        + _flags(product, item.merchant.low_stock_threshold),
        _("🏷️ {category}").format(category=esc(category)),
    ]
    if product.name_en:
        lines.append(_("🇬🇧 {name}").format(name=esc(product.name_en)))
    lines.append(_("🖼 Photo: yes") if product.photo else _("🖼 Photo: none"))
    lines.append(_("👁 Shown to buyers") if product.is_active else _("🙈 Hidden from buyers"))
    if product.description:
        lines.append("")
        lines.append(esc(shorten(product.description, 600)))
    if item.open_orders:
        lines.append("")
        lines.append(_("In {n} open order(s).").format(n=item.open_orders))
    pid = product.id

    def button(text: str, action: str) -> InlineKeyboardButton:
        return InlineKeyboardButton(
            text=text, callback_data=ManageProductCb(id=pid, action=action).pack()
        )

    builder = InlineKeyboardBuilder()
    builder.row(button(_("💰 Price"), "price"), button(_("📦 Stock"), "stock"))
    builder.row(button(_("📝 Description"), "description"), button(_("🖼 Photo"), "photo"))
    builder.row(
        button(_("🙈 Hide"), "hide") if product.is_active else button(_("👁 Show"), "show"),
        button(_("🗑 Delete"), "delete"),
    )
    builder.row(
        InlineKeyboardButton(
            text=_("⬅️ Products"), callback_data=ShopProductsCb(m=product.merchant_id).pack()
        )
    )
    return shorten("\n".join(lines), TEXT_LIMIT), builder.as_markup()


async def _send_manage(
    message: Message, session: AsyncSession, user: User, product_id: int, locale: str
) -> None:
    item = await products.managed_product(session, user, product_id)
    text, markup = manage_screen(item, locale)
    await message.answer(text, reply_markup=markup)


EDIT_PROMPTS: dict[str, Callable[[], str]] = {
    "price": lambda: _("Type the new price, e.g. 25000, 25.000, 25rb or Rp 25.000."),
    "stock": lambda: _("Type the new stock (a whole number; 0 means sold out)."),
    "description": lambda: _("Type the new description (at most 3000 characters)."),
}


@router.callback_query(ManageProductCb.filter())
async def manage_product(
    callback: CallbackQuery,
    callback_data: ManageProductCb,
    state: FSMContext,
    session: AsyncSession,
    user: User,
    locale: str,
    callback_answer: CallbackAnswer,
    clock: Callable[[], datetime],
) -> None:
    action, pid = callback_data.action, callback_data.id
    try:
        if action in ("hide", "show"):
            await products.set_visible(session, user, pid, action == "show", now=clock())
            callback_answer.text = (
                _("Shown to buyers again.") if action == "show" else _("Hidden from buyers.")
            )
        elif action == "delete_ok":
            product = await products.delete_product(session, user, pid, now=clock())
            builder = InlineKeyboardBuilder()
            builder.button(
                text=_("⬅️ Products"), callback_data=ShopProductsCb(m=product.merchant_id)
            )
            await show(
                callback,
                _("🗑 {name} was deleted. Past orders keep it.").format(name=esc(product.name)),
                builder.as_markup(),
            )
            return
        item = await products.managed_product(session, user, pid)
    except ServiceError as exc:
        alert(callback_answer, describe(exc))
        return
    if action in EDIT_PROMPTS:
        await state.set_state(EditProduct.value)
        await state.update_data(edit_product=pid, edit_field=action)
        await callback.message.answer(
            _("✏️ <b>{name}</b>").format(name=esc(item.product.name))
            + "\n"
            + EDIT_PROMPTS[action](),
            reply_markup=kb.cancel_keyboard(),
        )
        return
    if action == "photo":
        await state.set_state(EditProduct.photo)
        await state.update_data(edit_product=pid, edit_field="photo")
        await callback.message.answer(
            _("🖼 Send the new photo of <b>{name}</b> (as a photo, not as a file).").format(
                name=esc(item.product.name)
            ),
            reply_markup=kb.cancel_keyboard(),
        )
        return
    if action == "delete":
        if item.open_orders:
            alert(
                callback_answer,
                describe(ServiceError(Refusal.PRODUCT_IN_OPEN_ORDER, orders=item.open_orders)),
            )
            return
        builder = InlineKeyboardBuilder()
        builder.button(
            text=_("🗑 Yes, delete it"), callback_data=ManageProductCb(id=pid, action="delete_ok")
        )
        builder.button(text=_("⬅️ No, keep it"), callback_data=ManageProductCb(id=pid))
        builder.adjust(1)
        await show(
            callback,
            _(
                "Delete <b>{name}</b>? It disappears from the catalog, search and carts. "
                "Past orders keep their lines. To take it offline for a while, hide it instead."
            ).format(name=esc(item.product.name)),
            builder.as_markup(),
        )
        return
    await show(callback, *manage_screen(item, locale))


@router.message(EditProduct.value, F.text, ~F.text.startswith("/"), F.text != kb.CANCEL)
async def edit_value(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    user: User,
    locale: str,
    clock: Callable[[], datetime],
) -> None:
    data = await state.get_data()
    try:
        await products.update_product(
            session, user, data["edit_product"], data["edit_field"], message.text, now=clock()
        )
    except ServiceError as exc:
        if exc.code in (Refusal.FORBIDDEN, Refusal.OWNER_ONLY, Refusal.PRODUCT_NOT_FOUND, Refusal.MERCHANT_SUSPENDED):
            await state.clear()
            await message.answer(describe(exc), reply_markup=kb.main_menu())
            return
        await message.answer(_try_again(exc))
        return
    await state.clear()
    await message.answer(_("✅ Saved."), reply_markup=kb.main_menu())
    await _send_manage(message, session, user, data["edit_product"], locale)


@router.message(StateFilter(EditProduct.value), ~F.text)
async def edit_value_not_text(message: Message) -> None:
    await message.answer(_("Please type it as text, or tap Cancel."))


@router.message(EditProduct.photo, F.photo)
async def edit_photo(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    user: User,
    locale: str,
    clock: Callable[[], datetime],
) -> None:
    data = await state.get_data()
    try:
        await products.update_product(
            session, user, data["edit_product"], "photo", message.photo[-1].file_id, now=clock()
        )
    except ServiceError as exc:
        await state.clear()
        await message.answer(describe(exc), reply_markup=kb.main_menu())
        return
    await state.clear()
    await message.answer(_("✅ Photo replaced."), reply_markup=kb.main_menu())
    await _send_manage(message, session, user, data["edit_product"], locale)


@router.message(EditProduct.photo, F.document)
async def edit_photo_as_file(message: Message) -> None:
    await message.answer(photo_as_file_text())


@router.message(StateFilter(EditProduct.photo), F.text != kb.CANCEL)
async def edit_photo_expected(message: Message) -> None:
    await message.answer(_("Please send a photo, or tap Cancel."))


# --- adding a product ----------------------------------------------------------------------


async def _draft(state: FSMContext) -> dict[str, Any]:
    return dict((await state.get_data()).get("new_product") or {})


async def _save_draft(state: FSMContext, **values: Any) -> dict[str, Any]:
    draft = await _draft(state)
    draft.update(values)
    await state.update_data(new_product=draft)
    return draft


@router.callback_query(NewProductCb.filter(F.action == "start"))
async def new_product_start(
    callback: CallbackQuery,
    callback_data: NewProductCb,
    state: FSMContext,
    session: AsyncSession,
    user: User,
    callback_answer: CallbackAnswer,
) -> None:
    try:
        merchant, _role = await products.require_member(
            session, user, callback_data.m, owner=True, active=True
        )
    except ServiceError as exc:
        alert(callback_answer, describe(exc))
        return
    await state.set_state(NewProduct.name)
    await state.update_data(new_product={"m": merchant.id})
    await callback.message.answer(
        _(
            "➕ <b>New product for {shop}</b>\n\nWhat is it called? Type the name, e.g. "
            "<i>Keripik Tempe Original 250 g</i>.\n\nTap Cancel at any time: nothing is saved "
            "until you confirm at the end."
        ).format(shop=esc(merchant.name)),
        reply_markup=kb.cancel_keyboard(),
    )


def _text_step(state_: State):  # noqa: ANN202
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
        value = parse(message.text)
    except ServiceError as exc:
        await message.answer(_try_again(exc))
        return
    await _save_draft(state, **{field: value})
    await state.set_state(next_step)
    await message.answer(question, reply_markup=reply_markup)


@router.message(*_text_step(NewProduct.name))
async def np_name(
    message: Message, state: FSMContext, session: AsyncSession, user: User, locale: str
) -> None:
    draft = await _draft(state)
    try:
        name = await products.check_new_name(session, user, draft.get("m", 0), message.text)
    except ServiceError as exc:
        await message.answer(_try_again(exc))
        return
    await _save_draft(state, name=name)
    await state.set_state(NewProduct.category)
    builder = InlineKeyboardBuilder()
    for category in await list_categories(session):
        label = category.name_en if locale == "en" else category.name_id
        builder.button(
            text=f"{category.emoji} {label}".strip(),
            callback_data=NewProductCb(action="cat", id=category.id),
        )
    builder.adjust(2)
    await message.answer(
        _("Which category is <b>{name}</b> in?").format(name=esc(name)),
        reply_markup=builder.as_markup(),
    )


@router.callback_query(NewProduct.category, NewProductCb.filter(F.action == "cat"))
async def np_category(
    callback: CallbackQuery,
    callback_data: NewProductCb,
    state: FSMContext,
    session: AsyncSession,
    locale: str,
    callback_answer: CallbackAnswer,
) -> None:
    category = await session.get(Category, callback_data.id)
    if category is None:
        alert(callback_answer, describe(ServiceError(Refusal.CATEGORY_NOT_FOUND)))
        return
    await _save_draft(state, category_id=category.id)
    await state.set_state(NewProduct.price)
    name = category.name_en if locale == "en" else category.name_id
    await callback.message.answer(
        _(
            "🏷️ {category}\n\nWhat is the price in rupiah? e.g. 25000, 25.000, 25rb or Rp 25.000."
        ).format(category=esc(name)),
        reply_markup=kb.cancel_keyboard(),
    )


@router.message(StateFilter(NewProduct.category), F.text != kb.CANCEL)
async def np_category_expected(message: Message) -> None:
    await message.answer(_("Please choose the category with the buttons above."))


@router.message(*_text_step(NewProduct.price))
async def np_price(message: Message, state: FSMContext) -> None:
    await _answer_step(
        message,
        state,
        products.parse_price,
        "price",
        NewProduct.unit,
        _("Per which unit is that price? e.g. pcs, bungkus, botol, kg."),
    )


@router.message(*_text_step(NewProduct.unit))
async def np_unit(message: Message, state: FSMContext) -> None:
    await _answer_step(
        message,
        state,
        products.parse_unit,
        "unit",
        NewProduct.stock,
        _("How many are in stock? Type a whole number (0 means sold out)."),
    )


@router.message(*_text_step(NewProduct.stock))
async def np_stock(message: Message, state: FSMContext) -> None:
    await _answer_step(
        message,
        state,
        products.parse_stock,
        "stock",
        NewProduct.description,
        _("Describe the product for buyers (at most 3000 characters), or tap Skip."),
        skip_keyboard(),
    )


@router.message(*_text_step(NewProduct.description))
async def np_description(message: Message, state: FSMContext) -> None:
    await _answer_step(
        message,
        state,
        lambda text: products.parse_description("" if text == SKIP else text),
        "description",
        NewProduct.name_en,
        _(
            "Optional, for visitors from abroad: the product's name in English. Type it, or "
            "tap Skip."
        ),
        skip_keyboard(),
    )


@router.message(*_text_step(NewProduct.name_en))
async def np_name_en(message: Message, state: FSMContext) -> None:
    try:
        name_en = None if message.text == SKIP else products.parse_name(message.text)
    except ServiceError as exc:
        await message.answer(_try_again(exc))
        return
    await _save_draft(state, name_en=name_en)
    if name_en is None:
        await _ask_photo(message, state)
        return
    await state.set_state(NewProduct.description_en)
    await message.answer(
        _("And the description in English? Type it, or tap Skip."), reply_markup=skip_keyboard()
    )


@router.message(*_text_step(NewProduct.description_en))
async def np_description_en(message: Message, state: FSMContext) -> None:
    text = "" if message.text == SKIP else message.text
    try:
        description_en = products.parse_description(text) or None
    except ServiceError as exc:
        await message.answer(_try_again(exc))
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
        reply_markup=skip_keyboard(),
    )


@router.message(NewProduct.photo, F.photo)
async def np_photo(
    message: Message, state: FSMContext, session: AsyncSession, locale: str
) -> None:
    await _save_draft(state, photo=message.photo[-1].file_id)
    await _preview(message, state, session, locale)


@router.message(NewProduct.photo, F.text == SKIP)
async def np_photo_skip(
    message: Message, state: FSMContext, session: AsyncSession, locale: str
) -> None:
    await _save_draft(state, photo=None)
    await _preview(message, state, session, locale)


@router.message(NewProduct.photo, F.document)
async def np_photo_as_file(message: Message) -> None:
    await message.answer(photo_as_file_text(), reply_markup=skip_keyboard())


# Every other step: a photo, a sticker, a file... where text is expected.
@router.message(
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


@router.message(StateFilter(NewProduct.photo), F.text != kb.CANCEL)
async def np_photo_expected(message: Message) -> None:
    await message.answer(
        _("Please send a photo of the product, or tap Skip."), reply_markup=skip_keyboard()
    )


def preview_text(draft: dict[str, Any], category: Category | None, locale: str, limit: int):
    category_name = ""
    if category is not None:
        category_name = category.name_en if locale == "en" else category.name_id
    head = _(
        "👀 <b>Preview</b> — this is how buyers will see it:\n\n<b>{name}</b>\n"
        "💰 {price} / {unit}\n📦 Stock: {stock}\n🏷️ {category}"
    ).format(
        name=esc(draft["name"]),
        price=money(draft["price"], locale),
        unit=esc(draft["unit"]),
        stock=draft["stock"],
        category=esc(category_name),
    )
    if draft.get("name_en"):
        head += "\n🇬🇧 " + esc(draft["name_en"])
    tail = "\n\n" + _("Save it?")
    description = draft.get("description") or ""
    body = ""
    if description:
        budget = limit - visible_length(head + tail) - 4
        body = "\n\n" + esc(shorten(description, max(0, budget)))
    return head + body + tail


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
    builder = InlineKeyboardBuilder()
    builder.button(text=_("✅ Save"), callback_data=NewProductCb(action="save"))
    builder.button(text=_("✖️ Cancel"), callback_data=NewProductCb(action="cancel"))
    builder.adjust(2)
    await message.answer(_("Almost done."), reply_markup=kb.cancel_keyboard())
    if draft.get("photo"):
        await message.answer_photo(
            draft["photo"],
            caption=preview_text(draft, category, locale, CAPTION_LIMIT),
            reply_markup=builder.as_markup(),
        )
    else:
        await message.answer(
            preview_text(draft, category, locale, TEXT_LIMIT), reply_markup=builder.as_markup()
        )


@router.message(StateFilter(NewProduct.preview), F.text != kb.CANCEL)
async def np_preview_expected(message: Message) -> None:
    await message.answer(_("Tap ✅ Save under the preview, or Cancel."))


@router.callback_query(NewProduct.preview, NewProductCb.filter(F.action == "save"))
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
    await callback.message.edit_reply_markup(reply_markup=None)
    builder = InlineKeyboardBuilder()
    builder.button(
        text=_("👁 See it as buyers do"), callback_data=ProductCb(id=product.id, src="d")
    )
    builder.button(text=_("⚙️ Manage it"), callback_data=ManageProductCb(id=product.id))
    builder.button(
        text=_("➕ Add another"), callback_data=NewProductCb(action="start", m=product.merchant_id)
    )
    builder.adjust(1)
    await callback.message.answer(
        _(
            "✅ <b>{name}</b> is in your shop now: buyers find it in the catalog and in search."
        ).format(name=esc(product.name)),
        reply_markup=kb.main_menu(),
    )
    await callback.message.answer(_("What next?"), reply_markup=builder.as_markup())


@router.callback_query(NewProductCb.filter(F.action == "cancel"))
async def np_cancel(callback: CallbackQuery, state: FSMContext) -> None:
    await state.clear()
    if isinstance(callback.message, Message):
        await callback.message.edit_reply_markup(reply_markup=None)
        await callback.message.answer(
            _("Cancelled. Nothing was saved."), reply_markup=kb.main_menu()
        )
