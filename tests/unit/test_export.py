"""Text from data never becomes a formula in a file the bot exports (services.export).

A roster's OPD name or a shop's name is typed by people outside the city's control; in a
spreadsheet, text starting with `=`, `+`, `-`, `@`, a tab or a carriage return would run as a
formula (CSV/formula injection).
"""

import csv
import io
import tempfile
from datetime import UTC, date, datetime

import openpyxl
import pytest

from services.export import Column, XlsxBook, XlsxSheet, csv_bytes
from services.reports import (
    Adjustment,
    AdjustmentRow,
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
from views.reports import workbook_xlsx

HOSTILE_OPD = "=cmd|' /C calc'!A0"
HOSTILE_SHOP = '=HYPERLINK("http://x","y")'
# Every way a formula can start, and text XlsxWriter would copy into the XML unescaped.
OTHERS = ["+1+2", "-2+3", "@SUM(A1:A9)", "\t=1+1", "<r><t>rich</t></r>"]
HOSTILE = [HOSTILE_OPD, HOSTILE_SHOP, *OTHERS]


def _hostile_report(opd: str | None = None) -> Report:
    """A report whose roster OPD names, shop names (and every other text) are hostile."""
    figures = [OpdFigures(name, 10, 9, 1, 5, 100_000) for name in (HOSTILE_OPD, *OTHERS)]
    return Report(
        month=date(2026, 11, 1),
        opd=opd,
        as_of=datetime(2026, 11, 27, 3, tzinfo=UTC),
        closed_at=None,
        roster=10 * len(figures),
        registered=9 * len(figures),
        exempt=len(figures),
        compliant=5 * len(figures),
        counted_spend=1_000_000,
        total_paid=1_200_000,
        median_spend=100_000.0,
        merchants_with_sales=1,
        merchants_without_sales=0,
        categories=[CategorySpend("kuliner", "=1+1", "=1+1", "🍜", 700_000)],
        opds=figures,
        previous_month=date(2026, 10, 1),
        previous_opds=figures,
        adjustments=[
            Adjustment(date(2026, 10, 1), datetime(2026, 11, 1, tzinfo=UTC), 1, 5, 5, 0, 0)
        ],
        details=ReportDetails(
            asn=[
                AsnRow(
                    "198503122010011001",
                    name,
                    name,
                    "III/a",
                    "III",
                    500_000,
                    600_000,
                    exempt=False,
                    compliant=True,
                    registered=True,
                )
                for name in (HOSTILE_OPD, *OTHERS)
            ],
            merchants=[
                MerchantRow("M1", HOSTILE_SHOP, "Klojen", 1, 1, 1_200_000),
                *(MerchantRow(f"M{i}", name, name, 0, 0, 0) for i, name in enumerate(OTHERS)),
            ],
            orders=[
                OrderRow(
                    7,
                    datetime(2026, 11, 2, 1, 0, tzinfo=UTC),
                    datetime(2026, 11, 2, 2, 30, tzinfo=UTC),
                    "completed",
                    HOSTILE_SHOP,
                    "198503122010011001",
                    HOSTILE_OPD,
                    HOSTILE_OPD,
                    "qris",
                    1_200_000,
                    True,
                    None,
                )
            ],
            adjustments=[
                AdjustmentRow(
                    date(2026, 10, 1), "198503122010011001", HOSTILE_SHOP, HOSTILE_OPD, 5, 10
                )
            ],
        ),
    )


def _cells(data: bytes) -> list[openpyxl.cell.Cell]:
    book = openpyxl.load_workbook(io.BytesIO(data))
    assert book.sheetnames == ["Summary", "OPD", "ASN", "Shops", "Orders", "Adjustments"]
    return [cell for sheet in book for row in sheet.iter_rows() for cell in row]


def test_hostile_names_stay_text_in_every_sheet_of_the_workbook():
    i18n = get_i18n()
    with i18n.context(), i18n.use_locale("en"):
        city = workbook_xlsx(_hostile_report(), "en", WIB)
        operator = workbook_xlsx(_hostile_report(opd=HOSTILE_OPD), "en", WIB)
    for data in (city, operator):
        cells = _cells(data)
        assert not [c.coordinate for c in cells if c.data_type == "f"]
        texts = {c.value for c in cells if isinstance(c.value, str)}
        for hostile in HOSTILE:
            assert hostile in texts  # exactly as typed: no apostrophe added, nothing cut
        assert "Spend: =1+1" in texts  # a category's name inside a label
        for cell in cells:
            if isinstance(cell.value, str) and cell.value.startswith(("=", "+", "-", "@", "\t")):
                assert cell.quotePrefix, cell.coordinate  # Excel shows it as text
    scope = openpyxl.load_workbook(io.BytesIO(operator))["Summary"]["B3"]
    assert scope.value == HOSTILE_OPD and scope.quotePrefix  # an OPD operator's scope


def test_the_xlsx_helper_writes_text_never_a_formula():
    book = XlsxBook()
    sheet = book.sheet("Export", [Column("=header()", 10), Column("Total", 10, '"Rp"#,##0')])
    for text in [*HOSTILE, "\r=1+1", "=1+1\x07\x00", "plain"]:
        sheet.append((text, 5))
    sheet.append((None, None))
    sheet.append(("", 1.5))
    data = book.close()
    ws = openpyxl.load_workbook(io.BytesIO(data))["Export"]
    assert ws.freeze_panes == "A2" and ws.auto_filter.ref == "A1:B13"
    header = ws["A1"]
    assert header.value == "=header()" and header.data_type == "s"
    assert header.font.b and header.quotePrefix
    column = [ws.cell(row, 1) for row in range(2, 14)]
    assert [c.value for c in column] == [
        *HOSTILE,
        "_x000D_=1+1",  # Excel's escape of a carriage return (Excel decodes it, openpyxl not)
        "=1+1",  # control characters dropped
        "plain",
        None,
        None,
    ]
    assert all(c.data_type != "f" for row in ws.iter_rows() for c in row)
    assert [c.quotePrefix for c in column[:9]] == [True] * 6 + [False, True, True]
    assert not column[9].quotePrefix
    assert ws["B2"].value == 5 and ws["B2"].number_format == '"Rp"#,##0'
    assert ws["B13"].value == 1.5


def test_csv_quotes_text_that_would_start_a_formula():
    data = csv_bytes(
        ["name", "=header"],
        [[HOSTILE_OPD, 5], [HOSTILE_SHOP, None], ["\t=1", -3], ["\r=1", "plain"], ["@x", "+1"]],
    )
    assert data.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert rows == [
        ["name", "'=header"],
        ["'" + HOSTILE_OPD, "5"],
        ["'" + HOSTILE_SHOP, ""],
        ["'\t=1", "-3"],  # a number stays a number
        ["'\r=1", "plain"],
        ["'@x", "'+1"],
    ]


def test_a_book_leaves_no_temporary_files(tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    with pytest.raises(ValueError, match="2 values for 1 columns"), XlsxBook() as book:
        sheet = book.sheet("Export", [Column("Name", 10)])
        sheet.append(("a",))
        assert list(tmp_path.iterdir())  # XlsxWriter's row file, in the book's directory
        sheet.append(("a", "b"))
    assert not list(tmp_path.iterdir())
    with XlsxBook() as book:
        book.sheet("Export", [Column("Name", 10)]).append(("a",))
        assert book.close().startswith(b"PK")
    assert not list(tmp_path.iterdir())


def test_rows_beyond_a_sheets_capacity_go_on_to_numbered_sheets(monkeypatch):
    """Excel holds 1,048,576 rows a sheet and XlsxWriter drops cells below that without a word:
    a longer sheet goes on to "<title> (2)", "(3)"... each with its header, no row lost."""
    monkeypatch.setattr(XlsxSheet, "capacity", 3)
    book = XlsxBook()
    orders = book.sheet("Pesanan bulan ini yang dibayar", [Column("No", 6), Column("Total", 10)])
    for number in range(1, 9):
        orders.append((f"#{number}", number * 1000))
    after = book.sheet("Toko", [Column("Nama", 10)])
    after.append(("Kopi Tlogomas",))
    workbook = openpyxl.load_workbook(io.BytesIO(book.close()))
    assert workbook.sheetnames == [
        "Pesanan bulan ini yang dibayar",
        "Pesanan bulan ini yang diba (2)",
        "Pesanan bulan ini yang diba (3)",
        "Toko",
    ]
    parts = [list(workbook[name].values) for name in workbook.sheetnames[:3]]
    assert [rows[0] for rows in parts] == [("No", "Total")] * 3
    assert [row for rows in parts for row in rows[1:]] == [
        (f"#{n}", n * 1000) for n in range(1, 9)
    ]
    assert [workbook[name].auto_filter.ref for name in workbook.sheetnames[:3]] == [
        "A1:B4",
        "A1:B4",
        "A1:B3",
    ]
    assert list(workbook["Toko"].values) == [("Nama",), ("Kopi Tlogomas",)]
