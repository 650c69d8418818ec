"""CSV imports of the ASN roster, merchants and products: all or nothing.

Every row of a file is validated; if any row is bad, :class:`ImportFailed` lists every
problem (:class:`ImportIssue`) and nothing is written. Otherwise all rows are upserted in one
transaction, which is committed (or rolled back on any database error).

Files are read one row at a time (never a list of all rows, up to :data:`MAX_ROWS`). Roster
and products are checked and written :data:`BATCH` rows at a time inside that transaction,
rolled back when a row is bad (from the first issue on, rows are only checked, to report
every problem); what a batch loaded or created leaves the session once written. Their memory
is the file's text and the keys seen (for duplicates). Merchants (a city has thousands) keep
their checked rows until all are known good.

Files are UTF-8 (a BOM is removed), delimited by ``,`` or ``;`` (or a tab), chosen by looking
at the header; an Excel ``sep=;`` first line is honoured. Header names are case-insensitive and
trimmed (``"Merchant Kode"`` is ``merchant_kode``); unknown columns are ignored. Blank rows
(also rows of delimiters only) are skipped.

Line numbers are the rows a spreadsheet user sees: the header is line 1, a multi-line quoted
cell is one line.

Optional columns: when the column is absent or its cell is empty, the stored value is kept
(an import never erases a phone number, a photo or a translation).

Upsert keys: roster by NIP, merchants by ``kode`` (case-insensitive), products by merchant and
name (case-insensitive). A product listed in a file becomes active again.

:class:`ImportResult` counts ``created`` rows, ``updated`` rows (existing rows whose values
changed), ``unchanged`` rows (existing rows already identical) and, for the roster with
``deactivate_missing``, ``deactivated`` entries.

Issue codes
===========
Every :class:`ImportIssue` has a stable ``code`` and ``params`` (listed here; no params when
none are named). ``column`` is the canonical column name (``"nip"``, ``"harga"``) or ``None``
for file-level issues.

File-level (``column`` None):

``encoding``          the file is not UTF-8 text; ``line`` is where the first bad byte is.
``not_csv``           the file is a spreadsheet workbook (xlsx/xls/ods), not CSV text.
``empty_file``        nothing in the file (or blank lines only).
``malformed``         the CSV cannot be read from this line on (e.g. a NUL byte, a huge cell).
``missing_columns``   required columns absent from the header; ``columns`` (list[str]).
``duplicate_column``  a column appears twice in the header; ``column`` (str).
``no_rows``           a header but no data rows.
``too_many_rows``     more than :data:`MAX_ROWS` data rows; ``maximum`` (int), ``rows`` (int).

Row-level:

``column_count``          more cells than header columns; ``expected`` (int), ``found`` (int).
``required``              a required value is empty.
``too_long``              ``max`` (int), ``length`` (int): characters after cleaning.
``duplicate``             the key appears on an earlier line of the file; ``value`` (str),
                          ``first_line`` (int).
``scientific_notation``   a number was turned into "1.98503E+17" by a spreadsheet;
                          ``value`` (str). Used for NIP, NIB and phone columns.
``nib_invalid``           NIB is not exactly 13 digits; ``length`` (int, characters given).
``kode_invalid``          merchant code has characters other than letters, digits, - and _.
``location_invalid``      merchants: ``koordinat`` ("lat,lon") or ``lat``/``lon`` not decimal
                          degrees in or near Kota Malang (services.geo), or only one of lat
                          and lon given; ``value`` (str).
``unknown_merchant``      no merchant has this code; ``kode`` (str).
``merchant_mismatch``     a merchant's own file names another merchant; ``kode`` (str),
                          ``expected`` (str, the merchant's code).
``unknown_category``      ``value`` (str).
``price_not_positive``    the price is 0.
``stock_invalid``         not a non-negative whole number; ``value`` (str).
``stock_too_large``       ``maximum`` (int).
``photo_invalid``         neither an http(s) URL nor a safe relative image path
                          (.jpg .jpeg .png .webp, no "..", not absolute); ``value`` (str).

Passed through from the parsers, as ``"<parser>.<code>"`` with the parser error's params
(see each module's docstring):

``nip.*``       services.nip: empty, not_digits, length, birth_date, birth_date_range,
                appointment_month, appointment, pppk_contract, gender, sequence.
``golongan.*``  services.golongan: unknown, kind_mismatch (golongan of the other kind than
                the NIP: a PPPK NIP with a PNS golongan).
``phone.*``     services.phones: invalid.
``wilayah.*``   services.wilayah: unknown_kecamatan, unknown_kelurahan,
                kelurahan_not_in_kecamatan.
``money.*``     services.money: empty, not_a_number, negative, fraction, too_large (also for
                a price above :data:`MAX_PRICE`, with ``maximum`` = MAX_PRICE).
``qris.*``      services.qris: empty, too_long, not_qris, structure, crc, order, missing_tag,
                invalid_field, amount, dynamic. No params.

``str`` params that echo the file's content are cut to :data:`MAX_ECHO` characters; they are
plain text (whoever renders them in HTML must escape them).
"""

