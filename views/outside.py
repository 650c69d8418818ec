"""Purchases outside the catalog: the ASN's report (questions, preview, statuses in /kuota,
news of a decision), the verifier's screen (one submission with its flags) and the shops to
onboard."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, tzinfo

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext
from aiogram.utils.keyboard import InlineKeyboardBuilder
from babel.dates import format_date

from services.outside import REJECT_REASONS, Candidate, Draft, Review
from services.quota import OutsideItem, QuotaStatus
from services.wilayah import Kelurahan
from views.callbacks import OutsideFormCb, OutsideMoreCb, VerifyCb
from views.format import button_text, day, esc, fit_html, moment, money
from views.i18n import babel_locale

MAX_LISTED = 10

REJECT_LABELS = {
    "unreadable": lambda: _("the photo cannot be read"),
    "duplicate": lambda: _("this proof was already submitted"),
    "not_umkm": lambda: _("the shop is not a local UMKM"),
    "amount_mismatch": lambda: _("the amount does not match the proof"),
    "outside_city": lambda: _("the shop is not in Kota Malang"),
}


def month_label(month: date, locale: str) -> str:
    return format_date(month, format="MMMM y", locale=babel_locale(locale))


def reject_reason(reason: str | None) -> str:
    label = REJECT_LABELS.get(reason or "")
    return label() if label else esc(reason or "")


def status_text(item: OutsideItem) -> str:
    if item.status == "approved":
        return _("✅ approved")
    if item.status == "rejected":
        return _("❌ rejected: {reason}").format(reason=reject_reason(item.reject_reason))
    if item.status == "more_photos":
        return _("📷 another photo is asked for")
    return _("⏳ waiting for verification")


# --- the ASN's report --------------------------------------------------------------------


def ask_shop() -> str:
    return _(
        "🧾 <b>A purchase outside the catalog</b>\n\nBought at a local shop that is not in "
        "TukuLokal (a warung, a market stall)? Report it with a photo of the receipt or of the "
        "goods at the shop: once verified it counts toward your minimum.\n\nWhat is the "
        "shop's name?"
    )


def registered_shop_text(name: str) -> str:
    return _(
        "🏪 <b>{name}</b> is registered in TukuLokal: please order from it in the catalog, "
        "so that your purchase counts as soon as the shop confirms your payment. If you "
        "bought at another shop, type its name."
    ).format(name=esc(name))


def kecamatan_markup(names: Sequence[str]) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for index, name in enumerate(names):
        builder.button(
            text=button_text(name), callback_data=OutsideFormCb(action="kec", value=index)
        )
    builder.adjust(2)
    return builder.as_markup()


def ask_kecamatan() -> str:
    return _("In which kecamatan of Kota Malang is the shop? Tap it or type it.")


def ask_kelurahan(kecamatan: str) -> str:
    return _("Kecamatan {kecamatan}. Which kelurahan? Tap it or type it.").format(
        kecamatan=esc(kecamatan)
    )


def kelurahan_markup(places: Sequence[Kelurahan]) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for index, place in enumerate(places[:99]):
        builder.button(
            text=button_text(place.name), callback_data=OutsideFormCb(action="kel", value=index)
        )
    builder.adjust(3)
    return builder.as_markup()


def ask_items() -> str:
    return _("What did you buy? (for example: <i>nasi pecel 3 bungkus, es teh 3</i>)")


def ask_amount() -> str:
    return _("How much did you pay in total? (for example: <i>45.000</i> or <i>45rb</i>)")


def ask_date(first: date, today: date, locale: str) -> tuple[str, InlineKeyboardMarkup]:
    builder = InlineKeyboardBuilder()
    builder.button(text=_("Today"), callback_data=OutsideFormCb(action="date", value=0))
    builder.button(text=_("Yesterday"), callback_data=OutsideFormCb(action="date", value=1))
    text = _(
        "On which day did you buy it? Tap a button or type the date (<i>{example}</i>), "
        "from {first} to {today}."
    ).format(
        example=f"{today.day}/{today.month}",
        first=day(first, locale),
        today=day(today, locale),
    )
    return text, builder.as_markup()


def ask_photos() -> str:
    return _(
        "📷 Send one or more photos: the receipt, or the goods at the shop (an album is fine). "
        "Send a photo as a file to keep the date it was taken."
    )


def photo_received(count: int) -> tuple[str, InlineKeyboardMarkup]:
    builder = InlineKeyboardBuilder()
    builder.button(text=_("✅ Done"), callback_data=OutsideFormCb(action="done"))
    text = ngettext(
        "📷 {n} photo received. Send more, or tap Done.",
        "📷 {n} photos received. Send more, or tap Done.",
        count,
    ).format(n=count)
    return text, builder.as_markup()


def preview(
    draft: Draft, photos: int, share: int, locale: str
) -> tuple[str, InlineKeyboardMarkup]:
    lines = [
        _("🧾 <b>Check your report</b>"),
        "",
        _("Shop: <b>{name}</b>").format(name=esc(draft.shop_name)),
        _("Place: {kelurahan}, {kecamatan}").format(
            kelurahan=esc(draft.kelurahan), kecamatan=esc(draft.kecamatan)
        ),
        _("Bought: {items}").format(items=esc(draft.items)),
        _("Amount: <b>{amount}</b>").format(amount=money(draft.amount, locale)),
        _("Date: {date}").format(date=day(draft.purchase_date, locale)),
        ngettext("Photos: {n}", "Photos: {n}", photos).format(n=photos),
        "",
        _(
            "Once verified, it counts toward {month}; purchases outside the catalog count up "
            "to {share}% of your minimum."
        ).format(month=month_label(draft.purchase_date.replace(day=1), locale), share=share),
    ]
    builder = InlineKeyboardBuilder()
    builder.button(text=_("📨 Submit"), callback_data=OutsideFormCb(action="submit"))
    return "\n".join(lines), builder.as_markup()


def submitted(purchase_id: int) -> str:
    return _(
        "📨 Report #{id} was sent for verification. You will be told when it is decided; "
        "/kuota shows its status."
    ).format(id=purchase_id)


def start_button() -> InlineKeyboardButton:
    return InlineKeyboardButton(
        text=_("🧾 Report a purchase outside the catalog"),
        callback_data=OutsideFormCb(action="start").pack(),
    )


def quota_lines(status: QuotaStatus, locale: str) -> list[str]:
    """/kuota: what outside purchases count this month and each submission's status."""
    if not status.outside and not status.outside_approved:
        return []
    lines = [
        "",
        _("<b>Purchases outside the catalog</b>"),
        _("Counted: {counted} (at most {cap}, {share}% of the minimum)").format(
            counted=money(status.outside_counted, locale),
            cap=money(status.outside_cap, locale),
            share=status.outside_share,
        ),
    ]
    if status.outside_approved > status.outside_cap:
        lines.append(
            _("Approved {approved}: above the share, the rest does not count.").format(
                approved=money(status.outside_approved, locale)
            )
        )
    for item in status.outside[-MAX_LISTED:]:
        lines.append(
            _("• #{id} {shop} — {amount} ({date}): {status}").format(
                id=item.id,
                shop=esc(item.shop_name),
                amount=money(item.amount, locale),
                date=day(item.purchase_date, locale),
                status=status_text(item),
            )
        )
    return lines


