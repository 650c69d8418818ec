"""How a report looks: the summary message, the month comparison, the chart and the workbook.

Used by /laporan and by scheduled jobs (a monthly summary). Call them with the reader's locale
active (`i18n.use_locale`); `chart_png` and `workbook_xlsx` are CPU work: run them in a thread
(`asyncio.to_thread` keeps the locale).
"""

from __future__ import annotations

import io
import re
import textwrap
import zipfile
from datetime import datetime
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder
from babel.dates import format_date
from babel.numbers import format_compact_decimal, format_decimal

from services.quota import month_code, next_month
from services.reports import Report
from views.callbacks import ReportCb
from views.format import TEXT_LIMIT, esc, moment, money, shorten, status_label
from views.i18n import babel_locale
from views.orders import PAYMENT_LABELS

MAX_COMPARISON_LINES = 60
RUPIAH_FORMAT = '"Rp"#,##0'
PERCENT_FORMAT = "0.0%"
DATE_FORMAT = "yyyy-mm-dd hh:mm"


def _numbers(locale: str) -> str:
    return "en" if locale == "en" else "id_ID"


def count(value: int, locale: str) -> str:
    return format_decimal(value, locale=_numbers(locale))


def percent(value: float | None, locale: str) -> str:
    if value is None:
        return "–"
    return format_decimal(value, format="#,##0.0", locale=_numbers(locale)) + "%"


def compact_money(amount: float, locale: str) -> str:
    if abs(amount) < 1000:
        return money(int(amount), locale)
    return "Rp" + format_compact_decimal(amount, locale=_numbers(locale), fraction_digits=1)


def month_name(month, locale: str) -> str:
    return format_date(month, format="MMMM y", locale=babel_locale(locale))


def signed_money(amount: int, locale: str) -> str:
    return ("+" if amount > 0 else "") + money(amount, locale)


def category_name(slug: str | None, name_id: str, name_en: str, locale: str) -> str:
    if slug is None:
        return _("Other")
    return name_en if locale == "en" and name_en else name_id


def scope_name(report: Report) -> str:
    return esc(report.opd) if report.opd else _("the whole city")


# --- the summary message ------------------------------------------------------------------


def summary_text(report: Report, locale: str, tz: ZoneInfo) -> str:
    month = month_name(report.month, locale)
    lines = [
        _("📊 <b>TukuLokal report — {month}</b>").format(month=month),
        _("🏛 Scope: {scope}").format(scope=scope_name(report)),
    ]
    if report.closed_at is not None:
        lines.append(
            _("🔒 Month closed on {when}: compliance as recorded then.").format(
                when=moment(report.closed_at, locale, tz)
            )
        )
    else:
        lines.append(
            _("⏳ Month still open: figures so far, as of {when}.").format(
                when=moment(report.as_of, locale, tz)
            )
        )
    registered_pct = 100.0 * report.registered / report.roster if report.roster else None
    lines += [
        "",
        _("👥 Registered ASN: <b>{registered}</b> of {roster} in the roster ({pct})").format(
            registered=count(report.registered, locale),
            roster=count(report.roster, locale),
            pct=percent(registered_pct, locale),
        ),
    ]
    if report.exempt:
        lines.append(
            _("🛡 Exempt this month: {exempt}").format(exempt=count(report.exempt, locale))
        )
    lines += [
        _("✅ Met the minimum: <b>{compliant}</b> of {subject} (<b>{pct}</b>)").format(
            compliant=count(report.compliant, locale),
            subject=count(report.subject, locale),
            pct=percent(report.pct, locale),
        ),
        _("💰 Paid into UMKM: <b>{total}</b>").format(total=money(report.total_paid, locale)),
        _("🧾 Counted toward the minimums: {counted}").format(
            counted=money(report.counted_spend, locale)
        ),
        _("➗ Median spend per ASN: {median}").format(
            median=money(round(report.median_spend), locale)
        ),
        _("🏪 Shops with sales: {with_sales}; without sales: {without}").format(
            with_sales=count(report.merchants_with_sales, locale),
            without=count(report.merchants_without_sales, locale),
        ),
    ]
    if report.categories:
        lines += ["", _("<b>Spend by category</b>")]
        total = sum(c.amount for c in report.categories) or 1
        for c in report.categories:
            lines.append(
                "{emoji} {name}: {amount} ({pct})".format(
                    emoji=c.emoji or "•",
                    name=esc(category_name(c.slug, c.name_id, c.name_en, locale)),
                    amount=money(c.amount, locale),
                    pct=percent(100.0 * c.amount / total, locale),
                )
            )
    if report.opds and report.opd is None:
        ranked = [o for o in report.opds if o.pct is not None]
        if len(ranked) > 1:
            lines += [
                "",
                _("🔻 Lowest compliance: {opd} ({pct})").format(
                    opd=esc(ranked[0].opd), pct=percent(ranked[0].pct, locale)
                ),
                _("🔺 Highest compliance: {opd} ({pct})").format(
                    opd=esc(ranked[-1].opd), pct=percent(ranked[-1].pct, locale)
                ),
            ]
    for adjustment in report.adjustments:
        lines += [
            "",
            _("<b>Adjustments to {month}</b> (after it was closed; the record stays)").format(
                month=month_name(adjustment.month, locale)
            ),
            _("↩️ {asn} ASN changed by {net}: refunds {refunds}, late payments {late}").format(
                asn=count(adjustment.asn, locale),
                net=signed_money(adjustment.net, locale),
                refunds=money(adjustment.refunds, locale),
                late=money(adjustment.late, locale),
            ),
        ]
        if adjustment.compliance_changed:
            lines.append(
                _("Compliance would now differ for {n} ASN.").format(
                    n=count(adjustment.compliance_changed, locale)
                )
            )
    return shorten("\n".join(lines), TEXT_LIMIT)


