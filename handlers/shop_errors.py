"""Sentences for the refusal codes of shop management and QRIS payments (merged into
handlers.errors.MESSAGES)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from aiogram.utils.i18n import get_i18n
from aiogram.utils.i18n import gettext as _

from bot.import_messages import describe_money_error, describe_qris_error
from handlers.render import esc, money


def _locale() -> str:
    try:
        return get_i18n().current_locale
    except LookupError:
        return "id"


def _money_error(p: dict[str, Any]) -> str:
    error = SimpleNamespace(code=p.get("reason", ""), params=p.get("details") or {})
    return esc(describe_money_error(error, _, locale=_locale()))


def _qris_error(p: dict[str, Any]) -> str:
    error = SimpleNamespace(code=p.get("reason", ""), params={})
    return esc(describe_qris_error(error, _))


SHOP_MESSAGES = {
    "owner_only": lambda p: _("Only the shop's owner can do that."),
    "merchant_not_found": lambda p: _("No shop has the code {code}.").format(
        code=esc(str(p.get("merchant_code", "")))
    ),
    "not_suspended": lambda p: _("The shop {merchant} is not suspended.").format(
        merchant=esc(str(p.get("merchant", "")))
    ),
    "category_not_found": lambda p: _("That category does not exist."),
    "name_empty": lambda p: _("Please type a name of at least 2 characters."),
    "name_too_long": lambda p: _(
        "This name has {length} characters; at most {max} are allowed. Please type a shorter one."
    ).format(length=p.get("length", "?"), max=p.get("max", "?")),
    "name_taken": lambda p: _(
        "Your shop already has a product called “{name}”. Please choose another name."
    ).format(name=esc(str(p.get("name", "")))),
    "price_invalid": _money_error,
    "price_not_positive": lambda p: _("The price must be more than Rp0."),
    "price_too_large": lambda p: _("The price can be at most {maximum}.").format(
        maximum=money(int(p.get("maximum", 0)), _locale())
    ),
    "unit_invalid": lambda p: _(
        "Please type the unit in at most {max} characters (e.g. pcs, bungkus, kg)."
    ).format(max=p.get("max", 30)),
    "stock_invalid": lambda p: _(
        "The stock must be a whole number such as 0, 5 or 120 (you typed “{value}”)."
    ).format(value=esc(str(p.get("value", "")))),
    "stock_negative": lambda p: _("The stock cannot be negative. Type 0 if it is sold out."),
    "stock_too_large": lambda p: _("The stock can be at most {maximum}.").format(
        maximum=p.get("maximum", "?")
    ),
    "text_too_long": lambda p: _(
        "This text has {length} characters; at most {max} are allowed. Please shorten it."
    ).format(length=p.get("length", "?"), max=p.get("max", "?")),
    "photo_invalid": lambda p: _("That photo cannot be used. Please send another one."),
    "product_in_open_order": lambda p: _(
        "This product is in {orders} open order(s). Finish or reject them first, or hide the "
        "product instead."
    ).format(orders=p.get("orders", "?")),
    "invite_invalid": lambda p: _("This invitation is not valid or was already used."),
    "invite_expired": lambda p: _(
        "This invitation has expired. Please ask the shop's owner for a new one."
    ),
    "already_member": lambda p: _("You already work for {merchant}.").format(
        merchant=esc(str(p.get("merchant", "")))
    ),
    "cannot_remove_owner": lambda p: _("The shop's owner cannot be removed."),
    "qris_invalid": lambda p: _("This QRIS cannot be used: {reason}").format(
        reason=_qris_error(p)
    ),
    "qris_missing": lambda p: _("This shop has no QRIS registered."),
    "qris_unavailable": lambda p: _(
        "{merchant} does not accept QRIS yet. Please choose another way to pay."
    ).format(merchant=esc(str(p.get("merchant", "")))),
    "proof_not_expected": lambda p: _(
        "A payment proof can be sent once the shop has accepted the order and before it "
        "confirms the payment."
    ),
    "proof_missing": lambda p: _("There is no payment proof waiting on this order."),
}
