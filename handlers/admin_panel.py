"""/admin: administrators and OPD operators (add, remove), and the audit log.

Every change goes through services.admins, which checks the role and writes the audit log.
"""

from __future__ import annotations

import json

from aiogram import Bot, F, Router
from aiogram.filters import Command
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.settings import Settings
from views.refusals import describe
from handlers.ui import alert, notify, show
from models import AdminRole, User
from services import admins
from services.errors import Refusal, ServiceError
from services.users import find_by_username, get_user
from views import keyboards as kb
from views.format import TEXT_LIMIT, button_text, esc, moment, shorten

router = Router(name="admin_panel")

OPD_PAGE = 8
AUDIT_ENTRIES = 15


class AdminCb(CallbackData, prefix="adm"):
    action: str  # home, add_admin, add_op, rm_list, rm, rm_ok, audit, opd, opd_page
    arg: int = 0


class AdminForm(StatesGroup):
    who = State()
    opd = State()


def _who(account: User | None, telegram_id: int) -> str:
    if account is None:
        return str(telegram_id)
    name = esc(account.full_name or account.first_name or str(telegram_id))
    if account.username:
        return f"{name} (@{esc(account.username)}, {telegram_id})"
    return f"{name} ({telegram_id})"


async def _home(
    session: AsyncSession, user: User, settings: Settings
) -> tuple[str, InlineKeyboardMarkup]:
    accounts = await admins.list_accounts(
        session, actor_telegram_id=user.telegram_id, admin_ids=settings.admin_ids
    )
    lines = [_("🛡️ <b>Administration</b>"), "", _("<b>Administrators</b>")]
    for telegram_id in sorted(settings.admin_ids):
        account = await get_user(session, telegram_id)
        lines.append(
            _("• {who} — set in the configuration").format(who=_who(account, telegram_id))
        )
    for entry in accounts:
        if entry.role == AdminRole.ADMIN and entry.telegram_id not in settings.admin_ids:
            account = await get_user(session, entry.telegram_id)
            lines.append("• " + _who(account, entry.telegram_id))
    operators = [a for a in accounts if a.role == AdminRole.OPD_OPERATOR]
    lines += ["", _("<b>OPD operators</b>")]
    if not operators:
        lines.append(_("none yet"))
    for entry in operators:
        account = await get_user(session, entry.telegram_id)
        lines.append(
            _("• {who} — {opd}").format(
                who=_who(account, entry.telegram_id), opd=esc(entry.opd or "")
            )
        )
    builder = InlineKeyboardBuilder()
    builder.button(text=_("➕ Administrator"), callback_data=AdminCb(action="add_admin"))
    builder.button(text=_("➕ OPD operator"), callback_data=AdminCb(action="add_op"))
    if any(a.telegram_id not in settings.admin_ids for a in accounts):
        builder.button(text=_("🗑 Remove…"), callback_data=AdminCb(action="rm_list"))
    builder.button(text=_("📜 Audit log"), callback_data=AdminCb(action="audit"))
    builder.adjust(2)
    return _fit(lines), builder.as_markup()


def _fit(lines: list[str]) -> str:
    """Whole lines (never a cut HTML tag) up to Telegram's text limit."""
    kept: list[str] = []
    size = 0
    for line in lines:
        size += len(line) + 1
        if size > TEXT_LIMIT - 2:
            kept.append("…")
            break
        kept.append(line)
    return "\n".join(kept)


def _back() -> InlineKeyboardButton:
    return InlineKeyboardButton(text=_("⬅️ Back"), callback_data=AdminCb(action="home").pack())


@router.message(Command("admin"))
async def admin_command(
    message: Message, state: FSMContext, session: AsyncSession, user: User, settings: Settings
) -> None:
    await state.clear()
    try:
        text, markup = await _home(session, user, settings)
    except ServiceError as exc:
        await message.answer(describe(exc))
        return
    await message.answer(text, reply_markup=markup)


