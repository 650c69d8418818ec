"""Deadline reminders as the ASN sees them, and the monthly summary's heading (sent by jobs).

The reminder's buttons open the catalog or the search in a new message, so the reminder with its
figures stays in the chat.
"""

from __future__ import annotations

from datetime import date

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder

from views.format import day, money
from views.gap import gap_button
from views.reports import month_name


class ReminderCb(CallbackData, prefix="rm"):
    action: str  # catalog, search


def reminder_text(
    *, month: date, deadline: date, today: date, minimum: int, spent: int, locale: str
) -> str:
    """The reminder in the active locale: days left, what remains, the deadline."""
    days = (deadline - today).days
    name = month_name(month, locale)
    if days <= 0:
        heading = _("⏰ <b>Today is the last day</b> to reach your minimum for {month}.")
    elif days == 1:
        heading = _("⏰ <b>Only 1 day left</b> to reach your minimum for {month}.")
    else:
        heading = _("⏰ <b>{days} days left</b> to reach your minimum for {month}.")
    lines = [
        heading.format(days=days, month=name),
        "",
        _("You still need <b>{remaining}</b>: {spent} of {minimum} counted so far.").format(
            remaining=money(max(0, minimum - spent), locale),
            spent=money(spent, locale),
            minimum=money(minimum, locale),
        ),
        _("📅 Deadline: {deadline}").format(deadline=day(deadline, locale)),
        "",
        _("An order counts once the shop confirms your payment. Find local products here:"),
    ]
    return "\n".join(lines)


def reminder_markup() -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=_("🛍️ Open the catalog"), callback_data=ReminderCb(action="catalog"))
    builder.button(text=_("🔎 Search products"), callback_data=ReminderCb(action="search"))
    builder.adjust(2)
    builder.row(gap_button())
    return builder.as_markup()


def closing_heading(month: date, locale: str) -> str:
    return _("🔒 <b>{month} is closed.</b> Here is the monthly summary.").format(
        month=month_name(month, locale)
    )
