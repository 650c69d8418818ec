"""/broadcast: compose an announcement (text, photo or document, the author's formatting
kept), choose the audience and the buttons under it, preview it exactly as recipients get it,
then send it now or schedule it.

Administrators address any audience; an OPD operator only their own OPD's ASN (enforced in
services.audience / services.broadcasts, whatever the buttons say). The sending itself is
`delivery.broadcasts`; the controls of a running one are `handlers.admin.broadcast_control`.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from aiogram import Bot, F
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.i18n import gettext as _
from sqlmodel.ext.asyncio.session import AsyncSession

from delivery.broadcasts import BroadcastRunner
from handlers.routes import Routes
from handlers.ui import alert, show
from services import audience as aud
from services import broadcasts as svc
from services.admins import Role
from services.errors import ServiceError
from services.golongan import QUOTA_CLASSES
from services.policy import Policy
from services.roles import Roles
from views import broadcasts as views
from views import keyboards as kb
from views.broadcasts import OPD_PAGE, SetupCb
from views.format import moment
from views.refusals import describe

routes = Routes("broadcast_compose")

Clock = Callable[[], datetime]


class BroadcastForm(StatesGroup):
    content = State()
    setup = State()
    schedule = State()


async def _setup_screen(
    session: AsyncSession, role: Role, data: dict[str, Any], policy: Policy, now: datetime
) -> tuple[str, InlineKeyboardMarkup]:
    audience = aud.Audience.from_data(data.get("audience"))
    figures = await aud.count(session, role, audience, now=now, policy=policy.quota)
    return views.setup_screen(role, data, figures)


@routes.message(Command("broadcast", "siaran"))
@routes.message(F.text == kb.MENU_BROADCAST)
async def broadcast_command(message: Message, state: FSMContext, roles: Roles) -> None:
    roles.require_staff()
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


@routes.message(
    BroadcastForm.content,
    F.text | F.photo | F.document,
    ~F.text.startswith("/"),
    F.text != kb.CANCEL,
)
async def got_content(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    roles: Roles,
    policy: Policy,
    clock: Clock,
) -> None:
    try:
        role = roles.require_staff()
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
    length = len(plain)  # Telegram counts code points
    if length > limit:
        await message.answer(
            _(
                "This announcement is too long: {length} characters, but at most {limit} fit "
                "together with the bot's footer. Please shorten it and send it again."
            ).format(length=length, limit=limit)
        )
        return
    if role.is_admin:
        audience = aud.Audience()
    else:
        assert role.opd is not None  # services.admins gives every OPD operator an OPD
        audience = aud.Audience(opds=(role.opd,))
    await state.update_data(
        content_type=content_type,
        text=message.html_text if plain else "",
        file_id=file_id,
        audience=audience.to_dict(),
        buttons=[],
        opd_list=await aud.opds_for(session, role),
    )
    await state.set_state(BroadcastForm.setup)
    text, markup = await _setup_screen(session, role, await state.get_data(), policy, clock())
    await message.answer(text, reply_markup=markup)


@routes.message(BroadcastForm.content, ~F.text.startswith("/"), F.text != kb.CANCEL)
async def content_not_supported(message: Message) -> None:
    await message.answer(
        _("Please send a text, a photo or a document (with a caption if you like).")
    )


# ---------------------------------------------------------------------- audience and buttons


@routes.callback_query(SetupCb.filter(F.action.in_({"kind", "opds", "opd", "classes", "cls",
                                                      "below", "btn", "main"})))  # fmt: skip
async def setup_changed(
    callback: CallbackQuery,
    callback_data: SetupCb,
    state: FSMContext,
    session: AsyncSession,
    roles: Roles,
    policy: Policy,
    clock: Clock,
    callback_answer: CallbackAnswer,
) -> None:
    data = await _draft(state, callback_answer)
    if data is None:
        return
    role = roles.require_staff()
    await state.set_state(BroadcastForm.setup)  # "Change" from the schedule question, too
    audience = aud.Audience.from_data(data.get("audience"))
    action, arg = callback_data.action, callback_data.arg
    if action == "opds":
        await show(callback, *views.opd_screen(data, arg))
        return
    if action == "classes":
        await show(callback, *views.class_screen(data))
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
        await show(callback, *views.opd_screen(data, arg // OPD_PAGE))
    elif action == "cls":
        await show(callback, *views.class_screen(data))
    else:
        await show(callback, *await _setup_screen(session, role, data, policy, clock()))


async def _draft(state: FSMContext, callback_answer: CallbackAnswer) -> dict[str, Any] | None:
    if await state.get_state() not in (BroadcastForm.setup.state, BroadcastForm.schedule.state):
        alert(callback_answer, _("This draft is closed. Start a new one with /broadcast."))
        return None
    return await state.get_data()


# ---------------------------------------------------------------------- preview and confirm


@routes.callback_query(SetupCb.filter(F.action == "preview"))
async def preview(
    callback: CallbackQuery,
    state: FSMContext,
    session: AsyncSession,
    roles: Roles,
    policy: Policy,
    bot: Bot,
    clock: Clock,
    locale: str,
    callback_answer: CallbackAnswer,
) -> None:
    data = await _draft(state, callback_answer)
    if data is None:
        return
    role = roles.require_staff()
    audience = aud.for_role(role, aud.Audience.from_data(data.get("audience")))
    figures = await aud.count(session, role, audience, now=clock(), policy=policy.quota)
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
    if isinstance(callback.message, Message):
        await callback.message.answer(
            views.preview_note(audience, figures.recipients, policy.broadcasts, locale),
            reply_markup=views.confirm_markup(figures.recipients),
        )


@routes.callback_query(SetupCb.filter(F.action == "send"))
async def send_now(
    callback: CallbackQuery,
    state: FSMContext,
    session: AsyncSession,
    roles: Roles,
    locale: str,
    policy: Policy,
    clock: Clock,
    callback_answer: CallbackAnswer,
    broadcasts: BroadcastRunner | None = None,
) -> None:
    data = await _draft(state, callback_answer)
    if data is None or not isinstance(callback.message, Message):
        return
    await _create(
        callback.message, state, session, roles, locale, policy, clock, broadcasts, data,
        callback_answer=callback_answer, progress_message_id=callback.message.message_id,
    )  # fmt: skip


async def _create(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    roles: Roles,
    locale: str,
    policy: Policy,
    clock: Clock,
    broadcasts: BroadcastRunner | None,
    data: dict[str, Any],
    *,
    callback_answer: CallbackAnswer | None = None,
    progress_message_id: int | None = None,
    scheduled_at: datetime | None = None,
) -> None:
    """Create the broadcast. Sent now, the preview message becomes its progress message,
    which from then on only the sending job edits, so that the messages about it come in the
    order of what happens: started, progress, the final report."""
    if await svc.by_draft(session, data["draft"]) is not None:  # a second tap
        if callback_answer is not None:
            alert(callback_answer, _("This broadcast was already confirmed."))
        return
    on_its_way: Message | None = None
    if scheduled_at is None:
        # Both said before the broadcast exists: from its creation on, the sending job may
        # edit the progress message at any moment, and its messages must come after these.
        await message.edit_text(_("🚀 Starting the broadcast…"), reply_markup=None)
        on_its_way = await message.answer(
            _("🚀 The broadcast is on its way. You can keep using the bot meanwhile."),
            reply_markup=kb.main_menu(),
        )
    try:
        broadcast, created = await svc.create(
            session,
            actor=roles,
            content=svc.Content(data["content_type"], data.get("text") or "", data.get("file_id")),
            audience=aud.Audience.from_data(data.get("audience")),
            buttons=data.get("buttons") or [],
            now=clock(),
            policy=policy.quota,
            draft_key=data["draft"],
            scheduled_at=scheduled_at,
            progress_message_id=progress_message_id,
        )
    except ServiceError as exc:
        if on_its_way is not None:  # it said "starting": say why not, and go back
            await on_its_way.edit_text(_("The broadcast was not sent."))
            await message.edit_text(describe(exc), reply_markup=views.change_markup())
        elif callback_answer is not None:
            alert(callback_answer, describe(exc))
        else:
            await message.answer(describe(exc))
        return
    await state.clear()
    if not created:  # a second tap at the same moment: the first one's messages stand
        if on_its_way is not None:
            with contextlib.suppress(TelegramBadRequest):
                await on_its_way.delete()
        if callback_answer is not None:
            alert(callback_answer, _("This broadcast was already confirmed."))
        return
    if scheduled_at is None:
        if broadcasts is not None:
            broadcasts.wake()
        return
    await message.answer(
        _(
            "🕒 Broadcast #{id} is scheduled for {when} (WIB). The recipients are counted when "
            "it starts. /broadcasts shows it."
        ).format(id=broadcast.id, when=moment(scheduled_at, locale, policy.tz)),
        reply_markup=kb.main_menu(),
    )
    if broadcasts is not None:
        broadcasts.wake()


@routes.callback_query(SetupCb.filter(F.action == "when"))
async def ask_when(
    callback: CallbackQuery,
    state: FSMContext,
    policy: Policy,
    clock: Clock,
    callback_answer: CallbackAnswer,
) -> None:
    if await _draft(state, callback_answer) is None or not isinstance(callback.message, Message):
        return
    await state.set_state(BroadcastForm.schedule)
    example = (clock().astimezone(policy.tz) + timedelta(days=1)).replace(hour=8, minute=0)
    await callback.message.answer(
        _(
            "🕒 When should it be sent? Type the date and time in WIB, for example "
            "<code>{example}</code>."
        ).format(example=example.strftime("%d.%m.%Y %H:%M")),
        reply_markup=kb.cancel_keyboard(),
    )


@routes.message(BroadcastForm.schedule, F.text, ~F.text.startswith("/"), F.text != kb.CANCEL)
async def got_when(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    roles: Roles,
    locale: str,
    policy: Policy,
    clock: Clock,
    broadcasts: BroadcastRunner | None = None,
) -> None:
    when = svc.parse_when(message.text or "", policy.tz)
    if when is None:
        await message.answer(
            _("I could not read that. Please type it like <code>28.11.2026 08:00</code>.")
        )
        return
    data = await state.get_data()
    await _create(
        message, state, session, roles, locale, policy, clock, broadcasts, data,
        scheduled_at=when,
    )  # fmt: skip


@routes.callback_query(SetupCb.filter(F.action == "abort"))
async def abort(callback: CallbackQuery, state: FSMContext) -> None:
    await state.clear()
    await show(callback, _("✖️ Broadcast cancelled. Nothing was sent."), None)
    if isinstance(callback.message, Message):
        await callback.message.answer(_("Back to the menu."), reply_markup=kb.main_menu())
