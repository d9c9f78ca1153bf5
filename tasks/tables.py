"""Tables as Chinese offices save them, read and written: the one reader of a person's file.

Excel on Chinese Windows saves "CSV (逗号分隔)" in GB18030 (GBK), "CSV UTF-8" with a
byte-order mark, and workbooks as .xlsx; other tools write plain UTF-8. Every import reads all
of them through :func:`read_text` / :func:`read_table`, and every CSV kefu writes is UTF-8 with a
byte-order mark (:func:`csv_bytes`), the only UTF-8 that Excel there opens without garbling it.

Detection is by strict decoding, not guessing: a Chinese text in GB18030 is practically never
valid UTF-8, so UTF-8 is tried first and GB18030 second. A file that is neither is refused in
one line naming the row where it stops reading (a broken byte, a UTF-16 "Unicode 文本" file).
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time
from functools import lru_cache
from pathlib import Path

TABLE_SUFFIXES = (".csv", ".xlsx")
RESAVE = 'save it as "CSV UTF-8 (逗号分隔)" or "CSV (逗号分隔)" and import it again'
_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
# A GB18030 file may begin with GB18030's own byte-order mark; it decodes to U+FEFF.
_BOM = "\ufeff"
MAX_COLUMN_WIDTH = 60
# Non-ASCII characters read as UTF-8 before a bad byte that make the file UTF-8 (broken there),
# not GB18030: a GB18030 text passes for UTF-8 about one character in five, six in a row about
# once in 100 000 files (measured on random GB2312 text).
UTF8_EVIDENCE = 6


class TableError(ValueError):
    """A file kefu cannot read; the message is one line naming the file and the row."""


@dataclass(frozen=True)
class Row:
    """One row of a table: its number as the spreadsheet shows it (header = 1) and its cells
    by lower-cased column name, stripped."""

    number: int
    cells: dict[str, str]


# --- reading ---------------------------------------------------------------------------------

def read_text(path: Path, unit: str = "line") -> str:
    """The text of a person's file in UTF-8 (with or without BOM) or GB18030; ``unit`` names
    what the error counts ("line" of a JSON Lines file, "row" of a CSV)."""
    if not path.is_file():
        raise TableError(f"FILE: {path} does not exist")
    return decode(path.read_bytes(), path.name, unit)


def decode(data: bytes, name: str, unit: str = "line") -> str:
    """``data`` as text; TableError naming the ``unit`` where neither UTF-8 nor GB18030 reads."""
    if data.startswith(_UTF16_BOMS):
        raise TableError(f"FILE: {name}: UTF-16 (Excel's \"Unicode 文本\") is not read; {RESAVE}")
    if data.startswith(codecs.BOM_UTF8):
        return _no_nul(_strict(data[len(codecs.BOM_UTF8):], "utf-8", name, unit), name, unit)
    try:
        return _no_nul(data.decode("utf-8"), name, unit)
    except UnicodeDecodeError as as_utf8:
        if _non_ascii(data[:as_utf8.start]) >= UTF8_EVIDENCE:
            raise _unreadable(data, as_utf8, name, unit, "UTF-8 up to there") from None
        try:
            return _no_nul(data.decode("gb18030").removeprefix(_BOM), name, unit)
        except UnicodeDecodeError as as_gb18030:
            # The encoding that reads further is the file's; where it stops is the bad row.
            stop = max(as_utf8, as_gb18030, key=lambda e: e.start)
            raise _unreadable(data, stop, name, unit, "neither UTF-8 nor GB18030/GBK") from None


def _non_ascii(prefix: bytes) -> int:
    return sum(1 for ch in prefix.decode("utf-8") if ord(ch) > 0x7F)


def _strict(data: bytes, encoding: str, name: str, unit: str) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as stop:
        raise _unreadable(data, stop, name, unit, "not UTF-8 after its UTF-8 byte-order mark") from None


def _unreadable(data: bytes, stop: UnicodeDecodeError, name: str, unit: str, what: str) -> TableError:
    number = data[:stop.start].decode(stop.encoding, errors="replace").count("\n") + 1
    shown = " ".join(f"0x{b:02x}" for b in data[stop.start:max(stop.end, stop.start + 1)])
    return TableError(f"FILE: {name}, {unit} {number}: {shown} cannot be read (the file is "
                      f"{what}); {RESAVE}")


def _no_nul(text: str, name: str, unit: str) -> str:
    at = text.find("\x00")
    if at < 0:
        return text
    number = text.count("\n", 0, at) + 1
    raise TableError(f"FILE: {name}, {unit} {number}: a NUL character (a UTF-16 file without its "
                     f"byte-order mark?); {RESAVE}")


def read_table(path: Path, required: Iterable[str] = ()) -> list[Row]:
    """The rows of a .csv or .xlsx file under its header (row 1), blank rows left out but
    counted; TableError (one line) for a file that is missing, unreadable, without the
    ``required`` columns, or without rows."""
    suffix = path.suffix.lower()
    if not path.is_file():
        raise TableError(f"FILE: {path} does not exist")
    if suffix == ".xls":
        raise TableError(f"FILE: {path.name}: an Excel 97–2003 workbook is not read; save it as "
                         f"\"Excel 工作簿 (*.xlsx)\" or CSV")
    if suffix not in TABLE_SUFFIXES:
        raise TableError(f"FILE: {path.name}: only .csv and .xlsx files are read")
    grid = _xlsx_grid(path) if suffix == ".xlsx" else _csv_grid(path)
    return _rows(grid, list(required), path.name)


def _csv_grid(path: Path) -> list[list[str]]:
    text = read_text(path, unit="row")
    try:
        return list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as exc:
        raise TableError(f"FILE: {path.name}: not a CSV table ({exc})") from None


def _xlsx_grid(path: Path) -> list[list[str]]:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError) as exc:
        raise TableError(f"FILE: {path.name}: not an Excel workbook (.xlsx) ({exc})") from None
    try:
        sheet = book.worksheets[0]
        return [[_cell_text(cell) for cell in row] for row in sheet.iter_rows()]
    finally:
        book.close()


def _cell_text(cell) -> str:  # noqa: ANN001  (an openpyxl read-only cell)
    """A cell as the person sees it: 13900000001 not 13900000001.0, a 12% cell as "12%"."""
    value = getattr(cell, "value", None)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | float):
        if "%" in (getattr(cell, "number_format", "") or ""):
            return f"{_plain_number(round(value * 100, 9))}%"
        return _plain_number(value)
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time() else value.isoformat(" ")
    if isinstance(value, date | time):
        return value.isoformat()
    return str(value)


def _plain_number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def _rows(grid: list[list[str]], required: list[str], name: str) -> list[Row]:
    numbered = [(n, [(c or "").strip() for c in cells]) for n, cells in enumerate(grid, start=1)]
    numbered = [(n, cells) for n, cells in numbered if any(cells)]
    if not numbered:
        raise TableError(f"FILE: {name}: the file is empty (no header, no rows)")
    header_row, header = numbered[0]
    header = [c.removeprefix(_BOM).lower() for c in header]
    missing = [c for c in required if c not in header]
    if missing:
        raise TableError(f"row {header_row}: missing column(s) {', '.join(missing)}")
    twice = sorted({c for c in header if c and header.count(c) > 1})
    if twice:
        raise TableError(f"row {header_row}: column(s) {', '.join(twice)} appear more than once")
    if len(numbered) == 1:
        raise TableError(f"FILE: {name}: the file has a header but no rows")
    return [Row(n, {k: v for k, v in zip(header, cells, strict=False) if k})
            for n, cells in numbered[1:]]


# --- numbers as offices type them --------------------------------------------------------------

_GROUPED = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$")
_FULL_WIDTH = str.maketrans("０１２３４５６７８９．－＋％，", "0123456789.-+%,")


def number_text(text: str, percent: bool = False) -> str:
    """A number cell made plain for ``float()``: full-width digits folded, thousands separators
    (1,234.5) dropped, and, in a percent column, a trailing % (12% = 12)."""
    text = text.strip().translate(_FULL_WIDTH)
    if percent and text.endswith("%"):
        text = text[:-1].strip()
    return text.replace(",", "") if _GROUPED.match(text) else text



# --- writing -------------------------------------------------------------------------------------

def csv_bytes(rows: Iterable[Iterable[object]]) -> bytes:
    """Rows as a CSV file that Excel on Chinese Windows opens as written: UTF-8 with a BOM."""
    text = io.StringIO(newline="")
    csv.writer(text).writerows(rows)
    return text.getvalue().encode("utf-8-sig")


@lru_cache(maxsize=4096)
def pinyin_key(name: str) -> tuple[str, str]:
    """The order of a Chinese list of names: by pinyin (syllable, then tone: 华东 before 华南
    before 黄), then by the characters; other letters and digits as they are, case folded."""
    from pypinyin import Style, lazy_pinyin

    syllables = lazy_pinyin(name, style=Style.TONE3, neutral_tone_with_five=True)
    return " ".join(syllables).casefold(), name


def by_pinyin(names: Iterable[str]) -> list[str]:
    return sorted(names, key=pinyin_key)


def finish_sheet(sheet) -> None:  # noqa: ANN001  (an openpyxl worksheet)
    """A sheet people read: bold, frozen header row, a filter on it, columns wide enough for
    their longest cell (a Chinese character counts two), capped at MAX_COLUMN_WIDTH."""
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    sheet.freeze_panes = "A2"
    if sheet.max_row > 1:
        sheet.auto_filter.ref = sheet.dimensions
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for index, column in enumerate(sheet.iter_cols(values_only=True), start=1):
        widest = max((_display_width(v) for v in column), default=0)
        sheet.column_dimensions[get_column_letter(index)].width = min(widest + 2, MAX_COLUMN_WIDTH)


def _display_width(value: object) -> int:
    if value is None:
        return 0
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in str(value))
