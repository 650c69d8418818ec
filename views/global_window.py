"""Screens of the global window: certification badges and export details on a product card,
approximate prices in a foreign currency, the owner's export details and global-window
status, inquiries, the weekly showcase captions and the inline-mode results."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from datetime import date, datetime, tzinfo

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder
from babel import Locale
from babel.numbers import format_currency

from models import Certification, CurrencyRate, Inquiry, Merchant, Product
from services.currency import Approx
from services.export_formats import PRODUCT_CERTS, CertKind
from services.exporting import EXPORT_FIELDS, GlobalStatus, Missing
from services.inquiries import GlobalInterest, Thread
from services.sharing import SharedProduct
from services.showcase import Pick
from views.callbacks import (
    CurrencyCb,
    ExportCb,
    GlobalCb,
    InquiryCb,
    ManageProductCb,
    ShopCb,
)
from views.format import (
    CAPTION_LIMIT,
    button_text,
    day,
    esc,
    fit_html,
    moment,
    money,
    shorten,
    unit_label,
)
from views.i18n import babel_locale

# --- certifications and export details on a card --------------------------------------------


def cert_name(kind: str) -> str:
    names: dict[str, Callable[[], str]] = {
        CertKind.NIB: lambda: _("NIB"),
        CertKind.PIRT: lambda: _("P-IRT"),
        CertKind.BPOM: lambda: _("BPOM"),
        CertKind.HALAL: lambda: _("Halal"),
        CertKind.SNI: lambda: _("SNI"),
    }
    return names[kind]() if kind in names else kind


def badge_lines(certs: Sequence[Certification]) -> list[str]:
    """One line per certification: verified ones with ✅, the others plainly "not verified
    yet" (rejected numbers are not shown)."""
    lines = []
    for cert in certs:
        if cert.status == "verified":
            lines.append(
                _("✅ {name} {number} · verified by Diskopindag").format(
                    name=cert_name(cert.kind), number=esc(cert.number)
                )
            )
        elif cert.status == "pending":
            lines.append(
                _("▫️ {name} {number} · not verified yet").format(
                    name=cert_name(cert.kind), number=esc(cert.number)
                )
            )
    return lines


def weight_text(grams: int, locale: str) -> str:
    if grams >= 1000:
        return _("{kg} kg").format(
            kg=f"{grams / 1000:g}".replace(".", "," if locale == "id" else ".")
        )
    return _("{g} g").format(g=grams)


def export_lines(product: Product, locale: str) -> list[str]:
    """The export details a foreign buyer asks for, those the shop filled in."""
    lines = []
    if product.hs_code:
        lines.append(_("HS code: {code}").format(code=esc(product.hs_code)))
    if product.export_moq:
        lines.append(
            _("Minimum export order: {n} {unit}").format(
                n=product.export_moq, unit=esc(product.unit)
            )
        )
    if product.monthly_capacity:
        lines.append(
            _("Capacity: {n} {unit} a month").format(
                n=product.monthly_capacity, unit=esc(product.unit)
            )
        )
    if product.weight_grams or product.dimensions_cm:
        parts = []
        if product.weight_grams:
            parts.append(weight_text(product.weight_grams, locale))
        if product.dimensions_cm:
            parts.append(
                _("{dims} cm").format(dims=esc(product.dimensions_cm.replace("x", " × ")))
            )
        lines.append(_("Per unit: {details}").format(details=", ".join(parts)))
    if product.shelf_life_days:
        lines.append(_("Shelf life: {days} days").format(days=product.shelf_life_days))
    return lines


def foreign_money(amount: float, code: str, locale: str) -> str:
    """A foreign amount as its readers write it: "US$1.56" (English), "US$1,56" (Indonesian)."""
    return format_currency(amount, code, locale="id_ID" if locale == "id" else "en_001")


def approx_text(value: Approx, locale: str) -> str:
    """ "≈ US$1.57 (approximate, rate of 1 Dec 2026)"."""
    amount = foreign_money(value.amount, value.code, locale)
    return _("≈ {amount} (approximate, at the rate of {date})").format(
        amount=amount, date=day(value.as_of, locale)
    )


def card_extra(
    product: Product,
    certs: Sequence[Certification],
    approx: Approx | None,
    locale: str,
    *,
    export_ready: bool = False,
) -> str:
    """What the global window adds to a product card (may be empty)."""
    lines = []
    if export_ready:
        lines.append(_("🌍 Export-ready: in Malang's global window"))
    if approx is not None:
        lines.append("💱 " + approx_text(approx, locale))
    badges = badge_lines(certs)
    details = export_lines(product, locale)
    if badges:
        lines.append("")
        lines.extend(badges)
    if details:
        lines.append("")
        lines.append("🌍 " + " · ".join(details))
    return ("\n" + "\n".join(lines)) if lines else ""


