"""/broadcast (compose, choose the audience, preview, send or schedule), /broadcasts, and the
controls of a running broadcast (pause, resume, cancel, failed recipients as CSV).

Administrators address any audience; an OPD operator only their own OPD's ASN (enforced in
services.audience / services.broadcasts, whatever the buttons say).
"""

from __future__ import annotations

import csv
import io
import re
import uuid
from datetime import datetime, timedelta

from aiogram import Bot, F, Router
from aiogram.filters import Command
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import (
    BufferedInputFile,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
)
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.settings import Settings
from handlers import broadcast_views as views
from views.refusals import describe
from handlers.ui import alert, show
from models import BroadcastStatus, User
from services import audience as aud
from services import broadcasts as svc
from services.admins import Role, require_staff
from services.errors import ServiceError
from services.golongan import QUOTA_CLASSES
from services.quota import QuotaPolicy
from views import keyboards as kb
from views.format import button_text, moment

router = Router(name="broadcast")

OPD_PAGE = 8
B = BroadcastStatus


class BroadcastForm(StatesGroup):
    content = State()
    setup = State()
    schedule = State()


class SetupCb(CallbackData, prefix="bsu"):
    action: str  # kind, opds, opd, classes, cls, below, btn, main, preview, send, when, abort
    arg: int = 0


def _policy(settings: Settings) -> QuotaPolicy:
    return QuotaPolicy(
        tz=settings.tz,
        default_minimum=settings.default_quota_minimum,
        deadline_day=settings.quota_deadline_day,
    )


async def _role(session: AsyncSession, user: User, settings: Settings) -> Role:
    return await require_staff(session, user.telegram_id, settings.admin_ids)


# ---------------------------------------------------------------------- composing


@router.message(Command("broadcast", "siaran"))
async def broadcast_command(
    message: Message, state: FSMContext, session: AsyncSession, user: User, settings: Settings
) -> None:
    try:
        await _role(session, user, settings)
    except ServiceError as exc:
        await message.answer(describe(exc))
        return
    await state.clear()
    await state.set_state(BroadcastForm.content)
    await state.update_data(draft=uuid.uuid4().hex[:16])
    await message.answer(
        _(
            "📢 <b>New broadcast</b>\n\nSend me the announcement: a text (bold, italics and "
            "links are kept as you write them), or a photo or a document with a caption."
        ),
        reply_markup=kb.cancel_keyboard(),
    )


@router.message(
    BroadcastForm.content,
    F.text | F.photo | F.document,
    ~F.text.startswith("/"),
    F.text != kb.CANCEL,
)
async def got_content(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    user: User,
    settings: Settings,
    clock,  # noqa: ANN001
) -> None:
    try:
        role = await _role(session, user, settings)
    except ServiceError as exc:
        await state.clear()
        await message.answer(describe(exc), reply_markup=kb.main_menu())
        return
    if message.photo:
        content_type, file_id = "photo", message.photo[-1].file_id
    elif message.document:
        content_type, file_id = "document", message.document.file_id
    else:
        content_type, file_id = "text", None
    plain = message.text or message.caption or ""
    sender_opd = None if role.is_admin else role.opd
    limit = views.content_limit(content_type, sender_opd)
    length = views.utf16_len(plain)
    if length > limit:
        await message.answer(
            _(
                "This announcement is too long: {length} characters, but at most {limit} fit "
                "together with the bot's footer. Please shorten it and send it again."
            ).format(length=length, limit=limit)
        )
        return
    audience = aud.Audience(opds=(role.opd,)) if not role.is_admin else aud.Audience()
    await state.update_data(
        content_type=content_type,
        text=message.html_text if plain else "",
        file_id=file_id,
        audience=audience.to_dict(),
        buttons=[],
        opd_list=await aud.opds_for(session, role),
    )
    await state.set_state(BroadcastForm.setup)
    text, markup = await _setup_screen(session, role, await state.get_data(), settings, clock())
    await message.answer(text, reply_markup=markup)


@router.message(BroadcastForm.content, ~F.text.startswith("/"), F.text != kb.CANCEL)
async def content_not_supported(message: Message) -> None:
    await message.answer(
        _("Please send a text, a photo or a document (with a caption if you like).")
    )


