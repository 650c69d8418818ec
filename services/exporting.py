"""Export-ready products (Malang Mendunia): the export details of a product, the numbers of
its permits and certificates and their verification by the city (Diskopindag), and whether a
product qualifies for the global window.

Formats: see services.export_formats.

Refusal codes: hs_code_invalid, number_invalid [kind], export_value_invalid [field],
certification_not_found; owner_only / forbidden / product_not_found as in services.products.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models import Category, Certification, Merchant, Product, User
from models.db import write_transaction
from models.tables import stored_id
from services.admins import audit
from services.errors import NotFound, Refusal, ServiceError
from services.export_formats import (
    FOOD_CATEGORY,
    CertKind,
    parse_dimensions,
    parse_hs_code,
    parse_number,
    parse_positive,
    parse_shelf_life,
    parse_weight,
)
from services.products import _owned_product, require_member
from services.roles import Roles

# The export fields of a product, in the order the owner fills them in.
EXPORT_FIELDS = (
    "name_en",
    "description_en",
    "hs_code",
    "export_moq",
    "monthly_capacity",
    "weight_grams",
    "dimensions_cm",
    "shelf_life_days",
)


def parse_export_field(field: str, text: str) -> object:
    from services.products import parse_description, parse_name

    if field == "name_en":
        return parse_name(text)
    if field == "description_en":
        value = parse_description(text)
        if not value:
            raise ServiceError(Refusal.EXPORT_VALUE_INVALID, field=field)
        return value
    if field == "hs_code":
        return parse_hs_code(text)
    if field in ("export_moq", "monthly_capacity"):
        return parse_positive(text, field)
    if field == "weight_grams":
        return parse_weight(text)
    if field == "dimensions_cm":
        return parse_dimensions(text)
    if field == "shelf_life_days":
        return parse_shelf_life(text)
    raise ServiceError(Refusal.NOT_FOUND)


# --- changing ----------------------------------------------------------------------------------


async def set_export_field(
    session: AsyncSession, user: User, product_id: int, field: str, text: str, *, now: datetime
) -> Product:
    """The owner sets one export detail of a product (typed text, parsed here)."""
    value = parse_export_field(field, text)
    async with write_transaction(session):
        product, _merchant = await _owned_product(session, user, product_id, lock=True)
        setattr(product, field, value)
        if field in ("name_en", "description_en"):
            product.text_en_at = now
        product.updated_at = now
        session.add(product)
    return product


async def _certification(
    session: AsyncSession, merchant_id: int, product_id: int | None, kind: str
) -> Certification | None:
    return (
        await session.exec(
            select(Certification).where(
                Certification.merchant_id == merchant_id,
                Certification.product_key == (product_id or 0),
                Certification.kind == kind,
            )
        )
    ).first()


async def submit_certification(
    session: AsyncSession,
    user: User,
    *,
    kind: str,
    text: str,
    now: datetime,
    product_id: int | None = None,
    merchant_id: int | None = None,
) -> Certification:
    """The owner records a number (a product's certificate, or the shop's NIB with
    `merchant_id`); it waits for the city's verification. A changed number is verified anew."""
    if kind not in set(CertKind) or (kind == CertKind.NIB) != (product_id is None):
        raise ServiceError(Refusal.NOT_FOUND)
    number = parse_number(kind, text)
    async with write_transaction(session):
        if product_id is not None:
            product, merchant = await _owned_product(session, user, product_id, lock=True)
        else:
            merchant, _role = await require_member(
                session, user, merchant_id or 0, owner=True, active=True
            )
        mid = stored_id(merchant.id)
        cert = await _certification(session, mid, product_id, kind)
        if cert is None:
            cert = Certification(
                merchant_id=mid, product_id=product_id, product_key=product_id or 0, kind=kind,
                number=number,
            )  # fmt: skip
        if cert.number != number or cert.status == "rejected" or cert.id is None:
            cert.number, cert.status, cert.submitted_at = number, "pending", now
            cert.decided_at = cert.decided_by = None
        if kind == CertKind.NIB:
            merchant.nib = number
            session.add(merchant)
        session.add(cert)
        await session.flush()
    return cert


@dataclass(frozen=True)
class PendingCertification:
    cert: Certification
    merchant: Merchant
    product: Product | None


