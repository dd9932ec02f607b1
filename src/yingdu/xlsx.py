"""Excel workbooks (openpyxl) that a spreadsheet can compute with and that no user value can turn into a formula.

Every export writes its cells through ``SheetWriter``:

- money is ``Yuan(fen)``: a number of yuan, Decimal(fen) / 100 exactly (never float arithmetic on fen), shown
  with the format ``#,##0.00``;
- a ``date`` is a date cell (``yyyy-mm-dd``), an aware ``datetime`` an Asia/Shanghai date-time cell
  (``yyyy-mm-dd hh:mm``);
- a string is a text cell; one that starts with ``=``, ``+``, ``-``, ``@``, tab or CR (OWASP's CSV/formula injection
  list) is forced to text (``data_type "s"``, written as an inline string, never as ``<f>``) and carries the
  cell style's ``quotePrefix``, so that Excel and LibreOffice keep it as text even after an edit. The value itself
  is unchanged: no apostrophe is prepended.
"""

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from io import BytesIO
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.cell import Cell
from openpyxl.styles import Font
from openpyxl.worksheet.worksheet import Worksheet

SHANGHAI = ZoneInfo("Asia/Shanghai")
YUAN_FORMAT = "#,##0.00"
DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
BOLD = Font(bold=True)


@dataclass(frozen=True, slots=True)
class Yuan:
    """An amount of integer fen, written as a number of yuan with two decimals."""

    fen: int


def yuan(fen: int | None) -> Yuan | None:
    """``Yuan(fen)``, or None (an empty cell) when there is no amount."""
    return None if fen is None else Yuan(fen)


def write_cell(cell: Cell, value) -> None:
    """Write ``value`` into ``cell`` with the type and number format the module docstring describes."""
    if value is None:
        return
    if isinstance(value, Yuan):
        # Decimal(fen).scaleb(-2) is exact: 12345 fen -> Decimal("123.45")
        cell.value = Decimal(value.fen).scaleb(-2)
        cell.number_format = YUAN_FORMAT
    elif isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("naive datetime in an export: pass an aware one")
        cell.value = value.astimezone(SHANGHAI).replace(tzinfo=None)
        cell.number_format = DATETIME_FORMAT
    elif isinstance(value, date):
        cell.value = value
        cell.number_format = DATE_FORMAT
    elif isinstance(value, bool | int | float | Decimal):
        cell.value = value
    else:
        text = str(value)  # also resolves lazy translations
        cell.value = text
        if text.startswith(FORMULA_TRIGGERS):
            cell.data_type = "s"
            cell.quotePrefix = True


class SheetWriter:
    """Appends rows to a worksheet through ``write_cell``, keeping its own row counter (blank rows included)."""

    def __init__(self, sheet: Worksheet) -> None:
        self.sheet = sheet
        self.row = 0

    def append(self, values, *, bold: bool = False) -> None:
        self.row += 1
        for column, value in enumerate(values, start=1):
            cell = self.sheet.cell(row=self.row, column=column)
            write_cell(cell, value)
            if bold:
                cell.font = BOLD

    def blank(self) -> None:
        self.row += 1


def fit_columns(sheet: Worksheet, *, at_most: int = 60) -> None:
    """Column widths from the longest value (CJK characters count double), capped."""
    for column in sheet.columns:
        width = max((_display_width(cell) for cell in column), default=8)
        sheet.column_dimensions[column[0].column_letter].width = min(width + 2, at_most)


def _display_width(cell: Cell) -> int:
    if cell.value is None:
        return 0
    if isinstance(cell.value, datetime):
        return 16
    if isinstance(cell.value, date):
        return 10
    text = str(cell.value)
    return sum(2 if ord(char) > 0x2E7F else 1 for char in text)


def table_workbook(title: str, header: list[str], rows) -> bytes:
    """One sheet: a bold, frozen header row and the rows below it."""
    workbook = Workbook()
    writer = SheetWriter(workbook.active)
    writer.sheet.title = title
    writer.append(header, bold=True)
    for row in rows:
        writer.append(row)
    fit_columns(writer.sheet)
    writer.sheet.freeze_panes = "A2"
    return workbook_bytes(workbook)


def workbook_bytes(workbook: Workbook) -> bytes:
    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