def card_buttons(product_id: int) -> list[list[InlineKeyboardButton]]:
    rows = [
        [
            InlineKeyboardButton(
                text=_("✉️ Ask for a quote"),
                callback_data=InquiryCb(action="new", id=product_id).pack(),
            )
        ]
    ]
    return rows


# --- currency ----------------------------------------------------------------------------------


def currency_screen(
    rates: Sequence[CurrencyRate], chosen: str | None, locale: str
) -> tuple[str, InlineKeyboardMarkup]:
    builder = InlineKeyboardBuilder()
    for rate in rates:
        mark = "✓ " if rate.code == chosen else ""
        builder.button(text=f"{mark}{rate.code}", callback_data=CurrencyCb(code=rate.code))
    builder.button(
        text=("✓ " if not chosen else "") + _("Rupiah only"), callback_data=CurrencyCb(code="IDR")
    )
    builder.adjust(4)
    if not rates:
        return _(
            "💱 No exchange rates are set yet: prices are shown in rupiah only."
        ), builder.as_markup()
    lines = [
        _(
            "💱 <b>Approximate prices</b>\nChoose the currency in which cards also show an "
            "approximate price. Rates set by the city's administrators:"
        ),
        "",
    ]
    for rate in rates:
        lines.append(
            _("1 {code} = {rupiah} (as of {date})").format(
                code=rate.code,
                rupiah=money(round(rate.rupiah), locale),
                date=day(rate.as_of, locale),
            )
        )
    lines.append("")
    lines.append(_("Payments are always in rupiah; the other currency is only a guide."))
    return "\n".join(lines), builder.as_markup()


# --- the owner: export details and the global window -----------------------------------------


def field_label(field: str) -> str:
    labels: dict[str, Callable[[], str]] = {
        "name_en": lambda: _("English name"),
        "description_en": lambda: _("English description"),
        "hs_code": lambda: _("HS code"),
        "export_moq": lambda: _("Minimum export order"),
        "monthly_capacity": lambda: _("Monthly capacity"),
        "weight_grams": lambda: _("Weight per unit"),
        "dimensions_cm": lambda: _("Dimensions per unit"),
        "shelf_life_days": lambda: _("Shelf life"),
        "photo": lambda: _("Photo"),
        "nib": lambda: _("Verified NIB of the shop"),
    }
    if field in labels:
        return labels[field]()
    return cert_name(field)


def field_prompt(field: str) -> str:
    prompts: dict[str, Callable[[], str]] = {
        "name_en": lambda: _("Type the product's name in English, e.g. <i>Tempeh Chips</i>."),
        "description_en": lambda: _(
            "Type the description in English (at most 3000 characters). It must match the goods "
            "exactly: foreign buyers refuse goods that differ."
        ),
        "hs_code": lambda: _(
            "Type the HS code: 6 to 10 digits, e.g. <i>2008.19.90</i>. Ask Diskopindag or the "
            "customs office (Bea Cukai) if unsure."
        ),
        "export_moq": lambda: _("Type the minimum order for export, in units, e.g. <i>500</i>."),
        "monthly_capacity": lambda: _(
            "Type how many units you can make a month, e.g. <i>2000</i>."
        ),
        "weight_grams": lambda: _(
            "Type the weight of one unit, e.g. <i>250 g</i> or <i>1,5 kg</i>."
        ),
        "dimensions_cm": lambda: _(
            "Type the size of one packed unit in cm, length × width × height, e.g. <i>20x12x5</i>."
        ),
        "shelf_life_days": lambda: _(
            "Type the shelf life, e.g. <i>180 days</i> or <i>6 months</i>."
        ),
        CertKind.PIRT: lambda: _(
            "Type the P-IRT number, e.g. <i>P-IRT No. 2063507010123-25</i> (15 digits)."
        ),
        CertKind.BPOM: lambda: _(
            "Type the BPOM number, e.g. <i>BPOM RI MD 224510001234</i> (MD or ML and 12 digits)."
        ),
        CertKind.HALAL: lambda: _(
            "Type the halal certificate number from BPJPH, e.g. <i>ID35110000123450123</i> (or "
            "the older MUI number, 14 digits)."
        ),
        CertKind.SNI: lambda: _(
            "Type the SNI the product conforms to, e.g. <i>SNI 3719:2014</i>."
        ),
    }
    return prompts[field]()


