"""Polite, translated sentences for the refusal codes services raise."""

from __future__ import annotations

from aiogram.utils.i18n import gettext as _

from handlers.admin_errors import ADMIN_MESSAGES
from handlers.compliance_errors import COMPLIANCE_MESSAGES
from handlers.render import esc
from handlers.shop_errors import SHOP_MESSAGES
from services.errors import ServiceError

MESSAGES = {
    **ADMIN_MESSAGES,
    # registration
    "not_in_roster": lambda p: _(
        "NIP {nip} is not in the city's ASN roster. Check the number, or ask your OPD's "
        "staffing officer (BKPSDM) to update the roster. You can also order as a general "
        "buyer."
    ).format(nip=p.get("nip", "")),
    "inactive": lambda p: _(
        "NIP {nip} is no longer active in the city's roster. Please contact BKPSDM."
    ).format(nip=p.get("nip", "")),
    "nip_taken": lambda p: _(
        "This NIP is already linked to another Telegram account, so it cannot be registered "
        "here. An administrator has been told. If this is your NIP, contact the TukuLokal "
        "administrators."
    ),
    "already_registered": lambda p: _("You are already registered as an ASN."),
    "not_own_contact": lambda p: _(
        "Please share <b>your own</b> phone number with the button below, not someone else's "
        "contact."
    ),
    "phone_invalid": lambda p: _("That phone number is not valid."),
    "phone_mismatch": lambda p: _(
        "The phone number of this Telegram account does not match the one in the ASN roster "
        "for this NIP. Please register from the Telegram account of the number recorded at "
        "BKPSDM, or ask BKPSDM to update it."
    ),
    "name_invalid": lambda p: _("Please type your full name (2 to 100 characters)."),
    "already_decided": lambda p: _("This registration was already decided."),
    # merchants
    "no_merchant_for_phone": lambda p: _(
        "No UMKM in the catalog has this phone number. Ask the city's UMKM desk "
        "(Diskopindag) for your shop's link, or to correct the phone number on record."
    ),
    "invalid_link": lambda p: _("This link is not valid or was already used."),
    "merchant_suspended": lambda p: _("The shop {merchant} is suspended.").format(
        merchant=esc(str(p.get("merchant", "")))
    ),
    # cart and orders
    "product_unavailable": lambda p: _("Sorry, {name} is no longer available.").format(
        name=esc(str(p.get("name", _("this product"))))
    ),
    "out_of_stock": lambda p: (
        _("Sorry, {name} is sold out.").format(name=esc(str(p.get("name", ""))))
        if not p.get("stock")
        else _("Only {stock} left in stock.").format(stock=p["stock"])
    ),
    "quantity_invalid": lambda p: _("That quantity is not possible."),
    "not_registered": lambda p: _(
        "To order, please register first: as an ASN with your NIP, or as a general buyer."
    ),
    "cart_empty": lambda p: _("Your cart is empty."),
    "cart_changed": lambda p: _(
        "Your cart changed since this summary was shown. Please check it again."
    ),
    "invalid_transition": lambda p: _(
        "This step is not possible any more: the order is now “{status}”."
    ).format(status=_status(p.get("status", ""))),
    "reason_required": lambda p: _("Please type a reason."),
    "forbidden": lambda p: _("Sorry, you are not allowed to do that."),
    "not_found": lambda p: _("Not found."),
    "order_not_found": lambda p: _("That order does not exist."),
    "product_not_found": lambda p: _("That product does not exist any more."),
    "not_asn": lambda p: _(
        "The monthly minimum applies to ASN. Register with your NIP to follow it here."
    ),
    **COMPLIANCE_MESSAGES,
    **SHOP_MESSAGES,
}


def _status(status: object) -> str:
    from handlers.render import status_label

    return status_label(str(status))


def describe(error: ServiceError) -> str:
    render = MESSAGES.get(error.code)
    if render is None:
        return _("Sorry, that is not possible.")
    return render(error.params)
