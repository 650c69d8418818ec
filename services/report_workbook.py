"""The monthly report as an XLSX workbook: numbers as numbers, frozen headers, auto-filters.

Sheets: Summary (each figure with its value), OPD (with last month beside it), ASN, Shops,
Orders (every order of the month), when there are any, Outside purchases (purchases outside
the catalog dated in the month, any status) and, when a closed month changed afterwards,
Adjustments.
Written by services.export (XlsxWriter, row by row), so no text from data becomes a formula.

Services do not translate: the sheet names, headers and words come in a WorkbookLabels, made by
the view in the reader's language (views.reports.workbook_labels). Columns follow the order of
the headers; each sheet's widths and number formats are here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from services.export import Cell, Column, XlsxBook
from services.reports import AdjustmentRow, AsnRow, MerchantRow, OrderRow, OutsideRow, Report

RUPIAH_FORMAT = '"Rp"#,##0'
PERCENT_FORMAT = "0.0%"
DATE_FORMAT = "yyyy-mm-dd hh:mm"
POINTS_FORMAT = "+0.0;-0.0;0.0"

# Width and number format of each column, in the order of the headers.
SUMMARY_COLUMNS = ((46, None), (22, None))  # figure, value (each value has its own format)
OPD_COLUMNS = (
    (38, None),  # OPD
    (9, None),  # ASN
    (12, None),  # registered
    (9, None),  # exempt
    (12, None),  # held to the minimum
    (12, None),  # met the minimum
    (12, PERCENT_FORMAT),  # compliance
    (18, RUPIAH_FORMAT),  # spend
    (14, PERCENT_FORMAT),  # compliance last month
    (12, POINTS_FORMAT),  # change (points)
    (18, RUPIAH_FORMAT),  # spend last month
)
ASN_COLUMNS = (
    (21, None),  # NIP
    (30, None),  # name
    (30, None),  # OPD
    (10, None),  # golongan
    (8, None),  # class
    (14, RUPIAH_FORMAT),  # minimum
    (14, RUPIAH_FORMAT),  # spend
    (14, RUPIAH_FORMAT),  # remaining
    (14, None),  # status
    (11, None),  # registered
)
SHOP_COLUMNS = (
    (10, None),  # code
    (34, None),  # shop
    (16, None),  # kecamatan
    (10, None),  # orders
    (10, None),  # buyers
    (18, RUPIAH_FORMAT),  # revenue
)
ORDER_COLUMNS = (
    (9, None),  # order
    (17, DATE_FORMAT),  # created (WIB)
    (17, DATE_FORMAT),  # paid (WIB)
    (18, None),  # status
    (30, None),  # shop
    (21, None),  # buyer NIP
    (26, None),  # buyer
    (26, None),  # OPD
    (11, None),  # payment
    (15, RUPIAH_FORMAT),  # total
    (12, None),  # counts for the minimum
    (17, DATE_FORMAT),  # refunded (WIB)
)
OUTSIDE_COLUMNS = (
    (9, None),  # id
    (21, None),  # NIP
    (26, None),  # name
    (26, None),  # OPD
    (28, None),  # shop
    (16, None),  # kecamatan
    (18, None),  # kelurahan
    (36, None),  # items
    (15, RUPIAH_FORMAT),  # amount
    (12, None),  # purchase date
    (18, None),  # status
    (17, DATE_FORMAT),  # submitted (WIB)
    (17, DATE_FORMAT),  # decided (WIB)
)
FLAG_COLUMNS = (
    (26, None),  # rule
    (21, None),  # NIP
    (10, None),  # shop code
    (30, None),  # shop
    (30, None),  # orders
    (16, RUPIAH_FORMAT),  # amount
    (18, None),  # verdict
)
ADJUSTMENT_COLUMNS = (
    (10, None),  # month
    (21, None),  # NIP
    (30, None),  # name
    (30, None),  # OPD
    (16, RUPIAH_FORMAT),  # recorded spend
    (16, RUPIAH_FORMAT),  # spend now
    (16, RUPIAH_FORMAT),  # difference
)


@dataclass(frozen=True)
class SheetLabels:
    title: str
    headers: tuple[str, ...]  # one per column


@dataclass(frozen=True)
class FigureLabels:
    """The names of the Summary sheet's figures."""

    month: str
    scope: str
    closed_on: str
    as_of: str
    roster: str
    registered: str
    exempt: str
    subject: str
    compliant: str
    compliance: str
    total_paid: str
    counted_spend: str
    median_spend: str
    with_sales: str
    without_sales: str


