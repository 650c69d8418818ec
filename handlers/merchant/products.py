"""/produk: the owner's products (paginated), and editing one (price, stock, description,
photo, hide/show, delete). Adding a product is `handlers.merchant.new_product`."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from aiogram import F
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.i18n import gettext as _
from sqlmodel.ext.asyncio.session import AsyncSession

from handlers.routes import Routes
from handlers.ui import show, toast
from models import MemberRole, User
from services import products
from services.errors import Refusal, ServiceError
from services.policy import Policy
from services.shop import my_shops
from views import keyboards as kb
from views import products as screens
from views.callbacks import ManageProductCb, ShopProductsCb
from views.format import esc
from views.refusals import describe, describe_in_flow
from views.shop import not_a_merchant_text, shop_chooser

routes = Routes("products")

# Refusals after which editing cannot go on: the conversation ends.
_FINAL = (
    Refusal.FORBIDDEN,
    Refusal.OWNER_ONLY,
    Refusal.PRODUCT_NOT_FOUND,
    Refusal.MERCHANT_SUSPENDED,
)


class EditProduct(StatesGroup):
    value = State()
    photo = State()


async def _list(
    session: AsyncSession, user: User, merchant_id: int, page: int, locale: str, policy: Policy
) -> tuple[str, InlineKeyboardMarkup]:
    result = await products.shop_products(
        session, user, merchant_id, page=page, page_size=policy.page_size
    )
    return screens.products_screen(result, locale)


@routes.message(Command("produk", "products"))
@routes.message(F.text == kb.MENU_PRODUCTS)
async def produk_command(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    user: User,
    locale: str,
    policy: Policy,
) -> None:
    await state.clear()
    shops = await my_shops(session, user)
    if not shops:
        await message.answer(not_a_merchant_text(), reply_markup=kb.main_menu())
        return
    owned = [(m, role) for m, role in shops if role == MemberRole.OWNER]
    if not owned:
        await message.answer(
            describe(ServiceError(Refusal.OWNER_ONLY)), reply_markup=kb.main_menu()
        )
        return
    if len(owned) > 1:
        await message.answer(
            _("Which shop?"), reply_markup=shop_chooser(owned, lambda m: ShopProductsCb(m=m))
        )
        return
    text, markup = await _list(session, user, owned[0][0].id or 0, 0, locale, policy)
    await message.answer(text, reply_markup=markup)


@routes.callback_query(ShopProductsCb.filter())
async def products_page(
    callback: CallbackQuery,
    callback_data: ShopProductsCb,
    session: AsyncSession,
    user: User,
    locale: str,
    policy: Policy,
) -> None:
    text, markup = await _list(session, user, callback_data.m, callback_data.page, locale, policy)
    await show(callback, text, markup)


async def _send_manage(
    message: Message, session: AsyncSession, user: User, product_id: int, locale: str
) -> None:
    item = await products.managed_product(session, user, product_id)
    text, markup = screens.manage_screen(item, locale)
    await message.answer(text, reply_markup=markup)


@routes.callback_query(ManageProductCb.filter())
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
    if action in ("hide", "show"):
        await products.set_visible(session, user, pid, action == "show", now=clock())
        toast(
            callback_answer,
            _("Shown to buyers again.") if action == "show" else _("Hidden from buyers."),
        )
    elif action == "delete_ok":
        product = await products.delete_product(session, user, pid, now=clock())
        await show(callback, *screens.deleted_screen(product))
        return
    item = await products.managed_product(session, user, pid)
    message = callback.message if isinstance(callback.message, Message) else None
    if action in screens.EDIT_PROMPTS and message is not None:
        await state.set_state(EditProduct.value)
        await state.update_data(edit_product=pid, edit_field=action)
        await message.answer(
            _("✏️ <b>{name}</b>").format(name=esc(item.product.name))
            + "\n"
            + screens.EDIT_PROMPTS[action](),
            reply_markup=kb.cancel_keyboard(),
        )
    elif action == "photo" and message is not None:
        await state.set_state(EditProduct.photo)
        await state.update_data(edit_product=pid, edit_field="photo")
        await message.answer(
            _("🖼 Send the new photo of <b>{name}</b> (as a photo, not as a file).").format(
                name=esc(item.product.name)
            ),
            reply_markup=kb.cancel_keyboard(),
        )
    elif action == "delete":
        if item.open_orders:
            raise ServiceError(Refusal.PRODUCT_IN_OPEN_ORDER, orders=item.open_orders)
        await show(callback, *screens.delete_confirm_screen(item.product))
    else:
        await show(callback, *screens.manage_screen(item, locale))


@routes.message(EditProduct.value, F.text, ~F.text.startswith("/"), F.text != kb.CANCEL)
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
            session, user, data["edit_product"], data["edit_field"], message.text or "",
            now=clock(),
        )  # fmt: skip
    except ServiceError as exc:
        if exc.code in _FINAL:
            await state.clear()
            await message.answer(describe(exc), reply_markup=kb.main_menu())
            return
        await message.answer(describe_in_flow(exc))
        return
    await state.clear()
    await message.answer(_("✅ Saved."), reply_markup=kb.main_menu())
    await _send_manage(message, session, user, data["edit_product"], locale)


@routes.message(StateFilter(EditProduct.value), ~F.text)
async def edit_value_not_text(message: Message) -> None:
    await message.answer(_("Please type it as text, or tap Cancel."))


@routes.message(EditProduct.photo, F.photo)
async def edit_photo(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    user: User,
    locale: str,
    clock: Callable[[], datetime],
) -> None:
    data = await state.get_data()
    assert message.photo is not None
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


@routes.message(EditProduct.photo, F.document)
async def edit_photo_as_file(message: Message) -> None:
    await message.answer(screens.photo_as_file_text())


@routes.message(StateFilter(EditProduct.photo), F.text != kb.CANCEL)
async def edit_photo_expected(message: Message) -> None:
    await message.answer(_("Please send a photo, or tap Cancel."))
