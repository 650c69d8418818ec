"""Database tables.

Conventions: money is an integer number of rupiah; datetimes are aware UTC; enums are stored as
strings; Telegram ids are BIGINT.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import BigInteger, Column, Index, String, Table, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.enums import (
    BuyerKind,
    MemberRole,
    MerchantStatus,
    OrderStatus,
    PaymentMethod,
    RegistrationStatus,
)


def utcnow() -> datetime:
    """The current time, timezone-aware UTC (SQLModel's UTCDateTime columns require it)."""
    return datetime.now(UTC)


def table_of(model: type[SQLModel]) -> Table:
    """The `Table` of a table model, for Core statements (inserts, deletes)."""
    # SQLModel sets `__table__` on every table=True model but does not declare it.
    table: Table = model.__table__  # type: ignore[attr-defined]
    return table


def stored_id(row_id: int | None) -> int:
    """An id read from the database, never None: SQLModel types ids as optional because a new
    object has none until it is flushed."""
    assert row_id is not None, "the row is not stored yet"
    return row_id


class Category(SQLModel, table=True):
    __tablename__ = "categories"

    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(max_length=40, unique=True)
    name_id: str = Field(max_length=80)
    name_en: str = Field(max_length=80)
    emoji: str = Field(default="", max_length=8)
    sort_order: int = 0


class RosterEntry(SQLModel, table=True):
    """The city's list of civil servants (ASN), imported from BKPSDM's CSV."""

    __tablename__ = "roster"

    nip: str = Field(primary_key=True, max_length=18)
    name: str = Field(max_length=200)
    opd: str = Field(max_length=200, index=True)
    golongan: str = Field(max_length=16)  # "III/a", "III", "PPPK", "PPPK IX"
    quota_class: str = Field(max_length=8, index=True)  # I, II, III, IV, PPPK
    employee_kind: str = Field(max_length=8)  # PNS or PPPK
    phone: str | None = Field(default=None, max_length=20)  # E.164
    kecamatan: str | None = Field(default=None, max_length=40)
    position: str | None = Field(default=None, max_length=200)
    active: bool = True
    updated_at: datetime = Field(default_factory=utcnow)


class User(SQLModel, table=True):
    """A Telegram account that has talked to the bot."""

    __tablename__ = "users"

    id: int | None = Field(default=None, primary_key=True)
    telegram_id: int = Field(sa_column=Column(BigInteger, unique=True, nullable=False))
    first_name: str = Field(default="", max_length=128)
    username: str | None = Field(default=None, max_length=64)
    language: str | None = Field(default=None, max_length=8)  # chosen with /bahasa
    telegram_language: str | None = Field(default=None, max_length=16)  # client's language
    kind: str = Field(default=BuyerKind.GUEST, max_length=16)
    nip: str | None = Field(default=None, max_length=18, unique=True, foreign_key="roster.nip")
    full_name: str | None = Field(default=None, max_length=200)
    phone: str | None = Field(default=None, max_length=20)  # E.164, only when shared
    unreachable: bool = False  # blocked the bot or deleted the account
    created_at: datetime = Field(default_factory=utcnow)
    registered_at: datetime | None = None
    delivery_address: str | None = Field(default=None, max_length=300)  # the last one given
    currency: str | None = Field(default=None, max_length=3)  # approximate prices in it


class Registration(SQLModel, table=True):
    """An ASN registration that waits for an administrator (roster has no phone number)."""

    __tablename__ = "registrations"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", index=True)
    nip: str = Field(max_length=18, index=True)
    phone: str = Field(max_length=20)
    status: str = Field(default=RegistrationStatus.PENDING, max_length=16, index=True)
    created_at: datetime = Field(default_factory=utcnow)
    decided_at: datetime | None = None
    decided_by: int | None = Field(default=None, sa_column=Column(BigInteger))


class Merchant(SQLModel, table=True):
    """A UMKM shop verified by the city."""

    __tablename__ = "merchants"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=32, unique=True)
    name: str = Field(max_length=200)
    nib: str = Field(max_length=13)
    kecamatan: str = Field(max_length=40, index=True)
    kelurahan: str = Field(max_length=60)
    address: str = Field(default="", max_length=500)
    phone: str = Field(max_length=20, index=True)  # E.164
    qris: str | None = Field(default=None, sa_column=Column(Text))
    is_open: bool = True
    status: str = Field(default=MerchantStatus.ACTIVE, max_length=16)
    link_token: str | None = Field(default=None, max_length=32, unique=True)
    suspended_reason: str | None = Field(default=None, max_length=500)
    low_stock_threshold: int = Field(default=3)
    # The shop's location (WGS 84 degrees), from the import or the owner in /toko; None: unknown.
    lat: float | None = None
    lon: float | None = None
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class MerchantMember(SQLModel, table=True):
    """A Telegram account that runs a shop: its owner or a staff member."""

    __tablename__ = "merchant_members"
    __table_args__ = (UniqueConstraint("merchant_id", "user_id"),)

    id: int | None = Field(default=None, primary_key=True)
    merchant_id: int = Field(foreign_key="merchants.id", index=True)
    user_id: int = Field(foreign_key="users.id", index=True)
    role: str = Field(default=MemberRole.OWNER, max_length=16)
    created_at: datetime = Field(default_factory=utcnow)