def comparison_text(report: Report, locale: str) -> str:
    lines = [
        _("📈 <b>{month} vs {previous}</b>: compliance per OPD, most improved first").format(
            month=month_name(report.month, locale),
            previous=month_name(report.previous_month, locale),
        ),
        "",
    ]
    rows = report.comparison
    for row in rows[:MAX_COMPARISON_LINES]:
        change = row.change
        if change is None:
            mark, delta = "•", ""
        else:
            mark = "▲" if change > 0.05 else "▼" if change < -0.05 else "="
            delta = _(" ({change} pts)").format(
                change=("+" if change > 0 else "")
                + format_decimal(change, format="#,##0.0", locale=_numbers(locale))
            )
        lines.append(
            _("{mark} {opd}: {pct}, was {previous}{delta}").format(
                mark=mark,
                opd=esc(row.opd),
                pct=percent(row.pct, locale),
                previous=percent(row.previous_pct, locale),
                delta=delta,
            )
        )
    if len(rows) > MAX_COMPARISON_LINES:
        lines.append(
            _("… and {n} more in the spreadsheet").format(n=len(rows) - MAX_COMPARISON_LINES)
        )
    if not rows:
        lines.append(_("No ASN in this scope."))
    return shorten("\n".join(lines), TEXT_LIMIT)


def chart_caption(report: Report, locale: str) -> str:
    return _("📊 Compliance per OPD and spend per category — {month}, {scope}").format(
        month=month_name(report.month, locale), scope=scope_name(report)
    )


# --- the chart ---------------------------------------------------------------------------

WIDTH_PX = 1080
DPI = 100
BAR_PX = 56
HEAD_PX = 190  # title, axis and margins of a panel
FONT = 17
# Telegram shows photos at most 1280 px high before the reader zooms: a page of bars fits.
BARS_PER_PAGE = 18
SINGLE_IMAGE_BARS = 12  # OPD and category bars together in one image up to this many


def chart_pngs(report: Report, locale: str) -> list[bytes]:
    """The chart as phone-sized PNG pages, 1080 px wide: compliance per OPD as sorted bars
    (lowest first, the city's figure as a dashed line), then spend per category.

    A short report (an OPD operator's) is one image with both panels; the whole city's is an
    album: the OPDs over as many pages as needed, then the categories.
    """
    opds = sorted(
        (o for o in report.opds if o.pct is not None), key=lambda o: (o.pct or 0.0, o.opd)
    )
    categories = report.categories
    if len(opds) + len(categories) <= SINGLE_IMAGE_BARS:
        return [_render([_opd_panel(report, opds, locale), _category_panel(categories, locale)])]
    pages = [opds[i : i + BARS_PER_PAGE] for i in range(0, len(opds), BARS_PER_PAGE)] or [[]]
    images = []
    for number, page in enumerate(pages, start=1):
        suffix = f" ({number}/{len(pages)})" if len(pages) > 1 else ""
        images.append(_render([_opd_panel(report, page, locale, suffix=suffix)]))
    images.append(_render([_category_panel(categories, locale)]))
    return images


