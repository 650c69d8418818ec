"""How broadcasts look: the announcement as recipients get it, progress, reports, lists.

Used by the broadcast handlers and by the sending job (delivery.broadcasts). The announcement itself is
sent exactly as its author wrote it; only the bot's own wording around it (the footer and the
buttons) is in each recipient's language.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from aiogram import Bot
from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder
from babel.dates import format_timedelta

from views.i18n import babel_locale, get_i18n
from views.format import CAPTION_LIMIT, TEXT_LIMIT, esc, moment, progress_bar
from models import Broadcast, BroadcastStatus
from services import audience as aud
from services import broadcasts as svc


class BroadcastButtonCb(CallbackData, prefix="bq"):
    """A button under an announcement (opens a screen in a new message)."""

    action: str  # catalog, quota


class BroadcastCtlCb(CallbackData, prefix="bct"):
    id: int
    action: str  # pause, resume, cancel, cancel? (ask first), view, csv


class BroadcastListCb(CallbackData, prefix="bls"):
    page: int


B = BroadcastStatus


# ---------------------------------------------------------------------- the announcement


def footer(sender_opd: str | None) -> str:
    if sender_opd:
        return _("📢 Announcement from {opd} via TukuLokal").format(opd=esc(sender_opd))
    return _("📢 Announcement from the TukuLokal administrators")


def footer_length(sender_opd: str | None) -> int:
    """The longest footer in any language, in Telegram's units (plain text, UTF-16)."""
    i18n = get_i18n()
    longest = 0
    for locale in i18n.available_locales or ("id",):
        with i18n.context(), i18n.use_locale(locale):
            text = footer(sender_opd)
        longest = max(longest, utf16_len(_unescape(text)))
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
) -> Callable[[Bot, int], object]:
    """A `make(bot, chat_id)` for the current locale (call it inside the recipient's locale)."""
    body = announcement_text(text, sender_opd)
    markup = announcement_markup(buttons)
    if content_type == "photo":
        return lambda bot, chat_id: bot.send_photo(
            chat_id, file_id, caption=body, reply_markup=markup
        )
    if content_type == "document":
        return lambda bot, chat_id: bot.send_document(
            chat_id, file_id, caption=body, reply_markup=markup
        )
    return lambda bot, chat_id: bot.send_message(chat_id, body, reply_markup=markup)


def broadcast_sender(broadcast: Broadcast) -> Callable[[Bot, int], object]:
    return announcement_sender(
        broadcast.content_type,
        broadcast.text,
        broadcast.file_id,
        broadcast.sender_opd,
        svc.buttons_of(broadcast),
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


def report_text(broadcast: Broadcast, stats: svc.Stats, locale: str, tz: object) -> str:
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


def summary_line(broadcast: Broadcast, stats: svc.Stats, locale: str, tz: object) -> str:
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
    bid = broadcast.id
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


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _unescape(text: str) -> str:
    import html

    return html.unescape(text)


def _aware(value: datetime) -> datetime:
    from datetime import UTC

    return value if value.tzinfo else value.replace(tzinfo=UTC)
