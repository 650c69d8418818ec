"""Money spreads: the monthly cap per shop and the fair order of equally relevant products.

The score is transparent and has three parts, compared in this order after relevance:

1. **Relevance** is the caller's (search: terms matched, in stock, match score; a category
   page: in stock first). Fairness never reorders products of different relevance.
2. **This month's sales share** of the shop: its share of the month's paid orders (WIB
   calendar month), as a band relative to an equal share among the open shops: 0 no sale yet,
   1 less than half an equal share, 2 less than an equal share, 3 less than twice, 4 more. Lower
   bands come first. Orders are counted, not rupiah: counting rupiah would keep shops of cheap
   products on top (one sale of a cheap product moves them less) and make buyers need more
   purchases to reach their minimum (bench/fairness.py measured it).
3. **Freshness**: products listed in the last `fresh_days` days come before older ones.

Products still equal after that are **rotated**: sorted by shop and product id, then turned by
the WIB day (and the list: a category or a query), so that among k equal shops each is first on
one day out of k, and every page of one list uses the same order (nothing is shown twice or
skipped while paging).

A category page also goes round the shops: every shop's first product, then every shop's
second one, and so on (a shop's own products fresh first, then by name), so one shop with many
products does not fill the first page.

A shop whose paid sales this month reached `monthly_cap` (0: no cap) is **capped** for the rest
of the month: ranked after all others (default) or hidden from catalog and search
(`hide_capped`). Its orders already placed go on; on the 1st its sales start from zero again.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import cached_property
from typing import TypeVar
from zoneinfo import ZoneInfo

from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models import Merchant, MerchantStatus, Order
from models.enums import PAID_STATUSES
from services.quota import month_bounds, month_start

T = TypeVar("T")

MAX_BAND = 4


@dataclass(frozen=True)
class FairnessPolicy:
    monthly_cap: int = 30_000_000  # rupiah of paid sales per shop and month; 0: no cap
    hide_capped: bool = False  # False: capped shops ranked last; True: hidden
    ranking: bool = True  # False: fair ranking off (only the cap applies)
    fresh_days: int = 30


@dataclass(frozen=True)
class Standing:
    """This month's paid sales of the shops, as the ranking needs them."""

    month: date
    day: date  # the WIB day: seeds the rotation
    sales: dict[int, int]
    open_shops: int
    policy: FairnessPolicy = field(default_factory=FairnessPolicy)
    now: datetime | None = None
    orders: dict[int, int] | None = None  # paid orders per shop (None: share of rupiah)

    @property
    def total(self) -> int:
        return sum(self.sales.values())

    @cached_property
    def _counted(self) -> int:
        """All shops' orders (or rupiah) this month: summed once, not once per product."""
        counts = self.orders if self.orders is not None else self.sales
        return sum(counts.values())

    def is_capped(self, merchant_id: int) -> bool:
        cap = self.policy.monthly_cap
        return cap > 0 and self.sales.get(merchant_id, 0) >= cap

    def hidden(self, merchant_id: int) -> bool:
        return self.policy.hide_capped and self.is_capped(merchant_id)

    def band(self, merchant_id: int) -> int:
        """0 no sale; 1 < half an equal share; 2 < an equal share; 3 < twice; 4 more."""
        if not self.policy.ranking:
            return 0
        counts = self.orders if self.orders is not None else self.sales
        sold = counts.get(merchant_id, 0)
        if sold <= 0:
            return 0
        shops = max(self.open_shops, len(counts), 1)
        # Compare sold / total with 1 / shops without fractions.
        ratio_x2 = 2 * sold * shops
        total = self._counted
        if ratio_x2 < total:
            return 1
        if ratio_x2 < 2 * total:
            return 2
        if ratio_x2 < 4 * total:
            return 3
        return MAX_BAND

    def is_fresh(self, created_at: datetime | None) -> bool:
        if not self.policy.ranking or created_at is None or self.now is None:
            return False
        if created_at.tzinfo is None:
            created_at = created_at.replace(tzinfo=self.now.tzinfo)
        return self.now - created_at <= timedelta(days=self.policy.fresh_days)

    def fresh_until(self, created: Iterable[datetime | None]) -> datetime | None:
        """The first instant after `now` at which one of the products listed at `created`
        stops being fresh (the order may change then); None: none of them is fresh."""
        if not self.policy.ranking or self.now is None:
            return None
        ends = [
            (c if c.tzinfo else c.replace(tzinfo=self.now.tzinfo))
            + timedelta(days=self.policy.fresh_days)
            for c in created
            if c is not None
        ]
        return min((end for end in ends if end >= self.now), default=None)

    def below_median(self, merchant_id: int, merchant_ids: Iterable[int]) -> bool:
        """Whether the shop sold nothing yet this month, or less than the median of
        `merchant_ids`."""
        return self.below(merchant_id, self.median_sales(merchant_ids))

    def median_sales(self, merchant_ids: Iterable[int]) -> float | None:
        """The median of this month's paid sales of `merchant_ids` (None: no shop)."""
        values = sorted(self.sales.get(m, 0) for m in merchant_ids)
        if not values:
            return None
        middle = len(values) // 2
        return values[middle] if len(values) % 2 else (values[middle - 1] + values[middle]) / 2

    def below(self, merchant_id: int, median: float | None) -> bool:
        """`below_median` against a median computed once (`median_sales`) for many shops."""
        sold = self.sales.get(merchant_id, 0)
        return sold == 0 or (median is not None and sold < median)

    def cap_left(self, merchant_id: int) -> int | None:
        """Rupiah of sales left before the cap this month (0 when reached), None without a cap."""
        if self.policy.monthly_cap <= 0:
            return None
        return max(0, self.policy.monthly_cap - self.sales.get(merchant_id, 0))


