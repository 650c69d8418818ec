"""How broadcasts look: the announcement as recipients get it, progress, reports, lists.

Used by the broadcast handlers and by the sending job (delivery.broadcasts). The announcement
itself is sent exactly as its author wrote it; only the bot's own wording around it (the footer
and the buttons) is in each recipient's language.
"""

from __future__ import annotations

import html
import math
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any

from aiogram import Bot
from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder
from babel.dates import format_timedelta
from babel.numbers import format_decimal

from models import Broadcast, BroadcastStatus
from models.tables import stored_id
from services import audience as aud
from services import broadcasts as svc
from services.admins import Role
from services.golongan import QUOTA_CLASSES
from services.policy import WIB, BroadcastPolicy
from views import keyboards as kb
from views.callbacks import Id
from views.format import CAPTION_LIMIT, TEXT_LIMIT, button_text, esc, moment, progress_bar
from views.i18n import babel_locale, get_i18n
from views.outages import notice_text as outage_notice


class BroadcastButtonCb(CallbackData, prefix="bq"):
    """A button under an announcement (opens a screen in a new message)."""

    action: str  # catalog, quota


class BroadcastCtlCb(CallbackData, prefix="bct"):
    id: Id
    action: str  # pause, resume, cancel, cancel? (ask first), view, csv


class BroadcastListCb(CallbackData, prefix="bls"):
    page: Id


class SetupCb(CallbackData, prefix="bsu"):
    action: str  # kind, opds, opd, classes, cls, below, btn, main, preview, send, when, abort
    arg: Id = 0


OPD_PAGE = 8


B = BroadcastStatus


# ---------------------------------------------------------------------- the announcement


def footer(sender_opd: str | None) -> str:
    if sender_opd:
        return _("📢 Announcement from {opd} via TukuLokal").format(opd=esc(sender_opd))
    return _("📢 Announcement from the TukuLokal administrators")


def footer_length(sender_opd: str | None) -> int:
    """The longest footer in any language, as Telegram counts it (code points of the plain
    text)."""
    i18n = get_i18n()
    longest = 0
    for locale in i18n.available_locales or ("id",):
        with i18n.context(), i18n.use_locale(locale):
            text = footer(sender_opd)
        longest = max(longest, len(_unescape(text)))
    return longest + 2  # the blank line before it


def content_limit(content_type: str, sender_opd: str | None) -> int:
    limit = TEXT_LIMIT if content_type == "text" else CAPTION_LIMIT
    return limit - footer_length(sender_opd)


def announcement_text(text: str, sender_opd: str | None) -> str:
    body = text.rstrip()
    tail = f"<i>{footer(sender_opd)}</i>"
    return f"{body}\n\n{tail}" if body else tail


BUTTON_LABELS: dict[str, Callable[[], str]] = {
    "catalog": lambda: _("🛍️ Shop now"),
    "quota": lambda: _("📊 My quota"),
}


def announcement_markup(buttons: list[str]) -> InlineKeyboardMarkup | None:
    if not buttons:
        return None
    builder = InlineKeyboardBuilder()
    for name in buttons:
        builder.button(text=BUTTON_LABELS[name](), callback_data=BroadcastButtonCb(action=name))
    builder.adjust(2)
    return builder.as_markup()


def announcement_sender(
    content_type: str,
    text: str,
    file_id: str | None,
    sender_opd: str | None,
    buttons: list[str],
    *,
    paid: bool = False,
) -> Callable[[Bot, int], Awaitable[Message]]:
    """A `make(bot, chat_id)` for the current locale (call it inside the recipient's locale).

    `paid`: Telegram's paid broadcast (`allow_paid_broadcast`), beyond the free 30/s."""
    markup = announcement_markup(buttons)
    extra = paid or None  # None: the parameter is left out
    if content_type == "outage":  # written by the bot, in the recipient's language
        notice = outage_notice(text, WIB)
        return lambda bot, chat_id: bot.send_message(
            chat_id, notice, reply_markup=markup, allow_paid_broadcast=extra
        )
    body = announcement_text(text, sender_opd)
    if content_type == "photo":
        assert file_id is not None  # services.broadcasts refuses a photo without its file
        return lambda bot, chat_id: bot.send_photo(
            chat_id, file_id, caption=body, reply_markup=markup, allow_paid_broadcast=extra
        )
    if content_type == "document":
        assert file_id is not None  # and a document without its file
        return lambda bot, chat_id: bot.send_document(
            chat_id, file_id, caption=body, reply_markup=markup, allow_paid_broadcast=extra
        )
    return lambda bot, chat_id: bot.send_message(
        chat_id, body, reply_markup=markup, allow_paid_broadcast=extra
    )


