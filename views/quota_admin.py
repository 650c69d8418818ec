"""The administrators' minimum-spend screens (/kuota_atur): the rules per class, the deadline
day, and the ASN exempt from the minimum."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder

from services import compliance
from services.quota import month_code, next_month
from views import keyboards as kb
from views.callbacks import ExemptReasonCb, QuotaAdminCb, QuotaFromCb
from views.format import button_text, day, esc, money
from views.quota import EXEMPTION_REASONS, exemption_reason, month_label

EXEMPTIONS_PAGE = 8


def deadline_text(deadline_day: int, locale: str) -> str:
    if deadline_day <= 0:
        return _("the last day of the month")
    return _("day {day} of the month").format(day=deadline_day)


def overview_screen(
    view: compliance.RulesOverview, locale: str
) -> tuple[str, InlineKeyboardMarkup]:
    lines = [
        _("⚙️ <b>Minimum spend rules — {month}</b>").format(month=month_label(view.month, locale)),
        "",
    ]
    for rule in view.classes:
        line = _("• Golongan {cls}: <b>{amount}</b>").format(
            cls=rule.quota_class, amount=money(rule.minimum, locale)
        )
        for start, amount in rule.upcoming:
            line += _(" → {amount} from {month}").format(
                amount=money(amount, locale), month=month_label(start, locale)
            )
        lines.append(line)
    lines += [
        "",
        _("⏰ Deadline: {when} (this month: {deadline})").format(
            when=deadline_text(view.deadline_day, locale), deadline=day(view.deadline, locale)
        ),
    ]
    for start, deadline_day in view.upcoming_deadlines:
        lines.append(
            _("   → {when} from {month}").format(
                when=deadline_text(deadline_day, locale), month=month_label(start, locale)
            )
        )
    lines += [
        _(
            "🧾 Purchases outside the catalog count up to {share}% of the minimum "
            "(<code>/porsi_luar 40 2027-01</code> changes it from a month on)."
        ).format(share=view.outside_share),
        _("🛡 Exempt ASN this month: {n}").format(n=view.exempt_count),
        "",
        _(
            "Tap a class to change its minimum. A change applies from the month you choose "
            "onward; past months keep the rule they had."
        ),
    ]
    builder = InlineKeyboardBuilder()
    for rule in view.classes:
        builder.button(
            text=rule.quota_class, callback_data=QuotaAdminCb(action="cls", cls=rule.quota_class)
        )
    builder.adjust(5)
    builder.row(
        InlineKeyboardButton(
            text=_("⏰ Deadline day"), callback_data=QuotaAdminCb(action="day").pack()
        )
    )
    builder.row(
        InlineKeyboardButton(
            text=_("🛡 Exemptions"), callback_data=QuotaAdminCb(action="ex").pack()
        )
    )
    return "\n".join(lines), builder.as_markup()


def month_choices(now_month: date, locale: str) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for offset in range(3):
        month = next_month(now_month, offset)
        builder.button(
            text=month_label(month, locale), callback_data=QuotaFromCb(month=month_code(month))
        )
    builder.adjust(1)
    return builder.as_markup()


def exemptions_screen(
    rows: Sequence[compliance.ExemptionRow], total: int, page: int, locale: str
) -> tuple[str, InlineKeyboardMarkup]:
    pages = max(1, -(-total // EXEMPTIONS_PAGE))
    lines = [_("🛡 <b>Exemptions</b> (this month and later): {n}").format(n=total), ""]
    builder = InlineKeyboardBuilder()
    for row in rows:
        lines.append(
            _("• {name} ({nip}, {opd}): {start} – {end}, {reason}").format(
                name=esc(row.name),
                nip=row.nip,
                opd=esc(row.opd),
                start=month_label(row.from_month, locale),
                end=month_label(row.to_month, locale),
                reason=exemption_reason(row.reason),
            )
        )
        builder.row(
            InlineKeyboardButton(
                text=button_text(_("🗑 End: {name}").format(name=row.name)),
                callback_data=QuotaAdminCb(action="exrm", id=row.id, page=page).pack(),
            )
        )
    if not rows:
        lines.append(_("Nobody is exempt."))
    kb.pager(builder, page, pages, lambda p: QuotaAdminCb(action="ex", page=p))
    builder.row(
        InlineKeyboardButton(
            text=_("➕ Exempt an ASN"), callback_data=QuotaAdminCb(action="exadd").pack()
        )
    )
    builder.row(
        InlineKeyboardButton(text=_("⬅️ Back"), callback_data=QuotaAdminCb(action="show").pack())
    )
    return "\n".join(lines), builder.as_markup()


def reason_choices() -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for code, label in EXEMPTION_REASONS.items():
        builder.button(text=label(), callback_data=ExemptReasonCb(code=code))
    builder.adjust(1)
    return builder.as_markup()
