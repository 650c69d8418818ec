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
import json
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

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
ROOT = Path(__file__).resolve().parents[2]
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


def _roster_of(rows: int) -> bytes:
    """A roster CSV of valid rows: 999 NIPs per birth date, each golongan III/a."""
    lines = ["nip,nama,opd,golongan,telepon,kecamatan,jabatan\n"]
    for i in range(rows):
        born = date(1975, 1, 1) + timedelta(days=i // 999)
        lines.append(f"{born:%Y%m%d}2005011{i % 999 + 1:03d},ASN {i},OPD {i % 40},III/a,,,\n")
    return "".join(lines).encode()


def test_a_roster_of_100000_rows_is_imported_within_bounded_memory() -> None:
    # In a process of its own, so that its peak memory is the import's (tests.unit.roster_memory).
    done = subprocess.run(
        [sys.executable, "-m", "tests.unit.roster_memory", "100000"],
        cwd=ROOT, capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    assert figures["created"] == 100_000
    assert figures["file_mb"] < 20  # what a bot may download from Telegram
    # Read, checked and written 500 rows at a time: the file's text and the set of its NIPs
    # stay, not 100,000 rows of cells, values and database objects (that took 500 MB).
    assert figures["rise_mb"] < 64, figures


async def test_a_large_roster_with_a_bad_last_row_changes_nothing(session) -> None:
    data = _roster_of(3_000) + b"198001012005011999,,OPD,III/a,,,\n"  # no name
    try:
        await import_roster(session, data, today=TODAY)
    except ImportFailed as failed:
        issues = failed.issues
    else:
        raise AssertionError("imported")
    assert [(i.line, i.column, i.code) for i in issues] == [(3_002, "nama", "required")]
    assert (await session.exec(select(func.count()).select_from(RosterEntry))).one() == 0
