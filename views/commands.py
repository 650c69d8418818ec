"""The command menus (the "/" button): what each kind of person sees, in their language."""

from __future__ import annotations

from aiogram.types import BotCommand
from aiogram.utils.i18n import gettext as _

from views.i18n import translate

# Everyone's commands (the default menu, in Indonesian and in English).
COMMANDS = (
    ("start", "Start / register"),
    ("katalog", "Browse the catalog"),
    ("cari", "Search products"),
    ("keranjang", "Your cart"),
    ("pesanan", "Your orders"),
    ("kuota", "Your monthly minimum"),
    ("bahasa", "Language"),
    ("bantuan", "Help"),
)
# A shop's people see these on top of everyone's.
SHOP_COMMANDS = (("toko", "My shop"), ("produk", "My products"))


def _command_descriptions() -> None:
    # Listed here so that the extractor puts them into the catalogs.
    _("Start / register"), _("Browse the catalog"), _("Search products"), _("Your cart")
    _("Your orders"), _("Your monthly minimum"), _("Language"), _("Help")
    _("My shop"), _("My products")


def menu(locale: str, *, shop: bool = False) -> list[BotCommand]:
    entries = (*COMMANDS, *SHOP_COMMANDS) if shop else COMMANDS
    return [
        BotCommand(command=name, description=translate(text, locale)) for name, text in entries
    ]