def _value(product: Product, field: str, locale: str) -> str | None:
    value = getattr(product, field)
    if value in (None, ""):
        return None
    if field == "weight_grams":
        return weight_text(int(value), locale)
    if field == "dimensions_cm":
        return _("{dims} cm").format(dims=esc(str(value).replace("x", " × ")))
    if field == "shelf_life_days":
        return _("{days} days").format(days=value)
    if field == "description_en":
        return esc(shorten(str(value), 80))
    return esc(str(value))


def export_screen(
    product: Product, certs: Sequence[Certification], missing: Sequence[Missing], locale: str
) -> tuple[str, InlineKeyboardMarkup]:
    pid = product.id or 0
    lines = [_("🌍 <b>Export details of {name}</b>").format(name=esc(product.name)), ""]
    for field in EXPORT_FIELDS:
        value = _value(product, field, locale)
        lines.append(f"{field_label(field)}: {value if value is not None else '—'}")
    lines.append("")
    by_kind = {c.kind: c for c in certs}
    for kind in PRODUCT_CERTS:
        cert = by_kind.get(kind)
        if cert is None:
            lines.append(f"{cert_name(kind)}: —")
        else:
            lines.append(f"{cert_name(kind)}: {esc(cert.number)} · {cert_status(cert.status)}")
    nib = by_kind.get(CertKind.NIB)
    lines.append(
        f"{cert_name(CertKind.NIB)}: "
        + (
            f"{esc(nib.number)} · {cert_status(nib.status)}"
            if nib
            else _("not submitted for verification")
        )
    )
    lines.append("")
    lines.append(global_verdict(missing))
    builder = InlineKeyboardBuilder()
    for field in (*EXPORT_FIELDS, *PRODUCT_CERTS):
        builder.button(text=field_label(field), callback_data=ExportCb(id=pid, field=field))
    builder.adjust(2)
    builder.row(
        InlineKeyboardButton(text=_("⬅️ Back"), callback_data=ManageProductCb(id=pid).pack())
    )
    return fit_html("\n".join(lines)), builder.as_markup()


def cert_status(status: str) -> str:
    if status == "verified":
        return _("✅ verified")
    if status == "rejected":
        return _("❌ not accepted: check the number")
    return _("⏳ waiting for verification")


def global_verdict(missing: Sequence[Missing]) -> str:
    if not missing:
        return _("✅ Ready for the global window.")
    return _("Not yet in the global window. Missing: {items}.").format(
        items=", ".join(field_label(m.value) for m in missing)
    )


def global_screen(
    merchant: Merchant, statuses: Sequence[GlobalStatus], nib: Certification | None
) -> tuple[str, InlineKeyboardMarkup]:
    m = merchant.id or 0
    ready = sum(1 for s in statuses if not s.missing)
    lines = [
        _("🌍 <b>Global window of {shop}</b>").format(shop=esc(merchant.name)),
        _(
            "{ready} of {total} products are ready for foreign buyers (inline sharing, the "
            "showcase channel)."
        ).format(ready=ready, total=len(statuses)),
        "",
        _("NIB {nib}: {status}").format(
            nib=esc(merchant.nib),
            status=cert_status(nib.status) if nib else _("not submitted for verification"),
        ),
        "",
    ]
    builder = InlineKeyboardBuilder()
    for status in statuses[:40]:
        mark = "✅" if not status.missing else "✖️"
        lines.append(f"{mark} <b>{esc(status.product.name)}</b>")
        if status.missing:
            lines.append("   " + global_verdict(status.missing))
    for status in [s for s in statuses if s.missing][:20]:
        builder.button(
            text="🌍 " + button_text(status.product.name),
            callback_data=ExportCb(id=status.product.id or 0),
        )
    builder.adjust(1)
    if nib is None or nib.status == "rejected":
        builder.row(
            InlineKeyboardButton(
                text=_("📨 Ask Diskopindag to verify the NIB"),
                callback_data=GlobalCb(m=m, action="nib").pack(),
            )
        )
    builder.row(InlineKeyboardButton(text=_("⬅️ My shop"), callback_data=ShopCb(m=m).pack()))
    return fit_html("\n".join(lines)), builder.as_markup()


# --- inquiries ---------------------------------------------------------------------------------


def country_name(code: str, locale: str) -> str:
    return str(Locale.parse(babel_locale(locale)).territories.get(code, code))


def language_name(code: str, locale: str) -> str:
    try:
        return str(Locale.parse(babel_locale(locale)).languages.get(code, code))
    except (ValueError, LookupError):
        return code


def inquiry_status(status: str) -> str:
    labels: dict[str, Callable[[], str]] = {
        "new": lambda: _("new"),
        "answered": lambda: _("answered"),
        "quoted": lambda: _("quoted"),
        "closed": lambda: _("closed"),
    }
    return labels[status]() if status in labels else status