class Product(SQLModel, table=True):
    __tablename__ = "products"
    __table_args__ = (
        UniqueConstraint("merchant_id", "name"),
        Index("ix_products_category_active", "category_id", "is_active"),
    )

    id: int | None = Field(default=None, primary_key=True)
    merchant_id: int = Field(foreign_key="merchants.id", index=True)
    category_id: int = Field(foreign_key="categories.id")
    name: str = Field(max_length=120)
    name_en: str | None = Field(default=None, max_length=120)
    description: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    description_en: str | None = Field(default=None, sa_column=Column(Text))
    price: int
    stock: int = 0
    unit: str = Field(default="pcs", max_length=30)
    photo: str | None = Field(default=None, max_length=500)  # Telegram file_id, URL or path
    photo_file_id: str | None = Field(default=None, max_length=200)  # cached upload
    is_active: bool = True  # hidden by the shop when False
    deleted_at: datetime | None = None  # deleted by the shop; kept for past order lines
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    # Export details (the global window): HS code, export minimum order, monthly capacity,
    # weight and dimensions of one unit, shelf life (food).
    hs_code: str | None = Field(default=None, max_length=10)
    export_moq: int | None = None
    monthly_capacity: int | None = None
    weight_grams: int | None = None
    dimensions_cm: str | None = Field(default=None, max_length=40)  # "20x10x5"
    shelf_life_days: int | None = None
    # When the Indonesian and the English texts (name, description) last changed: an English
    # text older than the Indonesian one waits in the administrators' translation queue.
    text_id_at: datetime | None = None
    text_en_at: datetime | None = None


class CartItem(SQLModel, table=True):
    __tablename__ = "cart_items"

    user_id: int = Field(foreign_key="users.id", primary_key=True)
    product_id: int = Field(foreign_key="products.id", primary_key=True)
    quantity: int
    added_at: datetime = Field(default_factory=utcnow)