def decision_notice(
    purchase_id: int, shop: str, amount: int, status: str, reason: str | None, locale: str
) -> tuple[str, InlineKeyboardMarkup | None]:
    """The ASN is told what a verifier decided."""
    values = {"id": purchase_id, "shop": esc(shop), "amount": money(amount, locale)}
    if status == "approved":
        text = _(
            "✅ Your purchase #{id} at {shop} ({amount}) was verified and counts toward your "
            "minimum. See /kuota."
        ).format(**values)
        return text, None
    if status == "rejected":
        text = _("❌ Your purchase #{id} at {shop} ({amount}) was not accepted: {reason}.").format(
            reason=reject_reason(reason), **values
        )
        return text, None
    builder = InlineKeyboardBuilder()
    builder.button(text=_("📷 Send another photo"), callback_data=OutsideMoreCb(id=purchase_id))
    text = _(
        "📷 To verify your purchase #{id} at {shop} ({amount}) another photo is needed: "
        "please send a clearer photo of the receipt or of the goods at the shop."
    ).format(**values)
    return text, builder.as_markup()


# --- the verifier ----------------------------------------------------------------------------


def _flag_lines(review: Review, locale: str) -> list[str]:
    flags = review.flags
    lines = []
    if flags.same_photo:
        lines.append(
            ngettext(
                "⚠️ The same photo is in {n} other submission.",
                "⚠️ The same photo is in {n} other submissions.",
                flags.same_photo,
            ).format(n=flags.same_photo)
        )
    if flags.same_shop_amount:
        lines.append(
            _("⚠️ Same shop and amount already reported this month ({n}×).").format(
                n=flags.same_shop_amount
            )
        )
    if flags.large_amount:
        lines.append(_("⚠️ A large amount."))
    if flags.exif_days_off is not None:
        lines.append(
            _("⚠️ The photo was taken {n} days away from the stated date.").format(
                n=flags.exif_days_off
            )
        )
    if flags.rush:
        lines.append(_("⚠️ {n} submissions just before the deadline.").format(n=flags.rush))
    return lines or [_("No warning.")]


