"""Sentences for the refusal codes of rules, exemptions, closing and reports (merged into
handlers.errors.MESSAGES)."""

from __future__ import annotations

from datetime import date

from aiogram.utils.i18n import get_i18n
from aiogram.utils.i18n import gettext as _
from babel.dates import format_date

from bot.i18n import babel_locale
from handlers.render import esc


def _month(value: object) -> str:
    if not isinstance(value, date):
        return esc(str(value or ""))
    try:
        locale = get_i18n().current_locale
    except LookupError:
        locale = "id"
    return format_date(value, format="MMMM y", locale=babel_locale(locale))


COMPLIANCE_MESSAGES = {
    "amount_invalid": lambda p: _("That amount is not possible."),
    "day_invalid": lambda p: _(
        "The deadline day must be a number from 1 to 31, or 0 for the last day of the month."
    ),
    "month_invalid": lambda p: _("Please type a month as YYYY-MM, for example 2026-12."),
    "month_in_past": lambda p: _(
        "{month} has already begun or passed: past months keep the rule they had. Choose "
        "this month or a later one."
    ).format(month=_month(p.get("month"))),
    "month_in_future": lambda p: _("That month has not started yet."),
    "month_range_invalid": lambda p: _(
        "The months are not a valid range: the first must not be after the last, and an "
        "exemption lasts at most 60 months."
    ),
    "month_not_over": lambda p: _(
        "{month} cannot be closed before its deadline ({deadline}) is over."
    ).format(month=_month(p.get("month")), deadline=esc(str(p.get("deadline", "")))),
    "exemption_not_found": lambda p: _("That exemption does not exist any more."),
}