def chart_png(report: Report, locale: str) -> bytes:
    """The first page of the chart (see chart_pngs)."""
    return chart_pngs(report, locale)[0]


def _wrap(label: str) -> str:
    return "\n".join(textwrap.wrap(label, 22, max_lines=2, placeholder="…")) or "–"


def _opd_panel(report: Report, opds: list, locale: str, suffix: str = "") -> dict:
    month = month_name(report.month, locale)
    panel = {
        "title": _("Compliance per OPD — {month}").format(month=month) + suffix,
        "labels": [_wrap(o.opd) for o in opds],
        "values": [o.pct or 0.0 for o in opds],
        "texts": [f"{percent(o.pct, locale)} ({o.compliant}/{o.subject})" for o in opds],
        "colors": [_bar_color(o.pct or 0.0) for o in opds],
        "percent": True,
        "empty": _("No ASN in this scope."),
    }
    if report.pct is not None and len(report.opds) > 1:
        panel["line"] = report.pct
        panel["xlabel"] = _("Dashed line: {scope}, {pct}").format(
            scope=report.opd or _("the whole city"), pct=percent(report.pct, locale)
        )
    return panel


def _category_panel(categories: list, locale: str) -> dict:
    return {
        "title": _("Spend per category"),
        "labels": [_wrap(category_name(c.slug, c.name_id, c.name_en, locale)) for c in categories],
        "values": [c.amount for c in categories],
        "texts": [compact_money(c.amount, locale) for c in categories],
        "colors": ["#2e7d32"] * len(categories),
        "percent": False,
        "empty": _("No paid orders yet."),
    }


def _render(panels: list[dict]) -> bytes:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    sizes = [max(1, len(p["values"])) for p in panels]
    height = (HEAD_PX * len(panels) + BAR_PX * sum(sizes)) / DPI
    figure = Figure(figsize=(WIDTH_PX / DPI, height), dpi=DPI, layout="constrained")
    FigureCanvasAgg(figure)
    subfigures = figure.subfigures(
        len(panels), 1, squeeze=False, height_ratios=[HEAD_PX / BAR_PX + n for n in sizes]
    )[:, 0]
    for subfigure, panel in zip(subfigures, panels, strict=True):
        # The title starts at the image's left edge, not the bars': long titles fit.
        subfigure.suptitle(panel["title"], x=0.02, ha="left", fontsize=FONT + 4, fontweight="bold")
        axes = subfigure.subplots()
        values = panel["values"]
        if not values:
            axes.set_yticks([])
            axes.set_xticks([])
            axes.text(
                0.5, 0.5, panel["empty"], ha="center", va="center", fontsize=FONT,
                transform=axes.transAxes,
            )  # fmt: skip
        else:
            # The first item at the top.
            positions = list(range(len(values) - 1, -1, -1))
            bars = axes.barh(positions, values, color=panel["colors"], height=0.7)
            axes.set_yticks(positions, panel["labels"], fontsize=FONT)
            axes.bar_label(
                bars,
                labels=panel["texts"],
                padding=6,
                fontsize=FONT,
                bbox={"facecolor": "white", "edgecolor": "none", "pad": 1},
            )
            if panel["percent"]:
                axes.set_xlim(0, 125)
                axes.set_xticks([0, 25, 50, 75, 100], ["0%", "25%", "50%", "75%", "100%"])
                axes.tick_params(axis="x", labelsize=FONT - 2)
            else:
                axes.set_xlim(0, max(values) * 1.3 or 1)
                axes.set_xticks([])
            if "line" in panel:
                axes.axvline(panel["line"], color="#555555", linestyle="--", linewidth=1.5)
                axes.set_xlabel(panel["xlabel"], fontsize=FONT - 2, loc="left")
        axes.spines[["top", "right"]].set_visible(False)
        axes.margins(y=0.02)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI, facecolor="white")
    return buffer.getvalue()


def _bar_color(pct: float) -> str:
    if pct >= 80:
        return "#2e7d32"
    if pct >= 50:
        return "#f9a825"
    return "#c62828"


# --- the workbook ------------------------------------------------------------------------


def workbook_filename(report: Report) -> str:
    scope = "".join(ch for ch in (report.opd or "kota-malang") if ch.isalnum() or ch in "-_")
    return f"tukulokal-{report.month:%Y-%m}-{scope[:40] or 'opd'}.xlsx"


