"""A declared outage: the administrator's questions and the notice everyone gets (written in
each recipient's language by the broadcast runner, from the outage's JSON)."""

from __future__ import annotations

import json
from datetime import date, datetime, tzinfo

from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder

from services.outages import Credit
from views.callbacks import OutageCb
from views.format import day, moment
from views.i18n import get_i18n
from views.quota import month_label


def ask_start() -> str:
    return _(
        "⚠️ <b>Declare an outage</b>\n\nWhen did the service become unavailable? Type the "
        "date and time (WIB), for example <i>2026-11-20 08:00</i>."
    )


def ask_end() -> str:
    return _("When did it work again? (for example <i>2026-11-20 14:30</i>)")


def confirm(
    starts_at: datetime, ends_at: datetime, key: str, locale: str, tz: tzinfo
) -> tuple[str, InlineKeyboardMarkup]:
    builder = InlineKeyboardBuilder()
    builder.button(
        text=_("✅ Declare and tell everyone"), callback_data=OutageCb(action="ok", key=key)
    )
    text = _(
        "Outage from {start} to {end}. The deadline of the month moves for everyone and all "
        "users are told. Declare it?"
    ).format(start=moment(starts_at, locale, tz), end=moment(ends_at, locale, tz))
    return text, builder.as_markup()


def notice_payload(starts_at: datetime, ends_at: datetime, credits: list[Credit]) -> str:
    """What the notice needs, stored as the broadcast's text."""
    return json.dumps(
        {
            "starts_at": starts_at.isoformat(),
            "ends_at": ends_at.isoformat(),
            "months": [[c.month.isoformat(), c.days, c.deadline.isoformat()] for c in credits],
        }
    )


def notice_text(payload: str, tz: tzinfo) -> str:
    """The notice in the current locale."""
    locale = get_i18n().current_locale
    data = json.loads(payload)
    lines = [
        _(
            "⚠️ <b>Service outage</b>\n\nTukuLokal was unavailable from {start} to {end}. "
            "We apologise for the inconvenience."
        ).format(
            start=moment(datetime.fromisoformat(data["starts_at"]), locale, tz),
            end=moment(datetime.fromisoformat(data["ends_at"]), locale, tz),
        )
    ]
    for month, days, deadline in data.get("months", []):
        lines.append(
            _("The deadline of {month} moves by {days} days, to {deadline}.").format(
                month=month_label(date.fromisoformat(month), locale),
                days=days,
                deadline=day(date.fromisoformat(deadline), locale),
            )
        )
    return "\n".join(lines)


def declared_text(credits: list[Credit], recipients: int, locale: str) -> str:
    lines = [_("✅ Outage declared.")]
    for credit in credits:
        lines.append(
            _("{month}: deadline moved by {days} days, to {deadline}.").format(
                month=month_label(credit.month, locale),
                days=credit.days,
                deadline=day(credit.deadline, locale),
            )
        )
    lines.append(_("Everyone is being told ({n} users).").format(n=recipients))
    return "\n".join(lines)
