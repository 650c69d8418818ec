"""Typed callback data of every screen. Prefixes are short and unique; payloads carry ids and
codes only, never names (callback_data is 1-64 bytes)."""

from __future__ import annotations

from typing import Annotated

from aiogram.filters.callback_data import CallbackData
from pydantic import BeforeValidator, Field

from services.ids import MAX_ID, MAX_TELEGRAM_ID, ascii_number

# Every number in callback data: ASCII digits only (a modified client may send "²" or "١٢"),
# within the database's integer range; anything else does not match the button at all (it is
# answered as a stale button). `Id` for row ids, pages and codes; `TelegramId` for accounts.
Id = Annotated[int, BeforeValidator(ascii_number), Field(ge=0, le=MAX_ID)]
TelegramId = Annotated[int, BeforeValidator(ascii_number), Field(ge=0, le=MAX_TELEGRAM_ID)]

# --- buyers: start, catalog, search, cart, orders --------------------------------------------


class CategoriesCb(CallbackData, prefix="cs"):
    pass


class CategoryCb(CallbackData, prefix="c"):
    id: Id
    page: Id = 0


class ProductCb(CallbackData, prefix="p"):
    id: Id
    src: str = "l"  # "l": opened from a list (back closes the card), "d": direct link


class ProductMoreCb(CallbackData, prefix="pm"):
    id: Id


class CloseCb(CallbackData, prefix="x"):
    pass


class SearchPageCb(CallbackData, prefix="s"):
    page: Id
    q: str  # short digest of the query, kept in the FSM data


class CartCb(CallbackData, prefix="k"):
    action: str  # add, inc, dec, rm, show
    id: Id = 0
    src: str = "c"  # "c": from a product card ("k": the cart screen of an older version)


class GapCb(CallbackData, prefix="gq"):
    """ "Close my gap": show the proposal (new message), put one of its lines in the cart, or
    all of them (`h`: the digest of the proposal shown)."""

    action: str  # show, add, all
    id: Id = 0  # the product
    n: Id = 0  # its quantity
    h: str = ""


class NearCb(CallbackData, prefix="nb"):
    """Shops near you: the kecamatan list (home), a kecamatan's shops (k: its position in
    the list of kecamatan), a kelurahan's shops (l: the kecamatan's position, page: the
    kelurahan's position in the kecamatan), a shop's products (s: the shop, page), a page of
    the shops nearest to the location last shared (n: page; the point is in the FSM data)."""

    action: str  # home, k, l, s, n
    id: Id = 0
    page: Id = 0


class CartLineCb(CallbackData, prefix="kl"):
    """A line's buttons on the cart screen; `page`: the page of lines it was on."""

    action: str  # inc, dec, rm, line (its name and price, as a notice)
    id: Id
    page: Id = 0


class CartViewCb(CallbackData, prefix="kv"):
    action: str  # show, clear, checkout, page (the same screen, another page of lines)
    page: Id = 0


class CheckoutCb(CallbackData, prefix="co"):
    key: str
    method: str  # cash or transfer


class HandoverCb(CallbackData, prefix="cx"):
    """The checkout summary's handover choices."""

    action: str  # pickup, delivery, agreed, note


class OrderCb(CallbackData, prefix="o"):
    id: Id
    action: str = "view"  # view, or a step


class OrderLinesCb(CallbackData, prefix="ol"):
    """Another page of a long order's lines, in the same message."""

    id: Id
    page: Id


class OrdersPageCb(CallbackData, prefix="op"):
    page: Id


class RegistrationCb(CallbackData, prefix="rg"):
    id: Id
    approve: bool


class LanguageCb(CallbackData, prefix="l"):
    code: str


class AdminHomeCb(CallbackData, prefix="ah"):
    """The home screen's ways into the administration."""

    action: str  # report, admin


class StartCb(CallbackData, prefix="st"):
    action: str  # asn, general, merchant, catalog


# --- shops: dashboard, staff, products, QRIS and payment proofs (prefixes start with "m") ----


class ShopCb(CallbackData, prefix="mt"):
    """The shop dashboard and its switches. action: show, open, close, staff, invite, qris,
    qris_rm, chooser, threshold, location."""

    m: Id = 0
    action: str = "show"


class StaffRemoveCb(CallbackData, prefix="mr"):
    m: Id
    user: Id


class ShopProductsCb(CallbackData, prefix="ml"):
    m: Id
    page: Id = 0


class ManageProductCb(CallbackData, prefix="me"):
    """One product's management screen. action: view, price, stock, description, photo, hide,
    show, delete, delete_ok."""

    id: Id
    action: str = "view"