@dataclass(frozen=True)
class AdjustmentLabels:
    """The names of the four figures of one adjusted month (its name in them)."""

    asn: str
    net: str
    refunds: str
    late: str


@dataclass(frozen=True)
class WorkbookLabels:
    summary: SheetLabels
    opd: SheetLabels
    asn: SheetLabels
    shops: SheetLabels
    orders: SheetLabels
    adjustments: SheetLabels
    outside: SheetLabels
    figures: FigureLabels
    whole_city: str  # the scope of a report on every OPD
    category_spend: tuple[str, ...]  # "Spend: <category>", one per report.categories, in order
    adjusted_months: tuple[AdjustmentLabels, ...]  # one per report.adjustments, in order
    met: str
    not_met: str
    exempt: str
    yes: str
    no: str
    statuses: Mapping[str, str]  # order status -> its name (a status not in it: as it is)
    payment_methods: Mapping[str, str]  # payment method -> its name (likewise)
    outside_statuses: Mapping[str, str]  # outside purchase status -> its name
    flags: SheetLabels | None = None  # the red flags sheet ("Tanda perhatian")
    rules: Mapping[str, str] = field(default_factory=dict)  # red flag rule -> its name
    verdicts: Mapping[str, str] = field(default_factory=dict)  # verdict -> its name; "" none


def workbook_xlsx(report: Report, labels: WorkbookLabels, tz: ZoneInfo) -> bytes:
    """The report (built with details=True) as an XLSX workbook; times as wall-clock time in
    `tz` (Excel has no time zones)."""
    details = report.details
    if details is None:
        raise ValueError("build the report with details=True for a workbook")
    with XlsxBook() as book:
        _summary_sheet(book, report, labels, tz)
        _opd_sheet(book, report, labels.opd)
        _asn_sheet(book, details.asn, labels)
        _shop_sheet(book, details.merchants, labels.shops)
        _order_sheet(book, details.orders, labels, tz)
        if details.outside:
            _outside_sheet(book, details.outside, labels, tz)
        if details.adjustments:
            _adjustment_sheet(book, details.adjustments, labels.adjustments)
        if report.red_flags is not None and labels.flags is not None:
            _flag_sheet(book, report, labels, labels.flags)
        return book.close()


def _flag_sheet(
    book: XlsxBook, report: Report, labels: WorkbookLabels, sheet_labels: SheetLabels
) -> None:
    """The month's red flags, each with the orders it rests on and its verdict."""
    sheet = book.sheet(sheet_labels.title, _columns(sheet_labels, FLAG_COLUMNS))
    for flag in report.red_flags or []:
        sheet.append(
            (
                labels.rules.get(flag.rule, flag.rule),
                flag.nip,
                flag.merchant_code,
                flag.merchant_name,
                ", ".join(f"#{order_id}" for order_id in flag.order_ids),
                flag.amount,
                labels.verdicts.get(flag.verdict or "", flag.verdict or ""),
            )
        )


def _columns(labels: SheetLabels, layout: Sequence[tuple[float, str | None]]) -> list[Column]:
    return [
        Column(header, width, number_format)
        for header, (width, number_format) in zip(labels.headers, layout, strict=True)
    ]


def _local(value: datetime | None, tz: ZoneInfo) -> datetime | None:
    return value.astimezone(tz).replace(tzinfo=None) if value is not None else None


def _summary_sheet(book: XlsxBook, report: Report, labels: WorkbookLabels, tz: ZoneInfo) -> None:
    sheet = book.sheet(labels.summary.title, _columns(labels.summary, SUMMARY_COLUMNS))
    for label, value, number_format in _figures(report, labels, tz):
        sheet.append((label, value), (None, number_format))


def _figures(
    report: Report, labels: WorkbookLabels, tz: ZoneInfo
) -> list[tuple[str, Cell, str | None]]:
    """The Summary sheet's rows: (figure, value, number format)."""
    names = labels.figures
    figures: list[tuple[str, Cell, str | None]] = [
        (names.month, f"{report.month:%Y-%m}", None),
        (names.scope, report.opd or labels.whole_city, None),
        (names.closed_on, _local(report.closed_at, tz), DATE_FORMAT),
        (names.as_of, _local(report.as_of, tz), DATE_FORMAT),
        (names.roster, report.roster, None),
        (names.registered, report.registered, None),
        (names.exempt, report.exempt, None),
        (names.subject, report.subject, None),
        (names.compliant, report.compliant, None),
        (
            names.compliance,
            report.compliant / report.subject if report.subject else None,
            PERCENT_FORMAT,
        ),
        (names.total_paid, report.total_paid, RUPIAH_FORMAT),
        (names.counted_spend, report.counted_spend, RUPIAH_FORMAT),
        (names.median_spend, report.median_spend, RUPIAH_FORMAT),
        (names.with_sales, report.merchants_with_sales, None),
        (names.without_sales, report.merchants_without_sales, None),
    ]
    for label, category in zip(labels.category_spend, report.categories, strict=True):
        figures.append((label, category.amount, RUPIAH_FORMAT))
    for adjusted, adjustment in zip(labels.adjusted_months, report.adjustments, strict=True):
        figures += [
            (adjusted.asn, adjustment.asn, None),
            (adjusted.net, adjustment.net, RUPIAH_FORMAT),
            (adjusted.refunds, adjustment.refunds, RUPIAH_FORMAT),
            (adjusted.late, adjustment.late, RUPIAH_FORMAT),
        ]
    return figures


