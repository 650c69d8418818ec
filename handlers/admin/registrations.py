"""An administrator decides a registration the roster could not confirm (no phone number on
record for the NIP): approve or reject, and the person is told."""

from __future__ import annotations

from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from sqlmodel.ext.asyncio.session import AsyncSession

from delivery.notify import Markup, notify
from delivery.sender import Sender
from handlers.routes import Routes
from services import registration as reg
from services.roles import Roles
from views import keyboards as kb
from views.callbacks import RegistrationCb
from views.format import esc, fit_html

routes = Routes("registrations")


@routes.callback_query(RegistrationCb.filter())
async def decide(
    callback: CallbackQuery,
    callback_data: RegistrationCb,
    session: AsyncSession,
    roles: Roles,
    sender: Sender,
) -> None:
    decision = await reg.decide_registration(
        session, callback_data.id, actor=roles, approve=callback_data.approve
    )
    verdict = _("✅ Approved") if callback_data.approve else _("❌ Rejected")
    if isinstance(callback.message, Message):
        text = (callback.message.html_text or "") + f"\n\n<b>{verdict}</b>"
        await callback.message.edit_text(fit_html(text), reply_markup=None)
    if not decision.changed:
        return

    def render(_locale: str) -> tuple[str, Markup]:
        if callback_data.approve:
            return (
                _("✅ Your ASN registration was approved. Welcome, <b>{name}</b>!").format(
                    name=esc(decision.roster.name)
                ),
                kb.main_menu(),
            )
        return (
            _(
                "Your ASN registration was not approved. Please contact BKPSDM, or order "
                "as a general buyer."
            ),
            kb.main_menu(),
        )

    await notify(sender, decision.user, render)
