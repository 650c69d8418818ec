"""The administration screens (/admin): who administers, adding and removing them, the
audit log."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import tzinfo

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder

from models import AdminAccount, AdminRole, AuditLog, User
from views import keyboards as kb
from views.callbacks import TelegramId
from views.format import button_text, esc, fit_html, moment, shorten

OPD_PAGE = 8
# Administrators and operators one can remove in one screen (the newest first are beyond it,
# far below Telegram's 100 buttons a message).
MAX_LISTED = 40


class AdminCb(CallbackData, prefix="adm"):
    action: str  # home, add_admin, add_op, add_insp, rm_list, rm, rm_ok, audit, opd, opd_page
    arg: TelegramId = 0  # a Telegram id (rm, rm_ok), else an index or a page


def who(account: User | None, telegram_id: int) -> str:
    if account is None:
        return str(telegram_id)
    name = esc(account.full_name or account.first_name or str(telegram_id))
    if account.username:
        return f"{name} (@{esc(account.username)}, {telegram_id})"
    return f"{name} ({telegram_id})"


def back_button() -> InlineKeyboardButton:
    return InlineKeyboardButton(text=_("⬅️ Back"), callback_data=AdminCb(action="home").pack())


def home_screen(
    configured: Sequence[int], accounts: Sequence[AdminAccount], people: Mapping[int, User]
) -> tuple[str, InlineKeyboardMarkup]:
    """`configured`: ADMIN_IDS; `accounts`: roles granted in the chat; `people`: their
    accounts, by Telegram id."""
    lines = [_("🛡️ <b>Administration</b>"), "", _("<b>Administrators</b>")]
    for telegram_id in sorted(configured):
        lines.append(
            _("• {who} — set in the configuration").format(
                who=who(people.get(telegram_id), telegram_id)
            )
        )
    for entry in accounts:
        if entry.role == AdminRole.ADMIN and entry.telegram_id not in configured:
            lines.append("• " + who(people.get(entry.telegram_id), entry.telegram_id))
    operators = [a for a in accounts if a.role == AdminRole.OPD_OPERATOR]
    lines += ["", _("<b>OPD operators</b>")]
    if not operators:
        lines.append(_("none yet"))
    for entry in operators:
        lines.append(
            _("• {who} — {opd}").format(
                who=who(people.get(entry.telegram_id), entry.telegram_id),
                opd=esc(entry.opd or ""),
            )
        )
    inspectors = [a for a in accounts if a.role == AdminRole.INSPECTORATE]
    if inspectors:
        lines += ["", _("<b>Inspectorate</b> (reads reports, red flags and the audit log)")]
    for entry in inspectors:
        lines.append("• " + who(people.get(entry.telegram_id), entry.telegram_id))
    builder = InlineKeyboardBuilder()
    builder.button(text=_("➕ Administrator"), callback_data=AdminCb(action="add_admin"))
    builder.button(text=_("➕ OPD operator"), callback_data=AdminCb(action="add_op"))
    builder.button(text=_("➕ Inspectorate"), callback_data=AdminCb(action="add_insp"))
    if any(a.telegram_id not in configured for a in accounts):
        builder.button(text=_("🗑 Remove…"), callback_data=AdminCb(action="rm_list"))
    builder.button(text=_("📜 Audit log"), callback_data=AdminCb(action="audit"))
    builder.adjust(2)
    return fit_lines(lines), builder.as_markup()


def fit_lines(lines: Sequence[str]) -> str:
    """Whole lines (never a cut HTML tag) up to Telegram's text limit."""
    return fit_html("\n".join(lines))


def remove_list_screen(
    configured: Sequence[int], accounts: Sequence[AdminAccount], people: Mapping[int, User]
) -> tuple[str, InlineKeyboardMarkup]:
    builder = InlineKeyboardBuilder()
    removable = [a for a in accounts if a.telegram_id not in configured]
    for entry in removable[:MAX_LISTED]:
        account = people.get(entry.telegram_id)
        name = account.full_name or account.first_name if account else str(entry.telegram_id)
        role = (
            _("administrator")
            if entry.role == AdminRole.ADMIN
            else _("inspectorate")
            if entry.role == AdminRole.INSPECTORATE
            else entry.opd or ""
        )
        builder.row(
            InlineKeyboardButton(
                text=button_text(f"🗑 {name} — {role}"),
                callback_data=AdminCb(action="rm", arg=entry.telegram_id).pack(),
            )
        )
    builder.row(back_button())
    return _("Whom should I remove?"), builder.as_markup()