class Order(SQLModel, table=True):
    __tablename__ = "orders"
    __table_args__ = (
        UniqueConstraint("buyer_id", "checkout_key", "merchant_id"),
        Index("ix_orders_status_paid", "status", "paid_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    buyer_id: int = Field(foreign_key="users.id", index=True)
    merchant_id: int = Field(foreign_key="merchants.id", index=True)
    status: str = Field(default=OrderStatus.PENDING, max_length=16)
    total: int
    # Snapshot at checkout: did the buyer order as an ASN (counts toward the minimum)?
    counts_for_quota: bool = False
    buyer_nip: str | None = Field(default=None, max_length=18, index=True)
    payment_method: str = Field(default=PaymentMethod.CASH, max_length=16)
    checkout_key: str = Field(max_length=40)
    reject_reason: str | None = Field(default=None, max_length=500)
    created_at: datetime = Field(default_factory=utcnow, index=True)
    accepted_at: datetime | None = None
    paid_at: datetime | None = None
    fulfilled_at: datetime | None = None
    completed_at: datetime | None = None
    closed_at: datetime | None = None  # rejected, cancelled or expired
    refunded_at: datetime | None = None
    proof_file_id: str | None = Field(default=None, max_length=200)  # buyer's payment proof
    proof_at: datetime | None = None
    merchant_nudged_at: datetime | None = None  # scheduler: "please answer this order"
    payment_reminded_at: datetime | None = None  # scheduler: "please pay this order"
    # How the buyer gets the goods (None: orders from before the question was asked).
    fulfilment: str | None = Field(default=None, max_length=16)
    delivery_address: str | None = Field(default=None, max_length=300)
    buyer_note: str | None = Field(default=None, max_length=500)


class OrderItem(SQLModel, table=True):
    """An order line; name, unit and price are snapshots taken at checkout."""

    __tablename__ = "order_items"

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="orders.id", index=True)
    product_id: int | None = Field(default=None, foreign_key="products.id", index=True)
    name: str = Field(max_length=120)
    name_en: str | None = Field(default=None, max_length=120)  # the English name, if any
    unit: str = Field(max_length=30)
    price: int
    quantity: int


class OrderEvent(SQLModel, table=True):
    """Audit trail of an order's status changes."""

    __tablename__ = "order_events"

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="orders.id", index=True)
    from_status: str | None = Field(default=None, max_length=16)
    to_status: str = Field(max_length=16)
    actor_user_id: int | None = Field(default=None, foreign_key="users.id")
    note: str | None = Field(default=None, max_length=500)
    at: datetime = Field(default_factory=utcnow)


class QuotaRule(SQLModel, table=True):
    """Minimum monthly spend for a class, in force from `valid_from` (first day of a month)."""

    __tablename__ = "quota_rules"
    __table_args__ = (UniqueConstraint("quota_class", "valid_from"),)

    id: int | None = Field(default=None, primary_key=True)
    quota_class: str = Field(max_length=8)
    amount: int
    valid_from: date
    created_at: datetime = Field(default_factory=utcnow)


class FsmRecord(SQLModel, table=True):
    """aiogram FSM state and data, kept in the database so that a restart loses nothing."""

    __tablename__ = "fsm_state"

    key: str = Field(primary_key=True, max_length=200)
    state: str | None = Field(default=None, sa_column=Column(String(200)))
    data: str = Field(default="{}", sa_column=Column(Text, nullable=False, default="{}"))
    updated_at: datetime = Field(default_factory=utcnow)


class MerchantInvite(SQLModel, table=True):
    """A one-time deep link with which a shop owner invites a staff member."""

    __tablename__ = "merchant_invites"

    token: str = Field(primary_key=True, max_length=32)
    merchant_id: int = Field(foreign_key="merchants.id", index=True)
    created_by: int = Field(foreign_key="users.id")
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    used_by: int | None = Field(default=None, foreign_key="users.id")
    used_at: datetime | None = None


class AdminAccount(SQLModel, table=True):
    """Administrators added in chat (besides ADMIN_IDS) and OPD operators (one department)."""

    __tablename__ = "admin_accounts"

    telegram_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    role: str = Field(max_length=16)  # "admin" or "opd_operator"
    opd: str | None = Field(default=None, max_length=200)
    added_by: int | None = Field(default=None, sa_column=Column(BigInteger))
    created_at: datetime = Field(default_factory=utcnow)


