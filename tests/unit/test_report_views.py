"""The report's chart pages and workbook, rendered from a report built in memory."""

import io
from datetime import UTC, date, datetime

import openpyxl
from PIL import Image

from services.reports import (
    AsnRow,
    CategorySpend,
    MerchantRow,
    OpdFigures,
    OrderRow,
    Report,
    ReportDetails,
)
from tests.compliance_world import WIB
from views.i18n import get_i18n
from views.reports import chart_pngs, summary_text, workbook_xlsx


def _report(opds: int) -> Report:
    figures = [
        OpdFigures(f"Dinas Nomor {i} dan Kebudayaan Kota Malang", 100, 90, 2, i * 2, 10_000 * i)
        for i in range(opds)
    ]
    return Report(
        month=date(2026, 11, 1),
        opd=None,
        as_of=datetime(2026, 11, 27, 3, tzinfo=UTC),
        closed_at=None,
        roster=100 * opds,
        registered=90 * opds,
        exempt=2 * opds,
        compliant=sum(o.compliant for o in figures),
        counted_spend=1_000_000,
        total_paid=1_200_000,
        median_spend=450_000.5,
        merchants_with_sales=3,
        merchants_without_sales=1,
        categories=[
            CategorySpend("kuliner", "Kuliner", "Food & Drinks", "🍜", 700_000),
            CategorySpend(None, "", "", "", 500_000),
        ],
        opds=figures,
        previous_month=date(2026, 10, 1),
        previous_opds=figures[:-1],
        adjustments=[],
        details=ReportDetails(
            asn=[
                AsnRow(
                    "198503122010011001",
                    "  Budi <b>&amp; \x07Co ",
                    "Diskominfo",
                    "III/a",
                    "III",
                    500_000,
                    600_000,
                    exempt=False,
                    compliant=True,
                    registered=True,
                )
            ],
            merchants=[MerchantRow("M1", "Toko & Co", "Klojen", 2, 1, 1_200_000)],
            orders=[
                OrderRow(
                    7,
                    datetime(2026, 11, 2, 1, 0, tzinfo=UTC),
                    datetime(2026, 11, 2, 2, 30, tzinfo=UTC),
                    "refunded",
                    "Toko & Co",
                    None,
                    "Umum",
                    "",
                    "qris",
                    1_200_000,
                    False,
                    datetime(2026, 11, 3, tzinfo=UTC),
                )
            ],
        ),
    )


def test_chart_pages_fit_a_phone_screen():
    i18n = get_i18n()
    with i18n.context(), i18n.use_locale("en"):
        single = chart_pngs(_report(4), "en")
        album = chart_pngs(_report(40), "en")
    assert len(single) == 1
    assert len(album) == 4  # 40 OPDs over 3 pages of at most 18, then the categories
    for png in single + album:
        image = Image.open(io.BytesIO(png))
        assert image.format == "PNG" and image.width == 1080 and image.height <= 1280


def test_workbook_keeps_numbers_and_texts_exact():
    report = _report(3)
    i18n = get_i18n()
    with i18n.context(), i18n.use_locale("en"):
        data = workbook_xlsx(report, "en", WIB)
        text = summary_text(report, "en", WIB)
    assert "Registered ASN: <b>270</b> of 300" in text
    book = openpyxl.load_workbook(io.BytesIO(data))
    asn = book["ASN"]
    assert asn.dimensions == "A1:J2" and asn.auto_filter.ref == "A1:J2"
    row = [c.value for c in asn[2]]
    assert row[0] == "198503122010011001"  # a NIP stays text, all 18 digits
    assert row[1] == "  Budi <b>&amp; Co "  # escaped, control character dropped, spaces kept
    assert row[5:8] == [500_000, 600_000, 0] and asn["F2"].number_format == '"Rp"#,##0'
    orders = book["Orders"]
    order = [c.value for c in orders[2]]
    assert order[0] == 7
    assert order[1] == datetime(2026, 11, 2, 8, 0)  # noqa: DTZ001 - Excel: WIB wall clock
    assert order[2] == datetime(2026, 11, 2, 9, 30)  # noqa: DTZ001
    assert order[3] == "Refunded" and order[8] == "QRIS" and order[9] == 1_200_000
    assert order[5] is None and orders["B2"].number_format == "yyyy-mm-dd hh:mm"
    assert orders.freeze_panes == "A2"
    categories = {r[0]: r[1] for r in book["Summary"].iter_rows(values_only=True)}
    assert categories["Spend: Other"] == 500_000
    assert categories["Median spend per ASN"] == 450_000.5


def _simulate(color: str, matrix: list[list[float]]) -> tuple[float, ...]:
    """The colour as a person with a colour-vision deficiency sees it (Machado et al. 2009,
    severity 1, in linear RGB)."""
    rgb = [int(color[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
    return tuple(sum(m * c for m, c in zip(row, linear, strict=True)) for row in matrix)


PROTANOPIA = [[0.152, 1.053, -0.205], [0.115, 0.786, 0.099], [-0.004, -0.048, 1.052]]
DEUTERANOPIA = [[0.367, 0.861, -0.228], [0.280, 0.673, 0.047], [-0.012, 0.043, 0.969]]


def test_compliance_bands_are_told_apart_without_colour_vision_and_have_a_legend():
    from views.reports import BANDS

    hatches = [hatch for _low, _color, hatch in BANDS]
    assert len(set(hatches)) == len(BANDS)  # each band its own pattern, in black and white too
    for matrix in (PROTANOPIA, DEUTERANOPIA):
        seen = [_simulate(color, matrix) for _low, color, _hatch in BANDS]
        for i, a in enumerate(seen):
            for b in seen[i + 1 :]:
                assert max(abs(x - y) for x, y in zip(a, b, strict=True)) > 0.15

    # Every OPD below 50%: the legend still shows the three bands' colours.
    i18n = get_i18n()
    with i18n.context(), i18n.use_locale("id"):
        png = chart_pngs(_report(4), "id")[0]
    image = Image.open(io.BytesIO(png)).convert("RGB")
    colours = {pixel for _count, pixel in image.getcolors(maxcolors=1_000_000)}
    for _low, color, _hatch in BANDS:
        assert tuple(int(color[i : i + 2], 16) for i in (1, 3, 5)) in colours, color