def broadcast_sender(
    broadcast: Broadcast, *, paid: bool = False
) -> Callable[[Bot, int], Awaitable[Message]]:
    return announcement_sender(
        broadcast.content_type,
        broadcast.text,
        broadcast.file_id,
        broadcast.sender_opd,
        svc.buttons_of(broadcast),
        paid=paid,
    )


# ---------------------------------------------------------------------- describing


def audience_label(audience: aud.Audience) -> str:
    if audience.kind == aud.EVERYONE:
        return _("everyone who uses the bot")
    if audience.kind == aud.MERCHANTS:
        return _("all shops (owners and staff)")
    parts = [_("registered ASN")]
    if audience.opds:
        parts.append(_("OPD: {opds}").format(opds=esc(", ".join(audience.opds))))
    if audience.classes:
        parts.append(_("class: {classes}").format(classes=", ".join(audience.classes)))
    if audience.below_minimum:
        parts.append(_("still below this month's minimum"))
    return " · ".join(parts)


STATUS_LABELS: dict[str, Callable[[], str]] = {
    B.DRAFT: lambda: _("draft"),
    B.SCHEDULED: lambda: _("🕒 scheduled"),
    B.RUNNING: lambda: _("🚀 sending"),
    B.PAUSED: lambda: _("⏸ paused"),
    B.CANCELLED: lambda: _("✖️ cancelled"),
    B.DONE: lambda: _("✅ finished"),
}


def status_label(status: str) -> str:
    label = STATUS_LABELS.get(status)
    return label() if label else status


def duration(seconds: float, locale: str) -> str:
    seconds = max(0.0, seconds)
    if seconds < 60:
        return format_timedelta(
            timedelta(seconds=round(seconds)),
            granularity="second",
            threshold=2,
            locale=babel_locale(locale),
        )
    return format_timedelta(timedelta(seconds=seconds), threshold=2, locale=babel_locale(locale))


def progress_text(
    broadcast: Broadcast,
    stats: svc.Stats,
    locale: str,
    *,
    rate: float | None = None,
) -> str:
    total = stats.total or broadcast.total
    ratio = stats.done / total if total else 1.0
    lines = [
        _("📢 <b>Broadcast #{id}</b> — {status}").format(
            id=broadcast.id, status=status_label(broadcast.status)
        ),
        f"{progress_bar(ratio)} {round(ratio * 100)}%",
        _("✅ Sent: {sent} · ⚠️ Not delivered: {failed} · ⏳ Remaining: {remaining}").format(
            sent=stats.sent, failed=stats.unsuccessful, remaining=stats.remaining
        ),
    ]
    if broadcast.status == B.RUNNING and rate and stats.remaining:
        lines.append(
            _("⚡ {rate} messages/s · about {left} left").format(
                rate=f"{rate:.1f}", left=duration(stats.remaining / rate, locale)
            )
        )
    return "\n".join(lines)


def report_text(broadcast: Broadcast, stats: svc.Stats, locale: str, tz: tzinfo) -> str:
    if broadcast.status == B.CANCELLED:
        title = _("📢 <b>Broadcast #{id} cancelled</b>")
    else:
        title = _("📢 <b>Broadcast #{id} finished</b>")
    lines = [
        title.format(id=broadcast.id),
        _("To: {audience}").format(audience=audience_label(svc.audience_of(broadcast))),
        _("Recipients: {total}").format(total=stats.total),
        _("✅ Delivered: {n}").format(n=stats.sent),
        _("🚫 Blocked the bot: {n}").format(n=stats.blocked),
        _("👻 Account not found: {n}").format(n=stats.not_found),
        _("⚠️ Other errors: {n}").format(n=stats.failed),
    ]
    if stats.remaining:
        lines.append(_("✖️ Not sent (cancelled): {n}").format(n=stats.remaining))
    if broadcast.started_at and broadcast.finished_at:
        seconds = (_aware(broadcast.finished_at) - _aware(broadcast.started_at)).total_seconds()
        lines.append(_("⏱ Duration: {duration}").format(duration=duration(seconds, locale)))
    if broadcast.started_at:
        lines.append(
            _("🕒 Started: {when}").format(when=moment(_aware(broadcast.started_at), locale, tz))
        )
    return "\n".join(lines)


def summary_line(broadcast: Broadcast, stats: svc.Stats, locale: str, tz: tzinfo) -> str:
    """One entry of /broadcasts."""
    if broadcast.status == B.SCHEDULED and broadcast.scheduled_at:
        when = moment(_aware(broadcast.scheduled_at), locale, tz)
        figures = _("at {when}").format(when=when)
    else:
        when = moment(_aware(broadcast.started_at or broadcast.created_at), locale, tz)
        figures = _("{when} · sent {sent}/{total}, not delivered {failed}").format(
            when=when, sent=stats.sent, total=stats.total, failed=stats.unsuccessful
        )
    return _("<b>#{id}</b> {status} — {audience}\n    {figures}").format(
        id=broadcast.id,
        status=status_label(broadcast.status),
        audience=audience_label(svc.audience_of(broadcast)),
        figures=figures,
    )


