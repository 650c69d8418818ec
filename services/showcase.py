"""The weekly showcase album in the city's channel: new and best-selling products of the week,
of the global window only (export-ready), at most one per shop, shops shown least recently
first (so that every shop gets its turn), posted once per week (a row claimed before
sending: also across restarts and several processes); administrators preview it and may skip
a week.

Refusal codes: showcase_done (the week was already posted).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models import (
    Category,
    Merchant,
    MerchantStatus,
    Order,
    OrderItem,
    Product,
    ShowcasePost,
)
from models.db import begin_write, write_transaction
from models.enums import PAID_STATUSES
from services.admins import audit
from services.errors import Refusal, ServiceError
from services.exporting import certifications_of, missing_for_global
from services.roles import Roles

ALBUM_MAX = 10  # sendMediaGroup: 2-10 items
ALBUM_MIN = 2


def week_of(moment: datetime, tz: tzinfo) -> date:
    """The Monday (WIB) of the week `moment` is in."""
    local = moment.astimezone(tz).date()
    return local - timedelta(days=local.weekday())


def due_at(week: date, weekday: int, hour: int, tz: tzinfo) -> datetime:
    """When the week's album is due: `weekday` (0 Monday) at `hour` WIB."""
    return datetime.combine(week + timedelta(days=weekday), time(hour), tz)


@dataclass(frozen=True)
class Pick:
    product: Product
    merchant: Merchant
    sold: int  # units paid this week
    is_new: bool  # added this week


async def _last_shown(session: AsyncSession) -> dict[int, date]:
    """When each shop was last in a posted album."""
    posts = (await session.exec(select(ShowcasePost).where(ShowcasePost.status == "posted"))).all()
    shown: dict[int, date] = {}
    for post in posts:
        ids = [int(i) for i in json.loads(post.product_ids or "[]")]
        if not ids:
            continue
        rows = await session.exec(select(Product.merchant_id).where(col(Product.id).in_(ids)))
        for merchant_id in rows.all():
            shown[merchant_id] = max(shown.get(merchant_id, date.min), post.week)
    return shown


async def pick_products(
    session: AsyncSession, week: date, tz: tzinfo, *, limit: int = ALBUM_MAX
) -> list[Pick]:
    """The album of `week`: products of the global window (live, shown, export-ready) of
    active, open shops, one per shop
    (its best-selling of the week, else its newest of the week, else its newest); shops
    never or least recently shown first, then those that sold more this week."""
    start = datetime.combine(week, time(0), tz)
    end = start + timedelta(days=7)
    sold_rows = await session.exec(
        select(OrderItem.product_id, func.sum(OrderItem.quantity))
        .join(Order, col(Order.id) == col(OrderItem.order_id))
        .where(
            col(Order.status).in_(PAID_STATUSES),
            col(Order.paid_at) >= start,
            col(Order.paid_at) < end,
        )
        .group_by(col(OrderItem.product_id))
    )
    sold = {pid: int(n) for pid, n in sold_rows.all() if pid is not None}
    rows = (
        await session.exec(
            select(Product, Merchant)
            .join(Merchant, col(Merchant.id) == col(Product.merchant_id))
            .where(
                col(Product.deleted_at).is_(None),
                col(Product.is_active).is_(True),
                col(Product.photo).is_not(None),
                Merchant.status == MerchantStatus.ACTIVE,
                col(Merchant.is_open).is_(True),
            )
        )
    ).all()
    categories = {c.id: c for c in (await session.exec(select(Category))).all()}
    best: dict[int, Pick] = {}
    for product, merchant in rows:
        certs = await certifications_of(session, product)
        if missing_for_global(product, categories.get(product.category_id), certs):
            continue  # the channel shows the global window only
        is_new = product.created_at >= start
        pick = Pick(product, merchant, sold.get(product.id or 0, 0), is_new)
        key = (pick.sold, pick.is_new, product.created_at, product.id or 0)
        current = best.get(merchant.id or 0)
        if current is None or key > (
            current.sold,
            current.is_new,
            current.product.created_at,
            current.product.id or 0,
        ):
            best[merchant.id or 0] = pick
    shown = await _last_shown(session)
    ordered = sorted(
        best.values(),
        key=lambda p: (
            shown.get(p.merchant.id or 0, date.min),
            -p.sold,
            not p.is_new,
            p.merchant.id or 0,
        ),
    )
    return ordered[:limit]


async def week_post(session: AsyncSession, week: date) -> ShowcasePost | None:
    return await session.get(ShowcasePost, week, populate_existing=True)


async def claim_week(
    session: AsyncSession, week: date, product_ids: list[int], *, now: datetime
) -> bool:
    """Claim the week's album before sending it; False when it was claimed, posted or
    skipped already (by this process before a restart, or by another)."""
    await begin_write(session)
    if await session.get(ShowcasePost, week) is not None:
        await session.commit()
        return False
    session.add(ShowcasePost(week=week, product_ids=json.dumps(product_ids), claimed_at=now))
    try:
        await session.commit()
    except IntegrityError:
        await session.rollback()
        return False
    return True


async def finish_week(session: AsyncSession, week: date, *, posted: bool, now: datetime) -> None:
    async with write_transaction(session):
        post = await session.get(ShowcasePost, week)
        if post is not None:
            post.status = "posted" if posted else "failed"
            post.posted_at = now if posted else None
            session.add(post)


async def skip_week(
    session: AsyncSession, *, actor: Roles, week: date, skip: bool, now: datetime
) -> ShowcasePost | None:
    """An administrator skips the week's album (or takes the skip back); audited. A week
    already posted cannot be skipped."""
    actor.require_admin()
    async with write_transaction(session):
        post = await session.get(ShowcasePost, week)
        if post is not None and post.status in ("posted", "claimed"):
            raise ServiceError(Refusal.SHOWCASE_DONE)
        if skip and post is None:
            post = ShowcasePost(
                week=week, status="skipped", claimed_at=now, decided_by=actor.telegram_id
            )
            session.add(post)
        elif not skip and post is not None:
            await session.delete(post)
            post = None
        audit(session, actor.telegram_id, "showcase_skip" if skip else "showcase_unskip",
              week=week)  # fmt: skip
    return post
