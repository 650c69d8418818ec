"""The monthly report on compliance and spending, for administrators and OPD operators.

Every figure is an aggregate computed by the database (GROUP BY over the orders joined with the
roster); Python only arranges the rows it gets back. Compliance figures of a closed month are
the recorded ones (`month_results`); changes made after closing are reported as adjustments,
both in that month's report and in the next month's. Money figures (paid spend, merchants,
categories, orders) are always the orders as they are now.

An administrator sees the whole city; an OPD operator sees their own OPD only (the ASN of that
OPD and what they bought); anyone else is refused (Forbidden).

Refusal codes: forbidden (Forbidden), month_in_future.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import Exists, FromClause, Subquery, and_, case, distinct, exists, union_all
from sqlalchemy.sql import ColumnElement
from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import Select

from models import (
    Category,
    Merchant,
    MerchantStatus,
    MonthClosing,
    MonthResult,
    Order,
    OrderItem,
    OrderStatus,
    OutsidePurchase,
    Product,
    ProductSalesMonth,
    RosterEntry,
    ShopSalesMonth,
    User,
)
from models.db import drop_temporary, materialize
from models.enums import PAID_STATUSES
from models.rollups import rollups_serve
from services.admins import Role
from services.compliance import asn_query, counted_spend, current_month
from services.errors import Forbidden, Refusal, ServiceError
from services.quota import (
    APPROVED,
    QuotaPolicy,
    capped_outside,
    closing_cutoff,
    deadline_credit,
    deadline_day_for,
    month_bounds,
    month_start,
    next_month,
    outside_share_for,
    outside_spend,
)
from services.redflags import Flag, RedFlagPolicy, red_flags


@dataclass(frozen=True)
class OpdFigures:
    opd: str
    asn: int
    registered: int
    exempt: int
    compliant: int
    spent: int

    @property
    def subject(self) -> int:
        """ASN held to the minimum (not exempt)."""
        return self.asn - self.exempt

    @property
    def pct(self) -> float | None:
        return 100.0 * self.compliant / self.subject if self.subject else None


@dataclass(frozen=True)
class CategorySpend:
    slug: str | None  # None: products no longer in any category
    name_id: str
    name_en: str
    emoji: str
    amount: int


@dataclass(frozen=True)
class Adjustment:
    """What changed in a closed month after it was closed (the record itself stays)."""

    month: date
    closed_at: datetime
    asn: int  # ASN whose counted spend differs from the record
    net: int  # spend now minus spend recorded, over those ASN
    refunds: int  # refunded after closing (orders that had counted)
    late: int  # payments confirmed after the deadline day
    compliance_changed: int  # ASN whose compliance would differ now
    outside: int = 0  # outside purchases of the month approved after closing


@dataclass(frozen=True)
class OutsideFigures:
    """Purchases outside the catalog in the month (by purchase date), in scope."""

    approved: int  # how many were approved
    amount: int  # their amount (before the cap)
    pending: int  # waiting for a verifier (any month)
    oldest_pending: datetime | None  # when the longest-waiting one was submitted
    rejected: int


@dataclass(frozen=True)
class OutsideRow:
    id: int
    nip: str
    name: str
    opd: str
    shop_name: str
    kecamatan: str
    kelurahan: str
    items: str
    amount: int
    purchase_date: date
    status: str
    created_at: datetime
    decided_at: datetime | None


@dataclass(frozen=True)
class Comparison:
    opd: str
    pct: float | None
    previous_pct: float | None
    spent: int
    previous_spent: int

    @property
    def change(self) -> float | None:
        if self.pct is None or self.previous_pct is None:
            return None
        return self.pct - self.previous_pct


@dataclass(frozen=True)
class AsnRow:
    nip: str
    name: str
    opd: str
    golongan: str
    quota_class: str
    minimum: int
    spent: int
    exempt: bool
    compliant: bool
    registered: bool

    @property
    def remaining(self) -> int:
        return 0 if self.exempt else max(0, self.minimum - self.spent)


@dataclass(frozen=True)
class MerchantRow:
    code: str
    name: str
    kecamatan: str
    orders: int
    buyers: int
    revenue: int


@dataclass(frozen=True)
class OrderRow:
    id: int
    created_at: datetime
    paid_at: datetime | None
    status: str
    merchant: str
    buyer_nip: str | None
    buyer_name: str
    opd: str
    payment_method: str
    total: int
    counts_for_quota: bool
    refunded_at: datetime | None


@dataclass(frozen=True)
class AdjustmentRow:
    month: date
    nip: str
    name: str
    opd: str
    recorded: int
    now: int


@dataclass(frozen=True)
class CappedShop:
    code: str
    name: str
    sales: int


@dataclass
class ReportDetails:
    asn: list[AsnRow] = field(default_factory=list)
    merchants: list[MerchantRow] = field(default_factory=list)
    orders: list[OrderRow] = field(default_factory=list)
    adjustments: list[AdjustmentRow] = field(default_factory=list)
    outside: list[OutsideRow] = field(default_factory=list)


@dataclass
class Report:
    month: date
    opd: str | None  # None: the whole city
    as_of: datetime
    closed_at: datetime | None  # compliance figures as recorded then; None: live, so far
    roster: int  # active ASN in the roster (or recorded at closing)
    registered: int
    exempt: int
    compliant: int
    counted_spend: int  # spend counted toward the minimum, all ASN in scope
    total_paid: int  # all paid orders into UMKM in the month (in scope)
    median_spend: float  # per ASN held to the minimum, zeros included
    merchants_with_sales: int
    merchants_without_sales: int
    categories: list[CategorySpend]
    opds: list[OpdFigures]  # by compliance, lowest first
    previous_month: date
    previous_opds: list[OpdFigures]
    adjustments: list[Adjustment]
    outside: OutsideFigures | None = None
    details: ReportDetails | None = None
    monthly_cap: int = 0  # the cap on a shop's monthly sales (services.fairness); 0: none
    capped_shops: list[CappedShop] = field(default_factory=list)  # the city's report only
    # The month's red flags (services.redflags): administrators and the inspectorate only;
    # None when not computed.
    red_flags: list[Flag] | None = None

    @property
    def outside_pct(self) -> float | None:
        """Approved outside purchases as a share of all spend (orders paid + outside)."""
        if self.outside is None:
            return None
        total = self.total_paid + self.outside.amount
        return 100.0 * self.outside.amount / total if total else None

    @property
    def subject(self) -> int:
        return self.roster - self.exempt

    @property
    def pct(self) -> float | None:
        return 100.0 * self.compliant / self.subject if self.subject else None

    @property
    def comparison(self) -> list[Comparison]:
        """Per OPD, this month against the previous one; most improved first."""
        before = {o.opd: o for o in self.previous_opds}
        rows = []
        for now in self.opds:
            prev = before.get(now.opd)
            rows.append(
                Comparison(
                    now.opd,
                    now.pct,
                    prev.pct if prev else None,
                    now.spent,
                    prev.spent if prev else 0,
                )
            )
        return sorted(
            rows,
            key=lambda c: (c.change is None, -(c.change or 0.0), c.opd),
        )


ASN_TABLE = "report_asn"


def _count(condition: ColumnElement) -> ColumnElement:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def scope_of(role: Role) -> str | None:
    """The OPD a role may see (None: all); refuses anyone who may not read reports."""
    if role.sees_city:
        return None
    if role.is_staff and role.opd:
        return role.opd
    raise Forbidden()


def _scope_orders(opd: str | None) -> list[ColumnElement]:
    if opd is None:
        return []
    return [col(Order.buyer_nip).in_(select(RosterEntry.nip).where(RosterEntry.opd == opd))]


def _paid_in(start: datetime, end: datetime, opd: str | None) -> list[ColumnElement]:
    return [
        col(Order.status).in_(list(PAID_STATUSES)),
        col(Order.paid_at) >= start,
        col(Order.paid_at) < end,
        *_scope_orders(opd),
    ]


def _select(*columns: Any) -> Select[*tuple[Any, ...]]:
    """`select` of more than four columns: sqlmodel's `select` is typed for at most four (for
    more it builds this same Select). The rows' values are converted where they are read."""
    return Select(*columns)


