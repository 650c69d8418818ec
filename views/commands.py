"""The command menus (the "/" button): what each kind of person sees, in their language.

Everyone gets the default menu (buyers' commands). Whoever holds another role gets a menu of
their own chat (`BotCommandScopeChat`) with their role's commands added, refreshed whenever a
role or their language changes (`delivery.menus`).
"""

from __future__ import annotations

from aiogram.types import BotCommand
from aiogram.utils.i18n import gettext as _

from services.roles import RoleKind, Roles
from views.i18n import translate

# Everyone's commands (the default menu, in Indonesian and in English).
COMMANDS = (
    ("start", "Start / register"),
    ("katalog", "Browse the catalog"),
    ("cari", "Search products"),
    ("dekat", "Shops near you"),
    ("keranjang", "Your cart"),
    ("pesanan", "Your orders"),
    ("kuota", "Your monthly minimum"),
    ("mata_uang", "Currency of approximate prices"),
    ("bahasa", "Language"),
    ("bantuan", "Help"),
)
# Registered ASN.
ASN_COMMANDS = (
    ("belanja_luar", "Report a purchase outside the catalog"),
    ("keringanan", "Ask for an exemption"),
)
# A shop's people see these on top of everyone's (products: owners only).
SHOP_COMMANDS = (("toko", "My shop"),)
OWNER_COMMANDS = (("produk", "My products"),)
# Administrators and OPD operators.
STAFF_COMMANDS = (
    ("laporan", "Monthly report"),
    ("broadcast", "New announcement"),
    ("broadcasts", "Announcements sent"),
    ("verifikasi", "Verify purchases and requests"),
)
# The inspectorate: reads only.
INSPECTORATE_COMMANDS = (
    ("laporan", "Monthly report"),
    ("tanda", "Red flags"),
    ("audit", "Audit log"),
)
# Administrators only.
ADMIN_COMMANDS = (
    ("admin", "Administration"),
    ("kuota_atur", "Minimum-spend rules"),
    ("bekukan", "Suspend a shop"),
    ("aktifkan", "Reactivate a shop"),
    ("gangguan", "Declare an outage"),
    ("calon_umkm", "Shops to invite"),
    ("mendunia", "Global window: certificates, rates, showcase"),
    ("terjemahan", "Translation queue"),
)


def _command_descriptions() -> None:
    # Listed here so that the extractor puts them into the catalogs.
    _("Start / register"), _("Browse the catalog"), _("Search products"), _("Your cart")
    _("Your orders"), _("Your monthly minimum"), _("Language"), _("Help")
    _("Currency of approximate prices"), _("Global window: certificates, rates, showcase")
    _("Translation queue")
    _("My shop"), _("My products")
    _("Monthly report"), _("New announcement"), _("Announcements sent")
    _("Administration"), _("Minimum-spend rules"), _("Suspend a shop"), _("Reactivate a shop")
    _("Report a purchase outside the catalog"), _("Ask for an exemption")
    _("Verify purchases and requests"), _("Declare an outage"), _("Shops to invite")
    _("Audit log"), _("Red flags"), _("Shops near you")


def _commands(entries: tuple[tuple[str, str], ...], locale: str) -> list[BotCommand]:
    return [
        BotCommand(command=name, description=translate(text, locale)) for name, text in entries
    ]


def menu(locale: str) -> list[BotCommand]:
    """Everyone's menu."""
    return _commands(COMMANDS, locale)


def role_entries(roles: Roles, *, shop_active: bool = True) -> tuple[tuple[str, str], ...]:
    """The commands beyond everyone's that `roles` give (shop ones only for an active shop)."""
    entries: tuple[tuple[str, str], ...] = ()
    if roles.has(RoleKind.ASN):
        entries += ASN_COMMANDS
    if shop_active and roles.has(RoleKind.SHOP_OWNER, RoleKind.SHOP_STAFF):
        entries += SHOP_COMMANDS
        if roles.has(RoleKind.SHOP_OWNER):
            entries += OWNER_COMMANDS
    if roles.is_staff:
        entries += STAFF_COMMANDS
    elif roles.has(RoleKind.INSPECTORATE):
        entries += INSPECTORATE_COMMANDS
    if roles.is_admin:
        entries += ADMIN_COMMANDS
    return entries


def menu_for(roles: Roles, locale: str, *, shop_active: bool = True) -> list[BotCommand] | None:
    """The menu of a person's own chat, or None when everyone's menu is theirs."""
    extra = role_entries(roles, shop_active=shop_active)
    return _commands(COMMANDS + extra, locale) if extra else None