async def month_sales(
    session: AsyncSession, month: date, tz: ZoneInfo
) -> dict[int, tuple[int, int]]:
    """Paid sales (rupiah, orders) per shop in a WIB calendar month (shops without a sale are
    absent)."""
    start, end = month_bounds(month, tz)
    query = (
        select(Order.merchant_id, func.sum(Order.total), func.count())
        .where(
            col(Order.status).in_(PAID_STATUSES),
            col(Order.paid_at) >= start,
            col(Order.paid_at) < end,
        )
        .group_by(col(Order.merchant_id))
    )
    rows = (await session.exec(query)).all()
    return {m: (int(total or 0), int(count)) for m, total, count in rows}


async def standing(
    session: AsyncSession, *, now: datetime, tz: ZoneInfo, policy: FairnessPolicy
) -> Standing:
    """This month's sales picture at `now`."""
    day = now.astimezone(tz).date()
    month = month_start(day)
    sold = await month_sales(session, month, tz)
    open_shops = (
        await session.exec(
            select(func.count())
            .select_from(Merchant)
            .where(col(Merchant.status) == MerchantStatus.ACTIVE, col(Merchant.is_open).is_(True))
        )
    ).one()
    sales = {m: amount for m, (amount, _count) in sold.items()}
    orders = {m: count for m, (_amount, count) in sold.items()}
    return Standing(month, day, sales, int(open_shops), policy, now, orders)


def rotation_offset(day: date, salt: str) -> int:
    """A stable number for a day and a list (a category, a query)."""
    return day.toordinal() + zlib.crc32(salt.encode())


def rotate_ties(
    items: Sequence[T],
    key: Callable[[T], tuple[object, ...]],
    stable: Callable[[T], tuple[object, ...]],
    offset: int,
) -> list[T]:
    """`items` sorted by `key`; runs of equal keys are sorted by `stable` and turned by
    `offset` (each of k equal items comes first on one offset out of k)."""
    ordered = sorted(items, key=lambda item: (key(item), stable(item)))
    result: list[T] = []
    start = 0
    while start < len(ordered):
        end = start + 1
        first = key(ordered[start])
        while end < len(ordered) and key(ordered[end]) == first:
            end += 1
        run = ordered[start:end]
        turn = offset % len(run)
        result.extend(run[turn:] + run[:turn])
        start = end
    return result


@dataclass(frozen=True)
class Listed:
    """A product as the fair ordering of a list needs it."""

    product_id: int
    merchant_id: int
    in_stock: bool
    created_at: datetime | None
    relevance: tuple[object, ...] = ()  # smaller first; the caller's order of relevance
    name: str = ""


def fair_order(
    items: Sequence[T],
    listed: Callable[[T], Listed],
    standing_: Standing,
    *,
    salt: str,
    round_robin: bool = False,
) -> list[T]:
    """`items` in the fair order (module doc). Hidden (capped, `hide_capped`) shops are left
    out. `round_robin` goes round the shops of equal relevance (category pages)."""
    visible = [item for item in items if not standing_.hidden(listed(item).merchant_id)]
    turn: dict[int, int] = {}
    if round_robin and standing_.policy.ranking:
        # Each shop's products fresh first, then by name, numbered 0, 1, 2, …
        per_shop = sorted(
            visible,
            key=lambda item: (
                listed(item).relevance,
                listed(item).merchant_id,
                not standing_.is_fresh(listed(item).created_at),
                listed(item).name.casefold(),
                listed(item).product_id,
            ),
        )
        seen: dict[tuple[object, ...], int] = {}
        for item in per_shop:
            info = listed(item)
            group = (info.relevance, info.merchant_id)
            turn[info.product_id] = seen.get(group, 0)
            seen[group] = turn[info.product_id] + 1

    def key(item: T) -> tuple[object, ...]:
        info = listed(item)
        return (
            info.relevance,
            standing_.is_capped(info.merchant_id),
            turn.get(info.product_id, 0),
            standing_.band(info.merchant_id),
            not standing_.is_fresh(info.created_at),
        )

    if not standing_.policy.ranking:
        return sorted(
            visible,
            key=lambda item: (key(item), listed(item).name.casefold(), listed(item).product_id),
        )
    return rotate_ties(
        visible,
        key=key,
        stable=lambda item: (listed(item).merchant_id, listed(item).product_id),
        offset=rotation_offset(standing_.day, salt),
    )