async def _opd_figures(session: AsyncSession, asn: FromClause) -> list[OpdFigures]:
    rows = (
        await session.exec(
            _select(
                asn.c.opd,
                func.count(),
                _count(asn.c.registered),
                _count(asn.c.exempt),
                _count(asn.c.compliant),
                func.coalesce(func.sum(asn.c.spent), 0),
            )
            .group_by(asn.c.opd)
            .order_by(asn.c.opd)
        )
    ).all()
    return [OpdFigures(row[0], *(int(v) for v in row[1:])) for row in rows]


async def _median(session: AsyncSession, asn: FromClause, subject: int) -> float:
    if subject <= 0:
        return 0.0
    values = (
        await session.exec(
            select(asn.c.spent)
            .where(~asn.c.exempt)
            .order_by(asn.c.spent)
            .offset((subject - 1) // 2)
            .limit(2 - subject % 2)
        )
    ).all()
    return sum(int(v) for v in values) / len(values) if values else 0.0


async def _adjustment(
    session: AsyncSession, closing: MonthClosing, *, policy: QuotaPolicy, opd: str | None
) -> Adjustment | None:
    month = closing.month
    start, end = month_bounds(month, policy.tz)
    day = await deadline_day_for(session, month, default=policy.deadline_day)
    cutoff = closing_cutoff(month, day, policy.tz, await deadline_credit(session, month))
    share = await outside_share_for(session, month, default=policy.outside_share)
    live, outside, now_spent = _live_spend(month, start, end, share, policy)
    scope = [col(MonthResult.opd) == opd] if opd is not None else []
    asn, net, changed = (
        await session.exec(
            select(
                func.count(),
                func.coalesce(func.sum(now_spent - col(MonthResult.spent)), 0),
                _count(
                    and_(
                        ~col(MonthResult.exempt),
                        (now_spent >= col(MonthResult.minimum)) != col(MonthResult.compliant),
                    )
                ),
            )
            .select_from(MonthResult)
            .outerjoin(live, live.c.nip == col(MonthResult.nip))
            .outerjoin(outside, outside.c.nip == col(MonthResult.nip))
            .where(col(MonthResult.month) == month, now_spent != col(MonthResult.spent), *scope)
        )
    ).one()
    recorded = select(MonthResult.nip).where(col(MonthResult.month) == month, *scope)
    counted = [
        col(Order.counts_for_quota).is_(True),
        col(Order.buyer_nip).in_(recorded),
        col(Order.paid_at) >= start,
    ]
    refunds = (
        await session.exec(
            select(func.coalesce(func.sum(Order.total), 0)).where(
                *counted,
                col(Order.paid_at) < cutoff,
                col(Order.status) == OrderStatus.REFUNDED,
                col(Order.refunded_at) > closing.closed_at,
            )
        )
    ).one()
    late = (
        await session.exec(
            select(func.coalesce(func.sum(Order.total), 0)).where(
                *counted,
                col(Order.paid_at) >= cutoff,
                col(Order.paid_at) < end,
                col(Order.status).in_(list(PAID_STATUSES)),
            )
        )
    ).one()
    approved_late = (
        await session.exec(
            select(func.coalesce(func.sum(OutsidePurchase.amount), 0)).where(
                col(OutsidePurchase.nip).in_(recorded),
                col(OutsidePurchase.status) == APPROVED,
                col(OutsidePurchase.purchase_date) >= month,
                col(OutsidePurchase.purchase_date) < next_month(month),
                col(OutsidePurchase.decided_at) > closing.closed_at,
            )
        )
    ).one()
    if not asn and not refunds and not late and not approved_late:
        return None
    return Adjustment(
        month,
        closing.closed_at,
        int(asn),
        int(net),
        int(refunds),
        int(late),
        int(changed),
        int(approved_late),
    )


def _live_spend(
    month: date, start: datetime, end: datetime, share: int, policy: QuotaPolicy
) -> tuple[Subquery, Subquery, ColumnElement]:
    """A closed month's counted spend per NIP as it is now, against its recorded minimum."""
    live = counted_spend(month, start, end, rollup=rollups_serve(policy.tz, month))
    outside = outside_spend(month)
    now_spent = func.coalesce(live.c.spent, 0) + capped_outside(
        func.coalesce(outside.c.outside, 0), col(MonthResult.minimum), share
    )
    return live, outside, now_spent


async def _outside_figures(session: AsyncSession, month: date, opd: str | None) -> OutsideFigures:
    scope = [col(OutsidePurchase.opd) == opd] if opd is not None else []
    in_month = [
        col(OutsidePurchase.purchase_date) >= month,
        col(OutsidePurchase.purchase_date) < next_month(month),
    ]
    approved, amount, rejected = (
        await session.exec(
            select(
                _count(col(OutsidePurchase.status) == APPROVED),
                func.coalesce(
                    func.sum(
                        case((col(OutsidePurchase.status) == APPROVED, OutsidePurchase.amount))
                    ),
                    0,
                ),
                _count(col(OutsidePurchase.status) == "rejected"),
            ).where(*in_month, *scope)
        )
    ).one()
    pending, oldest = (
        await session.exec(
            select(func.count(), func.min(OutsidePurchase.created_at)).where(
                col(OutsidePurchase.status).in_(["pending", "more_photos"]), *scope
            )
        )
    ).one()
    return OutsideFigures(int(approved), int(amount), int(pending), oldest, int(rejected))


async def build_report(
    session: AsyncSession,
    month: date,
    *,
    role: Role,
    policy: QuotaPolicy,
    now: datetime,
    details: bool = False,
    monthly_cap: int = 0,
    red_flag_policy: RedFlagPolicy | None = None,
) -> Report:
    """The month's report as `role` may see it (`role` from services.admins.role_of).

    With a `monthly_cap`, the city's report lists the shops whose paid sales reached it; with
    a `red_flag_policy`, the city's report (administrators, the inspectorate) has the month's
    red flags.

    With `details`, also the rows of the workbook: every ASN, merchant and order in scope.
    """
    opd = scope_of(role)
    month = month_start(month)
    if month > current_month(now, policy):
        raise ServiceError(Refusal.MONTH_IN_FUTURE)
    query, closing = await asn_query(session, month, policy=policy, opd=opd)
    # Every ASN's figures, computed once (a pass over the month's orders) for the several
    # aggregates below and the workbook's rows.
    asn = await materialize(session, ASN_TABLE, query)
    totals = await _asn_totals(session, asn)
    median = await _median(session, asn, totals.roster - totals.exempt)
    opds = await _opd_figures(session, asn)
    opds.sort(key=lambda o: (o.pct is None, o.pct or 0.0, o.opd))

    start, end = month_bounds(month, policy.tz)
    # The city's money figures from the monthly rollups, an OPD's from the orders.
    rollup = opd is None and rollups_serve(policy.tz, month)
    sales, categories = await _money_figures(session, month, _paid_in(start, end, opd), rollup)

    previous = next_month(month, -1)
    prev_query, _prev_closing = await asn_query(session, previous, policy=policy, opd=opd)
    previous_opds = await _opd_figures(session, prev_query.subquery("prev"))
    adjustments = await _adjustments(session, (previous, month), policy=policy, opd=opd)

    report = Report(
        month=month,
        opd=opd,
        as_of=now,
        closed_at=closing.closed_at if closing else None,
        roster=totals.roster,
        registered=totals.registered,
        exempt=totals.exempt,
        compliant=totals.compliant,
        counted_spend=totals.counted_spend,
        total_paid=sales.total_paid,
        median_spend=median,
        merchants_with_sales=sales.with_sales,
        merchants_without_sales=sales.without_sales,
        categories=categories,
        opds=opds,
        previous_month=previous,
        previous_opds=previous_opds,
        adjustments=adjustments,
        outside=await _outside_figures(session, month, opd),
    )
    if monthly_cap > 0 and opd is None:
        report.monthly_cap = monthly_cap
        report.capped_shops = await _capped_shops(session, month, start, end, monthly_cap, rollup)
    if red_flag_policy is not None and role.sees_city:
        report.red_flags = await red_flags(
            session,
            month,
            tz=policy.tz,
            policy=red_flag_policy,
            default_deadline=policy.deadline_day,
            default_minimum=policy.default_minimum,
        )
    if details:
        report.details = await _details(session, report, asn, policy=policy)
    await drop_temporary(session, ASN_TABLE)
    await session.commit()  # end the read transaction (SQLite keeps a snapshot otherwise)
    return report


async def _capped_shops(
    session: AsyncSession, month: date, start: datetime, end: datetime, cap: int, rollup: bool
) -> list[CappedShop]:
    """Shops whose paid sales in [start, end), the month, reached `cap`, highest first (from
    the shops' monthly rollup with `rollup`)."""
    if rollup:
        return await _rollup_capped_shops(session, month, cap)
    total = func.sum(Order.total)
    rows = await session.exec(
        _select(Merchant.code, Merchant.name, total)
        .join(Merchant, col(Merchant.id) == col(Order.merchant_id))
        .where(*_paid_in(start, end, None))
        .group_by(col(Merchant.id), col(Merchant.code), col(Merchant.name))
        .having(total >= cap)
        .order_by(total.desc(), col(Merchant.code))
    )
    return [CappedShop(code, name, int(sales)) for code, name, sales in rows.all()]


async def _rollup_capped_shops(session: AsyncSession, month: date, cap: int) -> list[CappedShop]:
    """`_capped_shops` of a whole month, from the shops' monthly rollup."""
    rows = await session.exec(
        select(Merchant.code, Merchant.name, ShopSalesMonth.sales)
        .join(Merchant, col(Merchant.id) == col(ShopSalesMonth.merchant_id))
        .where(
            col(ShopSalesMonth.month) == month,
            col(ShopSalesMonth.orders) > 0,
            col(ShopSalesMonth.sales) >= cap,
        )
        .order_by(col(ShopSalesMonth.sales).desc(), col(Merchant.code))
    )
    return [CappedShop(code, name, int(sales)) for code, name, sales in rows.all()]


async def _money_figures(
    session: AsyncSession, month: date, paid: list[ColumnElement], rollup: bool
) -> tuple[_Sales, list[CategorySpend]]:
    """Paid sales and spend per category in the month: from the monthly rollups (`rollup`:
    the whole city, in the rollups' time zone) or from the orders (`paid`)."""
    if not rollup:
        return await _sales(session, paid), await _category_spend(session, paid)
    sold = [col(ShopSalesMonth.month) == month, col(ShopSalesMonth.orders) > 0]
    total_paid, with_sales = (
        await session.exec(
            select(func.coalesce(func.sum(ShopSalesMonth.sales), 0), func.count()).where(*sold)
        )
    ).one()
    without_sales = await _active_shops_without(
        session, exists().where(col(ShopSalesMonth.merchant_id) == col(Merchant.id), *sold)
    )
    sales = _Sales(int(total_paid), int(with_sales), without_sales)
    rows = (
        await session.exec(
            _select(
                Category.slug,
                Category.name_id,
                Category.name_en,
                Category.emoji,
                func.sum(ProductSalesMonth.amount),
            )
            .select_from(ProductSalesMonth)
            .outerjoin(Product, col(Product.id) == col(ProductSalesMonth.product_id))
            .outerjoin(Category, col(Category.id) == col(Product.category_id))
            .where(col(ProductSalesMonth.month) == month)
            .group_by(
                col(Category.id),
                col(Category.slug),
                col(Category.name_id),
                col(Category.name_en),
                col(Category.emoji),
            )
            .having(func.sum(ProductSalesMonth.lines) > 0)
        )
    ).all()
    return sales, _by_amount(rows)


@dataclass(frozen=True)
class _AsnTotals:
    roster: int
    registered: int
    exempt: int
    compliant: int
    counted_spend: int


async def _asn_totals(session: AsyncSession, asn: FromClause) -> _AsnTotals:
    """The compliance figures over every ASN in scope."""
    row = (
        await session.exec(
            _select(
                func.count(),
                _count(asn.c.registered),
                _count(asn.c.exempt),
                _count(asn.c.compliant),
                func.coalesce(func.sum(asn.c.spent), 0),
            )
        )
    ).one()
    return _AsnTotals(*(int(value) for value in row))


@dataclass(frozen=True)
class _Sales:
    total_paid: int
    with_sales: int  # merchants with a paid order
    without_sales: int  # active merchants without one


async def _sales(session: AsyncSession, paid: list[ColumnElement]) -> _Sales:
    total_paid, with_sales = (
        await session.exec(
            select(
                func.coalesce(func.sum(Order.total), 0),
                func.count(distinct(col(Order.merchant_id))),
            ).where(*paid)
        )
    ).one()
    without_sales = await _active_shops_without(
        session, exists().where(col(Order.merchant_id) == col(Merchant.id), *paid)
    )
    return _Sales(int(total_paid), int(with_sales), without_sales)


async def _active_shops_without(session: AsyncSession, sold: Exists) -> int:
    """How many active shops have no sale: `sold`, correlated with Merchant, says one has."""
    query = (
        select(func.count())
        .select_from(Merchant)
        .where(col(Merchant.status) == MerchantStatus.ACTIVE, ~sold)
    )
    return int((await session.exec(query)).one())


async def _category_spend(session: AsyncSession, paid: list[ColumnElement]) -> list[CategorySpend]:
    """Spend per category of the paid orders' lines, largest first."""
    rows = (
        await session.exec(
            _select(
                Category.slug,
                Category.name_id,
                Category.name_en,
                Category.emoji,
                func.sum(col(OrderItem.price) * col(OrderItem.quantity)),
            )
            .select_from(OrderItem)
            .join(Order, col(Order.id) == col(OrderItem.order_id))
            .outerjoin(Product, col(Product.id) == col(OrderItem.product_id))
            .outerjoin(Category, col(Category.id) == col(Product.category_id))
            .where(*paid)
            .group_by(
                col(Category.id),
                col(Category.slug),
                col(Category.name_id),
                col(Category.name_en),
                col(Category.emoji),
            )
        )
    ).all()
    return _by_amount(rows)


def _by_amount(rows: Sequence[Any]) -> list[CategorySpend]:
    """Rows (slug, name_id, name_en, emoji, amount) as spend per category, largest first."""
    return sorted(
        (
            CategorySpend(slug, name_id or "", name_en or "", emoji or "", int(amount or 0))
            for slug, name_id, name_en, emoji, amount in rows
        ),
        key=lambda c: -c.amount,
    )


async def _adjustments(
    session: AsyncSession, months: tuple[date, ...], *, policy: QuotaPolicy, opd: str | None
) -> list[Adjustment]:
    """What changed after closing in those of `months` that are closed."""
    found = []
    for month in months:
        closing = await session.get(MonthClosing, month)
        if closing is not None:
            adjustment = await _adjustment(session, closing, policy=policy, opd=opd)
            if adjustment is not None:
                found.append(adjustment)
    return found


async def _details(
    session: AsyncSession, report: Report, asn: FromClause, *, policy: QuotaPolicy
) -> ReportDetails:
    start, end = month_bounds(report.month, policy.tz)
    return ReportDetails(
        asn=await _asn_rows(session, asn),
        merchants=await _merchant_rows(session, _paid_in(start, end, report.opd), report.opd),
        orders=await _order_rows(session, start, end, report.opd),
        adjustments=await _adjustment_rows(session, report, policy=policy),
        outside=await _outside_rows(session, report.month, report.opd),
    )


async def _outside_rows(session: AsyncSession, month: date, opd: str | None) -> list[OutsideRow]:
    """Every outside purchase dated in the month, in scope, as submitted."""
    scope = [col(OutsidePurchase.opd) == opd] if opd is not None else []
    rows = (
        await session.exec(
            select(OutsidePurchase, func.coalesce(RosterEntry.name, ""))
            .outerjoin(RosterEntry, col(RosterEntry.nip) == col(OutsidePurchase.nip))
            .where(
                col(OutsidePurchase.purchase_date) >= month,
                col(OutsidePurchase.purchase_date) < next_month(month),
                *scope,
            )
            .order_by(col(OutsidePurchase.purchase_date), col(OutsidePurchase.id))
        )
    ).all()
    return [
        OutsideRow(
            p.id or 0,
            p.nip,
            name,
            p.opd,
            p.shop_name,
            p.kecamatan,
            p.kelurahan,
            p.items,
            p.amount,
            p.purchase_date,
            p.status,
            p.created_at,
            p.decided_at,
        )
        for p, name in rows
    ]


async def _asn_rows(session: AsyncSession, asn: FromClause) -> list[AsnRow]:
    """Every ASN in scope, by OPD and name."""
    rows = (
        await session.exec(
            _select(
                asn.c.nip,
                asn.c.name,
                asn.c.opd,
                asn.c.golongan,
                asn.c.quota_class,
                asn.c.minimum,
                asn.c.spent,
                asn.c.exempt,
                asn.c.compliant,
                asn.c.registered,
            ).order_by(asn.c.opd, asn.c.name, asn.c.nip)
        )
    ).all()
    return [
        AsnRow(
            nip,
            name,
            o,
            golongan,
            cls,
            int(minimum),
            int(spent),
            bool(exempt),
            bool(compliant),
            bool(registered),
        )
        for nip, name, o, golongan, cls, minimum, spent, exempt, compliant, registered in rows
    ]


async def _merchant_rows(
    session: AsyncSession, paid: list[ColumnElement], opd: str | None
) -> list[MerchantRow]:
    """The city's report: every merchant; an OPD's: the merchants its ASN bought from.
    Largest revenue first."""
    sales = (
        select(
            col(Order.merchant_id).label("merchant_id"),
            func.count().label("orders"),
            func.count(distinct(col(Order.buyer_id))).label("buyers"),
            func.sum(Order.total).label("revenue"),
        )
        .where(*paid)
        .group_by(col(Order.merchant_id))
        .subquery("sales")
    )
    merchants = _select(
        Merchant.code,
        Merchant.name,
        Merchant.kecamatan,
        func.coalesce(sales.c.orders, 0),
        func.coalesce(sales.c.buyers, 0),
        func.coalesce(sales.c.revenue, 0),
    )
    if opd is None:
        merchants = merchants.outerjoin(sales, sales.c.merchant_id == col(Merchant.id))
    else:
        merchants = merchants.join(sales, sales.c.merchant_id == col(Merchant.id))
    rows = (
        await session.exec(
            merchants.order_by(func.coalesce(sales.c.revenue, 0).desc(), col(Merchant.name))
        )
    ).all()
    return [MerchantRow(*row[:3], *(int(v) for v in row[3:])) for row in rows]


async def _order_rows(
    session: AsyncSession, start: datetime, end: datetime, opd: str | None
) -> list[OrderRow]:
    rows = (await session.exec(month_orders_query(start, end, opd))).all()
    return [OrderRow(*row) for row in rows]


def month_orders_query(
    start: datetime, end: datetime, opd: str | None
) -> Select[*tuple[Any, ...]]:
    """Orders of the month, as the workbook's order sheet lists them (the columns of
    `OrderRow`): placed in it, or placed before and paid in it (two index ranges). In the order
    they were placed."""
    columns = (
        _select(
            col(Order.id).label("id"),
            col(Order.created_at).label("created_at"),
            col(Order.paid_at).label("paid_at"),
            col(Order.status).label("status"),
            col(Merchant.name).label("merchant"),
            col(Order.buyer_nip).label("buyer_nip"),
            func.coalesce(RosterEntry.name, User.full_name, User.first_name, "").label("buyer"),
            func.coalesce(RosterEntry.opd, "").label("opd"),
            col(Order.payment_method).label("payment_method"),
            col(Order.total).label("total"),
            col(Order.counts_for_quota).label("counts_for_quota"),
            col(Order.refunded_at).label("refunded_at"),
        )
        .join(Merchant, col(Merchant.id) == col(Order.merchant_id))
        .join(User, col(User.id) == col(Order.buyer_id))
        .outerjoin(RosterEntry, col(RosterEntry.nip) == col(Order.buyer_nip))
    )
    scope = _scope_orders(opd)
    month_orders = union_all(
        columns.where(col(Order.created_at) >= start, col(Order.created_at) < end, *scope),
        columns.where(
            col(Order.status).in_([*PAID_STATUSES, OrderStatus.REFUNDED]),
            col(Order.paid_at) >= start,
            col(Order.paid_at) < end,
            col(Order.created_at) < start,
            *scope,
        ),
    ).subquery("month_orders")
    return _select(*month_orders.c).order_by(month_orders.c.created_at, month_orders.c.id)


async def _adjustment_rows(
    session: AsyncSession, report: Report, *, policy: QuotaPolicy
) -> list[AdjustmentRow]:
    """Per adjusted month, each ASN whose spend now differs from the recorded one."""
    opd = report.opd
    found: list[AdjustmentRow] = []
    for adjustment in report.adjustments:
        start, end = month_bounds(adjustment.month, policy.tz)
        share = await outside_share_for(session, adjustment.month, default=policy.outside_share)
        live, outside, now_spent = _live_spend(adjustment.month, start, end, share, policy)
        rows = (
            await session.exec(
                _select(
                    MonthResult.nip,
                    func.coalesce(RosterEntry.name, ""),
                    MonthResult.opd,
                    MonthResult.spent,
                    now_spent,
                )
                .outerjoin(live, live.c.nip == col(MonthResult.nip))
                .outerjoin(outside, outside.c.nip == col(MonthResult.nip))
                .outerjoin(RosterEntry, col(RosterEntry.nip) == col(MonthResult.nip))
                .where(
                    col(MonthResult.month) == adjustment.month,
                    now_spent != col(MonthResult.spent),
                    *([col(MonthResult.opd) == opd] if opd is not None else []),
                )
                .order_by(col(MonthResult.opd), col(MonthResult.nip))
            )
        ).all()
        found.extend(
            AdjustmentRow(adjustment.month, nip, name, o, int(recorded), int(now))
            for nip, name, o, recorded, now in rows
        )
    return found
