"""Tables of the global window (Malang Mendunia): certifications and their verification,
currency rates set by administrators, inquiries from buyers and the weekly showcase posts."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.tables import utcnow


class Certification(SQLModel, table=True):
    """A permit or certificate with its number: the shop's NIB (product_id None) or a
    product's PIRT, BPOM MD/ML, halal or SNI. Only an administrator marks it verified."""

    __tablename__ = "certifications"
    __table_args__ = (UniqueConstraint("merchant_id", "product_key", "kind"),)

    id: int | None = Field(default=None, primary_key=True)
    merchant_id: int = Field(foreign_key="merchants.id", index=True)
    product_id: int | None = Field(default=None, foreign_key="products.id", index=True)
    product_key: int = 0  # product_id, or 0 for the shop (a unique key without NULLs)
    kind: str = Field(max_length=16)  # nib, pirt, bpom, halal, sni
    number: str = Field(max_length=40)
    status: str = Field(default="pending", max_length=16, index=True)  # pending, verified,
    # rejected
    submitted_at: datetime = Field(default_factory=utcnow)
    decided_at: datetime | None = None
    decided_by: int | None = Field(default=None, sa_column=Column(BigInteger))


class CurrencyRate(SQLModel, table=True):
    """How many rupiah one unit of a foreign currency is worth, as an administrator set it
    (never fetched from the internet), and the date of that rate."""

    __tablename__ = "currency_rates"

    code: str = Field(primary_key=True, max_length=3)
    rupiah: float  # rupiah per one unit
    as_of: date
    set_by: int | None = Field(default=None, sa_column=Column(BigInteger))
    updated_at: datetime = Field(default_factory=utcnow)


class Inquiry(SQLModel, table=True):
    """A buyer's request for a quote: quantity, destination, message; relayed to the shop."""

    __tablename__ = "inquiries"
    __table_args__ = (Index("ix_inquiries_merchant_status", "merchant_id", "status"),)

    id: int | None = Field(default=None, primary_key=True)
    product_id: int = Field(foreign_key="products.id", index=True)
    merchant_id: int = Field(foreign_key="merchants.id")
    buyer_id: int = Field(foreign_key="users.id", index=True)
    quantity: int
    country: str = Field(max_length=2)  # ISO 3166-1 alpha-2
    buyer_language: str = Field(max_length=8)
    status: str = Field(default="new", max_length=16)  # new, answered, quoted, closed
    created_at: datetime = Field(default_factory=utcnow, index=True)
    answered_at: datetime | None = None  # the shop's first reply
    quoted_at: datetime | None = None
    closed_at: datetime | None = None


class InquiryMessage(SQLModel, table=True):
    """One message of an inquiry's conversation, relayed by the bot (no phone numbers)."""

    __tablename__ = "inquiry_messages"

    id: int | None = Field(default=None, primary_key=True)
    inquiry_id: int = Field(foreign_key="inquiries.id", index=True)
    from_shop: bool = False
    is_quote: bool = False  # the shop's quote (price, terms), not a plain reply
    author_id: int = Field(foreign_key="users.id")
    text: str = Field(sa_column=Column(Text, nullable=False))
    at: datetime = Field(default_factory=utcnow)


class ShowcasePost(SQLModel, table=True):
    """The weekly album in the showcase channel: one row per week (its Monday, WIB), claimed
    before sending so that it posts once, also across restarts and processes."""

    __tablename__ = "showcase_posts"

    week: date = Field(primary_key=True)
    status: str = Field(default="claimed", max_length=16)  # claimed, posted, skipped, failed
    product_ids: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    claimed_at: datetime = Field(default_factory=utcnow)
    posted_at: datetime | None = None
    decided_by: int | None = Field(default=None, sa_column=Column(BigInteger))