# ---------------------------------------------------------------------- audience and buttons


def _mark(on: bool) -> str:
    return "☑️" if on else "⬜"


async def _setup_screen(
    session: AsyncSession, role: Role, data: dict, settings: Settings, now: datetime
) -> tuple[str, InlineKeyboardMarkup]:
    audience = aud.Audience.from_data(data.get("audience"))
    buttons = data.get("buttons") or []
    figures = await aud.count(session, role, audience, now=now, policy=_policy(settings))
    lines = [
        _("📢 <b>Who should receive it?</b>"),
        _("To: {audience}").format(audience=views.audience_label(aud.for_role(role, audience))),
        _("Recipients: <b>{n}</b>").format(n=figures.recipients),
    ]
    if figures.unreachable:
        lines.append(
            _("({n} more blocked the bot or left Telegram: they are skipped)").format(
                n=figures.unreachable
            )
        )
    labels = [views.BUTTON_LABELS[b]() for b in buttons]
    lines.append(
        _("Buttons under the message: {buttons}").format(
            buttons=", ".join(labels) if labels else _("none")
        )
    )
    builder = InlineKeyboardBuilder()
    if role.is_admin:
        kinds = (
            (aud.ASN, _("👥 ASN")),
            (aud.MERCHANTS, _("🏪 Shops")),
            (aud.EVERYONE, _("🌐 Everyone")),
        )
        builder.row(
            *[
                InlineKeyboardButton(
                    text=("● " if audience.kind == kind else "") + label,
                    callback_data=SetupCb(action="kind", arg=index).pack(),
                )
                for index, (kind, label) in enumerate(kinds)
            ]
        )
    if audience.kind == aud.ASN:
        row = []
        if role.is_admin:
            opds = (
                _("OPD: all")
                if not audience.opds
                else _("OPD: {n} chosen").format(n=len(audience.opds))
            )
            row.append(
                InlineKeyboardButton(
                    text="🏢 " + opds, callback_data=SetupCb(action="opds").pack()
                )
            )
        classes = ", ".join(audience.classes) if audience.classes else _("all")
        row.append(
            InlineKeyboardButton(
                text="🎖️ " + _("Class: {classes}").format(classes=classes),
                callback_data=SetupCb(action="classes").pack(),
            )
        )
        builder.row(*row)
        builder.row(
            InlineKeyboardButton(
                text=_mark(audience.below_minimum) + " " + _("📉 Below this month's minimum"),
                callback_data=SetupCb(action="below").pack(),
            )
        )
    builder.row(
        *[
            InlineKeyboardButton(
                text=_mark(name in buttons) + " " + views.BUTTON_LABELS[name](),
                callback_data=SetupCb(action="btn", arg=index).pack(),
            )
            for index, name in enumerate(svc.BUTTONS)
        ]
    )
    builder.row(
        InlineKeyboardButton(
            text=_("👁 Preview ({n} recipients)").format(n=figures.recipients),
            callback_data=SetupCb(action="preview").pack(),
        )
    )
    builder.row(
        InlineKeyboardButton(text=_("✖️ Cancel"), callback_data=SetupCb(action="abort").pack())
    )
    return "\n".join(lines), builder.as_markup()