def _plain_status(status: str) -> str:
    label = status_label(status)
    first, _sep, rest = label.partition(" ")
    return rest if rest and not first.isalnum() else label


def workbook_xlsx(report: Report, locale: str, tz: ZoneInfo) -> bytes:
    """The report as an XLSX workbook: numbers as numbers, frozen headers, auto-filters."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    details = report.details
    if details is None:
        raise ValueError("build the report with details=True for a workbook")
    book = Workbook(write_only=True)
    bold = Font(bold=True)

    def sheet(title: str, headers: list[tuple[str, float]]):
        ws = book.create_sheet(title[:31])
        ws.freeze_panes = "A2"
        for index, (_header, width) in enumerate(headers, start=1):
            ws.column_dimensions[get_column_letter(index)].width = width
        cells = []
        for header, _width in headers:
            cell = WriteOnlyCell(ws, value=header)
            cell.font = bold
            cells.append(cell)
        ws.append(cells)
        return ws

    def finish(ws, columns: int, rows: int) -> None:
        ws.auto_filter.ref = f"A1:{get_column_letter(columns)}{rows + 1}"

    def styled(ws, value: object, number_format: str):
        cell = WriteOnlyCell(ws, value=value)
        cell.number_format = number_format
        return cell

    def local(value: datetime | None) -> datetime | None:
        # Excel has no time zones: WIB wall-clock time.
        return value.astimezone(tz).replace(tzinfo=None) if value is not None else None

    # Summary
    ws = sheet(_("Summary"), [(_("Figure"), 46), (_("Value"), 22)])
    summary: list[tuple[str, object, str | None]] = [
        (_("Month"), f"{report.month:%Y-%m}", None),
        (_("Scope"), report.opd or _("the whole city"), None),
        (_("Closed on (WIB)"), local(report.closed_at), DATE_FORMAT),
        (_("Figures as of (WIB)"), local(report.as_of), DATE_FORMAT),
        (_("ASN in the roster"), report.roster, None),
        (_("Registered ASN"), report.registered, None),
        (_("Exempt ASN"), report.exempt, None),
        (_("ASN held to the minimum"), report.subject, None),
        (_("Met the minimum"), report.compliant, None),
        (
            _("Compliance"),
            report.compliant / report.subject if report.subject else None,
            PERCENT_FORMAT,
        ),
        (_("Paid into UMKM"), report.total_paid, RUPIAH_FORMAT),
        (_("Counted toward the minimums"), report.counted_spend, RUPIAH_FORMAT),
        (_("Median spend per ASN"), report.median_spend, RUPIAH_FORMAT),
        (_("Shops with sales"), report.merchants_with_sales, None),
        (_("Shops without sales"), report.merchants_without_sales, None),
    ]
    for c in report.categories:
        summary.append(
            (
                _("Spend: {category}").format(
                    category=category_name(c.slug, c.name_id, c.name_en, locale)
                ),
                c.amount,
                RUPIAH_FORMAT,
            )
        )
    for a in report.adjustments:
        label = month_name(a.month, locale)
        summary += [
            (_("Adjustments to {month}: ASN").format(month=label), a.asn, None),
            (_("Adjustments to {month}: net").format(month=label), a.net, RUPIAH_FORMAT),
            (_("Adjustments to {month}: refunds").format(month=label), a.refunds, RUPIAH_FORMAT),
            (
                _("Adjustments to {month}: late payments").format(month=label),
                a.late,
                RUPIAH_FORMAT,
            ),
        ]
    for label, value, fmt in summary:
        ws.append([label, styled(ws, value, fmt) if fmt else value])
    finish(ws, 2, len(summary))

    # Per OPD, with last month beside it
    ws = sheet(
        _("OPD"),
        [
            (_("OPD"), 38),
            (_("ASN"), 9),
            (_("Registered"), 12),
            (_("Exempt"), 9),
            (_("Held to the minimum"), 12),
            (_("Met the minimum"), 12),
            (_("Compliance"), 12),
            (_("Spend"), 18),
            (_("Compliance last month"), 14),
            (_("Change (points)"), 12),
            (_("Spend last month"), 18),
        ],
    )
    before = {o.opd: o for o in report.previous_opds}
    for o in sorted(report.opds, key=lambda o: o.opd):
        prev = before.get(o.opd)
        pct = o.compliant / o.subject if o.subject else None
        prev_pct = prev.compliant / prev.subject if prev and prev.subject else None
        ws.append(
            [
                o.opd,
                o.asn,
                o.registered,
                o.exempt,
                o.subject,
                o.compliant,
                styled(ws, pct, PERCENT_FORMAT),
                styled(ws, o.spent, RUPIAH_FORMAT),
                styled(ws, prev_pct, PERCENT_FORMAT),
                styled(
                    ws,
                    round((pct - prev_pct) * 100, 1)
                    if pct is not None and prev_pct is not None
                    else None,
                    "+0.0;-0.0;0.0",
                ),
                styled(ws, prev.spent if prev else None, RUPIAH_FORMAT),
            ]
        )
    finish(ws, 11, len(report.opds))

    # Per ASN
    ws = sheet(
        _("ASN"),
        [
            (_("NIP"), 21),
            (_("Name"), 30),
            (_("OPD"), 30),
            (_("Golongan"), 10),
            (_("Class"), 8),
            (_("Minimum"), 14),
            (_("Spend"), 14),
            (_("Remaining"), 14),
            (_("Status"), 14),
            (_("Registered"), 11),
        ],
    )
    met, not_met, exempt = _("Met"), _("Not met"), _("Exempt")
    yes, no = _("yes"), _("no")
    rupiah = _style_id(ws, RUPIAH_FORMAT)
    long_asn = _LongSheet(ws, ["s", "s", "s", "s", "s", rupiah, rupiah, rupiah, "s", "s"])
    for r in details.asn:
        long_asn.add(
            (
                r.nip,
                r.name,
                r.opd,
                r.golongan,
                r.quota_class,
                r.minimum,
                r.spent,
                r.remaining,
                exempt if r.exempt else met if r.compliant else not_met,
                yes if r.registered else no,
            )
        )
    finish(ws, 10, len(details.asn))

    # Per merchant
    ws = sheet(
        _("Shops"),
        [
            (_("Code"), 10),
            (_("Shop"), 34),
            (_("Kecamatan"), 16),
            (_("Orders"), 10),
            (_("Buyers"), 10),
            (_("Revenue"), 18),
        ],
    )
    for m in details.merchants:
        ws.append(
            [m.code, m.name, m.kecamatan, m.orders, m.buyers, styled(ws, m.revenue, RUPIAH_FORMAT)]
        )
    finish(ws, 6, len(details.merchants))

    # Every order of the month
    ws = sheet(
        _("Orders"),
        [
            (_("Order"), 9),
            (_("Created (WIB)"), 17),
            (_("Paid (WIB)"), 17),
            (_("Status"), 18),
            (_("Shop"), 30),
            (_("Buyer NIP"), 21),
            (_("Buyer"), 26),
            (_("OPD"), 26),
            (_("Payment"), 11),
            (_("Total"), 15),
            (_("Counts for the minimum"), 12),
            (_("Refunded (WIB)"), 17),
        ],
    )
    statuses: dict[str, str] = {}
    methods = {str(method): label() for method, label in PAYMENT_LABELS.items()}
    moment_id = _style_id(ws, DATE_FORMAT)
    rupiah = _style_id(ws, RUPIAH_FORMAT)
    long_orders = _LongSheet(
        ws, ["n", moment_id, moment_id, "s", "s", "s", "s", "s", "s", rupiah, "s", moment_id]
    )
    for o in details.orders:
        status = statuses.get(o.status)
        if status is None:
            status = statuses[o.status] = _plain_status(o.status)
        long_orders.add(
            (
                o.id,
                local(o.created_at),
                local(o.paid_at),
                status,
                o.merchant,
                o.buyer_nip,
                o.buyer_name,
                o.opd,
                methods.get(o.payment_method, o.payment_method),
                o.total,
                yes if o.counts_for_quota else no,
                local(o.refunded_at),
            )
        )
    finish(ws, 12, len(details.orders))

    if details.adjustments:
        ws = sheet(
            _("Adjustments"),
            [
                (_("Month"), 10),
                (_("NIP"), 21),
                (_("Name"), 30),
                (_("OPD"), 30),
                (_("Recorded spend"), 16),
                (_("Spend now"), 16),
                (_("Difference"), 16),
            ],
        )
        for a in details.adjustments:
            ws.append(
                [
                    f"{a.month:%Y-%m}",
                    a.nip,
                    a.name,
                    a.opd,
                    styled(ws, a.recorded, RUPIAH_FORMAT),
                    styled(ws, a.now, RUPIAH_FORMAT),
                    styled(ws, a.now - a.recorded, RUPIAH_FORMAT),
                ]
            )
        finish(ws, 7, len(details.adjustments))

    buffer = io.BytesIO()
    book.save(buffer)
    return _splice(buffer.getvalue(), [long_asn, long_orders])


def _style_id(ws, number_format: str) -> int:
    """The workbook's id of a cell style with this number format (registered if new)."""
    from openpyxl.cell import WriteOnlyCell

    cell = WriteOnlyCell(ws, value=0)
    cell.number_format = number_format
    return cell.style_id


