"""How a report looks: the summary message, the month comparison, the chart and the workbook.

Used by /laporan and by scheduled jobs (a monthly summary). Call them with the reader's locale
active (`i18n.use_locale`); `chart_png` and `workbook_xlsx` are CPU work: run them in a thread
(`asyncio.to_thread` keeps the locale).
"""

from __future__ import annotations

import io
import textwrap
from datetime import date
from zoneinfo import ZoneInfo

from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext
from aiogram.utils.keyboard import InlineKeyboardBuilder
from babel.dates import format_date
from babel.numbers import format_compact_decimal, format_decimal

from services import report_workbook
from services.quota import month_code, next_month
from services.redflags import Rule
from services.report_workbook import AdjustmentLabels, FigureLabels, SheetLabels, WorkbookLabels
from services.reports import CategorySpend, OpdFigures, Report
from views.callbacks import ReportCb
from views.format import STATUS_LABELS, esc, fit_html, moment, money, status_label
from views.i18n import babel_locale
from views.orders import PAYMENT_LABELS

MAX_COMPARISON_LINES = 60


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


def month_name(month: date, locale: str) -> str:
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
    lines = [
        *_heading_lines(report, locale, tz),
        *_figure_lines(report, locale),
        *_category_lines(report, locale),
        *_compliance_range_lines(report, locale),
        *_outside_lines(report, locale, tz),
        *_adjustment_lines(report, locale),
    ]
    return fit_html("\n".join(lines))


