"""The one way the bot writes data into files people open in a spreadsheet (CSV and XLSX).

A cell whose text starts with `=`, `+`, `-`, `@`, a tab or a carriage return is taken as a
formula by spreadsheet programs (OWASP: CSV injection): a roster's OPD name or a shop's name
could run `=HYPERLINK(...)` or worse. In a CSV file every text cell from data goes through
`neutral`, which prefixes such text with an apostrophe so that it shows as the text it is. In
an XLSX workbook (`XlsxBook`) text is always written as a string, never guessed, and such text
gets a cell format with Excel's quote prefix, which shows it as typed without changing it.
Numbers, dates and booleans are written as such.
"""

from __future__ import annotations

import csv
import io
import re
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

import xlsxwriter
from xlsxwriter.format import Format
from xlsxwriter.worksheet import Worksheet

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

# Characters XML 1.0 cannot carry. XlsxWriter would write them as `_xHHHH_` escapes, which
# other readers show as such; they have no place in a name anyway, so they are dropped.
_ILLEGAL_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
# Excel's limit on the length of a cell's text, in UTF-16 code units.
_TEXT_LIMIT = 32_767

Cell = str | int | float | datetime | date | None


def neutral(value: object) -> object:
    """`value` safe for a spreadsheet cell: text that would start a formula is quoted."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_bytes(header: Sequence[str], rows: Iterable[Sequence[object]]) -> bytes:
    """A CSV file (UTF-8 with a BOM, which Excel needs) with every cell neutralised."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([neutral(name) for name in header])
    for row in rows:
        writer.writerow(["" if value is None else neutral(value) for value in row])
    return buffer.getvalue().encode("utf-8-sig")


@dataclass(frozen=True)
class Column:
    """A column of an XLSX sheet: its header, its width (in characters) and the number
    format of its cells (None: General)."""

    header: str
    width: float
    number_format: str | None = None


class XlsxBook:
    """An XLSX workbook written row by row: XlsxWriter in constant_memory mode, so each row
    goes to disk as soon as the next one starts and memory stays flat however long a sheet.

    Rows must therefore be appended in order, one sheet after the other. `close` returns the
    file's bytes. Used as a context manager, a book left unfinished by an error leaves no
    temporary files behind.
    """

    def __init__(self) -> None:
        self._output = io.BytesIO()
        # XlsxWriter's row files; removed with the directory whether or not the book is closed.
        self._temporary = tempfile.TemporaryDirectory(prefix="tukulokal-xlsx-")
        self._book = xlsxwriter.Workbook(
            self._output,
            {
                "constant_memory": True,
                "tmpdir": self._temporary.name,
                # Only `write()` guesses; XlsxSheet never calls it. Off all the same.
                "strings_to_formulas": False,
                "strings_to_numbers": False,
                "strings_to_urls": False,
            },
        )
        self._formats: dict[tuple[str | None, bool, bool], Format | None] = {}
        self._keys: dict[int, tuple[str | None, bool, bool]] = {}  # id(format) -> its key
        self._sheets: list[XlsxSheet] = []
        self.plain = self._book.add_format()  # the default font, for rich-string runs

    def format(
        self, number_format: str | None = None, *, bold: bool = False, quoted: bool = False
    ) -> Format | None:
        """The cell format with these properties (None: the default one), made once."""
        key = (number_format, bold, quoted)
        if key not in self._formats:
            properties: dict[str, object] = {}
            if number_format is not None:
                properties["num_format"] = number_format
            if bold:
                properties["bold"] = True
            if quoted:
                properties["quote_prefix"] = True
            made = self._book.add_format(properties) if properties else None
            if made is not None:
                self._keys[id(made)] = key
            self._formats[key] = made
        return self._formats[key]

    def quoted(self, cell_format: Format | None) -> Format | None:
        """`cell_format` (one of this book's) with Excel's quote prefix added."""
        if cell_format is None:
            return self.format(quoted=True)
        number_format, bold, _quoted = self._keys[id(cell_format)]
        return self.format(number_format, bold=bold, quoted=True)

    def sheet(self, title: str, columns: Sequence[Column]) -> XlsxSheet:
        """A new sheet (title cut to Excel's 31 characters) with its bold, frozen header row;
        the auto-filter over the header and the rows is set when the book is closed. Rows
        beyond what a sheet holds go on to sheets "<title> (2)", "(3)", ... with the header."""
        sheet = XlsxSheet(self, title, columns)
        self._sheets.append(sheet)
        return sheet

    def _worksheet(self, title: str) -> Worksheet:
        return self._book.add_worksheet(title[:31])

    def close(self) -> bytes:
        try:
            for sheet in self._sheets:
                sheet.finish()
            self._book.close()
        finally:
            self._temporary.cleanup()
        return self._output.getvalue()

    def __enter__(self) -> XlsxBook:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._temporary.cleanup()