def _product_label(product: Product, locale: str) -> str:
    return product.name_en if locale == "en" and product.name_en else product.name


def inquiry_for_shop(thread: Thread, locale: str, tz: tzinfo) -> tuple[str, InlineKeyboardMarkup]:
    """A new inquiry, or the buyer's next message, as the shop gets it (no phone, no account
    of the buyer: only the bot relays)."""
    inquiry = thread.inquiry
    head = _(
        "✉️ <b>Inquiry #{id}</b> · {status}\n📦 {product}\n🔢 {quantity} {unit} · 🌍 to {country}\n"
        "🗣 The buyer writes in {language}."
    ).format(
        id=inquiry.id, status=inquiry_status(inquiry.status), product=esc(thread.product.name),
        quantity=inquiry.quantity, unit=esc(thread.product.unit),
        country=esc(country_name(inquiry.country, locale)),
        language=esc(language_name(inquiry.buyer_language, locale)),
    )  # fmt: skip
    body = ""
    if thread.last is not None:
        body = "\n\n" + _("Buyer: «{text}»").format(text=esc(thread.last.text))
    tail = "\n\n" + _("Reply here through the bot: your phone number stays private.")
    return fit_html(head + body + tail), inquiry_buttons(inquiry, shop=True)


def inquiry_for_buyer(thread: Thread, locale: str) -> tuple[str, InlineKeyboardMarkup]:
    inquiry = thread.inquiry
    head = _(
        "✉️ <b>Your inquiry #{id}</b> · {status}\n📦 {product} · {shop}\n"
        "🔢 {quantity} {unit} · 🌍 to {country}"
    ).format(
        id=inquiry.id, status=inquiry_status(inquiry.status),
        product=esc(_product_label(thread.product, locale)), shop=esc(thread.merchant.name),
        quantity=inquiry.quantity, unit=esc(thread.product.unit),
        country=esc(country_name(inquiry.country, locale)),
    )  # fmt: skip
    body = ""
    if thread.last is not None and thread.last.from_shop:
        label = _("Quote from the shop") if thread.last.is_quote else _("The shop replies")
        body = "\n\n" + f"{label}: «{esc(thread.last.text)}»"
    return fit_html(head + body), inquiry_buttons(inquiry, shop=False)


def inquiry_sent_text(thread: Thread, locale: str) -> str:
    return _(
        "✅ Inquiry #{id} was sent to {shop}. Their answer arrives here in this chat; your phone "
        "number is not shared."
    ).format(id=thread.inquiry.id, shop=esc(thread.merchant.name))


def inquiry_buttons(inquiry: Inquiry, *, shop: bool) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    iid = inquiry.id or 0
    if inquiry.status != "closed":
        builder.button(text=_("↩️ Reply"), callback_data=InquiryCb(action="reply", id=iid))
        if shop:
            builder.button(
                text=_("💰 Send a quote"), callback_data=InquiryCb(action="quote", id=iid)
            )
        builder.button(text=_("✔️ Close"), callback_data=InquiryCb(action="close", id=iid))
    builder.adjust(2)
    return builder.as_markup()


def inquiries_screen(
    merchant: Merchant,
    items: Sequence[tuple[Inquiry, Product]],
    counts: Counter[str],
    locale: str,
    tz: tzinfo,
) -> tuple[str, InlineKeyboardMarkup]:
    m = merchant.id or 0
    lines = [
        _("✉️ <b>Inquiries of {shop}</b>").format(shop=esc(merchant.name)),
        " · ".join(
            f"{inquiry_status(s)}: {counts.get(s, 0)}"
            for s in ("new", "answered", "quoted", "closed")
        ),
        "",
    ]
    builder = InlineKeyboardBuilder()
    if not items:
        lines.append(
            _("No inquiries yet. Products ready for the global window reach foreign buyers.")
        )
    for inquiry, product in items:
        lines.append(
            _("#{id} · {status} · {product} · {quantity} {unit} → {country} · {when}").format(
                id=inquiry.id,
                status=inquiry_status(inquiry.status),
                product=esc(product.name),
                quantity=inquiry.quantity,
                unit=esc(product.unit),
                country=esc(country_name(inquiry.country, locale)),
                when=moment(inquiry.created_at, locale, tz),
            )  # fmt: skip
        )
        builder.button(
            text=f"#{inquiry.id}", callback_data=InquiryCb(action="view", id=inquiry.id or 0)
        )
    builder.adjust(5)
    builder.row(InlineKeyboardButton(text=_("⬅️ My shop"), callback_data=ShopCb(m=m).pack()))
    return fit_html("\n".join(lines)), builder.as_markup()