@router.callback_query(AdminCb.filter())
async def admin_callback(
    callback: CallbackQuery,
    callback_data: AdminCb,
    state: FSMContext,
    session: AsyncSession,
    user: User,
    locale: str,
    settings: Settings,
    bot: Bot,
    callback_answer: CallbackAnswer,
) -> None:
    action, arg = callback_data.action, callback_data.arg
    actor = {"actor_telegram_id": user.telegram_id, "admin_ids": settings.admin_ids}
    try:
        if action == "home":
            await state.clear()
            await show(callback, *await _home(session, user, settings))
        elif action in ("add_admin", "add_op"):
            await admins.require_admin(session, user.telegram_id, settings.admin_ids)
            role = AdminRole.ADMIN if action == "add_admin" else AdminRole.OPD_OPERATOR
            await state.set_state(AdminForm.who)
            await state.update_data(role=role)
            await callback.message.answer(
                _(
                    "Who? Send their Telegram user id (digits), their @username if they have "
                    "used this bot, or share their contact."
                ),
                reply_markup=kb.cancel_keyboard(),
            )
        elif action == "rm_list":
            await show(callback, *await _remove_list(session, user, settings))
        elif action == "rm":
            markup = InlineKeyboardMarkup(
                inline_keyboard=[
                    [
                        InlineKeyboardButton(
                            text=_("🗑 Yes, remove"),
                            callback_data=AdminCb(action="rm_ok", arg=arg).pack(),
                        ),
                        _back(),
                    ]
                ]
            )
            account = await get_user(session, arg)
            await show(
                callback,
                _("Remove {who} from the administration?").format(who=_who(account, arg)),
                markup,
            )
        elif action == "rm_ok":
            await admins.revoke(session, **actor, telegram_id=arg)
            callback_answer.text = _("Removed.")
            await show(callback, *await _home(session, user, settings))
        elif action == "audit":
            await show(callback, *await _audit(session, user, locale, settings))
        elif action in ("opd", "opd_page"):
            await _operator_opd(callback, callback_data, state, session, user, settings, bot)
    except ServiceError as exc:
        alert(callback_answer, describe(exc))


async def _remove_list(
    session: AsyncSession, user: User, settings: Settings
) -> tuple[str, InlineKeyboardMarkup]:
    accounts = await admins.list_accounts(
        session, actor_telegram_id=user.telegram_id, admin_ids=settings.admin_ids
    )
    builder = InlineKeyboardBuilder()
    for entry in accounts:
        if entry.telegram_id in settings.admin_ids:
            continue
        account = await get_user(session, entry.telegram_id)
        name = account.full_name or account.first_name if account else str(entry.telegram_id)
        role = _("administrator") if entry.role == AdminRole.ADMIN else entry.opd or ""
        builder.row(
            InlineKeyboardButton(
                text=button_text(f"🗑 {name} — {role}"),
                callback_data=AdminCb(action="rm", arg=entry.telegram_id).pack(),
            )
        )
    builder.row(_back())
    return _("Whom should I remove?"), builder.as_markup()


# ---------------------------------------------------------------------- adding


_TYPED = F.text & ~F.text.startswith("/") & (F.text != kb.CANCEL)


