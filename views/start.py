"""The first screens: the greeting (by who you are) and the help."""

from __future__ import annotations

from aiogram.utils.i18n import gettext as _

from models import BuyerKind, User
from views.format import esc


def greeting(user: User) -> str:
    if user.kind == BuyerKind.ASN:
        return _(
            "Welcome back, <b>{name}</b>! 👋\n\nUse the menu below to shop from Malang's UMKM "
            "and follow this month's minimum with 📊 My quota."
        ).format(name=esc(user.full_name or user.first_name))
    if user.kind == BuyerKind.GENERAL:
        return _(
            "Welcome back, <b>{name}</b>! 👋\n\nUse the menu below to shop from Malang's UMKM."
        ).format(name=esc(user.full_name or user.first_name))
    return _(
        "Welcome to <b>TukuLokal</b>, the shop window of Malang's UMKM! 👋\n\n"
        "Civil servants (ASN) of Kota Malang register with their NIP to order and follow "
        "their monthly minimum spend. Anyone may browse and search the catalog, and order "
        "as a general buyer."
    )


def help_text() -> str:
    return _(
        "<b>TukuLokal — help</b>\n\n"
        "/katalog — browse products by category\n"
        "/cari <i>words</i> — search products (or just type what you look for)\n"
        "/keranjang — your cart and checkout\n"
        "/pesanan — your orders and their status\n"
        "/kuota — this month's minimum spend and what remains\n"
        "/bahasa — change the language\n"
        "/start — register or start over\n\n"
        "Each order goes to one shop, which accepts it, confirms your payment and hands it "
        "over. Only orders whose payment the shop confirmed count toward your minimum."
    )
