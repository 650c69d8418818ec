"""One table: a polite, translated sentence for every refusal code services raise.

`describe(error)` gives the sentence as HTML (names escaped) for a message; `views.format.plain`
turns it into plain text for a pop-up alert. Each entry takes the error's params; a missing
param never raises. `tests/unit/test_refusals.py` fails when a `Refusal` has no entry here or
no Indonesian or English translation.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from types import SimpleNamespace
from typing import Any

from aiogram.utils.i18n import get_i18n
from aiogram.utils.i18n import gettext as _
from babel.dates import format_date

from services.errors import Refusal, ServiceError
from views.broadcasts import status_label as broadcast_status_label
from views.format import esc, money, status_label
from views.i18n import babel_locale
from views.import_messages import describe_money_error, describe_qris_error

Params = Mapping[str, Any]


def _locale() -> str:
    try:
        return get_i18n().current_locale
    except LookupError:
        return "id"


def _status(status: object) -> str:
    return status_label(str(status))


def _broadcast_status(status: str) -> str:
    return broadcast_status_label(status)


def _month(value: object) -> str:
    if not isinstance(value, date):
        return esc(str(value or ""))
    return format_date(value, format="MMMM y", locale=babel_locale(_locale()))


def _day(value: object) -> str:
    if not isinstance(value, date):
        return esc(str(value or ""))
    return format_date(value, format="long", locale=babel_locale(_locale()))


def _money_error(p: Params) -> str:
    error = SimpleNamespace(code=p.get("reason", ""), params=p.get("details") or {})
    return esc(describe_money_error(error, _, locale=_locale()))


def _qris_error(p: Params) -> str:
    error = SimpleNamespace(code=p.get("reason", ""), params={})
    return esc(describe_qris_error(error, _))


def _cert_kind(p: Params) -> str:
    from views.global_window import cert_name

    return cert_name(str(p.get("kind", "")))


def _export_field(p: Params) -> str:
    from views.global_window import field_label, field_prompt

    field = str(p.get("field", ""))
    try:
        return _("That is not a valid {field}.").format(field=field_label(field)) + (
            " " + field_prompt(field)
        )
    except KeyError:
        return _("That value is not valid.")


MESSAGES: dict[Refusal, Callable[[Params], str]] = {
    # the global window
    Refusal.HS_CODE_INVALID: lambda p: _(
        "An HS code has 6 to 10 digits, e.g. <i>2008.19.90</i> (dots and spaces are fine)."
    ),
    Refusal.NUMBER_INVALID: lambda p: _(
        "That does not look like a {kind} number. Please type it as printed on the certificate."
    ).format(kind=_cert_kind(p)),
    Refusal.EXPORT_VALUE_INVALID: _export_field,
    Refusal.CERTIFICATION_NOT_FOUND: lambda p: _(
        "This number is no longer waiting for a decision."
    ),
    Refusal.CURRENCY_UNKNOWN: lambda p: _(
        "The currency {currency} is not available. Use a code such as USD, SGD, MYR, EUR, JPY "
        "or SAR."
    ).format(currency=esc(str(p.get("currency", "")))),
    Refusal.RATE_INVALID: lambda p: _(
        "Please type the rate as rupiah for one unit, e.g. <code>15850</code> or "
        "<code>106,5</code>."
    ),
    Refusal.INQUIRY_NOT_FOUND: lambda p: _("This inquiry no longer exists."),
    Refusal.INQUIRY_CLOSED: lambda p: _(
        "This inquiry is closed. You can ask for a new quote on the product."
    ),
    Refusal.QUANTITY_BELOW_MOQ: lambda p: _(
        "The shop's minimum order for export is {moq}. Please type {moq} or more."
    ).format(moq=p.get("moq", "")),
    Refusal.COUNTRY_UNKNOWN: lambda p: _(
        "We do not know that country. Type its name in English or Indonesian (e.g. "
        "<i>Japan</i>, <i>Arab Saudi</i>) or its two-letter code (e.g. <i>JP</i>)."
    ),
    Refusal.MESSAGE_INVALID: lambda p: _(
        "Please type a message of at most {max} characters."
    ).format(max=p.get("max", 1000)),
    Refusal.SHOWCASE_DONE: lambda p: _("This week's showcase album was posted already."),
    # general
    Refusal.UNSUPPORTED_LANGUAGE: lambda p: _("That language is not available."),
    Refusal.PAYMENT_METHOD_INVALID: lambda p: _(
        "That way of paying is not available. Please choose another one."
    ),
    Refusal.FULFILMENT_INVALID: lambda p: _("Please choose how you get the goods."),
    Refusal.ADDRESS_REQUIRED: lambda p: _(
        "For a delivery the shop needs your address: tap “🛵 Delivery” and type it."
    ),
    Refusal.ADDRESS_INVALID: lambda p: _(
        "Please type the full address (street, number, kelurahan), at most {max} characters."
    ).format(max=p.get("max", 300)),
    # registration
    Refusal.NOT_IN_ROSTER: lambda p: _(
        "NIP {nip} is not in the city's ASN roster. Check the number, or ask your OPD's "
        "staffing officer (BKPSDM) to update the roster. You can also order as a general "
        "buyer."
    ).format(nip=p.get("nip", "")),
    Refusal.INACTIVE: lambda p: _(
        "NIP {nip} is no longer active in the city's roster. Please contact BKPSDM."
    ).format(nip=p.get("nip", "")),
    Refusal.NIP_NOT_CONFIRMED: lambda p: _(
        "We could not confirm NIP {nip} with the phone number of this Telegram account. Check "
        "the number you typed. If it is right, register from the Telegram account of the phone "
        "number recorded for you at BKPSDM, or ask your OPD's staffing officer to update the "
        "roster. Meanwhile you can order as a general buyer."
    ).format(nip=esc(str(p.get("nip", "")))),
    Refusal.NIP_TAKEN: lambda p: _(
        "This NIP is already linked to another Telegram account, so it cannot be registered "
        "here. An administrator has been told. If this is your NIP, contact the TukuLokal "
        "administrators."
    ),
    Refusal.ALREADY_REGISTERED: lambda p: _("You are already registered as an ASN."),
    Refusal.NOT_OWN_CONTACT: lambda p: _(
        "Please share <b>your own</b> phone number with the button below, not someone else's "
        "contact."
    ),
    Refusal.PHONE_INVALID: lambda p: _("That phone number is not valid."),
    Refusal.PHONE_MISMATCH: lambda p: _(
        "The phone number of this Telegram account does not match the one in the ASN roster "
        "for this NIP. Please register from the Telegram account of the number recorded at "
        "BKPSDM, or ask BKPSDM to update it."
    ),
    Refusal.NAME_INVALID: lambda p: _("Please type your full name (2 to 100 characters)."),
    Refusal.ALREADY_DECIDED: lambda p: _("This registration was already decided."),
    # merchants
    Refusal.NO_MERCHANT_FOR_PHONE: lambda p: _(
        "No UMKM in the catalog has this phone number. Ask the city's UMKM desk "
        "(Diskopindag) for your shop's link, or to correct the phone number on record."
    ),
    Refusal.INVALID_LINK: lambda p: _("This link is not valid or was already used."),
    Refusal.MERCHANT_SUSPENDED: lambda p: _("The shop {merchant} is suspended.").format(
        merchant=esc(str(p.get("merchant", "")))
    ),
    # cart and orders
    Refusal.PRODUCT_UNAVAILABLE: lambda p: _("Sorry, {name} is no longer available.").format(
        name=esc(str(p.get("name", _("this product"))))
    ),
    Refusal.OUT_OF_STOCK: lambda p: (
        _("Sorry, {name} is sold out.").format(name=esc(str(p.get("name", ""))))
        if not p.get("stock")
        else _("Only {stock} left in stock.").format(stock=p["stock"])
    ),
    Refusal.QUANTITY_INVALID: lambda p: _("That quantity is not possible."),
    Refusal.NOT_REGISTERED: lambda p: _(
        "To order, please register first: as an ASN with your NIP, or as a general buyer."
    ),
    Refusal.CART_EMPTY: lambda p: _("Your cart is empty."),
    Refusal.CART_CHANGED: lambda p: _(
        "Your cart changed since this summary was shown. Please check it again."
    ),
    Refusal.INVALID_TRANSITION: lambda p: _(
        "This step is not possible any more: the order is now “{status}”."
    ).format(status=_status(p.get("status", ""))),
    Refusal.REASON_REQUIRED: lambda p: _("Please type a reason."),
    Refusal.FORBIDDEN: lambda p: _("Sorry, you are not allowed to do that."),
    Refusal.NOT_FOUND: lambda p: _("Not found."),
    Refusal.ORDER_NOT_FOUND: lambda p: _("That order does not exist."),
    Refusal.PRODUCT_NOT_FOUND: lambda p: _("That product does not exist any more."),
    Refusal.NOT_ASN: lambda p: _(
        "The monthly minimum applies to ASN. Register with your NIP to follow it here."
    ),
    Refusal.CANNOT_REMOVE_CONFIGURED_ADMIN: lambda p: _(
        "This administrator is set in the bot's configuration (ADMIN_IDS) and cannot be "
        "removed in the chat."
    ),
    Refusal.CANNOT_REMOVE_SELF: lambda p: _("You cannot remove yourself."),
    Refusal.OPD_REQUIRED: lambda p: _("Please choose the OPD of the operator."),
    Refusal.UNKNOWN_OPD: lambda p: _("There is no OPD “{opd}” in the ASN roster.").format(
        opd=esc(str(p.get("opd", "")))
    ),
    Refusal.UNKNOWN_ROLE: lambda p: _("That role does not exist."),
    Refusal.UNKNOWN_CLASS: lambda p: _("There is no class “{quota_class}”.").format(
        quota_class=esc(str(p.get("quota_class", "")))
    ),
    Refusal.UNKNOWN_AUDIENCE: lambda p: _("That audience does not exist."),
    Refusal.BROADCAST_NOT_FOUND: lambda p: _("That broadcast does not exist."),
    Refusal.CONTENT_EMPTY: lambda p: _("The announcement is empty."),
    Refusal.UNKNOWN_CONTENT_TYPE: lambda p: _("Please send a text, a photo or a document."),
    Refusal.UNKNOWN_BUTTON: lambda p: _("That button is not available."),
    Refusal.EMPTY_AUDIENCE: lambda p: _(
        "Nobody would receive it. Please choose another audience."
    ),
    Refusal.SCHEDULE_IN_PAST: lambda p: _(
        "That time has already passed. Please type a later one."
    ),
    Refusal.INVALID_STATE: lambda p: _("Not possible: this broadcast is {status} now.").format(
        status=_broadcast_status(str(p.get("status", "")))
    ),
    Refusal.UNKNOWN_ACTION: lambda p: _("Sorry, that is not possible."),
    Refusal.AMOUNT_INVALID: lambda p: _("That amount is not possible."),
    Refusal.DAY_INVALID: lambda p: _(
        "The deadline day must be a number from 1 to 31, or 0 for the last day of the month."
    ),
    Refusal.MONTH_INVALID: lambda p: _("Please type a month as YYYY-MM, for example 2026-12."),
    Refusal.MONTH_IN_PAST: lambda p: _(
        "{month} has already begun or passed: past months keep the rule they had. Choose "
        "this month or a later one."
    ).format(month=_month(p.get("month"))),
    Refusal.MONTH_IN_FUTURE: lambda p: _("That month has not started yet."),
    Refusal.MONTH_RANGE_INVALID: lambda p: _(
        "The months are not a valid range: the first must not be after the last, and an "
        "exemption lasts at most 60 months."
    ),
    Refusal.MONTH_NOT_OVER: lambda p: _(
        "{month} cannot be closed before its deadline ({deadline}) is over."
    ).format(month=_month(p.get("month")), deadline=esc(str(p.get("deadline", "")))),
    Refusal.EXEMPTION_NOT_FOUND: lambda p: _("That exemption does not exist any more."),
    Refusal.OWNER_ONLY: lambda p: _("Only the shop's owner can do that."),
    Refusal.LOCATION_OUTSIDE_CITY: lambda p: _(
        "That location is outside Kota Malang. Please send the location of the shop itself."
    ),
    Refusal.MERCHANT_NOT_FOUND: lambda p: _("No shop has the code {code}.").format(
        code=esc(str(p.get("merchant_code", "")))
    ),
    Refusal.NOT_SUSPENDED: lambda p: _("The shop {merchant} is not suspended.").format(
        merchant=esc(str(p.get("merchant", "")))
    ),
    Refusal.CATEGORY_NOT_FOUND: lambda p: _("That category does not exist."),
    Refusal.NAME_EMPTY: lambda p: _("Please type a name of at least 2 characters."),
    Refusal.NAME_TOO_LONG: lambda p: _(
        "This name has {length} characters; at most {max} are allowed. Please type a shorter one."
    ).format(length=p.get("length", "?"), max=p.get("max", "?")),
    Refusal.NAME_TAKEN: lambda p: _(
        "Your shop already has a product called “{name}”. Please choose another name."
    ).format(name=esc(str(p.get("name", "")))),
    Refusal.PRICE_INVALID: _money_error,
    Refusal.PRICE_NOT_POSITIVE: lambda p: _("The price must be more than Rp0."),
    Refusal.PRICE_TOO_LARGE: lambda p: _("The price can be at most {maximum}.").format(
        maximum=money(int(p.get("maximum", 0)), _locale())
    ),
    Refusal.UNIT_INVALID: lambda p: _(
        "Please type the unit in at most {max} characters (e.g. pcs, bungkus, kg)."
    ).format(max=p.get("max", 30)),
    Refusal.STOCK_INVALID: lambda p: _(
        "The stock must be a whole number such as 0, 5 or 120 (you typed “{value}”)."
    ).format(value=esc(str(p.get("value", "")))),
    Refusal.STOCK_NEGATIVE: lambda p: _("The stock cannot be negative. Type 0 if it is sold out."),
    Refusal.STOCK_TOO_LARGE: lambda p: _("The stock can be at most {maximum}.").format(
        maximum=p.get("maximum", "?")
    ),
    Refusal.TEXT_TOO_LONG: lambda p: _(
        "This text has {length} characters; at most {max} are allowed. Please shorten it."
    ).format(length=p.get("length", "?"), max=p.get("max", "?")),
    Refusal.PHOTO_INVALID: lambda p: _("That photo cannot be used. Please send another one."),
    Refusal.PRODUCT_IN_OPEN_ORDER: lambda p: _(
        "This product is in {orders} open order(s). Finish or reject them first, or hide the "
        "product instead."
    ).format(orders=p.get("orders", "?")),
    Refusal.INVITE_INVALID: lambda p: _("This invitation is not valid or was already used."),
    Refusal.INVITE_EXPIRED: lambda p: _(
        "This invitation has expired. Please ask the shop's owner for a new one."
    ),
    Refusal.ALREADY_MEMBER: lambda p: _("You already work for {merchant}.").format(
        merchant=esc(str(p.get("merchant", "")))
    ),
    Refusal.CANNOT_REMOVE_OWNER: lambda p: _("The shop's owner cannot be removed."),
    Refusal.QRIS_INVALID: lambda p: _("This QRIS cannot be used: {reason}").format(
        reason=_qris_error(p)
    ),
    Refusal.QRIS_MISSING: lambda p: _("This shop has no QRIS registered."),
    Refusal.QRIS_UNAVAILABLE: lambda p: _(
        "{merchant} does not accept QRIS yet. Please choose another way to pay."
    ).format(merchant=esc(str(p.get("merchant", "")))),
    Refusal.PROOF_NOT_EXPECTED: lambda p: _(
        "A payment proof can be sent once the shop has accepted the order and before it "
        "confirms the payment."
    ),
    Refusal.PROOF_MISSING: lambda p: _("There is no payment proof waiting on this order."),
    Refusal.OUTSIDE_SHOP_INVALID: lambda p: _(
        "Please type the shop's name in 2 to {max} characters."
    ).format(max=p.get("max", 120)),
    Refusal.OUTSIDE_REGISTERED_SHOP: lambda p: _(
        "{name} is registered in TukuLokal: please order from it in the catalog."
    ).format(name=esc(str(p.get("name", "")))),
    Refusal.OUTSIDE_ITEMS_INVALID: lambda p: _(
        "Please describe what you bought in 2 to {max} characters."
    ).format(max=p.get("max", 500)),
    Refusal.OUTSIDE_DATE_INVALID: lambda p: _(
        "Please type the date as day/month, for example 3/12, or day/month/year."
    ),
    Refusal.OUTSIDE_DATE_OUT_OF_RANGE: lambda p: _(
        "The date must be between {first} and today ({today})."
    ).format(first=_day(p.get("first")), today=_day(p.get("today"))),
    Refusal.OUTSIDE_NO_PHOTO: lambda p: _("Please send at least one photo first."),
    Refusal.OUTSIDE_TOO_MANY_PHOTOS: lambda p: _(
        "At most {max} photos can be sent with one purchase."
    ).format(max=p.get("max", 10)),
    Refusal.OUTSIDE_NOT_FOUND: lambda p: _("That report does not exist any more."),
    Refusal.REQUEST_NOT_FOUND: lambda p: _("That request does not exist any more."),
    Refusal.REQUEST_PENDING: lambda p: _(
        "You already have a request for {month} waiting for a decision."
    ).format(month=_month(p.get("month"))),
    Refusal.OUTAGE_INVALID: lambda p: _(
        "The outage must have ended already, after it began, last at most 31 days and fall "
        "in a month that is not closed yet."
    ),
}


def describe_in_flow(error: ServiceError) -> str:
    """A refusal inside a step-by-step flow: what is wrong (and what to type instead, which the
    refusal says itself), and how to stop."""
    return describe(error) + "\n" + _("Tap Cancel to stop without saving.")


def describe(error: ServiceError) -> str:
    """The refusal as a sentence in the current locale (HTML: names are escaped)."""
    render = MESSAGES.get(error.code)
    if render is None:
        return _("Sorry, that is not possible.")
    return render(error.params)