class AuditLog(SQLModel, table=True):
    """Who did what, when: every administrative action."""

    __tablename__ = "audit_log"

    id: int | None = Field(default=None, primary_key=True)
    actor_telegram_id: int | None = Field(default=None, sa_column=Column(BigInteger, index=True))
    action: str = Field(max_length=64, index=True)
    details: str = Field(default="{}", sa_column=Column(Text, nullable=False, default="{}"))
    at: datetime = Field(default_factory=utcnow, index=True)


class Broadcast(SQLModel, table=True):
    """An announcement to a chosen audience, delivered as a durable, resumable job."""

    __tablename__ = "broadcasts"

    id: int | None = Field(default=None, primary_key=True)
    created_by: int = Field(sa_column=Column(BigInteger, nullable=False))
    content_type: str = Field(max_length=16)  # text, photo, document
    text: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    file_id: str | None = Field(default=None, max_length=200)
    buttons: str = Field(default="[]", sa_column=Column(Text, nullable=False, default="[]"))
    audience: str = Field(default="{}", sa_column=Column(Text, nullable=False, default="{}"))
    status: str = Field(default="draft", max_length=16, index=True)
    scheduled_at: datetime | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    total: int = 0
    created_at: datetime = Field(default_factory=utcnow)
    # The creator's message that shows the progress (edited while it runs, across restarts).
    progress_message_id: int | None = Field(default=None, sa_column=Column(BigInteger))
    # One broadcast per confirmed draft, however often "send" is tapped.
    draft_key: str | None = Field(default=None, max_length=32, unique=True, index=True)
    sender_opd: str | None = Field(default=None, max_length=200)  # sent by an OPD operator


class BroadcastDelivery(SQLModel, table=True):
    """One recipient of a broadcast and what happened to their message."""

    __tablename__ = "broadcast_deliveries"
    __table_args__ = (Index("ix_broadcast_deliveries_status", "broadcast_id", "status"),)

    broadcast_id: int = Field(foreign_key="broadcasts.id", primary_key=True)
    user_id: int = Field(foreign_key="users.id", primary_key=True)
    status: str = Field(default="pending", max_length=16)  # pending, sending, sent, blocked,
    # not_found, failed
    attempts: int = 0
    error: str | None = Field(default=None, max_length=300)
    sent_at: datetime | None = None


class AppSetting(SQLModel, table=True):
    """Settings administrators change at run time (e.g. the quota deadline day)."""

    __tablename__ = "app_settings"

    key: str = Field(primary_key=True, max_length=64)
    value: str = Field(sa_column=Column(Text, nullable=False))
    updated_at: datetime = Field(default_factory=utcnow)


class QuotaExemption(SQLModel, table=True):
    """An ASN excused from the minimum for a range of months (leave, study, new appointment)."""

    __tablename__ = "quota_exemptions"

    id: int | None = Field(default=None, primary_key=True)
    nip: str = Field(max_length=18, foreign_key="roster.nip", index=True)
    from_month: date
    to_month: date
    reason: str = Field(max_length=500)
    created_by: int | None = Field(default=None, sa_column=Column(BigInteger))
    created_at: datetime = Field(default_factory=utcnow)


class MonthClosing(SQLModel, table=True):
    __tablename__ = "month_closings"

    month: date = Field(primary_key=True)
    closed_at: datetime = Field(default_factory=utcnow)
    closed_by: int | None = Field(default=None, sa_column=Column(BigInteger))


class MonthResult(SQLModel, table=True):
    """One ASN's recorded outcome of a closed month; never rewritten by later changes."""

    __tablename__ = "month_results"
    __table_args__ = (Index("ix_month_results_month_opd", "month", "opd"),)

    month: date = Field(primary_key=True)
    nip: str = Field(primary_key=True, max_length=18)
    opd: str = Field(max_length=200)
    quota_class: str = Field(max_length=8)
    minimum: int
    spent: int
    compliant: bool
    exempt: bool = False