def _heading_lines(report: Report, locale: str, tz: ZoneInfo) -> list[str]:
    """The month, the scope and whether the figures are final."""
    lines = [
        _("📊 <b>TukuLokal report — {month}</b>").format(month=month_name(report.month, locale)),
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
    return lines


MAX_CAPPED_SHOWN = 10


def _figure_lines(report: Report, locale: str) -> list[str]:
    """Registration, compliance and spend."""
    registered_pct = 100.0 * report.registered / report.roster if report.roster else None
    lines = [
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
    if report.monthly_cap and report.opd is None:
        lines.append(
            ngettext(
                "🧢 At the monthly cap of {cap}: {n} shop",
                "🧢 At the monthly cap of {cap}: {n} shops",
                len(report.capped_shops),
            ).format(cap=money(report.monthly_cap, locale), n=len(report.capped_shops))
        )
        for shop in report.capped_shops[:MAX_CAPPED_SHOWN]:
            lines.append(f"   • {esc(shop.name)} ({esc(shop.code)}): {money(shop.sales, locale)}")
        if len(report.capped_shops) > MAX_CAPPED_SHOWN:
            more = len(report.capped_shops) - MAX_CAPPED_SHOWN
            lines.append("   " + _("… and {n} more").format(n=more))
    if report.red_flags is not None:
        open_flags = sum(1 for flag in report.red_flags if flag.verdict is None)
        lines.append(
            ngettext(
                "🚩 Red flags: {n} ({open} not reviewed yet; see the spreadsheet)",
                "🚩 Red flags: {n} ({open} not reviewed yet; see the spreadsheet)",
                len(report.red_flags),
            ).format(n=len(report.red_flags), open=open_flags)
        )
    return lines


def _category_lines(report: Report, locale: str) -> list[str]:
    if not report.categories:
        return []
    lines = ["", _("<b>Spend by category</b>")]
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
    return lines


def _compliance_range_lines(report: Report, locale: str) -> list[str]:
    """The city's lowest and highest OPD (report.opds is sorted by compliance)."""
    if not report.opds or report.opd is not None:
        return []
    ranked = [o for o in report.opds if o.pct is not None]
    if len(ranked) <= 1:
        return []
    return [
        "",
        _("🔻 Lowest compliance: {opd} ({pct})").format(
            opd=esc(ranked[0].opd), pct=percent(ranked[0].pct, locale)
        ),
        _("🔺 Highest compliance: {opd} ({pct})").format(
            opd=esc(ranked[-1].opd), pct=percent(ranked[-1].pct, locale)
        ),
    ]


def _outside_lines(report: Report, locale: str, tz: ZoneInfo) -> list[str]:
    """Purchases outside the catalog: shown apart from the orders."""
    figures = report.outside
    if figures is None or not (figures.approved or figures.pending or figures.rejected):
        return []
    lines = [
        "",
        _("<b>Purchases outside the catalog</b>"),
        _("🧾 Approved: {n}, {amount} ({pct} of all spend)").format(
            n=count(figures.approved, locale),
            amount=money(figures.amount, locale),
            pct=percent(report.outside_pct, locale),
        ),
    ]
    if figures.pending:
        assert figures.oldest_pending is not None
        lines.append(
            _("⏳ Waiting for verification: {n} (the oldest since {when})").format(
                n=count(figures.pending, locale), when=moment(figures.oldest_pending, locale, tz)
            )
        )
    return lines


def _adjustment_lines(report: Report, locale: str) -> list[str]:
    """What changed in closed months after they were closed."""
    lines: list[str] = []
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
        if adjustment.outside:
            lines.append(
                _("🧾 Purchases outside the catalog approved after closing: {amount}").format(
                    amount=money(adjustment.outside, locale)
                )
            )
        if adjustment.compliance_changed:
            lines.append(
                _("Compliance would now differ for {n} ASN.").format(
                    n=count(adjustment.compliance_changed, locale)
                )
            )
    return lines


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
    return fit_html("\n".join(lines))


def chart_caption(report: Report, locale: str) -> str:
    return _("📊 Compliance per OPD and spend per category — {month}, {scope}").format(
        month=month_name(report.month, locale), scope=scope_name(report)
    )


# --- the chart ---------------------------------------------------------------------------

WIDTH_PX = 1080
DPI = 100
BAR_PX = 56
HEAD_PX = 190  # title, axis and margins of a panel
LEGEND_PX = 70  # the legend of the compliance bands, under the axis
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


def _opd_panel(report: Report, opds: list[OpdFigures], locale: str, suffix: str = "") -> dict:
    month = month_name(report.month, locale)
    panel = {
        "title": _("Compliance per OPD — {month}").format(month=month) + suffix,
        "labels": [_wrap(o.opd) for o in opds],
        "values": [o.pct or 0.0 for o in opds],
        "texts": [f"{percent(o.pct, locale)} ({o.compliant}/{o.subject})" for o in opds],
        "colors": [_band(o.pct or 0.0)[0] for o in opds],
        "hatches": [_band(o.pct or 0.0)[1] for o in opds],
        "legend": _band_labels(),
        "percent": True,
        "empty": _("No ASN in this scope."),
    }
    if report.pct is not None and len(report.opds) > 1:
        panel["line"] = report.pct
        panel["xlabel"] = _("Dashed line: {scope}, {pct}").format(
            scope=report.opd or _("the whole city"), pct=percent(report.pct, locale)
        )
    return panel


def _category_panel(categories: list[CategorySpend], locale: str) -> dict:
    return {
        "title": _("Spend per category"),
        "labels": [_wrap(category_name(c.slug, c.name_id, c.name_en, locale)) for c in categories],
        "values": [c.amount for c in categories],
        "texts": [compact_money(c.amount, locale) for c in categories],
        "colors": [NEUTRAL] * len(categories),
        "percent": False,
        "empty": _("No paid orders yet."),
    }


def _render(panels: list[dict]) -> bytes:
    # matplotlib is imported when a chart is drawn: it costs the bot's start-up half a second.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch

    sizes = [max(1, len(p["values"])) for p in panels]
    heads = [HEAD_PX + (LEGEND_PX if "legend" in p else 0) for p in panels]
    height = (sum(heads) + BAR_PX * sum(sizes)) / DPI
    figure = Figure(figsize=(WIDTH_PX / DPI, height), dpi=DPI, layout="constrained")
    FigureCanvasAgg(figure)
    subfigures = figure.subfigures(
        len(panels),
        1,
        squeeze=False,
        height_ratios=[head / BAR_PX + n for head, n in zip(heads, sizes, strict=True)],
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
            bars = axes.barh(
                positions, values, color=panel["colors"], height=0.7, edgecolor="white",
                hatch=panel.get("hatches"),
            )  # fmt: skip
            if "legend" in panel:
                subfigure.legend(
                    handles=[
                        Patch(facecolor=color, hatch=hatch, edgecolor="white", label=label)
                        for (_lowest, color, hatch), label in zip(
                            BANDS, panel["legend"], strict=True
                        )
                    ],
                    loc="outside lower left",
                    ncols=len(BANDS),
                    frameon=False,
                    fontsize=FONT - 1,
                    title=_("Share of ASN who met the minimum:"),
                    title_fontsize=FONT - 1,
                    alignment="left",
                )
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


# Compliance bands of the OPD bars: colours of the Okabe-Ito palette, told apart also by
# people with red-green colour blindness, and a hatch on the lower bands, so that the bands
# read in black and white too. The legend above the bars names them.
GOOD_PCT, FAIR_PCT = 80, 50
BANDS = (  # (lowest percentage, colour, hatch)
    (GOOD_PCT, "#0072B2", ""),
    (FAIR_PCT, "#E69F00", "//"),
    (0, "#D55E00", "xx"),
)
NEUTRAL = "#5f6b7a"  # category bars: amounts, not a judgement


def _band(pct: float) -> tuple[str, str]:
    for lowest, color, hatch in BANDS:
        if pct >= lowest:
            return color, hatch
    return BANDS[-1][1], BANDS[-1][2]


def _band_labels() -> list[str]:
    return [
        _("{pct}% or more").format(pct=GOOD_PCT),
        _("{low}–{high}%").format(low=FAIR_PCT, high=GOOD_PCT - 1),
        _("under {pct}%").format(pct=FAIR_PCT),
    ]


# --- the workbook ------------------------------------------------------------------------


def workbook_filename(report: Report) -> str:
    scope = "".join(ch for ch in (report.opd or "kota-malang") if ch.isalnum() or ch in "-_")
    return f"tukulokal-{report.month:%Y-%m}-{scope[:40] or 'opd'}.xlsx"


def _plain_status(status: str) -> str:
    label = status_label(status)
    first, _sep, rest = label.partition(" ")
    return rest if rest and not first.isalnum() else label


def workbook_xlsx(report: Report, locale: str, tz: ZoneInfo) -> bytes:
    """The report as an XLSX workbook (services.report_workbook) in the reader's language."""
    return report_workbook.workbook_xlsx(report, workbook_labels(report, locale), tz)


def workbook_labels(report: Report, locale: str) -> WorkbookLabels:
    """The workbook's sheet names, headers and words, translated."""
    return WorkbookLabels(
        summary=SheetLabels(_("Summary"), (_("Figure"), _("Value"))),
        opd=_opd_sheet_labels(),
        asn=SheetLabels(
            _("ASN"),
            (
                _("NIP"),
                _("Name"),
                _("OPD"),
                _("Golongan"),
                _("Class"),
                _("Minimum"),
                _("Spend"),
                _("Remaining"),
                _("Status"),
                _("Registered"),
            ),
        ),
        shops=SheetLabels(
            _("Shops"),
            (_("Code"), _("Shop"), _("Kecamatan"), _("Orders"), _("Buyers"), _("Revenue")),
        ),
        orders=_order_sheet_labels(),
        adjustments=SheetLabels(
            _("Adjustments"),
            (
                _("Month"),
                _("NIP"),
                _("Name"),
                _("OPD"),
                _("Recorded spend"),
                _("Spend now"),
                _("Difference"),
            ),
        ),
        figures=_figure_labels(),
        whole_city=_("the whole city"),
        category_spend=tuple(
            _("Spend: {category}").format(
                category=category_name(c.slug, c.name_id, c.name_en, locale)
            )
            for c in report.categories
        ),
        adjusted_months=tuple(
            _adjustment_labels(month_name(a.month, locale)) for a in report.adjustments
        ),
        met=_("Met"),
        not_met=_("Not met"),
        exempt=_("Exempt"),
        yes=_("yes"),
        no=_("no"),
        statuses={status: _plain_status(status) for status in STATUS_LABELS},
        payment_methods={str(method): label() for method, label in PAYMENT_LABELS.items()},
        outside=_outside_sheet_labels(),
        outside_statuses=_outside_statuses(),
        flags=SheetLabels(
            _("Red flags"),
            (
                _("Rule"),
                _("NIP"),
                _("Code"),
                _("Shop"),
                _("Orders"),
                _("Amount"),
                _("Review"),
            ),
        ),
        rules={str(rule): label() for rule, label in RULE_LABELS.items()},
        verdicts={"": _("not reviewed"), "fine": _("reviewed, fine"), "referred": _("referred")},
    )


RULE_LABELS = {
    Rule.PAIR_SHARE: lambda: _("Same shop again and again"),
    Rule.SAME_CONTACT: lambda: _("ASN and shop share a phone or address"),
    Rule.MONTH_END_RUSH: lambda: _("Month-end rush far below the minimum"),
    Rule.PRICE_RAISE: lambda: _("Price raised shortly before a large order"),
    Rule.SPLITTING: lambda: _("Many orders at one shop within minutes"),
    Rule.LATE_REFUND: lambda: _("Refund after the month was closed"),
    Rule.ODD_HOURS: lambda: _("Order at an unusual hour"),
}


def _outside_sheet_labels() -> SheetLabels:
    return SheetLabels(
        _("Outside purchases"),
        (
            _("No."),
            _("NIP"),
            _("Name"),
            _("OPD"),
            _("Shop"),
            _("Kecamatan"),
            _("Kelurahan"),
            _("Items"),
            _("Amount"),
            _("Purchase date"),
            _("Status"),
            _("Submitted (WIB)"),
            _("Decided (WIB)"),
        ),
    )


def _outside_statuses() -> dict[str, str]:
    return {
        "pending": _("waiting"),
        "more_photos": _("another photo asked"),
        "approved": _("approved"),
        "rejected": _("rejected"),
    }


def _opd_sheet_labels() -> SheetLabels:
    return SheetLabels(
        _("OPD"),
        (
            _("OPD"),
            _("ASN"),
            _("Registered"),
            _("Exempt"),
            _("Held to the minimum"),
            _("Met the minimum"),
            _("Compliance"),
            _("Spend"),
            _("Compliance last month"),
            _("Change (points)"),
            _("Spend last month"),
        ),
    )


def _order_sheet_labels() -> SheetLabels:
    return SheetLabels(
        _("Orders"),
        (
            _("Order"),
            _("Created (WIB)"),
            _("Paid (WIB)"),
            _("Status"),
            _("Shop"),
            _("Buyer NIP"),
            _("Buyer"),
            _("OPD"),
            _("Payment"),
            _("Total"),
            _("Counts for the minimum"),
            _("Refunded (WIB)"),
        ),
    )


def _figure_labels() -> FigureLabels:
    return FigureLabels(
        month=_("Month"),
        scope=_("Scope"),
        closed_on=_("Closed on (WIB)"),
        as_of=_("Figures as of (WIB)"),
        roster=_("ASN in the roster"),
        registered=_("Registered ASN"),
        exempt=_("Exempt ASN"),
        subject=_("ASN held to the minimum"),
        compliant=_("Met the minimum"),
        compliance=_("Compliance"),
        total_paid=_("Paid into UMKM"),
        counted_spend=_("Counted toward the minimums"),
        median_spend=_("Median spend per ASN"),
        with_sales=_("Shops with sales"),
        without_sales=_("Shops without sales"),
    )


def _adjustment_labels(month: str) -> AdjustmentLabels:
    return AdjustmentLabels(
        asn=_("Adjustments to {month}: ASN").format(month=month),
        net=_("Adjustments to {month}: net").format(month=month),
        refunds=_("Adjustments to {month}: refunds").format(month=month),
        late=_("Adjustments to {month}: late payments").format(month=month),
    )


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