class PriceHistoryCb(CallbackData, prefix="ph"):
    """A page of a product's price history, for its shop's owner."""

    id: Id
    page: Id = 0


class NewProductCb(CallbackData, prefix="mn"):
    """The add-product conversation. action: start (m = shop), cat (id = category), save,
    cancel."""

    action: str
    m: Id = 0
    id: Id = 0


class ProofCb(CallbackData, prefix="mp"):
    """Payment proof and QRIS on an order. action: send (buyer), qris (buyer: show the code
    again), no (shop: payment not received)."""

    id: Id
    action: str


# --- compliance: rules, exemptions, history, reports, refunds --------------------------------


class FlagCb(CallbackData, prefix="tf"):
    """A red flag of a month: a page of the list, or an administrator's verdict on flag `i`
    (its position in the month's list; `h` a digest of its key, so that a changed list never
    gets a verdict meant for another flag)."""

    month: Id  # YYYYMM
    action: str  # page, fine, ref, ph (the price history of the flag's raised products)
    i: Id = 0  # the page (page) or the flag's position (fine, ref, ph)
    h: str = ""


class FlagPriceCb(CallbackData, prefix="tp"):
    """A page of a product's price history opened from a red flag (administrators and the
    inspectorate); `back` is the page of the month's flags to go back to."""

    month: Id  # YYYYMM
    back: Id
    id: Id
    page: Id = 0


class ReportCb(CallbackData, prefix="rp"):
    action: str  # show, xlsx, cmp
    month: Id  # YYYYMM


class QuotaAdminCb(CallbackData, prefix="qa"):
    action: str  # show, cls, day, ex, exadd, exrm
    cls: str = ""
    id: Id = 0
    page: Id = 0


class QuotaFromCb(CallbackData, prefix="qf"):
    month: Id  # YYYYMM: the first month a new rule applies to


class ExemptReasonCb(CallbackData, prefix="qr"):
    code: str  # one of services.compliance.EXEMPTION_REASONS


class QuotaHistoryCb(CallbackData, prefix="qh"):
    pass


class QuotaViewCb(CallbackData, prefix="qv"):
    """Back to this month's minimum (from the history)."""


class RefundCb(CallbackData, prefix="rf"):
    id: Id  # the order


# --- purchases outside the catalog, exemption requests, outages ------------------------------


class OutsideFormCb(CallbackData, prefix="ob"):
    """The ASN's report of an outside purchase: choices while it is being written."""

    action: str  # kec, kel (value: an index in the list shown), date (today, yday), submit,
    # done (photos sent), start (from /kuota)
    value: Id = 0


class OutsideMoreCb(CallbackData, prefix="oa"):
    """The ASN answers a verifier's request for another photo of submission `id`."""

    id: Id


class VerifyCb(CallbackData, prefix="vf"):
    """The verifier's buttons: the queue (kind "p" purchases, "e" exemption requests) and a
    decision on item `id`."""

    action: str  # menu, next, skip, ok, rej, reason (code: a reason index), more, photos,
    # cand (shops to onboard), csv
    kind: str = "p"
    id: Id = 0
    code: Id = 0


class AppealCb(CallbackData, prefix="ek"):
    """The ASN's exemption request: month (value YYYYMM), reason (value: an index), skip,
    send."""

    action: str
    value: Id = 0


class OutageCb(CallbackData, prefix="og"):
    action: str  # confirm
    key: str = ""


# --- the global window: export details, certifications, currency, inquiries, showcase -------


class ExportCb(CallbackData, prefix="mx"):
    """A product's export details (owner). field: "" (the screen), one of
    services.exporting.EXPORT_FIELDS, or a certification kind (pirt, bpom, halal, sni)."""

    id: Id
    field: str = ""


class GlobalCb(CallbackData, prefix="mg"):
    """The shop's global window. action: show, nib (ask for the NIB's verification),
    inq (the inquiries)."""

    m: Id
    action: str = "show"


class CertDecisionCb(CallbackData, prefix="vc"):
    """An administrator's decision on a certification. action: list, ok, no."""

    action: str
    id: Id = 0


class CurrencyCb(CallbackData, prefix="cu"):
    code: str  # ISO 4217, or IDR for none


class InquiryCb(CallbackData, prefix="iq"):
    """action: new (id = product), view, reply, quote, close (id = inquiry)."""

    action: str
    id: Id


class ShowcaseCb(CallbackData, prefix="sw"):
    """The weekly showcase (administrators). action: skip, unskip; week: YYYYMMDD."""

    action: str
    week: Id


class TranslateCb(CallbackData, prefix="tq"):
    """The translation queue (administrators). action: list (id = page), edit (id =
    product)."""

    action: str
    id: Id = 0