def _opd_screen(data: dict, page: int) -> tuple[str, InlineKeyboardMarkup]:
    opds: list[str] = data.get("opd_list") or []
    chosen = set(aud.Audience.from_data(data.get("audience")).opds)
    pages = max(1, -(-len(opds) // OPD_PAGE))
    page = min(max(0, page), pages - 1)
    builder = InlineKeyboardBuilder()
    for index in range(page * OPD_PAGE, min(len(opds), (page + 1) * OPD_PAGE)):
        builder.row(
            InlineKeyboardButton(
                text=_mark(opds[index] in chosen) + " " + button_text(opds[index]),
                callback_data=SetupCb(action="opd", arg=index).pack(),
            )
        )
    kb.pager(builder, page, pages, lambda p: SetupCb(action="opds", arg=p))
    builder.row(
        InlineKeyboardButton(text=_("⬅️ Done"), callback_data=SetupCb(action="main").pack())
    )
    text = _("🏢 <b>Choose the OPD</b> (none chosen: every OPD). Chosen: {n}").format(
        n=len(chosen)
    )
    return text, builder.as_markup()


def _class_screen(data: dict) -> tuple[str, InlineKeyboardMarkup]:
    chosen = set(aud.Audience.from_data(data.get("audience")).classes)
    builder = InlineKeyboardBuilder()
    for index, quota_class in enumerate(QUOTA_CLASSES):
        label = quota_class if quota_class == "PPPK" else _("golongan {g}").format(g=quota_class)
        builder.button(
            text=_mark(quota_class in chosen) + " " + label,
            callback_data=SetupCb(action="cls", arg=index),
        )
    builder.adjust(3)
    builder.row(
        InlineKeyboardButton(text=_("⬅️ Done"), callback_data=SetupCb(action="main").pack())
    )
    return _("🎖️ <b>Choose the classes</b> (none chosen: every class)."), builder.as_markup()


@router.callback_query(SetupCb.filter(F.action.in_({"kind", "opds", "opd", "classes", "cls",
                                                      "below", "btn", "main"})))  # fmt: skip
async def setup_changed(
    callback: CallbackQuery,
    callback_data: SetupCb,
    state: FSMContext,
    session: AsyncSession,
    user: User,
    settings: Settings,
    clock,  # noqa: ANN001
    callback_answer: CallbackAnswer,
) -> None:
    data = await _draft(state, callback_answer)
    if data is None:
        return
    try:
        role = await _role(session, user, settings)
    except ServiceError as exc:
        alert(callback_answer, describe(exc))
        return
    await state.set_state(BroadcastForm.setup)  # "Change" from the schedule question, too
    audience = aud.Audience.from_data(data.get("audience"))
    action, arg = callback_data.action, callback_data.arg
    if action == "opds":
        await show(callback, *_opd_screen(data, arg))
        return
    if action == "classes":
        await show(callback, *_class_screen(data))
        return
    if action == "kind" and role.is_admin and 0 <= arg < len(aud.KINDS):
        audience = aud.Audience(kind=aud.KINDS[arg])
    elif action == "opd":
        opds = data.get("opd_list") or []
        if not role.is_admin or not 0 <= arg < len(opds):
            return
        audience = audience.toggled_opd(opds[arg])
    elif action == "cls" and 0 <= arg < len(QUOTA_CLASSES):
        audience = audience.toggled_class(QUOTA_CLASSES[arg])
    elif action == "below":
        audience = aud.Audience(
            kind=aud.ASN,
            opds=audience.opds,
            classes=audience.classes,
            below_minimum=not audience.below_minimum,
        )
    elif action == "btn" and 0 <= arg < len(svc.BUTTONS):
        buttons = set(data.get("buttons") or []) ^ {svc.BUTTONS[arg]}
        data["buttons"] = [b for b in svc.BUTTONS if b in buttons]
    data["audience"] = audience.to_dict()
    await state.update_data(audience=data["audience"], buttons=data.get("buttons") or [])
    if action == "opd":
        await show(callback, *_opd_screen(data, arg // OPD_PAGE))
    elif action == "cls":
        await show(callback, *_class_screen(data))
    else:
        await show(callback, *await _setup_screen(session, role, data, settings, clock()))


async def _draft(state: FSMContext, callback_answer: CallbackAnswer) -> dict | None:
    if await state.get_state() not in (BroadcastForm.setup.state, BroadcastForm.schedule.state):
        alert(callback_answer, _("This draft is closed. Start a new one with /broadcast."))
        return None
    return await state.get_data()


# ---------------------------------------------------------------------- preview and confirm


@router.callback_query(SetupCb.filter(F.action == "preview"))
async def preview(
    callback: CallbackQuery,
    state: FSMContext,
    session: AsyncSession,
    user: User,
    settings: Settings,
    bot: Bot,
    clock,  # noqa: ANN001
    callback_answer: CallbackAnswer,
) -> None:
    data = await _draft(state, callback_answer)
    if data is None:
        return
    try:
        role = await _role(session, user, settings)
        audience = aud.for_role(role, aud.Audience.from_data(data.get("audience")))
        figures = await aud.count(session, role, audience, now=clock(), policy=_policy(settings))
    except ServiceError as exc:
        alert(callback_answer, describe(exc))
        return
    if not figures.recipients:
        alert(callback_answer, _("Nobody would receive it. Please choose another audience."))
        return
    make = views.announcement_sender(
        data["content_type"],
        data.get("text") or "",
        data.get("file_id"),
        None if role.is_admin else role.opd,
        data.get("buttons") or [],
    )
    await make(bot, callback.from_user.id)
    await callback.message.answer(
        _(
            "👆 This is exactly what the recipients will get (the footer and the buttons in "
            "their own language).\n\nTo: {audience}\nRecipients: <b>{n}</b>"
        ).format(audience=views.audience_label(audience), n=figures.recipients),
        reply_markup=_confirm_markup(figures.recipients),
    )


def _confirm_markup(recipients: int) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(
        text=_("🚀 Send now to {n}").format(n=recipients), callback_data=SetupCb(action="send")
    )
    builder.button(text=_("🕒 Schedule…"), callback_data=SetupCb(action="when"))
    builder.button(text=_("✏️ Change"), callback_data=SetupCb(action="main"))
    builder.button(text=_("✖️ Cancel"), callback_data=SetupCb(action="abort"))
    builder.adjust(2)
    return builder.as_markup()


@router.callback_query(SetupCb.filter(F.action == "send"))
async def send_now(
    callback: CallbackQuery,
    state: FSMContext,
    session: AsyncSession,
    user: User,
    locale: str,
    settings: Settings,
    clock,  # noqa: ANN001
    callback_answer: CallbackAnswer,
    broadcasts=None,  # noqa: ANN001 - delivery.broadcasts.BroadcastRunner
) -> None:
    data = await _draft(state, callback_answer)
    if data is None:
        return
    await _create(
        callback.message, state, session, user, locale, settings, clock, broadcasts, data,
        callback_answer=callback_answer, progress_message_id=callback.message.message_id,
    )  # fmt: skip


async def _create(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    user: User,
    locale: str,
    settings: Settings,
    clock,  # noqa: ANN001
    broadcasts,  # noqa: ANN001
    data: dict,
    *,
    callback_answer: CallbackAnswer | None = None,
    progress_message_id: int | None = None,
    scheduled_at: datetime | None = None,
) -> None:
    try:
        broadcast, created = await svc.create(
            session,
            actor_telegram_id=user.telegram_id,
            admin_ids=settings.admin_ids,
            content=svc.Content(data["content_type"], data.get("text") or "", data.get("file_id")),
            audience=aud.Audience.from_data(data.get("audience")),
            buttons=data.get("buttons") or [],
            now=clock(),
            policy=_policy(settings),
            draft_key=data["draft"],
            scheduled_at=scheduled_at,
            progress_message_id=progress_message_id,
        )
    except ServiceError as exc:
        if callback_answer is not None:
            alert(callback_answer, describe(exc))
        else:
            await message.answer(describe(exc))
        return
    await state.clear()
    if not created:
        if callback_answer is not None:
            alert(callback_answer, _("This broadcast was already confirmed."))
        return
    stats = await svc.stats(session, broadcast.id)
    if scheduled_at is None:
        await message.edit_text(
            views.progress_text(broadcast, stats, locale),
            reply_markup=views.control_markup(broadcast),
        )
        if broadcasts is not None:
            broadcasts.wake()
        await message.answer(
            _("🚀 Broadcast #{id} is on its way. You can keep using the bot meanwhile.").format(
                id=broadcast.id
            ),
            reply_markup=kb.main_menu(),
        )
        return
    await message.answer(
        _(
            "🕒 Broadcast #{id} is scheduled for {when} (WIB). The recipients are counted when "
            "it starts. /broadcasts shows it."
        ).format(id=broadcast.id, when=moment(scheduled_at, locale, settings.tz)),
        reply_markup=kb.main_menu(),
    )
    if broadcasts is not None:
        broadcasts.wake()


@router.callback_query(SetupCb.filter(F.action == "when"))
async def ask_when(
    callback: CallbackQuery,
    state: FSMContext,
    settings: Settings,
    clock,  # noqa: ANN001
    callback_answer: CallbackAnswer,
) -> None:
    if await _draft(state, callback_answer) is None:
        return
    await state.set_state(BroadcastForm.schedule)
    example = (clock().astimezone(settings.tz) + timedelta(days=1)).replace(hour=8, minute=0)
    await callback.message.answer(
        _(
            "🕒 When should it be sent? Type the date and time in WIB, for example "
            "<code>{example}</code>."
        ).format(example=example.strftime("%d.%m.%Y %H:%M")),
        reply_markup=kb.cancel_keyboard(),
    )


_WHEN = re.compile(
    r"^\s*(?:(\d{1,2})[./-](\d{1,2})[./-](\d{4})|(\d{4})-(\d{1,2})-(\d{1,2}))"
    r"(?:\s+|\s*[T,]\s*)(\d{1,2})[.:](\d{2})\s*(?:WIB)?\s*$",
    re.IGNORECASE,
)


def parse_when(text: str, tz: object) -> datetime | None:
    """'28.11.2026 08:00', '28/11/2026 8.00', '2026-11-28 08:00' (WIB) -> aware datetime."""
    match = _WHEN.match(text or "")
    if not match:
        return None
    d, m, y, y2, m2, d2, hour, minute = match.groups()
    year, month, day = (int(y), int(m), int(d)) if y else (int(y2), int(m2), int(d2))
    try:
        return datetime(year, month, day, int(hour), int(minute), tzinfo=tz)  # type: ignore[arg-type]
    except ValueError:
        return None


@router.message(BroadcastForm.schedule, F.text, ~F.text.startswith("/"), F.text != kb.CANCEL)
async def got_when(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    user: User,
    locale: str,
    settings: Settings,
    clock,  # noqa: ANN001
    broadcasts=None,  # noqa: ANN001
) -> None:
    when = parse_when(message.text, settings.tz)
    if when is None:
        await message.answer(
            _("I could not read that. Please type it like <code>28.11.2026 08:00</code>.")
        )
        return
    data = await state.get_data()
    await _create(
        message, state, session, user, locale, settings, clock, broadcasts, data,
        scheduled_at=when,
    )  # fmt: skip


@router.callback_query(SetupCb.filter(F.action == "abort"))
async def abort(callback: CallbackQuery, state: FSMContext) -> None:
    await state.clear()
    await show(callback, _("✖️ Broadcast cancelled. Nothing was sent."), None)
    await callback.message.answer(_("Back to the menu."), reply_markup=kb.main_menu())


# ---------------------------------------------------------------------- past and running


@router.message(Command("broadcasts", "siaran_list"))
async def broadcasts_command(
    message: Message, session: AsyncSession, user: User, locale: str, settings: Settings
) -> None:
    try:
        text, markup = await _list_screen(session, user, locale, settings, 0)
    except ServiceError as exc:
        await message.answer(describe(exc))
        return
    await message.answer(text, reply_markup=markup)


@router.callback_query(views.BroadcastListCb.filter())
async def broadcasts_page(
    callback: CallbackQuery,
    callback_data: views.BroadcastListCb,
    session: AsyncSession,
    user: User,
    locale: str,
    settings: Settings,
    callback_answer: CallbackAnswer,
) -> None:
    try:
        text, markup = await _list_screen(session, user, locale, settings, callback_data.page)
    except ServiceError as exc:
        alert(callback_answer, describe(exc))
        return
    await show(callback, text, markup)


async def _list_screen(
    session: AsyncSession, user: User, locale: str, settings: Settings, page: int
) -> tuple[str, InlineKeyboardMarkup | None]:
    size = settings.page_size
    rows, total = await svc.list_recent(
        session,
        actor_telegram_id=user.telegram_id,
        admin_ids=settings.admin_ids,
        limit=size,
        offset=max(0, page) * size,
    )
    if not rows:
        return _("No broadcasts yet. Start one with /broadcast."), None
    lines = [_("📋 <b>Broadcasts</b>")]
    builder = InlineKeyboardBuilder()
    for broadcast, stats in rows:
        lines.append(views.summary_line(broadcast, stats, locale, settings.tz))
        builder.button(
            text=f"#{broadcast.id}",
            callback_data=views.BroadcastCtlCb(id=broadcast.id, action="view"),
        )
    builder.adjust(4)
    pages = max(1, -(-total // size))
    kb.pager(builder, page, pages, lambda p: views.BroadcastListCb(page=p))
    return "\n\n".join(lines), builder.as_markup()


async def _detail(
    session: AsyncSession,
    broadcast,  # noqa: ANN001
    locale: str,
    settings: Settings,
    *,
    sending: bool = False,
) -> tuple[str, InlineKeyboardMarkup]:
    stats = await svc.stats(session, broadcast.id)
    # While its job still winds down, the job itself sends the final report.
    if broadcast.status in (B.DONE, B.CANCELLED) and not sending:
        text = views.report_text(broadcast, stats, locale, settings.tz)
    elif broadcast.status == B.SCHEDULED:
        text = views.summary_line(broadcast, stats, locale, settings.tz)
    else:
        text = views.progress_text(broadcast, stats, locale)
    return text, views.control_markup(broadcast, stats)


@router.callback_query(views.BroadcastCtlCb.filter())
async def control(
    callback: CallbackQuery,
    callback_data: views.BroadcastCtlCb,
    session: AsyncSession,
    user: User,
    locale: str,
    settings: Settings,
    clock,  # noqa: ANN001
    callback_answer: CallbackAnswer,
    broadcasts=None,  # noqa: ANN001
) -> None:
    action, bid = callback_data.action, callback_data.id
    who = {"actor_telegram_id": user.telegram_id, "admin_ids": settings.admin_ids}
    try:
        if action in ("pause", "resume", "cancel"):
            broadcast = await svc.control(
                session, **who, broadcast_id=bid, action=action, now=clock()
            )
            if broadcasts is not None:
                broadcasts.refresh(bid)
            callback_answer.text = {
                "pause": _("⏸ Paused."),
                "resume": _("▶️ Resumed."),
                "cancel": _("✖️ Cancelled."),
            }[action]
        else:
            broadcast = await svc.get(session, **who, broadcast_id=bid)
        if action == "csv":
            await _send_csv(callback, session, user, settings, bid)
            return
    except ServiceError as exc:
        alert(callback_answer, describe(exc))
        return
    if action == "ask":
        if broadcast.status in (B.RUNNING, B.PAUSED, B.SCHEDULED):
            await callback.message.edit_reply_markup(reply_markup=views.confirm_cancel_markup(bid))
        return
    sending = broadcasts is not None and broadcasts.is_running(bid)
    await show(callback, *await _detail(session, broadcast, locale, settings, sending=sending))


async def _send_csv(
    callback: CallbackQuery, session: AsyncSession, user: User, settings: Settings, bid: int
) -> None:
    rows = await svc.failed_recipients(
        session, actor_telegram_id=user.telegram_id, admin_ids=settings.admin_ids,
        broadcast_id=bid,
    )  # fmt: skip
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["telegram_id", "name", "username", "nip", "outcome", "error"])
    for account, delivery in rows:
        writer.writerow(
            [
                account.telegram_id,
                _cell(account.full_name or account.first_name),
                _cell(account.username or ""),
                account.nip or "",
                delivery.status,
                _cell(delivery.error or ""),
            ]
        )
    data = buffer.getvalue().encode("utf-8-sig")  # Excel opens UTF-8 with a BOM correctly
    await callback.message.answer_document(
        BufferedInputFile(data, filename=f"broadcast-{bid}-failed.csv"),
        caption=_("Recipients of broadcast #{id} the message did not reach: {n}").format(
            id=bid, n=len(rows)
        ),
    )


def _cell(value: str) -> str:
    """Spreadsheets run cells starting with = + - @ as formulas: neutralise them."""
    return "'" + value if value[:1] in ("=", "+", "-", "@") else value


# ---------------------------------------------------------------------- under announcements


@router.callback_query(views.BroadcastButtonCb.filter(F.action == "catalog"))
async def announcement_catalog(
    callback: CallbackQuery, session: AsyncSession, locale: str
) -> None:
    from handlers.catalog import categories_screen

    text, markup = await categories_screen(session, locale)
    await callback.message.answer(text, reply_markup=markup)


@router.callback_query(views.BroadcastButtonCb.filter(F.action == "quota"))
async def announcement_quota(
    callback: CallbackQuery,
    session: AsyncSession,
    user: User,
    locale: str,
    settings: Settings,
    clock,  # noqa: ANN001
) -> None:
    from handlers.quota import quota_command

    await quota_command(callback.message, session, user, locale, settings, clock)