from __future__ import annotations

import csv
import re
import unicodedata
from collections.abc import Awaitable, Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, ParamSpec, TypeVar
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from sqlalchemy import func, insert, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models import Certification, Merchant, PriceChange, Product, RosterEntry
from models.db import write_transaction
from models.tables import stored_id, utcnow
from services.categories import find_category
from services.errors import ServiceError
from services.export_formats import (
    parse_dimensions,
    parse_hs_code,
    parse_number,
    parse_positive,
    parse_shelf_life,
    parse_weight,
)
from services.geo import parse_point
from services.golongan import GolonganError, parse_golongan
from services.money import MoneyError, parse_rupiah
from services.nip import NipError, parse_nip
from services.phones import PhoneError, normalize_phone
from services.qris import QrisError, validate_static
from services.text import clean_line
from services.wilayah import WilayahError, match_kecamatan, match_kelurahan

__all__ = [
    "ISSUE_CODES",
    "MAX_PRICE",
    "MAX_ROWS",
    "MAX_STOCK",
    "PASSTHROUGH_PREFIXES",
    "ImportFailed",
    "ImportIssue",
    "ImportResult",
    "import_merchants",
    "import_products",
    "import_roster",
]

MAX_ROWS = 200_000  # a province's roster; 100,000 rows are ~8 MB of CSV
BATCH = 500  # rows written at a time
# Prices and stocks are INTEGER columns (32 bits on PostgreSQL); these caps keep order totals
# far from overflowing too.
MAX_PRICE = 100_000_000
MAX_STOCK = 1_000_000
MAX_ECHO = 60

ISSUE_CODES: frozenset[str] = frozenset(
    {
        "encoding",
        "not_csv",
        "empty_file",
        "malformed",
        "missing_columns",
        "duplicate_column",
        "no_rows",
        "too_many_rows",
        "column_count",
        "required",
        "too_long",
        "duplicate",
        "scientific_notation",
        "nib_invalid",
        "kode_invalid",
        "location_invalid",
        "unknown_merchant",
        "merchant_mismatch",
        "unknown_category",
        "price_not_positive",
        "stock_invalid",
        "stock_too_large",
        "photo_invalid",
        "export_invalid",
        "certificate_invalid",
    }
)
PASSTHROUGH_PREFIXES = ("nip", "golongan", "phone", "wilayah", "money", "qris")

WIB = ZoneInfo("Asia/Jakarta")

_P = ParamSpec("_P")
_T = TypeVar("_T")

ROSTER_REQUIRED = ("nip", "nama", "opd", "golongan")
ROSTER_OPTIONAL = ("telepon", "kecamatan", "jabatan")
MERCHANT_REQUIRED = ("kode", "nama", "nib", "kecamatan", "kelurahan", "alamat", "telepon")
MERCHANT_OPTIONAL = ("qris", "koordinat", "lat", "lon")
PRODUCT_REQUIRED = ("merchant_kode", "nama", "kategori", "harga", "stok", "satuan", "deskripsi")

# Export details (optional columns): column -> (the product's field, its parser).
EXPORT_COLUMNS = ("kode_hs", "moq_ekspor", "kapasitas_bulanan", "berat", "dimensi", "masa_simpan")
_EXPORT_PARSERS: dict[str, tuple[str, Callable[[str], object]]] = {
    "kode_hs": ("hs_code", parse_hs_code),
    "moq_ekspor": ("export_moq", lambda text: parse_positive(text, "export_moq")),
    "kapasitas_bulanan": (
        "monthly_capacity",
        lambda text: parse_positive(text, "monthly_capacity"),
    ),
    "berat": ("weight_grams", parse_weight),
    "dimensi": ("dimensions_cm", parse_dimensions),
    "masa_simpan": ("shelf_life_days", parse_shelf_life),
}
# Certificate numbers (optional columns), recorded unverified until the city verifies them.
CERT_COLUMNS = ("pirt", "bpom", "halal", "sni")
PRODUCT_OPTIONAL = ("nama_en", "deskripsi_en", "foto", *EXPORT_COLUMNS, *CERT_COLUMNS)

# Length caps, in characters after cleaning (the model's column sizes).
_ROSTER_CAPS = {"nama": 200, "opd": 200, "jabatan": 200}
_MERCHANT_CAPS = {"nama": 200, "alamat": 500, "qris": 512}
_PRODUCT_CAPS = {
    "nama": 120,
    "nama_en": 120,
    "satuan": 30,
    "deskripsi": 3000,
    "deskripsi_en": 3000,
    "foto": 500,
}

