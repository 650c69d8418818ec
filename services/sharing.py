"""Products for inline mode (``@bot words`` in any chat): a page of search results with what a
shared card needs (photo, shop, certifications)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models import Certification, Merchant, Product
from services.exporting import certifications_of
from services.ids import parse_id
from services.search import search_products

INLINE_PAGE = 20  # results per answer (Telegram allows 50)


@dataclass(frozen=True)
class SharedProduct:
    product: Product
    merchant: Merchant
    certs: list[Certification]


@dataclass(frozen=True)
class InlinePage:
    items: list[SharedProduct]
    next_offset: str  # "" when there are no more


async def inline_page(
    session: AsyncSession, query: str, offset: str, *, page_size: int = INLINE_PAGE
) -> InlinePage:
    """The page of `query`'s results at `offset` (the page number a previous answer gave; a
    forged or odd offset starts from the first page)."""
    page = parse_id(offset) if offset else 0
    page = page or 0
    result = await search_products(session, query, page=page, page_size=page_size)
    if result.page != page:  # past the last page
        return InlinePage([], "")
    ids = [hit.product_id for hit in result.items]
    rows = (
        await session.exec(
            select(Product, Merchant)
            .join(Merchant, col(Merchant.id) == col(Product.merchant_id))
            .where(col(Product.id).in_(ids))
        )
    ).all()
    by_id = {product.id: (product, merchant) for product, merchant in rows}
    items = []
    for pid in ids:
        if pid in by_id:
            product, merchant = by_id[pid]
            items.append(
                SharedProduct(product, merchant, await certifications_of(session, product))
            )
    more = result.page + 1 < result.pages
    return InlinePage(items, str(result.page + 1) if more else "")