def control_markup(broadcast: Broadcast, stats: svc.Stats | None = None) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    bid = stored_id(broadcast.id)
    if broadcast.status == B.RUNNING:
        builder.button(text=_("⏸ Pause"), callback_data=BroadcastCtlCb(id=bid, action="pause"))
    if broadcast.status == B.PAUSED:
        builder.button(text=_("▶️ Resume"), callback_data=BroadcastCtlCb(id=bid, action="resume"))
    if broadcast.status in (B.RUNNING, B.PAUSED, B.SCHEDULED):
        builder.button(
            text=_("✖️ Cancel broadcast"), callback_data=BroadcastCtlCb(id=bid, action="ask")
        )
    if stats is not None and stats.unsuccessful and broadcast.status in (B.DONE, B.CANCELLED):
        builder.button(
            text=_("📄 Failed recipients (CSV)"),
            callback_data=BroadcastCtlCb(id=bid, action="csv"),
        )
    builder.adjust(2)
    return builder.as_markup()


def confirm_cancel_markup(broadcast_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(
                    text=_("✖️ Yes, cancel it"),
                    callback_data=BroadcastCtlCb(id=broadcast_id, action="cancel").pack(),
                ),
                InlineKeyboardButton(
                    text=_("⬅️ No, keep it"),
                    callback_data=BroadcastCtlCb(id=broadcast_id, action="view").pack(),
                ),
            ]
        ]
    )


def _unescape(text: str) -> str:

    return html.unescape(text)


def _aware(value: datetime) -> datetime:

    return value if value.tzinfo else value.replace(tzinfo=UTC)


# ---------------------------------------------------------------------- composing


def mark(on: bool) -> str:
    return "☑️" if on else "⬜"


def _setup_text(
    role: Role, audience: aud.Audience, buttons: Sequence[str], figures: aud.AudienceCount
) -> str:
    lines = [
        _("📢 <b>Who should receive it?</b>"),
        _("To: {audience}").format(audience=audience_label(aud.for_role(role, audience))),
        _("Recipients: <b>{n}</b>").format(n=figures.recipients),
    ]
    if figures.unreachable:
        lines.append(
            _("({n} more blocked the bot or left Telegram: they are skipped)").format(
                n=figures.unreachable
            )
        )
    labels = [BUTTON_LABELS[b]() for b in buttons]
    lines.append(
        _("Buttons under the message: {buttons}").format(
            buttons=", ".join(labels) if labels else _("none")
        )
    )
    return "\n".join(lines)


def _audience_rows(builder: InlineKeyboardBuilder, role: Role, audience: aud.Audience) -> None:
    """The buttons that choose the audience: its kind (administrators), then ASN filters."""
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
    if audience.kind != aud.ASN:
        return
    row = []
    if role.is_admin:
        opds = (
            _("OPD: all")
            if not audience.opds
            else _("OPD: {n} chosen").format(n=len(audience.opds))
        )
        row.append(
            InlineKeyboardButton(text="🏢 " + opds, callback_data=SetupCb(action="opds").pack())
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
            text=mark(audience.below_minimum) + " " + _("📉 Below this month's minimum"),
            callback_data=SetupCb(action="below").pack(),
        )
    )


