"""The home screen (/start, /menu) and the help (/bantuan): what this person can do here, by
every role they hold, grouped (an ASN who runs a shop sees both; an administrator who is also an
ASN sees the administration and their minimum)."""

from __future__ import annotations

from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder

from models import BuyerKind, User
from services.roles import RoleKind, Roles
from views.callbacks import AdminHomeCb, CategoriesCb, ShopCb, StartCb
from views.format import esc


def greeting(user: User, roles: Roles | None = None) -> str:
    name = esc(user.full_name or user.first_name)
    if roles is not None and user.kind not in (BuyerKind.ASN, BuyerKind.GENERAL):
        # Not a buyer (yet), but they have work here: welcome them to it, not as a newcomer.
        if roles.is_admin:
            welcome = _("Welcome, <b>{name}</b>! 👋 You administer TukuLokal for Kota Malang.")
            return welcome.format(name=name)
        if roles.has(RoleKind.OPD_OPERATOR):
            return _("Welcome, <b>{name}</b>! 👋 You follow {opd} in TukuLokal.").format(
                name=name, opd=esc(roles.opd or "")
            )
        if roles.has(RoleKind.SHOP_OWNER, RoleKind.SHOP_STAFF):
            return _(
                "Welcome, <b>{name}</b>! 👋 Your shop's orders arrive in this chat, with "
                "buttons to move them along."
            ).format(name=name)
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


def _shopping(roles: Roles) -> str:
    lines = [
        _("🛍️ <b>Shopping</b>"),
        _("/katalog — browse products by category"),
        _("/cari <i>words</i> — search products (or just type what you look for)"),
        _("/dekat — shops near you, by kecamatan"),
        _("/keranjang — your cart and checkout"),
        _("/pesanan — your orders and their status"),
    ]
    if roles.has(RoleKind.ASN):
        lines.append(_("/kuota — this month's minimum spend and what remains"))
    lines.append(_("/mata_uang — approximate prices in another currency (USD, SGD, JPY…)"))
    return "\n".join(lines)


def _shop(roles: Roles) -> str:
    lines = [
        _("🏪 <b>Your shop</b>"),
        _("/toko — today's orders, open or close the shop, QRIS, staff"),
    ]
    if roles.has(RoleKind.SHOP_OWNER):
        lines.append(_("/produk — your products: add, edit, hide"))
        lines.append(
            _("🌍 Export details, certificates and buyers' inquiries: /toko → Global window")
        )
    else:
        lines.append(_("You help run the shop: its orders arrive here with their buttons."))
    return "\n".join(lines)


def _administration(roles: Roles) -> str:
    lines = [
        _("🛡️ <b>Administration</b>"),
        _("/laporan [YYYY-MM] — the monthly report, chart and spreadsheet"),
        _("/broadcast — a new announcement; /broadcasts — the ones sent"),
    ]
    if roles.is_admin:
        lines += [
            _("/admin — administrators, OPD operators and the audit log"),
            _("/kuota_atur — minimum per class, deadline day, exemptions"),
            _("/bekukan <i>CODE reason</i>, /aktifkan <i>CODE</i> — suspend or reactivate a shop"),
            _("/refund <i>ORDER reason</i> — refund a paid order"),
            _("/mendunia — certificates to verify, exchange rates, the weekly showcase"),
            _("/terjemahan — the translation queue"),
        ]
    elif roles.opd:
        lines.append(_("You act for {opd}: its ASN only.").format(opd=esc(roles.opd)))
    return "\n".join(lines)


def sections(roles: Roles) -> list[str]:
    """What this person can do, one section per role they hold (administration, shop,
    shopping), most specific first."""
    found = []
    if roles.is_staff:
        found.append(_administration(roles))
    if roles.has(RoleKind.SHOP_OWNER, RoleKind.SHOP_STAFF):
        found.append(_shop(roles))
    found.append(_shopping(roles))
    return found


def home_text(user: User, roles: Roles) -> str:
    return "\n\n".join([greeting(user, roles), *sections(roles)])


def home_buttons(roles: Roles, *, registered: bool) -> InlineKeyboardMarkup:
    """The way in for each role: registering (for those who have not), their shop, the
    administration, the catalog."""
    builder = InlineKeyboardBuilder()
    # The work they have here first, then the ways in they have not taken yet.
    if roles.is_staff:
        builder.button(
            text=_("📊 This month's report"), callback_data=AdminHomeCb(action="report")
        )
    if roles.is_admin:
        builder.button(text=_("🛡️ Administration"), callback_data=AdminHomeCb(action="admin"))
    if roles.shops:
        builder.button(text=_("🏪 My shop"), callback_data=ShopCb(m=roles.shops[0]))
    if not registered:
        builder.button(text=_("🪪 Register as ASN (NIP)"), callback_data=StartCb(action="asn"))
        builder.button(
            text=_("🙋 Register as general buyer"), callback_data=StartCb(action="general")
        )
    if not roles.shops:
        builder.button(text=_("🏪 I run a UMKM shop"), callback_data=StartCb(action="merchant"))
    builder.button(text=_("🛍️ Browse the catalog"), callback_data=CategoriesCb())
    builder.adjust(1)
    return builder.as_markup()


def help_text(roles: Roles) -> str:
    return "\n\n".join(
        [
            _("<b>TukuLokal — help</b>"),
            *sections(roles),
            _("/bahasa — change the language · /start — register or start over"),
            _(
                "Each order goes to one shop, which accepts it, confirms your payment and "
                "hands it over. Only orders whose payment the shop confirmed count toward your "
                "minimum."
            ),
        ]
    )
