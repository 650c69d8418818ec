"""Last resort: buttons nobody handles (old, forged or from an older version) and odd messages.

Every callback query gets an answer, so no button ever leaves a spinning clock.
"""

from __future__ import annotations

from aiogram import Router
from aiogram.types import CallbackQuery, Message
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.i18n import gettext as _

from handlers.ui import alert
from views import keyboards as kb

router = Router(name="fallback")


@router.callback_query()
async def stale_button(callback: CallbackQuery, callback_answer: CallbackAnswer) -> None:
    alert(callback_answer, _("This button is no longer valid. Please open the menu again."))


@router.message()
async def unexpected_message(message: Message) -> None:
    await message.answer(
        _("I can't use this here. Type what you are looking for, or use the menu below."),
        reply_markup=kb.main_menu(),
    )