def remove_confirm_screen(
    account: User | None, telegram_id: int
) -> tuple[str, InlineKeyboardMarkup]:
    markup = InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(
                    text=_("🗑 Yes, remove"),
                    callback_data=AdminCb(action="rm_ok", arg=telegram_id).pack(),
                ),
                back_button(),
            ]
        ]
    )
    text = _("Remove {who} from the administration?").format(who=who(account, telegram_id))
    return text, markup


def who_prompt() -> str:
    return _(
        "Who? Send their Telegram user id (digits), their @username if they have "
        "used this bot, or share their contact."
    )


def opd_choice(opds: list[str], page: int) -> tuple[str, InlineKeyboardMarkup]:
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
    builder.row(back_button())
    return _("🏢 Which OPD will they manage?"), builder.as_markup()


def granted_text(account: User | None, telegram_id: int, role: str, opd: str | None) -> str:
    if role == AdminRole.ADMIN:
        return _("✅ {who} is now an administrator.").format(who=who(account, telegram_id))
    if role == AdminRole.INSPECTORATE:
        return _("✅ {who} now reads for the inspectorate.").format(who=who(account, telegram_id))
    return _("✅ {who} is now the operator of {opd}.").format(
        who=who(account, telegram_id), opd=esc(opd or "")
    )


def welcome_text(role: str, opd: str | None) -> str:
    if role == AdminRole.INSPECTORATE:
        return _(
            "🔎 You now read TukuLokal for the city's inspectorate: /laporan shows the monthly "
            "reports, /tanda the red flags, /audit the audit log."
        )
    if role == AdminRole.ADMIN:
        return _(
            "🛡️ You are now an administrator of TukuLokal: /admin manages the administration, "
            "/broadcast sends announcements, /broadcasts lists them."
        )
    return _(
        "🏢 You are now the TukuLokal operator of {opd}: /broadcast sends announcements to "
        "its ASN, /broadcasts lists them."
    ).format(opd=esc(opd or ""))


# --- audit log --------------------------------------------------------------------------------

AUDIT_ACTIONS = {
    "grant_role": lambda: _("role granted"),
    "revoke_role": lambda: _("role removed"),
    "broadcast_create": lambda: _("broadcast created"),
    "broadcast_pause": lambda: _("broadcast paused"),
    "broadcast_resume": lambda: _("broadcast resumed"),
    "broadcast_cancel": lambda: _("broadcast cancelled"),
    "broadcast_export_failed": lambda: _("failed recipients exported"),
    "red_flag_review": lambda: _("red flag reviewed"),
}


def audit_screen(
    entries: Sequence[AuditLog],
    people: Mapping[int, User],
    locale: str,
    tz: tzinfo,
    *,
    back: bool = True,
) -> tuple[str, InlineKeyboardMarkup]:
    """The latest entries; `back` leads to the panel (administrators, not the inspectorate)."""
    lines = [_("📜 <b>Audit log</b> (newest first)")]
    for entry in entries:
        actor = entry.actor_telegram_id
        author = _("the system") if actor is None else who(people.get(actor), actor)
        label = AUDIT_ACTIONS.get(entry.action)
        what = label() if label else entry.action
        lines.append(
            _("{when} · {who} · <b>{what}</b> {details}").format(
                when=moment(entry.at, locale, tz),
                who=author,
                what=esc(what),
                details=esc(_details(entry.details)),
            )
        )
    if not entries:
        lines.append(_("Nothing recorded yet."))
    builder = InlineKeyboardBuilder()
    if back:
        builder.row(back_button())
    return fit_lines(lines), builder.as_markup()


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