def setup_screen(
    role: Role, data: Mapping[str, Any], figures: aud.AudienceCount
) -> tuple[str, InlineKeyboardMarkup]:
    """Who receives the draft (`data`: the composing conversation) and with which buttons."""
    audience = aud.Audience.from_data(data.get("audience"))
    buttons = data.get("buttons") or []
    builder = InlineKeyboardBuilder()
    _audience_rows(builder, role, audience)
    builder.row(
        *[
            InlineKeyboardButton(
                text=mark(name in buttons) + " " + BUTTON_LABELS[name](),
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
    return _setup_text(role, audience, buttons, figures), builder.as_markup()


def opd_screen(data: Mapping[str, Any], page: int) -> tuple[str, InlineKeyboardMarkup]:
    opds: list[str] = data.get("opd_list") or []
    chosen = set(aud.Audience.from_data(data.get("audience")).opds)
    pages = max(1, -(-len(opds) // OPD_PAGE))
    page = min(max(0, page), pages - 1)
    builder = InlineKeyboardBuilder()
    for index in range(page * OPD_PAGE, min(len(opds), (page + 1) * OPD_PAGE)):
        builder.row(
            InlineKeyboardButton(
                text=mark(opds[index] in chosen) + " " + button_text(opds[index]),
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


def class_screen(data: Mapping[str, Any]) -> tuple[str, InlineKeyboardMarkup]:
    chosen = set(aud.Audience.from_data(data.get("audience")).classes)
    builder = InlineKeyboardBuilder()
    for index, quota_class in enumerate(QUOTA_CLASSES):
        label = quota_class if quota_class == "PPPK" else _("golongan {g}").format(g=quota_class)
        builder.button(
            text=mark(quota_class in chosen) + " " + label,
            callback_data=SetupCb(action="cls", arg=index),
        )
    builder.adjust(3)
    builder.row(
        InlineKeyboardButton(text=_("⬅️ Done"), callback_data=SetupCb(action="main").pack())
    )
    return _("🎖️ <b>Choose the classes</b> (none chosen: every class)."), builder.as_markup()


def confirm_markup(recipients: int) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(
        text=_("🚀 Send now to {n}").format(n=recipients), callback_data=SetupCb(action="send")
    )
    builder.button(text=_("🕒 Schedule…"), callback_data=SetupCb(action="when"))
    builder.button(text=_("✏️ Change"), callback_data=SetupCb(action="main"))
    builder.button(text=_("✖️ Cancel"), callback_data=SetupCb(action="abort"))
    builder.adjust(2)
    return builder.as_markup()


def change_markup() -> InlineKeyboardMarkup:
    """Back to the audience and buttons of the draft."""
    builder = InlineKeyboardBuilder()
    builder.button(text=_("✏️ Change"), callback_data=SetupCb(action="main"))
    builder.button(text=_("✖️ Cancel"), callback_data=SetupCb(action="abort"))
    return builder.as_markup()


def preview_note(
    audience: aud.Audience, recipients: int, pacing: BroadcastPolicy, locale: str
) -> str:
    note = _(
        "👆 This is exactly what the recipients will get (the footer and the buttons in "
        "their own language).\n\nTo: {audience}\nRecipients: <b>{n}</b>"
    ).format(audience=audience_label(audience), n=recipients)
    return f"{note}\n{sending_estimate(recipients, pacing, locale)}"


# Telegram's price of a paid broadcast message (Bot API, allow_paid_broadcast).
STARS_PER_PAID_MESSAGE = 0.1


def sending_estimate(recipients: int, pacing: BroadcastPolicy, locale: str) -> str:
    """How long sending takes at the normal rate and with paid broadcasts, and which is on."""
    free = _("Sending time: about {duration} ({rate} messages a second).").format(
        duration=duration(recipients / pacing.rate, locale),
        rate=format_decimal(pacing.rate, locale=babel_locale(locale)),
    )
    stars = format_decimal(
        math.ceil(recipients * STARS_PER_PAID_MESSAGE), locale=babel_locale(locale)
    )
    paid_time = duration(recipients / pacing.paid_rate, locale)
    paid_rate = format_decimal(pacing.paid_rate, locale=babel_locale(locale))
    if pacing.paid:
        paid = _(
            "💫 Paid broadcast is <b>on</b>: about {duration} ({rate} a second), paid from "
            "the bot's balance, up to {stars} Telegram Stars."
        )
    else:
        paid = _(
            "With paid broadcast (off; ALLOW_PAID_BROADCAST): about {duration} ({rate} a "
            "second), up to {stars} Telegram Stars."
        )
    return f"{free}\n{paid.format(duration=paid_time, rate=paid_rate, stars=stars)}"


# ---------------------------------------------------------------------- past and running


def list_screen(
    rows: Sequence[tuple[Broadcast, svc.Stats]],
    total: int,
    page: int,
    size: int,
    locale: str,
    tz: tzinfo,
) -> tuple[str, InlineKeyboardMarkup | None]:
    if not rows:
        return _("No broadcasts yet. Start one with /broadcast."), None
    lines = [_("📋 <b>Broadcasts</b>")]
    builder = InlineKeyboardBuilder()
    for broadcast, stats in rows:
        lines.append(summary_line(broadcast, stats, locale, tz))
        builder.button(
            text=f"#{broadcast.id}",
            callback_data=BroadcastCtlCb(id=stored_id(broadcast.id), action="view"),
        )
    builder.adjust(4)
    pages = max(1, -(-total // size))
    kb.pager(builder, page, pages, lambda p: BroadcastListCb(page=p))
    return "\n\n".join(lines), builder.as_markup()


def detail_text(
    broadcast: Broadcast, stats: svc.Stats, locale: str, tz: tzinfo, *, sending: bool
) -> str:
    # While its job still winds down, the job itself sends the final report.
    if broadcast.status in (B.DONE, B.CANCELLED) and not sending:
        return report_text(broadcast, stats, locale, tz)
    if broadcast.status == B.SCHEDULED:
        return summary_line(broadcast, stats, locale, tz)
    return progress_text(broadcast, stats, locale)
