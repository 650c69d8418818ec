"""/terjemahan: the translation queue (administrators) and the guided edit of one product."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from aiogram import F
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from sqlmodel.ext.asyncio.session import AsyncSession

from handlers.routes import Routes
from handlers.ui import show
from services import translations
from services.errors import ServiceError
from services.roles import Roles
from views import keyboards as kb
from views import translations as screens
from views.callbacks import TranslateCb
from views.products import SKIP, skip_keyboard
from views.refusals import describe_in_flow

routes = Routes("translations")


class Translate(StatesGroup):
    name = State()
    description = State()


@routes.message(Command("terjemahan", "translations"))
async def queue_command(
    message: Message, state: FSMContext, session: AsyncSession, roles: Roles
) -> None:
    await state.clear()
    text, markup = screens.queue_screen(await translations.queue(session, actor=roles, page=0))
    await message.answer(text, reply_markup=markup)


@routes.callback_query(TranslateCb.filter())
async def queue_button(
    callback: CallbackQuery,
    callback_data: TranslateCb,
    state: FSMContext,
    session: AsyncSession,
    roles: Roles,
) -> None:
    if callback_data.action != "edit":
        page = await translations.queue(session, actor=roles, page=callback_data.id)
        await show(callback, *screens.queue_screen(page))
        return
    item = await translations.queue_item(session, actor=roles, product_id=callback_data.id)
    await state.set_state(Translate.description if item.need == "id" else Translate.name)
    await state.update_data(tr_product=callback_data.id, tr_need=item.need)
    if isinstance(callback.message, Message):
        markup = kb.cancel_keyboard() if item.need == "id" else skip_keyboard()
        await callback.message.answer(screens.edit_intro(item), reply_markup=markup)


@routes.message(Translate.name, F.text, ~F.text.startswith("/"), F.text != kb.CANCEL)
async def got_name(message: Message, state: FSMContext) -> None:
    name = None if message.text == str(SKIP) else message.text
    if name is not None:
        try:
            translations.parse_name(name)
        except ServiceError as exc:
            await message.answer(describe_in_flow(exc))
            return
    await state.update_data(tr_name=name)
    await state.set_state(Translate.description)
    await message.answer(screens.description_prompt(), reply_markup=kb.cancel_keyboard())


@routes.message(Translate.description, F.text, ~F.text.startswith("/"), F.text != kb.CANCEL)
async def got_description(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    roles: Roles,
    clock: Callable[[], datetime],
) -> None:
    data = await state.get_data()
    try:
        await translations.save_translation(
            session, actor=roles, product_id=data["tr_product"], need=data["tr_need"],
            name=data.get("tr_name"), description=message.text or "", now=clock(),
        )  # fmt: skip
    except ServiceError as exc:
        await message.answer(describe_in_flow(exc))
        return
    await state.clear()
    item = await translations.queue_item(session, actor=roles, product_id=data["tr_product"])
    await message.answer(screens.saved_text(item), reply_markup=kb.main_menu(roles))
    text, markup = screens.queue_screen(await translations.queue(session, actor=roles, page=0))
    await message.answer(text, reply_markup=markup)
