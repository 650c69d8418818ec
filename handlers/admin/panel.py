"""/admin: administrators and OPD operators (add, remove), and the audit log.

Administrators only (the router filter); every change goes through services.admins, which
checks the role again and writes the audit log.
"""

from __future__ import annotations

from aiogram import F
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.i18n import gettext as _
from sqlmodel.ext.asyncio.session import AsyncSession

from delivery.menus import refresh_menu
from delivery.notify import notify
from delivery.sender import Sender
from handlers.routes import Routes
from handlers.ui import show, toast
from models import AdminRole
from services import admins
from services.errors import Refusal, ServiceError
from services.ids import MAX_TELEGRAM_ID, parse_id
from services.policy import Policy
from services.roles import Roles
from services.users import find_by_username, get_user, users_by_telegram_id
from views import admin as screens
from views import keyboards as kb
from views.admin import AdminCb
from views.callbacks import AdminHomeCb
from views.refusals import describe

# The panel's "add" buttons and the role each grants.
ADD_ROLES = {
    "add_admin": AdminRole.ADMIN,
    "add_op": AdminRole.OPD_OPERATOR,
    "add_insp": AdminRole.INSPECTORATE,
}

routes = Routes("admin_panel")

AUDIT_ENTRIES = 15


class AdminForm(StatesGroup):
    who = State()
    opd = State()


async def _home(
    session: AsyncSession, roles: Roles, policy: Policy
) -> tuple[str, InlineKeyboardMarkup]:
    accounts = await admins.list_accounts(session, actor=roles)
    people = await users_by_telegram_id(
        session, [*policy.admin_ids, *(a.telegram_id for a in accounts)]
    )
    return screens.home_screen(sorted(policy.admin_ids), accounts, people)


@routes.message(Command("admin"))
async def admin_command(
    message: Message, state: FSMContext, session: AsyncSession, roles: Roles, policy: Policy
) -> None:
    await state.clear()
    text, markup = await _home(session, roles, policy)
    await message.answer(text, reply_markup=markup)


@routes.callback_query(AdminHomeCb.filter(F.action == "admin"))
async def admin_from_home(
    callback: CallbackQuery, state: FSMContext, session: AsyncSession, roles: Roles, policy: Policy
) -> None:
    await state.clear()
    if isinstance(callback.message, Message):
        text, markup = await _home(session, roles, policy)
        await callback.message.answer(text, reply_markup=markup)


@routes.callback_query(AdminCb.filter())
async def admin_callback(
    callback: CallbackQuery,
    callback_data: AdminCb,
    state: FSMContext,
    session: AsyncSession,
    roles: Roles,
    locale: str,
    policy: Policy,
    sender: Sender,
    callback_answer: CallbackAnswer,
) -> None:
    action, arg = callback_data.action, callback_data.arg
    if action == "home":
        await state.clear()
        await show(callback, *await _home(session, roles, policy))
    elif action in ADD_ROLES and isinstance(callback.message, Message):
        roles.require_admin()
        role = ADD_ROLES[action]
        await state.set_state(AdminForm.who)
        await state.update_data(role=role)
        await callback.message.answer(screens.who_prompt(), reply_markup=kb.cancel_keyboard())
    elif action == "rm_list":
        accounts = await admins.list_accounts(session, actor=roles)
        people = await users_by_telegram_id(session, (a.telegram_id for a in accounts))
        await show(
            callback, *screens.remove_list_screen(sorted(policy.admin_ids), accounts, people)
        )
    elif action == "rm":
        await show(callback, *screens.remove_confirm_screen(await get_user(session, arg), arg))
    elif action == "rm_ok":
        await admins.revoke(session, actor=roles, telegram_id=arg, admin_ids=policy.admin_ids)
        former = await get_user(session, arg)
        if former is not None and callback.bot is not None:
            await refresh_menu(callback.bot, session, former, admin_ids=policy.admin_ids)
        toast(callback_answer, _("Removed."))
        await show(callback, *await _home(session, roles, policy))
    elif action == "audit":
        entries = await admins.recent_audit(session, actor=roles, limit=AUDIT_ENTRIES)
        people = await users_by_telegram_id(
            session, (e.actor_telegram_id for e in entries if e.actor_telegram_id is not None)
        )
        await show(callback, *screens.audit_screen(entries, people, locale, policy.tz))
    elif action in ("opd", "opd_page"):
        await _operator_opd(callback, callback_data, state, session, roles, sender, policy)