@router.message(AdminForm.who, F.contact | _TYPED)
async def got_who(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    user: User,
    settings: Settings,
    bot: Bot,
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
        text, markup = _opd_choice(opds, 0)
        await message.answer(text, reply_markup=markup)
        return
    await _grant(message, state, session, user, settings, bot, telegram_id, AdminRole.ADMIN)


async def _resolve(session: AsyncSession, message: Message) -> int | None:
    if message.contact is not None:
        return message.contact.user_id
    text = (message.text or "").strip()
    if text.isdigit() and len(text) <= 15:
        return int(text)
    if text.startswith("@") or text.replace("_", "").isalnum():
        account = await find_by_username(session, text)
        if account is not None:
            return account.telegram_id
    return None


def _opd_choice(opds: list[str], page: int) -> tuple[str, InlineKeyboardMarkup]:
    pages = max(1, -(-len(opds) // OPD_PAGE))
    page = min(max(0, page), pages - 1)
    builder = InlineKeyboardBuilder()
    for index in range(page * OPD_PAGE, min(len(opds), (page + 1) * OPD_PAGE)):
        builder.row(
            InlineKeyboardButton(
                text=button_text(opds[index]),
                callback_data=AdminCb(action="opd", arg=index).pack(),
            )
        )
    kb.pager(builder, page, pages, lambda p: AdminCb(action="opd_page", arg=p))
    builder.row(_back())
    return _("🏢 Which OPD will they manage?"), builder.as_markup()


async def _operator_opd(
    callback: CallbackQuery,
    callback_data: AdminCb,
    state: FSMContext,
    session: AsyncSession,
    user: User,
    settings: Settings,
    bot: Bot,
) -> None:
    data = await state.get_data()
    opds = data.get("opd_list") or []
    if await state.get_state() != AdminForm.opd.state or not opds:
        raise ServiceError(Refusal.OPD_REQUIRED)
    if callback_data.action == "opd_page":
        await show(callback, *_opd_choice(opds, callback_data.arg))
        return
    if not 0 <= callback_data.arg < len(opds):
        raise ServiceError(Refusal.OPD_REQUIRED)
    await _grant(
        callback.message, state, session, user, settings, bot,
        int(data["telegram_id"]), AdminRole.OPD_OPERATOR, opds[callback_data.arg],
        edit=True,
    )  # fmt: skip


async def _grant(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    user: User,
    settings: Settings,
    bot: Bot,
    telegram_id: int,
    role: str,
    opd: str | None = None,
    *,
    edit: bool = False,
) -> None:
    try:
        await admins.grant(
            session,
            actor_telegram_id=user.telegram_id,
            admin_ids=settings.admin_ids,
            telegram_id=telegram_id,
            role=role,
            opd=opd,
        )
    except ServiceError as exc:
        await state.clear()
        await message.answer(describe(exc), reply_markup=kb.main_menu())
        return
    await state.clear()
    account = await get_user(session, telegram_id)
    who = _who(account, telegram_id)
    if role == AdminRole.ADMIN:
        text = _("✅ {who} is now an administrator.").format(who=who)
    else:
        text = _("✅ {who} is now the operator of {opd}.").format(who=who, opd=esc(opd or ""))
    if edit:
        await message.edit_text(text, reply_markup=None)
    else:
        await message.answer(text, reply_markup=kb.main_menu())
    if account is not None and not account.unreachable:
        await notify(bot, account, lambda _locale: (_welcome(role, opd), None))


def _welcome(role: str, opd: str | None) -> str:
    if role == AdminRole.ADMIN:
        return _(
            "🛡️ You are now an administrator of TukuLokal: /admin manages the administration, "
            "/broadcast sends announcements, /broadcasts lists them."
        )
    return _(
        "🏢 You are now the TukuLokal operator of {opd}: /broadcast sends announcements to "
        "its ASN, /broadcasts lists them."
    ).format(opd=esc(opd or ""))


# ---------------------------------------------------------------------- audit log

AUDIT_ACTIONS = {
    "grant_role": lambda: _("role granted"),
    "revoke_role": lambda: _("role removed"),
    "broadcast_create": lambda: _("broadcast created"),
    "broadcast_pause": lambda: _("broadcast paused"),
    "broadcast_resume": lambda: _("broadcast resumed"),
    "broadcast_cancel": lambda: _("broadcast cancelled"),
    "broadcast_export_failed": lambda: _("failed recipients exported"),
}


async def _audit(
    session: AsyncSession, user: User, locale: str, settings: Settings
) -> tuple[str, InlineKeyboardMarkup]:
    entries = await admins.recent_audit(
        session,
        actor_telegram_id=user.telegram_id,
        admin_ids=settings.admin_ids,
        limit=AUDIT_ENTRIES,
    )
    lines = [_("📜 <b>Audit log</b> (newest first)")]
    names: dict[int, str] = {}
    for entry in entries:
        actor = entry.actor_telegram_id
        if actor is None:
            who = _("the system")
        else:
            if actor not in names:
                names[actor] = _who(await get_user(session, actor), actor)
            who = names[actor]
        label = AUDIT_ACTIONS.get(entry.action)
        what = label() if label else entry.action
        details = _details(entry.details)
        lines.append(
            _("{when} · {who} · <b>{what}</b> {details}").format(
                when=moment(entry.at, locale, settings.tz),
                who=who,
                what=esc(what),
                details=esc(details),
            )
        )
    if not entries:
        lines.append(_("Nothing recorded yet."))
    builder = InlineKeyboardBuilder()
    builder.row(_back())
    return _fit(lines), builder.as_markup()


def _details(raw: str) -> str:
    try:
        data = json.loads(raw or "{}")
    except ValueError:
        return shorten(raw, 120)
    if not isinstance(data, dict):
        return shorten(str(data), 120)
    parts = []
    for key, value in data.items():
        if value in (None, "", [], {}):
            continue
        shown = json.dumps(value, ensure_ascii=False) if isinstance(value, dict | list) else value
        parts.append(f"{key}={shown}")
    return shorten(", ".join(parts), 160)