class _LongSheet:
    """The data rows of a long sheet, serialized straight to SpreadsheetML.

    openpyxl spends ~7 µs on each cell it writes, which is 3 s for a month's orders alone;
    these rows take a tenth of that. openpyxl still writes the sheet itself (header, widths,
    frozen pane, auto-filter) around a placeholder row that `_splice` replaces. Each column is
    "s" (text), "n" (number) or a style id (number or date with that number format).
    """

    def __init__(self, ws, kinds: list[str | int]) -> None:
        import uuid

        from openpyxl.utils import get_column_letter

        self.token = f"tukulokal-rows-{uuid.uuid4().hex}"
        ws.append([self.token])  # row 2, replaced by the rows below
        self.kinds = kinds
        self.letters = [get_column_letter(i) for i in range(1, len(kinds) + 1)]
        self.parts: list[str] = []
        self.count = 0

    def add(self, values: tuple) -> None:
        from openpyxl.utils.datetime import to_excel

        self.count += 1
        r = self.count + 1
        cells = []
        for letter, kind, value in zip(self.letters, self.kinds, values, strict=True):
            if value is None or value == "":
                continue
            if kind == "s":
                text = _xml_text(str(value))
                space = ' xml:space="preserve"' if text != text.strip() else ""
                cells.append(f'<c r="{letter}{r}" t="inlineStr"><is><t{space}>{text}</t></is></c>')
            elif kind == "n":
                cells.append(f'<c r="{letter}{r}" t="n"><v>{value}</v></c>')
            else:
                number = to_excel(value) if isinstance(value, datetime) else value
                cells.append(f'<c r="{letter}{r}" s="{kind}" t="n"><v>{number}</v></c>')
        self.parts.append(f'<row r="{r}">{"".join(cells)}</row>')

    def splice(self, xml: bytes) -> bytes:
        token = self.token.encode()
        at = xml.index(token)
        start = xml.rindex(b"<row ", 0, at)
        end = xml.index(b"</row>", at) + len(b"</row>")
        rows = "".join(self.parts).encode()
        last = f"{self.letters[-1]}{self.count + 1}".encode()
        xml = xml[:start] + rows + xml[end:]
        dimension = b'<dimension ref="A1:' + last + b'"'
        return re.sub(rb'<dimension ref="[^"]*"', dimension, xml, count=1)


