"""Exemption requests: the ASN's questions, the verifier's screen, the news of a decision."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, tzinfo

from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder

from services.appeals import REASONS, RequestView
from services.quota import month_code
from views.callbacks import AppealCb, VerifyCb
from views.format import esc, moment
from views.quota import month_label

REASON_LABELS = {
    "leave": lambda: _("leave"),
    "illness": lambda: _("illness"),
    "secondment": lambda: _("secondment"),
    "other": lambda: _("another reason"),
}


def reason_label(code: str) -> str:
    label = REASON_LABELS.get(code)
    return label() if label else esc(code)


def ask_month(months: Sequence[date], locale: str) -> tuple[str, InlineKeyboardMarkup]:
    builder = InlineKeyboardBuilder()
    for month in months:
        builder.button(
            text=month_label(month, locale),
            callback_data=AppealCb(action="month", value=month_code(month)),
        )
    builder.adjust(1)
    text = _(
        "🛡 <b>Exemption request</b>\n\nIf you cannot meet the minimum in a month (leave, "
        "illness, secondment), you may ask to be exempted. For which month?"
    )
    return text, builder.as_markup()


def ask_reason() -> tuple[str, InlineKeyboardMarkup]:
    builder = InlineKeyboardBuilder()
    for index, code in enumerate(REASONS):
        builder.button(
            text=reason_label(code), callback_data=AppealCb(action="reason", value=index)
        )
    builder.adjust(2)
    return _("Why?"), builder.as_markup()


def ask_note(required: bool) -> tuple[str, InlineKeyboardMarkup | None]:
    if required:
        return _("Please describe the reason in a few words."), None
    builder = InlineKeyboardBuilder()
    builder.button(text=_("Skip"), callback_data=AppealCb(action="skip"))
    return _("Add a few words for the verifier, or tap Skip."), builder.as_markup()


def ask_document() -> tuple[str, InlineKeyboardMarkup]:
    builder = InlineKeyboardBuilder()
    builder.button(text=_("Send without a document"), callback_data=AppealCb(action="send"))
    return (
        _(
            "You may send a photo of a supporting document (a leave letter, a doctor's "
            "note), or send the request without one."
        ),
        builder.as_markup(),
    )


def sent_text(month: date, locale: str) -> str:
    return _(
        "📨 Your exemption request for {month} was sent. You will be told when it is decided."
    ).format(month=month_label(month, locale))


def request_text(view: RequestView, locale: str, tz: tzinfo) -> str:
    r = view.request
    lines = [
        _("🛡 <b>Exemption request #{id}</b> ({waiting} waiting)").format(
            id=r.id, waiting=view.waiting
        ),
        "",
        _("ASN: {name} ({opd})").format(name=esc(view.name), opd=esc(r.opd)),
        _("Month: {month}").format(month=month_label(r.month, locale)),
        _("Reason: {reason}").format(reason=reason_label(r.reason)),
    ]
    if r.note:
        lines.append(_("Note: {note}").format(note=esc(r.note)))
    lines.append(_("Submitted: {when}").format(when=moment(r.created_at, locale, tz)))
    if r.photo_file_id is None:
        lines.append(_("No document attached."))
    return "\n".join(lines)


def request_markup(request_id: int) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(
        text=_("✅ Approve"), callback_data=VerifyCb(action="ok", kind="e", id=request_id)
    )
    builder.button(
        text=_("❌ Decline"), callback_data=VerifyCb(action="rej", kind="e", id=request_id)
    )
    builder.button(
        text=_("⏭ Skip"), callback_data=VerifyCb(action="skip", kind="e", id=request_id)
    )
    builder.adjust(2, 1)
    return builder.as_markup()


def ask_decline_reason(request_id: int) -> str:
    return _("Why is request #{id} declined? Type the reason.").format(id=request_id)


def decided_text(request_id: int, approved: bool) -> str:
    if approved:
        return _("✅ Request #{id} approved: the ASN is exempt that month.").format(id=request_id)
    return _("❌ Request #{id} declined; the ASN was told why.").format(id=request_id)


def decision_notice(month: date, approved: bool, reason: str | None, locale: str) -> str:
    if approved:
        return _(
            "✅ Your exemption request for {month} was approved: that month you are exempt "
            "from the minimum."
        ).format(month=month_label(month, locale))
    return _("❌ Your exemption request for {month} was declined: {reason}").format(
        month=month_label(month, locale), reason=esc(reason or "")
    )