_WORKBOOK_MAGIC = (b"PK\x03\x04", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")
_SEP_LINE = re.compile(r"^sep=(.)$", re.IGNORECASE)
_DELIMITERS = (",", ";", "\t")
# Control characters (C0, DEL, C1) and a stray BOM; emoji joiners (Cf) are kept.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufeff]")
_SCIENTIFIC = re.compile(r"^[0-9]+(?:[.,][0-9]+)?[eE]\+?[0-9]+$")
_KODE = re.compile(r"[A-Za-z0-9_-]+")
_NIB = re.compile(r"[0-9]{13}")
_STOCK = re.compile(r"[0-9]+")
_PHOTO_EXTENSIONS = (".jpg", ".jpeg", ".png", ".webp")


# --- Public types --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ImportIssue:
    line: int
    column: str | None
    code: str
    params: dict[str, Any] = field(default_factory=dict)


class ImportFailed(Exception):
    """The file was refused; ``issues`` lists every problem, sorted by line."""

    def __init__(self, issues: Iterable[ImportIssue]) -> None:
        self.issues: list[ImportIssue] = sorted(issues, key=lambda i: i.line)
        super().__init__(f"{len(self.issues)} import issue(s)")


@dataclass(frozen=True, slots=True)
class ImportResult:
    created: int
    updated: int
    deactivated: int = 0
    unchanged: int = 0


# --- Reading the file ----------------------------------------------------------------------------


@dataclass(slots=True)
class _Row:
    line: int
    cells: dict[str, str]


@dataclass(slots=True)
class _Table:
    """A file whose header was read; its rows are read one at a time, as they are taken."""

    columns: frozenset[str]
    rows: Iterator[_Row]
    issues: list[ImportIssue]  # row-shape issues, added as the rows are read


def _decode(data: bytes | str) -> str:
    if isinstance(data, str):
        return data.removeprefix("\ufeff")
    if data.startswith(_WORKBOOK_MAGIC):
        raise ImportFailed([ImportIssue(1, None, "not_csv", {})])
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ImportFailed([ImportIssue(line, None, "encoding", {})]) from None


def _header_key(name: str) -> str:
    return "_".join(_CONTROL.sub("", name).strip().lower().split())


def _pick_delimiter(header_line: str, known: Iterable[str]) -> str:
    known_set = set(known)

    def score(delimiter: str) -> tuple[int, int]:
        names = next(csv.reader([header_line], delimiter=delimiter), [])
        return (sum(_header_key(n) in known_set for n in names), len(names))

    return max(_DELIMITERS, key=score)  # max keeps the first of equals: "," by default


# One physical line with its line break; only CR/LF count, like the csv module.
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+")


def _lines(text: str, start: int = 0) -> Iterator[str]:
    """The physical lines of `text` from `start`, one at a time (no list of them all)."""
    for match in _LINE.finditer(text, start):
        yield match.group()


def _first_line(text: str) -> tuple[int, str, int] | None:
    """(number of lines before it, its text, where the next line starts) of the first
    non-blank line."""
    for index, match in enumerate(_LINE.finditer(text)):
        if match.group().strip():
            return index, match.group().rstrip("\r\n"), match.end()
    return None


def _read_table(data: bytes | str, required: tuple[str, ...], optional: tuple[str, ...]) -> _Table:
    """Read the file up to its header and check it; the rows follow as they are taken (an
    issue of the whole file, "malformed", "no_rows" or "too_many_rows", is raised then)."""
    text = _decode(data)
    first = _first_line(text)
    if first is None:
        raise ImportFailed([ImportIssue(1, None, "empty_file", {})])
    index, first_text, after_first = first
    start_line, offset = 1, 0
    if match := _SEP_LINE.match(first_text.strip()):
        # Excel's "sep=;" hint: a row of its own, before the header.
        delimiter = match[1]
        start_line, offset = index + 2, after_first
        if offset >= len(text):
            raise ImportFailed([ImportIssue(start_line, None, "empty_file", {})])
    else:
        delimiter = _pick_delimiter(first_text, (*required, *optional))

    records = enumerate(csv.reader(_lines(text, offset), delimiter=delimiter), start=start_line)
    header: list[str] | None = None
    header_line = line = start_line - 1
    try:
        for line, record in records:
            if any(cell.strip() for cell in record):
                header, header_line = [_header_key(name) for name in record], line
                break
    except csv.Error:
        raise ImportFailed([ImportIssue(line + 1, None, "malformed", {})]) from None
    if header is None:
        raise ImportFailed([ImportIssue(start_line, None, "empty_file", {})])
    header_issues: list[ImportIssue] = []
    seen: set[str] = set()
    for name in header:
        if name and name in seen and name in (*required, *optional):
            header_issues.append(
                ImportIssue(header_line, None, "duplicate_column", {"column": name})
            )
        seen.add(name)
    missing = [name for name in required if name not in seen]
    if missing:
        header_issues.append(
            ImportIssue(header_line, None, "missing_columns", {"columns": missing})
        )
    if header_issues:
        raise ImportFailed(header_issues)
    issues: list[ImportIssue] = []
    return _Table(frozenset(seen), _rows(records, header, header_line, issues), issues)


def _rows(
    records: Iterator[tuple[int, list[str]]],
    header: list[str],
    header_line: int,
    issues: list[ImportIssue],
) -> Iterator[_Row]:
    count = 0
    line = header_line
    try:
        for line, record in records:
            if not any(cell.strip() for cell in record):
                continue
            count += 1
            if count > MAX_ROWS:
                continue  # only counted, for the issue
            if any(cell.strip() for cell in record[len(header) :]):
                issues.append(
                    ImportIssue(
                        line, None, "column_count", {"expected": len(header), "found": len(record)}
                    )
                )
            yield _Row(line, dict(zip(header, record, strict=False)))
    except csv.Error:
        raise ImportFailed([ImportIssue(line + 1, None, "malformed", {})]) from None
    if not count:
        raise ImportFailed([ImportIssue(header_line, None, "no_rows", {})])
    if count > MAX_ROWS:
        raise ImportFailed(
            [ImportIssue(header_line, None, "too_many_rows", {"maximum": MAX_ROWS, "rows": count})]
        )


# --- Cell helpers --------------------------------------------------------------------------------


def _echo(value: str) -> str:
    value = clean_line(_CONTROL.sub("", value))
    return value if len(value) <= MAX_ECHO else value[: MAX_ECHO - 1] + "…"


def _one_line(value: str) -> str:
    return unicodedata.normalize("NFC", clean_line(_CONTROL.sub(" ", value)))


def _multi_line(value: str) -> str:
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    value = _CONTROL.sub("", value)
    lines = [line.rstrip() for line in value.split("\n")]
    return unicodedata.normalize("NFC", "\n".join(lines).strip())


def _code_key(value: str) -> str:
    return value.casefold()


class _RowCheck:
    """Collects the issues of one row."""

    def __init__(self, row: _Row, issues: list[ImportIssue], caps: dict[str, int]) -> None:
        self.row = row
        self.issues = issues
        self.caps = caps
        self.ok = True

    def add(self, column: str | None, code: str, **params: Any) -> None:
        self.ok = False
        self.issues.append(ImportIssue(self.row.line, column, code, params))

    def raw(self, column: str) -> str:
        return self.row.cells.get(column) or ""

    def text(self, column: str, *, required: bool, multi_line: bool = False) -> str | None:
        """A cleaned text value; None when empty (after reporting it if required)."""
        value = (_multi_line if multi_line else _one_line)(self.raw(column))
        if not value:
            if required:
                self.add(column, "required")
            return None
        cap = self.caps.get(column)
        if cap is not None and len(value) > cap:
            self.add(column, "too_long", max=cap, length=len(value))
            return None
        return value

    def number_text(self, column: str, *, required: bool) -> str | None:
        """An identifier typed as digits (NIP, NIB, phone), spreadsheet damage reported."""
        value = self.raw(column).strip().removeprefix("'").strip()
        if not value:
            if required:
                self.add(column, "required")
            return None
        if _SCIENTIFIC.match(value):
            self.add(column, "scientific_notation", value=_echo(value))
            return None
        return value

    def parsed(
        self,
        column: str,
        prefix: str,
        parse: Callable[_P, _T],
        *args: _P.args,
        **kwargs: _P.kwargs,
    ) -> _T | None:
        """Run a parser on `args`; its error becomes the issue "<prefix>.<code>"."""
        try:
            return parse(*args, **kwargs)
        except (NipError, GolonganError, PhoneError, MoneyError, WilayahError) as exc:
            params = {k: _echo(v) if isinstance(v, str) else v for k, v in exc.params.items()}
            self.add(column, f"{prefix}.{exc.code}", **params)
        except QrisError as exc:
            self.add(column, f"{prefix}.{exc.code}")
        return None

    def phone(self, column: str, *, required: bool) -> str | None:
        value = self.number_text(column, required=required)
        if value is None:
            return None
        return self.parsed(column, "phone", normalize_phone, value)


def _check_duplicate(
    check: _RowCheck, column: str, key: Any, value: str, first_lines: dict[Any, int]
) -> None:
    if key in first_lines:
        check.add(column, "duplicate", value=_echo(value), first_line=first_lines[key])
    else:
        first_lines[key] = check.row.line


def _wib_today() -> date:
    return datetime.now(WIB).date()


def _assign(obj: Any, values: dict[str, Any]) -> bool:
    """Set the attributes that differ; whether anything changed."""
    changed = False
    for name, value in values.items():
        if getattr(obj, name) != value:
            setattr(obj, name, value)
            changed = True
    return changed


async def _write(
    session: AsyncSession, work: Callable[[], Awaitable[ImportResult]]
) -> ImportResult:
    """Run the upserts in one write transaction: all committed, or nothing on any error."""
    async with write_transaction(session):
        result = await work()
    return result


# --- Roster --------------------------------------------------------------------------------------


@dataclass(slots=True)
class _RosterValues:
    nip: str
    values: dict[str, Any]


def _roster_row(
    check: _RowCheck, columns: frozenset[str], *, today: date, first_lines: dict[str, int]
) -> _RosterValues | None:
    """A roster row's values, or None when it has issues (reported to `check`)."""
    info = None
    nip_text = check.number_text("nip", required=True)
    if nip_text is not None:
        info = check.parsed("nip", "nip", parse_nip, nip_text, today=today)
        if info is not None:
            _check_duplicate(check, "nip", info.nip, info.nip, first_lines)
    name = check.text("nama", required=True)
    opd = check.text("opd", required=True)
    golongan = None
    golongan_text = check.text("golongan", required=True)
    if golongan_text is not None:
        kind = info.kind if info is not None else None
        golongan = check.parsed("golongan", "golongan", parse_golongan, golongan_text, kind=kind)
    values = _roster_optional_values(check, columns)
    if not (check.ok and info is not None and golongan is not None):
        return None
    values.update(
        name=name,
        opd=opd,
        golongan=golongan.golongan,
        quota_class=golongan.quota_class,
        employee_kind=golongan.kind,
        active=True,
    )
    return _RosterValues(info.nip, values)


def _roster_optional_values(check: _RowCheck, columns: frozenset[str]) -> dict[str, Any]:
    """The optional columns of a roster row that the file has and the row fills."""
    values: dict[str, Any] = {}
    if "telepon" in columns:
        phone = check.phone("telepon", required=False)
        if phone is not None:
            values["phone"] = phone
    if "kecamatan" in columns:
        kecamatan_text = check.text("kecamatan", required=False)
        if kecamatan_text is not None:
            kecamatan = check.parsed("kecamatan", "wilayah", match_kecamatan, kecamatan_text)
            if kecamatan is not None:
                values["kecamatan"] = kecamatan
    if "jabatan" in columns:
        position = check.text("jabatan", required=False)
        if position is not None:
            values["position"] = position
    return values


# The optional columns of a new roster entry, when the file leaves them out.
_ROSTER_BLANKS: dict[str, Any] = {"phone": None, "kecamatan": None, "position": None}


@dataclass(slots=True)
class _Tally:
    created: int = 0
    updated: int = 0
    unchanged: int = 0


async def _upsert_roster(
    session: AsyncSession, batch: list[_RosterValues], tally: _Tally, now: datetime
) -> None:
    """Write one batch of rows; the rows leave the session once written (memory stays flat)."""
    # Entries the caller holds already stay in the session; those loaded here leave it.
    mapped = session.sync_session.identity_map.keys()
    held = {key[1][0] for key in mapped if key[0] is RosterEntry}
    query = select(RosterEntry).where(col(RosterEntry.nip).in_([item.nip for item in batch]))
    existing = {e.nip: e for e in (await session.exec(query)).all()}
    new_rows: list[dict[str, Any]] = []
    for item in batch:
        entry = existing.get(item.nip)
        if entry is None:  # inserted in one statement: no ORM object per row
            new_rows.append({**_ROSTER_BLANKS, **item.values, "nip": item.nip, "updated_at": now})
        elif _assign(entry, item.values):
            entry.updated_at = now
            tally.updated += 1
        else:
            tally.unchanged += 1
    await session.flush()
    if new_rows:
        await session.exec(insert(RosterEntry), params=new_rows)
        tally.created += len(new_rows)
    for nip, entry in existing.items():
        if nip not in held:
            session.expunge(entry)


async def _deactivate_missing(session: AsyncSession, in_file: set[str], now: datetime) -> int:
    """The active entries not in the file become inactive (never deleted)."""
    active = (await session.exec(select(RosterEntry.nip).where(col(RosterEntry.active)))).all()
    gone = [nip for nip in active if nip not in in_file]
    for chunk in _chunks(gone):
        await session.exec(
            update(RosterEntry)
            .where(col(RosterEntry.nip).in_(chunk))
            .values(active=False, updated_at=now)
            .execution_options(synchronize_session=False)
        )
    return len(gone)


async def import_roster(
    session: AsyncSession,
    data: bytes | str,
    *,
    deactivate_missing: bool = False,
    today: date | None = None,
) -> ImportResult:
    """Upsert the ASN roster by NIP. ``today`` (WIB date) defaults to now, for NIP checks.

    With ``deactivate_missing`` the entries not in the file become inactive (never deleted).

    Read, checked and written BATCH rows at a time in one transaction (a roster of 100,000
    rows in bounded memory): rolled back when any row has an issue, and from the first issue
    on the rest is only checked, to report every problem.
    """
    table = _read_table(data, ROSTER_REQUIRED, ROSTER_OPTIONAL)
    today = today or _wib_today()
    issues = table.issues
    first_lines: dict[str, int] = {}  # every NIP of the file: its first line
    tally = _Tally()
    now = utcnow()

    async def work() -> ImportResult:
        batch: list[_RosterValues] = []
        for row in table.rows:
            check = _RowCheck(row, issues, _ROSTER_CAPS)
            item = _roster_row(check, table.columns, today=today, first_lines=first_lines)
            if issues or item is None:
                batch.clear()  # nothing will be written
                continue
            batch.append(item)
            if len(batch) >= BATCH:
                await _upsert_roster(session, batch, tally, now)
                batch = []
        if issues:
            raise ImportFailed(issues)
        if batch:
            await _upsert_roster(session, batch, tally, now)
        deactivated = (
            await _deactivate_missing(session, set(first_lines), now)
            if (deactivate_missing)
            else 0
        )
        return ImportResult(tally.created, tally.updated, deactivated, tally.unchanged)

    return await _write(session, work)


# --- Merchants -----------------------------------------------------------------------------------


def _merchant_location(check: _RowCheck) -> dict[str, Any]:
    """The shop's lat/lon from ``koordinat`` ("lat,lon") or ``lat`` and ``lon`` (optional;
    empty: unchanged)."""
    together = check.raw("koordinat").strip()
    lat, lon = check.raw("lat").strip(), check.raw("lon").strip()
    if not together and not lat and not lon:
        return {}
    column = "koordinat" if together else ("lat" if not lat else "lon" if not lon else "lat")
    text = together or f"{lat},{lon}"
    point = parse_point(text) if (together or (lat and lon)) else None
    if point is None:
        check.add(column, "location_invalid", value=_echo(text))
        return {}
    return {"lat": point.lat, "lon": point.lon}


async def import_merchants(session: AsyncSession, data: bytes | str) -> ImportResult:
    """Upsert merchants by ``kode`` (case-insensitive; an existing code keeps its spelling)."""
    table = _read_table(data, MERCHANT_REQUIRED, MERCHANT_OPTIONAL)
    issues = table.issues
    valid: list[tuple[str, dict[str, Any]]] = []
    first_lines: dict[str, int] = {}

    for row in table.rows:
        check = _RowCheck(row, issues, _MERCHANT_CAPS)
        code = check.text("kode", required=True)
        if code is not None:
            if len(code) > 32:
                check.add("kode", "too_long", max=32, length=len(code))
            elif not _KODE.fullmatch(code):
                check.add("kode", "kode_invalid")
            else:
                _check_duplicate(check, "kode", _code_key(code), code, first_lines)
        name = check.text("nama", required=True)
        nib = check.number_text("nib", required=True)
        if nib is not None:
            nib = "".join(nib.split())
            if not _NIB.fullmatch(nib):
                check.add("nib", "nib_invalid", length=len(nib))
        kecamatan = None
        kecamatan_text = check.text("kecamatan", required=True)
        if kecamatan_text is not None:
            kecamatan = check.parsed("kecamatan", "wilayah", match_kecamatan, kecamatan_text)
        kelurahan = None
        kelurahan_text = check.text("kelurahan", required=True)
        if kelurahan_text is not None:
            kelurahan = check.parsed(
                "kelurahan", "wilayah", match_kelurahan, kelurahan_text, kecamatan=kecamatan
            )
        address = check.text("alamat", required=False, multi_line=True) or ""
        phone = check.phone("telepon", required=True)
        values: dict[str, Any] = {}
        qris = check.raw("qris").strip()
        if qris and check.parsed("qris", "qris", validate_static, qris) is not None:
            values["qris"] = qris
        values.update(_merchant_location(check))
        if check.ok and code and kelurahan is not None:
            values.update(
                name=name,
                nib=nib,
                kecamatan=kelurahan.kecamatan,
                kelurahan=kelurahan.name,
                address=address,
                phone=phone,
            )
            valid.append((code, values))

    if issues:
        raise ImportFailed(issues)

    async def work() -> ImportResult:
        keys = [_code_key(code) for code, _ in valid]
        existing: dict[str, Merchant] = {}
        for chunk in _chunks(keys):
            query = select(Merchant).where(func.lower(col(Merchant.code)).in_(chunk))
            existing.update({_code_key(m.code): m for m in (await session.exec(query)).all()})
        created = updated = unchanged = 0
        now = utcnow()
        for code, values in valid:
            merchant = existing.get(_code_key(code))
            if merchant is None:
                session.add(Merchant(code=code, created_at=now, updated_at=now, **values))
                created += 1
            elif _assign(merchant, values):
                merchant.updated_at = now
                updated += 1
            else:
                unchanged += 1
        await session.flush()
        return ImportResult(created, updated, 0, unchanged)

    return await _write(session, work)


def _chunks(items: list[_T], size: int = 500) -> Iterable[list[_T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


# --- Products ------------------------------------------------------------------------------------


def _valid_photo(value: str) -> bool:
    parts = urlsplit(value)
    if parts.scheme:
        # A Windows path "C:\..." parses as scheme "c": refused as absolute anyway.
        return (
            parts.scheme.lower() in ("http", "https") and bool(parts.netloc) and (" " not in value)
        )
    path = value.replace("\\", "/")
    if path.startswith("/") or ".." in path.split("/") or "\x00" in path:
        return False
    return path.lower().endswith(_PHOTO_EXTENSIONS)


def _product_merchant(
    check: _RowCheck, own: Merchant | None, merchants: dict[str, tuple[int | None, str]]
) -> int | None:
    """The merchant a product row is for: `own` (a merchant's own file) or its code's."""
    code = check.text("merchant_kode", required=own is None)
    if own is not None:
        if code is not None and _code_key(code) != _code_key(own.code):
            check.add("merchant_kode", "merchant_mismatch", kode=_echo(code), expected=own.code)
            return None
        return own.id
    if code is None:
        return None
    found = merchants.get(_code_key(code))
    if found is None:
        check.add("merchant_kode", "unknown_merchant", kode=_echo(code))
        return None
    return found[0]


async def _product_category(
    session: AsyncSession, check: _RowCheck, cache: dict[str, int | None]
) -> int | None:
    """The category named by a product row (`cache`: ids by the names already looked up)."""
    category_text = check.text("kategori", required=True)
    if category_text is None:
        return None
    if category_text not in cache:
        category = await find_category(session, category_text)
        cache[category_text] = category.id if category else None
    category_id = cache[category_text]
    if category_id is None:
        check.add("kategori", "unknown_category", value=_echo(category_text))
    return category_id


def _product_price(check: _RowCheck) -> int | None:
    price_text = check.text("harga", required=True)
    if price_text is None:
        return None
    price = check.parsed("harga", "money", parse_rupiah, price_text)
    if price == 0:
        check.add("harga", "price_not_positive")
    elif price is not None and price > MAX_PRICE:
        check.add("harga", "money.too_large", maximum=MAX_PRICE)
    return price


def _product_stock(check: _RowCheck) -> int | None:
    stock_text = check.text("stok", required=True)
    if stock_text is None:
        return None
    digits = stock_text.replace(" ", "")
    if not _STOCK.fullmatch(digits):
        check.add("stok", "stock_invalid", value=_echo(stock_text))
    elif int(digits) > MAX_STOCK:
        check.add("stok", "stock_too_large", maximum=MAX_STOCK)
    else:
        return int(digits)
    return None


def _product_optional_values(check: _RowCheck, columns: frozenset[str]) -> dict[str, Any]:
    """The optional columns of a product row that the file has and the row fills."""
    values: dict[str, Any] = {}
    if "nama_en" in columns and (name_en := check.text("nama_en", required=False)):
        values["name_en"] = name_en
    if "deskripsi_en" in columns and (
        description_en := check.text("deskripsi_en", required=False, multi_line=True)
    ):
        values["description_en"] = description_en
    if "foto" in columns and (photo := check.text("foto", required=False)):
        if _valid_photo(photo):
            values["photo"] = photo
        else:
            check.add("foto", "photo_invalid", value=_echo(photo))
    for column, (field_name, parse) in _EXPORT_PARSERS.items():
        if column in columns and (text := check.text(column, required=False)):
            try:
                values[field_name] = parse(text)
            except ServiceError:
                check.add(column, "export_invalid", value=_echo(text))
    certs: dict[str, str] = {}
    for column in CERT_COLUMNS:
        if column in columns and (text := check.text(column, required=False)):
            try:
                certs[column] = parse_number(column, text)
            except ServiceError:
                check.add(column, "certificate_invalid", value=_echo(text))
    if certs:
        values["_certs"] = certs
    return values


@dataclass(slots=True)
class _ProductIndex:
    """The stored products of the merchants met so far: (id, name) by merchant and casefolded
    name, oldest first (ids only: the objects are loaded batch by batch)."""

    by_key: dict[tuple[int, str], list[tuple[int, str]]] = field(default_factory=dict)
    loaded: set[int] = field(default_factory=set)

    async def load(self, session: AsyncSession, merchant_ids: set[int]) -> None:
        missing = sorted(merchant_ids - self.loaded)
        if not missing:
            return
        query = (
            select(Product.id, Product.merchant_id, Product.name)
            .where(col(Product.merchant_id).in_(missing))
            .order_by(col(Product.id))
        )
        for product_id, merchant, name in (await session.exec(query)).all():
            key = (merchant, name.casefold())
            self.by_key.setdefault(key, []).append((stored_id(product_id), name))
        self.loaded.update(missing)

    def pick(self, merchant: int, name: str) -> int | None:
        # Stored names may differ only by case (typed in the chat): prefer the exact one.
        same = self.by_key.get((merchant, name.casefold()), [])
        return next((i for i, n in same if n == name), same[0][0] if same else None)


async def _upsert_products(
    session: AsyncSession,
    batch: list[tuple[int, str, dict[str, Any]]],
    index: _ProductIndex,
    tally: _Tally,
    now: datetime,
) -> None:
    """Write one batch of rows; what it loaded and created leaves the session once written."""
    held = set(session.sync_session.identity_map.keys())
    await index.load(session, {m for m, _, _ in batch})
    picks = {(merchant, name): index.pick(merchant, name) for merchant, name, _ in batch}
    ids = [i for i in picks.values() if i is not None]
    stored: dict[int, Product] = {}
    for chunk in _chunks(ids):
        query = select(Product).where(col(Product.id).in_(chunk))
        stored.update({stored_id(p.id): p for p in (await session.exec(query)).all()})
    certified: list[tuple[Product, dict[str, str]]] = []
    for merchant, name, values in batch:
        certs = values.pop("_certs", {})
        picked = picks[(merchant, name)]
        product = stored.get(picked) if picked is not None else None
        if product is None:
            product = Product(merchant_id=merchant, created_at=now, updated_at=now, **values)
            session.add(product)
            certified.append((product, certs))
            tally.created += 1
            continue
        certified.append((product, certs))
        if "photo" in values and values["photo"] != product.photo:
            product.photo_file_id = None  # the cached upload shows the old picture
        if values.get("price") is not None and values["price"] != product.price:
            session.add(
                PriceChange(
                    product_id=stored_id(product.id),
                    old_price=product.price,
                    new_price=values["price"],
                    source="import",
                    at=now,
                )
            )
        if _assign(product, values):
            product.updated_at = now
            tally.updated += 1
        else:
            tally.unchanged += 1
    await session.flush()
    await _record_certifications(session, certified, now)
    _let_go(session, held)


def _let_go(session: AsyncSession, held: set[Any]) -> None:
    """Expunge the objects written since `held` was taken (the caller's own stay)."""
    mapped = session.sync_session.identity_map
    for key in list(mapped.keys()):
        if key not in held:
            session.expunge(mapped[key])


async def _record_certifications(
    session: AsyncSession, certified: list[tuple[Product, dict[str, str]]], now: datetime
) -> None:
    """The certificate numbers of the file: a new or changed number waits for verification."""
    for product, certs in certified:
        for kind, number in certs.items():
            cert = (
                await session.exec(
                    select(Certification).where(
                        Certification.merchant_id == product.merchant_id,
                        Certification.product_key == product.id,
                        Certification.kind == kind,
                    )
                )
            ).first()
            if cert is not None and cert.number == number:
                continue
            cert = cert or Certification(
                merchant_id=product.merchant_id, product_id=product.id,
                product_key=product.id or 0, kind=kind, number=number,
            )  # fmt: skip
            cert.number, cert.status, cert.submitted_at = number, "pending", now
            cert.decided_at = cert.decided_by = None
            session.add(cert)
    await session.flush()


async def import_products(
    session: AsyncSession, data: bytes | str, *, merchant_id: int | None = None
) -> ImportResult:
    """Upsert products by (merchant, name).

    With ``merchant_id`` (a merchant's own file) ``merchant_kode`` may be omitted or empty, and
    must otherwise be that merchant's code.
    """
    required: tuple[str, ...] = PRODUCT_REQUIRED
    own: Merchant | None = None
    if merchant_id is not None:
        own = await session.get(Merchant, merchant_id)
        if own is None:
            raise ValueError(f"merchant {merchant_id} does not exist")
        required = tuple(c for c in PRODUCT_REQUIRED if c != "merchant_kode")
    table = _read_table(data, required, (*PRODUCT_OPTIONAL, "merchant_kode"))

    merchants = {
        _code_key(m.code): (m.id, m.code) for m in (await session.exec(select(Merchant))).all()
    }
    category_cache: dict[str, int | None] = {}
    issues = table.issues
    first_lines: dict[tuple[int, str], int] = {}
    index, tally, now = _ProductIndex(), _Tally(), utcnow()

    async def work() -> ImportResult:
        batch: list[tuple[int, str, dict[str, Any]]] = []
        for row in table.rows:
            item = await _product_row(
                session, _RowCheck(row, issues, _PRODUCT_CAPS), table.columns,
                own=own, merchants=merchants, categories=category_cache, first_lines=first_lines,
            )  # fmt: skip
            if issues or item is None:
                batch.clear()  # nothing will be written
                continue
            batch.append(item)
            if len(batch) >= BATCH:
                await _upsert_products(session, batch, index, tally, now)
                batch = []
        if issues:
            raise ImportFailed(issues)
        if batch:
            await _upsert_products(session, batch, index, tally, now)
        return ImportResult(tally.created, tally.updated, 0, tally.unchanged)

    return await _write(session, work)


async def _product_row(
    session: AsyncSession,
    check: _RowCheck,
    columns: frozenset[str],
    *,
    own: Merchant | None,
    merchants: dict[str, tuple[int | None, str]],
    categories: dict[str, int | None],
    first_lines: dict[tuple[int, str], int],
) -> tuple[int, str, dict[str, Any]] | None:
    """A product row's merchant, name and values, or None when it has issues."""
    product_merchant = _product_merchant(check, own, merchants)
    name = check.text("nama", required=True)
    if name is not None and product_merchant is not None:
        key = (product_merchant, name.casefold())
        _check_duplicate(check, "nama", key, name, first_lines)
    category_id = await _product_category(session, check, categories)
    price = _product_price(check)
    stock = _product_stock(check)
    unit = check.text("satuan", required=True)
    description = check.text("deskripsi", required=False, multi_line=True) or ""
    values = _product_optional_values(check, columns)
    if not (check.ok and product_merchant is not None and name is not None):
        return None
    values.update(
        name=name,
        category_id=category_id,
        price=price,
        stock=stock,
        unit=unit,
        description=description,
        is_active=True,
        deleted_at=None,  # a product deleted in the chat comes back with the file
    )
    return product_merchant, name, values
