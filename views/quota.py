"""The ASN's minimum spend: this month (counted, remaining, deadline) and the last months."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, tzinfo

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder
from babel.dates import format_date

from services.compliance import HistoryMonth
from services.quota import QuotaStatus
from views import keyboards as kb
from views.callbacks import QuotaHistoryCb, QuotaViewCb
from views.format import day, esc, fit_html, moment, money, progress_bar
from views.gap import gap_button
from views.i18n import babel_locale
from views.outside import quota_lines as outside_lines
from views.outside import start_button as outside_button

MAX_ORDERS_LISTED = 20
HISTORY_MONTHS = 6

EXEMPTION_REASONS = {
    "leave": lambda: _("leave"),
    "study": lambda: _("study assignment"),
    "new_appointment": lambda: _("newly appointed"),
    "illness": lambda: _("illness"),
    "secondment": lambda: _("secondment"),
}


def exemption_reason(reason: str) -> str:
    """An exemption's reason: the offered ones translated, typed ones as typed (escaped)."""
    label = EXEMPTION_REASONS.get(reason)
    return label() if label else esc(reason)


def month_label(month: date, locale: str) -> str:
    return format_date(month, format="MMMM y", locale=babel_locale(locale))


def quota_screen(status: QuotaStatus, locale: str, tz: tzinfo) -> tuple[str, InlineKeyboardMarkup]:
    month = month_label(status.month, locale)
    lines = [
        _("📊 <b>Minimum spend — {month}</b>").format(month=month),
        _("Class: golongan {golongan}").format(golongan=esc(status.golongan)),
        _("Minimum: <b>{minimum}</b>").format(minimum=money(status.minimum, locale)),
        _("Counted so far: <b>{spent}</b>").format(spent=money(status.spent, locale)),
        f"{progress_bar(status.ratio)} {round(status.ratio * 100)}%",
    ]
    if status.exemption is not None:
        lines.append(
            _(
                "🛡 You are exempt from the minimum from {start} to {end} ({reason}). Your "
                "orders are still recorded."
            ).format(
                start=month_label(status.exemption.from_month, locale),
                end=month_label(status.exemption.to_month, locale),
                reason=exemption_reason(status.exemption.reason),
            )
        )
    elif status.met:
        lines.append(
            _("✅ You have met this month's minimum. Thank you for supporting local UMKM!")
        )
    else:
        lines.append(
            _("Remaining: <b>{remaining}</b>").format(remaining=money(status.remaining, locale))
        )
        if status.days_left > 0:
            lines.append(
                _("⏰ Deadline: {deadline} ({days} days left)").format(
                    deadline=day(status.deadline, locale), days=status.days_left
                )
            )
        elif status.days_left == 0:
            lines.append(
                _("⏰ Deadline: today, {deadline}").format(deadline=day(status.deadline, locale))
            )
        else:
            lines.append(
                _("⏰ The deadline ({deadline}) has passed.").format(
                    deadline=day(status.deadline, locale)
                )
            )
    if status.orders:
        lines.append("")
        lines.append(_("<b>Counted orders</b>"))
        for order in status.orders[:MAX_ORDERS_LISTED]:
            lines.append(
                _("• #{id} {merchant} — {total} ({when})").format(
                    id=order.id,
                    merchant=esc(order.merchant_name),
                    total=money(order.total, locale),
                    when=moment(order.paid_at, locale, tz),
                )
            )
        if len(status.orders) > MAX_ORDERS_LISTED:
            lines.append(_("… and {n} more").format(n=len(status.orders) - MAX_ORDERS_LISTED))
    elif not status.outside_counted:
        lines.append("")
        lines.append(
            _(
                "No order counted yet this month. An order counts once the shop "
                "confirms your payment."
            )
        )
    lines += outside_lines(status, locale)
    builder = InlineKeyboardBuilder()
    builder.row(
        InlineKeyboardButton(text=_("🗓 Last months"), callback_data=QuotaHistoryCb().pack())
    )
    if status.exemption is None and not status.met:
        builder.row(gap_button())
    builder.row(kb.categories_button())
    builder.row(outside_button())
    return fit_html("\n".join(lines)), builder.as_markup()


def history_screen(
    months: Sequence[HistoryMonth], locale: str
) -> tuple[str, InlineKeyboardMarkup]:
    lines = [_("🗓 <b>Your last months</b>"), ""]
    for item in months:
        if item.exempt:
            mark = _("🛡 exempt")
        elif not item.closed:
            mark = ("✓ " if item.compliant else "… ") + _("so far")
        else:
            mark = "✓" if item.compliant else "✗"
        lines.append(
            _("<b>{month}</b>: {spent} / {minimum} {mark}").format(
                month=month_label(item.month, locale),
                spent=money(item.spent, locale),
                minimum=money(item.minimum, locale),
                mark=mark,
            )
        )
    if not months:
        lines.append(_("Nothing recorded yet."))
    lines += ["", _("✓ met the minimum · ✗ not met · closed months are kept as recorded")]
    builder = InlineKeyboardBuilder()
    builder.row(
        InlineKeyboardButton(text=_("⬅️ This month"), callback_data=QuotaViewCb().pack()),
        kb.categories_button(),
    )
    return "\n".join(lines), builder.as_markup()