def _opd_sheet(book: XlsxBook, report: Report, labels: SheetLabels) -> None:
    """Per OPD, by name, with last month beside it."""
    sheet = book.sheet(labels.title, _columns(labels, OPD_COLUMNS))
    before = {o.opd: o for o in report.previous_opds}
    for o in sorted(report.opds, key=lambda o: o.opd):
        prev = before.get(o.opd)
        pct = o.compliant / o.subject if o.subject else None
        prev_pct = prev.compliant / prev.subject if prev and prev.subject else None
        change = (
            round((pct - prev_pct) * 100, 1) if pct is not None and prev_pct is not None else None
        )
        sheet.append(
            (
                o.opd,
                o.asn,
                o.registered,
                o.exempt,
                o.subject,
                o.compliant,
                pct,
                o.spent,
                prev_pct,
                change,
                prev.spent if prev else None,
            )
        )


def _asn_sheet(book: XlsxBook, rows: list[AsnRow], labels: WorkbookLabels) -> None:
    sheet = book.sheet(labels.asn.title, _columns(labels.asn, ASN_COLUMNS))
    for r in rows:
        status = labels.exempt if r.exempt else labels.met if r.compliant else labels.not_met
        sheet.append(
            (
                r.nip,
                r.name,
                r.opd,
                r.golongan,
                r.quota_class,
                r.minimum,
                r.spent,
                r.remaining,
                status,
                labels.yes if r.registered else labels.no,
            )
        )


def _shop_sheet(book: XlsxBook, rows: list[MerchantRow], labels: SheetLabels) -> None:
    sheet = book.sheet(labels.title, _columns(labels, SHOP_COLUMNS))
    for m in rows:
        sheet.append((m.code, m.name, m.kecamatan, m.orders, m.buyers, m.revenue))


def _order_sheet(
    book: XlsxBook, rows: list[OrderRow], labels: WorkbookLabels, tz: ZoneInfo
) -> None:
    """Every order of the month."""
    sheet = book.sheet(labels.orders.title, _columns(labels.orders, ORDER_COLUMNS))
    statuses, methods, yes, no = labels.statuses, labels.payment_methods, labels.yes, labels.no
    for o in rows:
        sheet.append(
            (
                o.id,
                _local(o.created_at, tz),
                _local(o.paid_at, tz),
                statuses.get(o.status, o.status),
                o.merchant,
                o.buyer_nip,
                o.buyer_name,
                o.opd,
                methods.get(o.payment_method, o.payment_method),
                o.total,
                yes if o.counts_for_quota else no,
                _local(o.refunded_at, tz),
            )
        )


def _outside_sheet(
    book: XlsxBook, rows: list[OutsideRow], labels: WorkbookLabels, tz: ZoneInfo
) -> None:
    sheet = book.sheet(labels.outside.title, _columns(labels.outside, OUTSIDE_COLUMNS))
    for p in rows:
        sheet.append(
            (
                p.id,
                p.nip,
                p.name,
                p.opd,
                p.shop_name,
                p.kecamatan,
                p.kelurahan,
                p.items,
                p.amount,
                f"{p.purchase_date:%Y-%m-%d}",
                labels.outside_statuses.get(p.status, p.status),
                _local(p.created_at, tz),
                _local(p.decided_at, tz),
            )
        )


def _adjustment_sheet(book: XlsxBook, rows: list[AdjustmentRow], labels: SheetLabels) -> None:
    sheet = book.sheet(labels.title, _columns(labels, ADJUSTMENT_COLUMNS))
    for a in rows:
        sheet.append(
            (f"{a.month:%Y-%m}", a.nip, a.name, a.opd, a.recorded, a.now, a.now - a.recorded)
        )