class XlsxSheet:
    """A sheet of an XlsxBook: a header row, then the rows appended in order.

    Each value is written by its type: text with `write_string` (see `text`), numbers, dates
    and booleans as such; None and "" leave the cell empty.
    """

    # Data rows a worksheet holds: Excel's 1,048,576 rows less the header. XlsxWriter ignores a
    # cell written below that (it returns -1), so a longer sheet would lose rows silently.
    capacity = 1_048_575

    def __init__(self, book: XlsxBook, title: str, columns: Sequence[Column]) -> None:
        self.book = book
        self.title = title
        self._columns = list(columns)
        self.columns = len(columns)
        self.parts = 0  # worksheets so far
        self.rows = 0  # data rows so far, on the current worksheet
        self._formats = [book.format(c.number_format) for c in columns]
        self._start()

    def _start(self) -> None:
        """The next worksheet of this sheet, with the header row."""
        self.parts += 1
        suffix = f" ({self.parts})" if self.parts > 1 else ""
        self.worksheet = worksheet = self.book._worksheet(self.title[: 31 - len(suffix)] + suffix)
        self.rows = 0
        worksheet.freeze_panes(1, 0)
        bold = self.book.format(bold=True)
        for index, column in enumerate(self._columns):
            worksheet.set_column(index, index, column.width)
            self.text(0, index, column.header, bold)

    def append(
        self, values: Sequence[Cell], number_formats: Sequence[str | None] | None = None
    ) -> None:
        """The next row; `number_formats` overrides the columns' ones for this row."""
        if len(values) != self.columns:
            raise ValueError(f"{len(values)} values for {self.columns} columns")
        if self.rows >= self.capacity:  # full: the rest on the next worksheet
            self.finish()
            self._start()
        self.rows += 1
        row = self.rows
        if number_formats is None:
            formats = self._formats
        else:
            formats = [self.book.format(number_format) for number_format in number_formats]
        # The inner loop of every export: hence the local names.
        text, worksheet = self.text, self.worksheet
        write_number, write_datetime = worksheet.write_number, worksheet.write_datetime
        for index, value in enumerate(values):
            if value is None:
                continue
            if isinstance(value, str):
                if value:
                    text(row, index, value, formats[index])
            elif isinstance(value, bool):
                worksheet.write_boolean(row, index, value, formats[index])
            elif isinstance(value, int | float):
                write_number(row, index, value, formats[index])
            else:
                write_datetime(row, index, value, formats[index])

    def text(self, row: int, column: int, text: str, cell_format: Format | None = None) -> None:
        """`text` in a cell exactly as it reads, never as a formula (see the module's doc)."""
        if _ILLEGAL_XML.search(text):
            text = _ILLEGAL_XML.sub("", text)
        if text.startswith(FORMULA_STARTS):
            cell_format = self.book.quoted(cell_format)
        if text.startswith("<r>") and text.endswith("</r>"):
            # XlsxWriter takes such text for a rich string it built itself and copies it into
            # the sheet's XML unescaped. Written as a rich string of two runs, it is escaped.
            text = _fit(text)
            runs: list[str | Format] = [text[:1], self.book.plain, text[1:]]
            if cell_format is not None:
                runs.append(cell_format)
            self.worksheet.write_rich_string(row, column, *runs)
            return
        self.worksheet.write_string(row, column, text, cell_format)

    def finish(self) -> None:
        self.worksheet.autofilter(0, 0, self.rows, self.columns - 1)


def _fit(text: str) -> str:
    """`text` cut to Excel's limit (write_string cuts by itself; write_rich_string refuses)."""
    if len(text) * 2 <= _TEXT_LIMIT:
        return text
    units = text.encode("utf-16-le")[: _TEXT_LIMIT * 2]
    return units.decode("utf-16-le", errors="ignore")