_ILLEGAL_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _xml_text(text: str) -> str:
    return escape(_ILLEGAL_XML.sub("", text))


def _splice(data: bytes, sheets: list[_LongSheet]) -> bytes:
    """The saved workbook with each long sheet's placeholder row replaced by its rows."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename.startswith("xl/worksheets/"):
                for sheet in sheets:
                    if sheet.token.encode() in content:
                        content = sheet.splice(content)
            target.writestr(info, content, compress_type=zipfile.ZIP_DEFLATED, compresslevel=3)
    return out.getvalue()


def report_buttons(report: Report, locale: str, *, latest: bool) -> InlineKeyboardMarkup:
    code = month_code(report.month)
    builder = InlineKeyboardBuilder()
    builder.button(
        text=_("📥 Spreadsheet (XLSX)"), callback_data=ReportCb(action="xlsx", month=code)
    )
    builder.button(
        text=_("📈 Compare with {month}").format(month=month_name(report.previous_month, locale)),
        callback_data=ReportCb(action="cmp", month=code),
    )
    builder.button(
        text=_("◀️ {month}").format(month=month_name(report.previous_month, locale)),
        callback_data=ReportCb(action="show", month=month_code(report.previous_month)),
    )
    if not latest:
        later = next_month(report.month)
        builder.button(
            text=_("{month} ▶️").format(month=month_name(later, locale)),
            callback_data=ReportCb(action="show", month=month_code(later)),
        )
    builder.adjust(1, 1, 2)
    return builder.as_markup()