class ReminderLog(SQLModel, table=True):
    """A deadline reminder slot (ASN, month, days before): written before sending, once."""

    __tablename__ = "reminder_log"

    nip: str = Field(primary_key=True, max_length=18)
    month: date = Field(primary_key=True)
    offset_days: int = Field(primary_key=True)
    status: str = Field(default="pending", max_length=16)  # pending, sent, failed, skipped
    created_at: datetime = Field(default_factory=utcnow)
    sent_at: datetime | None = None


class SchedulerLease(SQLModel, table=True):
    """Which process runs the scheduled jobs (a lease renewed by its holder)."""

    __tablename__ = "scheduler_lease"

    name: str = Field(primary_key=True, max_length=64)
    holder: str = Field(max_length=128)
    expires_at: datetime


class HandledUpdate(SQLModel, table=True):
    """A Telegram update already taken by a process: Telegram delivers at least once, so a
    re-delivered update (same `update_id`) is handled only once, also across restarts and
    processes. Rows older than a couple of days are forgotten (Telegram keeps updates 24 h)."""

    __tablename__ = "handled_updates"

    update_id: int = Field(
        sa_column=Column(BigInteger, primary_key=True, autoincrement=False, nullable=False)
    )
    handled_at: datetime = Field(index=True)


class OutsidePurchase(SQLModel, table=True):
    """A purchase an ASN made at a shop outside the catalog, with photos as proof: it counts
    toward the month of its date once a verifier approved it (capped, see services.outside)."""

    __tablename__ = "outside_purchases"
    __table_args__ = (Index("ix_outside_purchases_status_created", "status", "created_at"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", index=True)
    nip: str = Field(max_length=18, index=True)
    opd: str = Field(max_length=200, index=True)  # the ASN's OPD when submitted: who verifies
    shop_name: str = Field(max_length=120)
    shop_key: str = Field(max_length=120, index=True)  # the name normalised, for matching
    kecamatan: str = Field(max_length=40)
    kelurahan: str = Field(max_length=60)
    items: str = Field(max_length=500)
    amount: int
    purchase_date: date = Field(index=True)
    status: str = Field(default="pending", max_length=16)  # pending, more_photos, approved,
    # rejected
    reject_reason: str | None = Field(default=None, max_length=500)
    created_at: datetime = Field(default_factory=utcnow)
    decided_at: datetime | None = None
    decided_by: int | None = Field(default=None, sa_column=Column(BigInteger))


class OutsidePhoto(SQLModel, table=True):
    """A photo of an outside purchase (receipt, goods with the shop). Uploaded during the
    conversation with no purchase yet (a draft of its owner), attached when submitted."""

    __tablename__ = "outside_photos"

    id: int | None = Field(default=None, primary_key=True)
    owner_id: int = Field(foreign_key="users.id", index=True)
    purchase_id: int | None = Field(default=None, foreign_key="outside_purchases.id", index=True)
    file_id: str = Field(max_length=200)
    phash: str = Field(max_length=16, index=True)  # perceptual hash of the whole picture
    # Hashes of the picture with up to 5% cut from its sides (space-separated hex): a crop of
    # an earlier photo matches one of them.
    crop_hashes: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    exif_date: date | None = None  # when the camera says it was taken (files only)
    created_at: datetime = Field(default_factory=utcnow)


class ExemptionRequest(SQLModel, table=True):
    """An ASN asks to be excused from a month's minimum (leave, illness, secondment, other);
    an administrator or their OPD's operator approves it into a QuotaExemption or declines."""

    __tablename__ = "exemption_requests"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", index=True)
    nip: str = Field(max_length=18, index=True)
    opd: str = Field(max_length=200, index=True)
    month: date
    reason: str = Field(max_length=16)  # leave, illness, secondment, other
    note: str = Field(default="", max_length=500)
    photo_file_id: str | None = Field(default=None, max_length=200)
    status: str = Field(default="pending", max_length=16, index=True)  # approved, declined
    decline_reason: str | None = Field(default=None, max_length=500)
    exemption_id: int | None = Field(default=None, foreign_key="quota_exemptions.id")
    created_at: datetime = Field(default_factory=utcnow)
    decided_at: datetime | None = None
    decided_by: int | None = Field(default=None, sa_column=Column(BigInteger))


class Outage(SQLModel, table=True):
    """The service was unavailable between two times: the month's deadline moves by
    `credit_days` for everyone."""

    __tablename__ = "outages"

    id: int | None = Field(default=None, primary_key=True)
    month: date = Field(index=True)
    starts_at: datetime
    ends_at: datetime
    credit_days: int
    declared_by: int | None = Field(default=None, sa_column=Column(BigInteger))
    created_at: datetime = Field(default_factory=utcnow)


class PriceChange(SQLModel, table=True):
    """A product's price changed: who (None: an import or the system), when, old and new."""

    __tablename__ = "price_history"

    id: int | None = Field(default=None, primary_key=True)
    product_id: int = Field(foreign_key="products.id", index=True)
    old_price: int
    new_price: int
    changed_by: int | None = Field(default=None, foreign_key="users.id")
    source: str = Field(default="chat", max_length=16)  # chat, import
    at: datetime = Field(default_factory=utcnow, index=True)


class FlagReview(SQLModel, table=True):
    """An administrator's verdict on a red flag of a month (services.redflags)."""

    __tablename__ = "flag_reviews"

    month: date = Field(primary_key=True)
    flag_key: str = Field(primary_key=True, max_length=120)
    verdict: str = Field(max_length=16)  # fine, referred
    note: str | None = Field(default=None, max_length=500)
    reviewed_by: int = Field(sa_column=Column(BigInteger, nullable=False))
    reviewed_at: datetime = Field(default_factory=utcnow)


# --- monthly rollups (models/rollups.py keeps them up to date) ---------------------------------


class QuotaSpendMonth(SQLModel, table=True):
    """Counted spend of an ASN (NIP) in a month: the orders that count toward the minimum,
    paid in it. Kept by database triggers in the transaction that moves the order."""

    __tablename__ = "quota_spend_months"

    month: date = Field(primary_key=True)
    nip: str = Field(primary_key=True, max_length=18)
    spent: int = Field(sa_column=Column(BigInteger, nullable=False))


class ShopSalesMonth(SQLModel, table=True):
    """A shop's paid orders in a month (every buyer): how many and their total."""

    __tablename__ = "shop_sales_months"

    month: date = Field(primary_key=True)
    merchant_id: int = Field(primary_key=True)
    orders: int
    sales: int = Field(sa_column=Column(BigInteger, nullable=False))


class ProductSalesMonth(SQLModel, table=True):
    """The lines of a month's paid orders per product (0: lines without a product any more):
    how many and their amount (price × quantity). Categories are joined when read, so a
    product moved to another category moves its sales with it, as the orders themselves do."""

    __tablename__ = "product_sales_months"

    month: date = Field(primary_key=True)
    product_id: int = Field(primary_key=True)
    lines: int
    amount: int = Field(sa_column=Column(BigInteger, nullable=False))


# --- the catalog's versions (models/catalog_versions.py keeps them up to date) --------------


class CatalogVersion(SQLModel, table=True):
    """Counters that database triggers move with every change a buyer's catalog screen can
    show: `catalog` with products, shops, categories and certificates, `sales` with the shops'
    paid sales this month (the fair order). One row (id 1); no row reads as zeros."""

    __tablename__ = "catalog_versions"

    id: int = Field(primary_key=True)
    catalog: int = Field(default=0, sa_column=Column(BigInteger, nullable=False, default=0))
    sales: int = Field(default=0, sa_column=Column(BigInteger, nullable=False, default=0))
