"""Hostile input, property-based (hypothesis): what any text does to the parsers, any cell to
the exports, and a roster file far too large to the importer.

Already covered elsewhere (not repeated here): money round trips (test_money), forged and
random callback data, start links, malformed ids and redelivered updates through the real
handlers (e2e/test_hardening), hostile names in every sheet of the report workbook
(test_export, e2e/test_hardening), wrong encodings, missing columns and the row limit of the
importer (test_importer), long and HTML-laden texts (e2e/test_robustness).
"""

from __future__ import annotations

import csv
import io
import tracemalloc
from datetime import date

import openpyxl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import func, select

from models import RosterEntry
from services.export import FORMULA_STARTS, Column, XlsxBook, csv_bytes
from services.importer import ImportFailed, import_roster
from services.money import MoneyError, parse_rupiah
from services.nip import NipError, NipInfo, parse_nip

TODAY = date(2026, 11, 27)
FORMULAS = st.sampled_from(
    ['=HYPERLINK("http://x","klik")', "+cmd|' /C calc'!A0", "@SUM(A1:A9)", "-1+1", "=1+1",
     "\t=2", "\r=3"]
)  # fmt: skip
CELLS = st.one_of(FORMULAS, st.text(max_size=40), FORMULAS.map(lambda f: f + " tail"))


@given(st.text(max_size=60))
def test_any_text_is_a_nip_or_a_reason(text: str) -> None:
    try:
        info = parse_nip(text, today=TODAY)
    except NipError as exc:
        assert str(exc)  # a reason the handler can explain
    else:
        assert isinstance(info, NipInfo) and len(info.nip) == 18 and info.nip.isdigit()


@given(st.text(max_size=40))
def test_any_text_is_an_amount_or_a_reason(text: str) -> None:
    try:
        amount = parse_rupiah(text)
    except MoneyError as exc:
        assert str(exc)
    else:
        assert isinstance(amount, int) and amount >= 0


@given(st.lists(st.lists(CELLS, min_size=2, max_size=2), min_size=1, max_size=8))
def test_csv_never_carries_a_formula(rows: list[list[str]]) -> None:
    data = csv_bytes(["a", "=b"], rows).decode("utf-8-sig")
    header, *read = list(csv.reader(io.StringIO(data, newline="")))
    assert header == ["a", "'=b"]
    assert len(read) == len(rows)
    for written, original in zip(read, rows, strict=True):
        for cell, value in zip(written, original, strict=True):
            if value.startswith(FORMULA_STARTS):
                assert cell == "'" + value
            else:
                assert cell == value


@settings(max_examples=40, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(CELLS, min_size=1, max_size=6))
def test_xlsx_never_carries_a_formula(values: list[str]) -> None:
    with XlsxBook() as book:
        sheet = book.sheet("Data", [Column("text", 20)])
        for value in values:
            sheet.append((value,))
        data = book.close()
    sheet = openpyxl.load_workbook(io.BytesIO(data))["Data"]
    assert not [c.coordinate for row in sheet.iter_rows() for c in row if c.data_type == "f"]
    for number, value in enumerate(values, start=2):
        cell = sheet.cell(row=number, column=1)
        if isinstance(cell.value, str) and cell.value.startswith(FORMULA_STARTS):
            assert cell.quotePrefix, (cell.coordinate, value)  # shown as text, as typed
            assert value.startswith(FORMULA_STARTS)


async def test_a_roster_of_100000_rows_is_refused_politely_within_memory(session) -> None:
    rows = "".join(
        f"{198001012005011000 + i},ASN {i},OPD {i % 40},III/a,,,\n" for i in range(100_000)
    )
    data = ("nip,nama,opd,golongan,telepon,kecamatan,jabatan\n" + rows).encode()
    tracemalloc.start()
    try:
        try:
            await import_roster(session, data, today=TODAY)
        except ImportFailed as failed:
            issues = failed.issues
        else:
            raise AssertionError("imported")
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert [(i.code, i.params) for i in issues] == [
        ("too_many_rows", {"maximum": 50_000, "rows": 100_000})
    ]
    assert peak < 200 * 2**20, f"{peak / 2**20:.0f} MB for a {len(data) / 2**20:.1f} MB file"
    assert (await session.exec(select(func.count()).select_from(RosterEntry))).one() == 0