def review_text(review: Review, locale: str, tz: tzinfo) -> str:
    p = review.purchase
    month = review.month
    lines = [
        _("🔎 <b>Verification #{id}</b> ({waiting} waiting)").format(
            id=p.id, waiting=review.waiting
        ),
        "",
        _("ASN: {name} ({opd})").format(name=esc(review.name), opd=esc(p.opd)),
        _("Shop: <b>{name}</b>, {kelurahan}, {kecamatan}").format(
            name=esc(p.shop_name), kelurahan=esc(p.kelurahan), kecamatan=esc(p.kecamatan)
        ),
        _("Bought: {items}").format(items=esc(p.items)),
        _("Amount: <b>{amount}</b> on {date}").format(
            amount=money(p.amount, locale), date=day(p.purchase_date, locale)
        ),
        _("Submitted: {when}").format(when=moment(p.created_at, locale, tz)),
        "",
        _("<b>{month} so far</b>: minimum {minimum}, orders {orders}").format(
            month=month_label(p.purchase_date.replace(day=1), locale),
            minimum=money(month.minimum, locale),
            orders=money(month.orders, locale),
        ),
        _("Outside purchases approved: {approved} (counted up to {cap})").format(
            approved=money(month.outside_approved, locale), cap=money(month.outside_cap, locale)
        ),
        "",
        *_flag_lines(review, locale),
    ]
    return fit_html("\n".join(lines))


def review_markup(review: Review) -> InlineKeyboardMarkup:
    pid = review.purchase.id or 0
    builder = InlineKeyboardBuilder()
    builder.button(text=_("✅ Approve"), callback_data=VerifyCb(action="ok", id=pid))
    builder.button(text=_("❌ Reject"), callback_data=VerifyCb(action="rej", id=pid))
    builder.button(
        text=_("📷 Ask for another photo"), callback_data=VerifyCb(action="more", id=pid)
    )
    builder.button(text=_("⏭ Skip"), callback_data=VerifyCb(action="skip", id=pid))
    builder.adjust(2, 1, 1)
    return builder.as_markup()


def reasons_markup(purchase_id: int) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for index, code in enumerate(REJECT_REASONS):
        builder.button(
            text=button_text(REJECT_LABELS[code]()),
            callback_data=VerifyCb(action="reason", id=purchase_id, code=index),
        )
    builder.adjust(1)
    return builder.as_markup()


def ask_reject_reason(purchase_id: int) -> str:
    return _("Why is #{id} rejected? Tap a reason or type another one.").format(id=purchase_id)


def decided_text(purchase_id: int, status: str, closed: bool) -> str:
    if status == "approved":
        text = _("✅ #{id} approved.").format(id=purchase_id)
        if closed:
            text += " " + _(
                "Its month is already closed: it shows as an adjustment in the reports."
            )
        return text
    if status == "rejected":
        return _("❌ #{id} rejected; the ASN was told why.").format(id=purchase_id)
    return _("📷 Another photo of #{id} was asked for.").format(id=purchase_id)


def menu_text(purchases: int, requests: int) -> tuple[str, InlineKeyboardMarkup]:
    builder = InlineKeyboardBuilder()
    builder.button(
        text=_("🧾 Purchases ({n})").format(n=purchases),
        callback_data=VerifyCb(action="next", kind="p"),
    )
    builder.button(
        text=_("🛡 Exemption requests ({n})").format(n=requests),
        callback_data=VerifyCb(action="next", kind="e"),
    )
    builder.adjust(1)
    text = _(
        "🔎 <b>Verification</b>\n\nPurchases outside the catalog waiting: {purchases}\n"
        "Exemption requests waiting: {requests}"
    ).format(purchases=purchases, requests=requests)
    return text, builder.as_markup()


def queue_empty() -> str:
    return _("✅ Nothing is waiting for verification.")


def candidates_screen(rows: Sequence[Candidate], locale: str) -> tuple[str, InlineKeyboardMarkup]:
    lines = [_("🏪 <b>Shops to invite to TukuLokal</b>"), ""]
    if not rows:
        lines.append(_("No shop outside TukuLokal is in several approved purchases yet."))
    for c in rows[:30]:
        lines.append(
            _("• <b>{name}</b> ({kecamatan}): {asn} ASN, {total}").format(
                name=esc(c.name),
                kecamatan=esc(c.kecamatan),
                asn=c.asn,
                total=money(c.total, locale),
            )
        )
    builder = InlineKeyboardBuilder()
    if rows:
        builder.button(text=_("⬇️ CSV"), callback_data=VerifyCb(action="csv"))
    return fit_html("\n".join(lines)), builder.as_markup()


def candidates_header() -> list[str]:
    return [_("Shop"), _("Kecamatan"), _("ASN"), _("Purchases"), _("Total (Rp)")]


def answer_expected() -> str:
    return _("Please answer the question above, or tap Cancel to stop without saving.")
