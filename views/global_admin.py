"""The administrators' screens of the global window: certifications to verify, exchange
rates, the weekly showcase."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder

from models import Certification, CurrencyRate, ShowcasePost
from services.exporting import PendingCertification
from services.policy import Policy
from views.callbacks import CertDecisionCb, ShowcaseCb
from views.format import day, esc, fit_html, money
from views.global_window import cert_name

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def weekday_name(index: int) -> str:
    names = (
        _("Monday"), _("Tuesday"), _("Wednesday"), _("Thursday"), _("Friday"), _("Saturday"),
        _("Sunday"),
    )  # fmt: skip
    return names[index % 7]


def _showcase_line(week: date, post: ShowcasePost | None, policy: Policy, locale: str) -> str:
    if policy.showcase_channel is None:
        return _("📣 Showcase channel: not configured (SHOWCASE_CHANNEL).")
    when = _("{weekday} at {hour}:00 WIB").format(
        weekday=weekday_name(policy.showcase_weekday), hour=f"{policy.showcase_hour:02d}"
    )
    status = {
        None: _("planned"),
        "claimed": _("being posted"),
        "posted": _("posted"),
        "skipped": _("skipped by an administrator"),
        "failed": _("could not be posted"),
    }.get(post.status if post else None, "")
    return _("📣 Showcase in {channel}, weekly on {when}. The week of {week}: {status}.").format(
        channel=esc(policy.showcase_channel), when=when, week=day(week, locale), status=status
    )


def home_screen(
    pending: Sequence[PendingCertification],
    total: int,
    rates: Sequence[CurrencyRate],
    week: date,
    post: ShowcasePost | None,
    policy: Policy,
    locale: str,
) -> tuple[str, InlineKeyboardMarkup]:
    lines = [_("🌍 <b>Malang Mendunia</b> · the global window"), ""]
    lines.append(_("📜 Numbers waiting for verification: {n}").format(n=total))
    builder = InlineKeyboardBuilder()
    for number, item in enumerate(pending, start=1):
        cert = item.cert
        what = esc(item.product.name) if item.product else _("the shop")
        lines.append(
            _("{number}. {kind} {value} — {what} · {shop} (NIB {nib})").format(
                number=number,
                kind=cert_name(cert.kind),
                value=esc(cert.number),
                what=what,
                shop=esc(item.merchant.name),
                nib=esc(item.merchant.nib),
            )  # fmt: skip
        )
        builder.row(
            InlineKeyboardButton(
                text=_("✅ {number}. verified").format(number=number),
                callback_data=CertDecisionCb(action="ok", id=cert.id or 0).pack(),
            ),
            InlineKeyboardButton(
                text=_("❌ {number}. not valid").format(number=number),
                callback_data=CertDecisionCb(action="no", id=cert.id or 0).pack(),
            ),
        )
    if pending:
        lines.append(
            _("Check each number in its register (OSS, BPOM, BPJPH, BSN) before verifying.")
        )
    lines.append("")
    lines.append(_("💱 Exchange rates (approximate prices for foreign buyers):"))
    if not rates:
        lines.append(_("none yet"))
    for rate in rates:
        lines.append(
            _("1 {code} = {rupiah} (as of {date})").format(
                code=rate.code,
                rupiah=money(round(rate.rupiah), locale),
                date=day(rate.as_of, locale),
            )
        )
    lines.append(rate_usage())
    lines.append("")
    lines.append(_showcase_line(week, post, policy, locale))
    if policy.showcase_channel is not None:
        builder.row(*_showcase_buttons(week, post))
    builder.row(
        InlineKeyboardButton(
            text=_("🔄 Refresh"), callback_data=CertDecisionCb(action="list").pack()
        )
    )
    return fit_html("\n".join(lines)), builder.as_markup()


def _showcase_buttons(week: date, post: ShowcasePost | None) -> list[InlineKeyboardButton]:
    stamp = int(week.strftime("%Y%m%d"))
    row = [
        InlineKeyboardButton(
            text=_("👀 Preview"), callback_data=ShowcaseCb(action="preview", week=stamp).pack()
        )
    ]
    if post is None:
        row.append(
            InlineKeyboardButton(
                text=_("⏭ Skip this week"),
                callback_data=ShowcaseCb(action="skip", week=stamp).pack(),
            )
        )
    elif post.status == "skipped":
        row.append(
            InlineKeyboardButton(
                text=_("↩️ Post this week after all"),
                callback_data=ShowcaseCb(action="unskip", week=stamp).pack(),
            )
        )
    return row


def decided_toast(cert: Certification) -> str:
    if cert.status == "verified":
        return _("Verified: the badge shows as verified now.")
    if cert.status == "rejected":
        return _("Marked as not valid: the shop sees it and can correct the number.")
    return _("Saved.")


def rate_usage() -> str:
    return _(
        "Set a rate: <code>/kurs USD 15850</code> (rupiah for one unit; optionally the date: "
        "<code>/kurs JPY 106,5 2026-12-01</code>)."
    )


def rate_saved(rate: CurrencyRate, locale: str) -> str:
    return _(
        "✅ 1 {code} = {rupiah} as of {date}. Cards show approximate prices with this rate and "
        "its date."
    ).format(
        code=rate.code, rupiah=money(round(rate.rupiah), locale), date=day(rate.as_of, locale)
    )


def old_week_toast() -> str:
    return _("That button was for an earlier week: here is this week's plan.")


def too_few_text() -> str:
    return _("Not enough products with a photo for an album this week (at least 2).")