# --- adding ---------------------------------------------------------------------------------


_TYPED = F.text & ~F.text.startswith("/") & (F.text != kb.CANCEL)


@routes.message(AdminForm.who, F.contact | _TYPED)
async def got_who(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    roles: Roles,
    sender: Sender,
    policy: Policy,
) -> None:
    telegram_id = await _resolve(session, message)
    if telegram_id is None:
        await message.answer(
            _(
                "I don't know that account. Send the Telegram user id (digits), or ask them "
                "to write to this bot first and send their @username."
            )
        )
        return
    data = await state.get_data()
    if data.get("role") == AdminRole.OPD_OPERATOR:
        opds = await admins.known_opds(session)
        if not opds:
            await state.clear()
            await message.answer(
                _("The ASN roster has no OPD yet: import it first."), reply_markup=kb.main_menu()
            )
            return
        await state.set_state(AdminForm.opd)
        await state.update_data(telegram_id=telegram_id, opd_list=opds)
        await message.answer(_("Got it."), reply_markup=kb.main_menu())
        text, markup = screens.opd_choice(opds, 0)
        await message.answer(text, reply_markup=markup)
        return
    role = (
        AdminRole.INSPECTORATE if data.get("role") == AdminRole.INSPECTORATE else AdminRole.ADMIN
    )
    await _grant(
        message, state, session, roles, sender, telegram_id, role, admin_ids=policy.admin_ids,
    )  # fmt: skip


async def _resolve(session: AsyncSession, message: Message) -> int | None:
    if message.contact is not None:
        return message.contact.user_id
    text = (message.text or "").strip()
    if text.isdigit():
        return parse_id(text, maximum=MAX_TELEGRAM_ID)
    if text.startswith("@") or text.replace("_", "").isalnum():
        account = await find_by_username(session, text)
        if account is not None:
            return account.telegram_id
    return None


async def _operator_opd(
    callback: CallbackQuery,
    callback_data: AdminCb,
    state: FSMContext,
    session: AsyncSession,
    roles: Roles,
    sender: Sender,
    policy: Policy,
) -> None:
    data = await state.get_data()
    opds = data.get("opd_list") or []
    if await state.get_state() != AdminForm.opd.state or not opds:
        raise ServiceError(Refusal.OPD_REQUIRED)
    if callback_data.action == "opd_page":
        await show(callback, *screens.opd_choice(opds, callback_data.arg))
        return
    if not 0 <= callback_data.arg < len(opds) or not isinstance(callback.message, Message):
        raise ServiceError(Refusal.OPD_REQUIRED)
    await _grant(
        callback.message, state, session, roles, sender,
        int(data["telegram_id"]), AdminRole.OPD_OPERATOR, opds[callback_data.arg],
        admin_ids=policy.admin_ids, edit=True,
    )  # fmt: skip


async def _grant(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    roles: Roles,
    sender: Sender,
    telegram_id: int,
    role: str,
    opd: str | None = None,
    *,
    admin_ids: frozenset[int],
    edit: bool = False,
) -> None:
    try:
        await admins.grant(session, actor=roles, telegram_id=telegram_id, role=role, opd=opd)
    except ServiceError as exc:
        await state.clear()
        await message.answer(describe(exc), reply_markup=kb.main_menu())
        return
    await state.clear()
    account = await get_user(session, telegram_id)
    text = screens.granted_text(account, telegram_id, role, opd)
    if edit:
        await message.edit_text(text, reply_markup=None)
    else:
        await message.answer(text, reply_markup=kb.main_menu())
    if account is not None and not account.unreachable:
        await notify(sender, account, lambda _locale: (screens.welcome_text(role, opd), None))
        if message.bot is not None:
            await refresh_menu(message.bot, session, account, admin_ids=admin_ids)
