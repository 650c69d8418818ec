"""The red flags of a month (/tanda): a page of flags with the orders each rests on, and for
administrators the buttons "reviewed, fine" and "referred"."""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from datetime import date

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder

from services.quota import month_code
from services.redflags import Flag, Rule
from views import keyboards as kb
from views.callbacks import FlagCb
from views.format import esc, fit_html, money
from views.reports import RULE_LABELS, month_name

FLAGS_PER_PAGE = 8
MAX_ORDERS_SHOWN = 10


def flag_digest(flag: Flag) -> str:
    return f"{zlib.crc32(flag.key.encode()):08x}"


def _verdict(flag: Flag) -> str:
    if flag.verdict == "fine":
        return _("✅ reviewed, fine")
    if flag.verdict == "referred":
        return _("📨 referred")
    return _("⏳ not reviewed")


def flags_screen(
    flags: Sequence[Flag], month: date, page: int, locale: str, *, can_review: bool
) -> tuple[str, InlineKeyboardMarkup]:
    pages = max(1, -(-len(flags) // FLAGS_PER_PAGE))
    page = min(max(page, 0), pages - 1)
    lines = [_("🚩 <b>Red flags — {month}</b>").format(month=month_name(month, locale))]
    if not flags:
        lines.append(_("No red flags this month."))
    builder = InlineKeyboardBuilder()
    code = month_code(month)
    first = page * FLAGS_PER_PAGE
    for index, flag in enumerate(flags[first : first + FLAGS_PER_PAGE], start=first):
        orders = ", ".join(f"#{i}" for i in flag.order_ids[:MAX_ORDERS_SHOWN])
        if len(flag.order_ids) > MAX_ORDERS_SHOWN:
            orders += " …"
        lines += [
            "",
            _("{n}. <b>{rule}</b> · {verdict}").format(
                n=index + 1, rule=esc(RULE_LABELS[flag.rule]()), verdict=_verdict(flag)
            ),
            _("NIP {nip} · {shop} ({code}) · {amount}").format(
                nip=esc(flag.nip),
                shop=esc(flag.merchant_name),
                code=esc(flag.merchant_code),
                amount=money(flag.amount, locale),
            ),
            _("Orders: {orders}").format(orders=orders),
        ]
        digest = flag_digest(flag)
        if can_review:
            builder.row(
                InlineKeyboardButton(
                    text=_("✅ {n}. fine").format(n=index + 1),
                    callback_data=FlagCb(month=code, action="fine", i=index, h=digest).pack(),
                ),
                InlineKeyboardButton(
                    text=_("📨 {n}. refer").format(n=index + 1),
                    callback_data=FlagCb(month=code, action="ref", i=index, h=digest).pack(),
                ),
            )
        if flag.rule == Rule.PRICE_RAISE:
            builder.row(
                InlineKeyboardButton(
                    text=_("🧾 {n}. price history").format(n=index + 1),
                    callback_data=FlagCb(month=code, action="ph", i=index, h=digest).pack(),
                )
            )
    kb.pager(builder, page, pages, lambda p: FlagCb(month=code, action="page", i=p))
    return fit_html("\n".join(lines)), builder.as_markup()