async def pending_certifications(
    session: AsyncSession, *, actor: Roles, limit: int = 20
) -> tuple[list[PendingCertification], int]:
    """The numbers waiting for the city's verification (oldest first), and how many wait."""
    actor.require_admin()
    rows = (
        await session.exec(
            select(Certification)
            .where(Certification.status == "pending")
            .order_by(col(Certification.submitted_at), col(Certification.id))
        )
    ).all()
    items = []
    for cert in rows[:limit]:
        merchant = await session.get(Merchant, cert.merchant_id)
        product = await session.get(Product, cert.product_id) if cert.product_id else None
        assert merchant is not None
        items.append(PendingCertification(cert, merchant, product))
    return items, len(rows)


async def decide_certification(
    session: AsyncSession, *, actor: Roles, cert_id: int, verified: bool, now: datetime
) -> Certification:
    """An administrator marks a number verified (or rejected); audited. A decision already
    taken is kept (the button pressed twice changes nothing)."""
    actor.require_admin()
    async with write_transaction(session):
        cert = await session.get(Certification, cert_id, with_for_update=True)
        if cert is None:
            raise NotFound(Refusal.CERTIFICATION_NOT_FOUND)
        if cert.status == "pending":
            cert.status = "verified" if verified else "rejected"
            cert.decided_at, cert.decided_by = now, actor.telegram_id
            session.add(cert)
            audit(
                session, actor.telegram_id, "certification_" + cert.status, id=cert.id,
                kind=cert.kind, number=cert.number, merchant_id=cert.merchant_id,
                product_id=cert.product_id,
            )  # fmt: skip
    return cert


# --- reading -----------------------------------------------------------------------------------


async def certifications_of(session: AsyncSession, product: Product) -> list[Certification]:
    """The shop's NIB and the product's certificates, NIB first, then in `CertKind` order."""
    rows = (
        await session.exec(
            select(Certification).where(
                Certification.merchant_id == product.merchant_id,
                col(Certification.product_key).in_([0, stored_id(product.id)]),
            )
        )
    ).all()
    order = list(CertKind)
    return sorted(rows, key=lambda c: order.index(CertKind(c.kind)))


class Missing(StrEnum):
    NAME_EN = "name_en"
    DESCRIPTION_EN = "description_en"
    PHOTO = "photo"
    NIB = "nib"
    HS_CODE = "hs_code"
    MOQ = "export_moq"
    CAPACITY = "monthly_capacity"
    WEIGHT = "weight_grams"
    DIMENSIONS = "dimensions_cm"
    SHELF_LIFE = "shelf_life_days"


def missing_for_global(
    product: Product, category: Category | None, certs: list[Certification]
) -> list[Missing]:
    """What the product lacks for the global window (empty: it qualifies): English texts, a
    photo, a verified NIB of the shop and the export details (shelf life for food)."""
    missing = []
    if not product.name_en:
        missing.append(Missing.NAME_EN)
    if not product.description_en:
        missing.append(Missing.DESCRIPTION_EN)
    if not product.photo:
        missing.append(Missing.PHOTO)
    if not any(c.kind == CertKind.NIB and c.status == "verified" for c in certs):
        missing.append(Missing.NIB)
    for name, code in (
        ("hs_code", Missing.HS_CODE),
        ("export_moq", Missing.MOQ),
        ("monthly_capacity", Missing.CAPACITY),
        ("weight_grams", Missing.WEIGHT),
        ("dimensions_cm", Missing.DIMENSIONS),
    ):
        if getattr(product, name) in (None, ""):
            missing.append(code)
    if category is not None and category.slug == FOOD_CATEGORY and not product.shelf_life_days:
        missing.append(Missing.SHELF_LIFE)
    return missing


@dataclass(frozen=True)
class GlobalStatus:
    product: Product
    missing: list[Missing]


async def global_window_status(
    session: AsyncSession, user: User, merchant_id: int
) -> list[GlobalStatus]:
    """Each live product of the owner's shop and what it lacks for the global window."""
    await require_member(session, user, merchant_id, owner=True)
    products = (
        await session.exec(
            select(Product)
            .where(Product.merchant_id == merchant_id, col(Product.deleted_at).is_(None))
            .order_by(col(Product.name))
        )
    ).all()
    categories = {c.id: c for c in (await session.exec(select(Category))).all()}
    result = []
    for product in products:
        certs = await certifications_of(session, product)
        result.append(
            GlobalStatus(
                product, missing_for_global(product, categories.get(product.category_id), certs)
            )
        )
    return result


async def nib_certification(session: AsyncSession, merchant_id: int) -> Certification | None:
    return await _certification(session, merchant_id, None, CertKind.NIB)