def shop_lines(ready: int, total: int, new_inquiries: int) -> str:
    return (
        "\n"
        + _("🌍 Global window: {ready} of {total} products ready").format(ready=ready, total=total)
        + "\n"
        + _("✉️ New inquiries: {n}").format(n=new_inquiries)
    )


def shop_rows(merchant_id: int) -> list[InlineKeyboardButton]:
    return [
        InlineKeyboardButton(
            text=_("🌍 Global window"), callback_data=GlobalCb(m=merchant_id).pack()
        ),
        InlineKeyboardButton(
            text=_("✉️ Inquiries"), callback_data=GlobalCb(m=merchant_id, action="inq").pack()
        ),
    ]


def global_interest_text(stats: GlobalInterest, month_label: str, locale: str) -> str:
    lines = [_("🌍 <b>Global interest · {month}</b>").format(month=esc(month_label))]
    if not stats.total:
        lines.append(_("No inquiries from buyers this month."))
        return "\n".join(lines)
    share = round(100 * stats.answered / stats.total)
    lines.append(
        _("Inquiries: {n} · answered by the shop: {share}%").format(n=stats.total, share=share)
    )
    if stats.median_answer is not None:
        hours = stats.median_answer.total_seconds() / 3600
        lines.append(
            _("Median time to the first answer: {hours} hours").format(
                hours=f"{hours:.1f}".replace(".", "," if locale == "id" else ".")
            )
        )
    lines.append(
        _("By destination: {items}").format(
            items=", ".join(
                f"{esc(country_name(c, locale))} {n}" for c, n in stats.by_country[:10]
            )
        )
    )
    lines.append(
        _("By product: {items}").format(
            items=", ".join(f"{esc(name)} {n}" for name, n in stats.by_product[:10])
        )
    )
    return fit_html("\n".join(lines))


def month_heading(value: date, locale: str) -> str:
    from babel.dates import format_date

    return format_date(value, format="MMMM y", locale=babel_locale(locale))


def moment_text(value: datetime, locale: str, tz: tzinfo) -> str:
    return moment(value, locale, tz)


# --- inline mode -------------------------------------------------------------------------------


def shared_caption(item: SharedProduct, approx: Approx | None, link: str, locale: str) -> str:
    """The card posted into a chat from inline mode (a caption: ≤ 1024 characters)."""
    product = item.product
    lines = [f"<b>{esc(_product_label(product, locale))}</b>"]
    price = _("💰 {price} / {unit}").format(
        price=money(product.price, locale), unit=esc(unit_label(product.unit, locale))
    )
    if approx is not None:
        price += "\n💱 " + approx_text(approx, locale)
    lines.append(price)
    lines.append(_("🏪 {shop} · Kota Malang").format(shop=esc(item.merchant.name)))
    lines.extend(line for line in badge_lines(item.certs) if line.startswith("✅"))
    details = export_lines(product, locale)
    if details:
        lines.append("🌍 " + " · ".join(details))
    lines.append("")
    lines.append(_("🛍 Order or ask for a quote in TukuLokal: {link}").format(link=link))
    return fit_html("\n".join(lines), CAPTION_LIMIT)


def shared_description(item: SharedProduct, approx: Approx | None, locale: str) -> str:
    text = money(item.product.price, locale)
    if approx is not None:
        text += " · ≈ " + foreign_money(approx.amount, approx.code, locale)
    return f"{text} · {item.merchant.name}"


def open_button(link: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text=_("🛍 Open in TukuLokal"), url=link)]]
    )


def inline_start_text() -> str:
    return _("Open TukuLokal")


# --- the weekly showcase ---------------------------------------------------------------------


def showcase_caption(pick: Pick, link: str, approx: Approx | None) -> str:
    """One item of the album: Indonesian, then English (each caption ≤ 1024)."""
    product = pick.product
    name_en = product.name_en or product.name
    lines = [
        f"🇮🇩 <b>{esc(product.name)}</b> — {money(product.price, 'id')}",
        f"🏪 {esc(pick.merchant.name)} · Kec. {esc(pick.merchant.kecamatan)}",
        f"🇬🇧 <b>{esc(name_en)}</b> — {money(product.price, 'en')}",
    ]
    if approx is not None:
        amount = foreign_money(approx.amount, approx.code, "en")
        lines.append(f"≈ {amount} (approx.)")
    lines.append("")
    lines.append(f"🛍 Pesan / Order: {link}")
    return fit_html("\n".join(lines), CAPTION_LIMIT)
