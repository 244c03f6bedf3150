"""A workbook is looked at before it is read, since the Excel reader lays a sheet out as one
dense grid: a 5 KB .xlsx with cells at A1 and XFD1048576 asks it for 17 billion cells (512 GiB),
and the process dies where no error can be caught.

An .xlsx/.xlsm is a zip of XML parts. Before reading, leadrank adds up the sizes the zip
declares, then streams the first sheet's XML and takes the extent its rows and cells name
(and the extent it declares), refusing with one line a workbook over the limits. An .xls
(BIFF) cannot name more than 65,536 rows by 256 columns, so it needs no look.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from leadrank.errors import BadInput

CHUNK_BYTES = 1 << 20
_ROOT = re.compile(rb"<([\w.-]+:)?worksheet\b")
_REFERENCE = re.compile(r"\$?([A-Za-z]{1,4})\$?(\d{1,12})")
_FIRST_SHEET = re.compile(rb'<(?:[\w.-]+:)?sheet\b[^>]*?\s(?:[\w.-]+:)?id="([^"]+)"')
_RELATION = re.compile(rb"<(?:[\w.-]+:)?Relationship\b[^>]*>")
_ATTRIBUTE = re.compile(rb'\s(Id|Target)="([^"]*)"')


class _Tags:
    """The sheet's tags under the namespace prefix it writes them with (<x:c r="B2">, or
    none): literal tag names keep each pass over a sheet's XML fast."""

    def __init__(self, prefix: bytes) -> None:
        escaped = re.escape(prefix)
        self.row_number = re.compile(rb"<" + escaped + rb'row\s[^>]*?\br="(\d{1,12})"')
        self.cell_column = re.compile(rb"<" + escaped + rb'c\s[^>]*?\br="([A-Za-z]{1,4})\d')
        self.dimension = re.compile(rb"<" + escaped + rb'dimension\s[^>]*?\bref="([^"]{1,40})"')
        self.cell_openings = [b"<" + prefix + b"c" + end for end in (b" ", b">", b"/")]
        self.row_openings = [b"<" + prefix + b"row" + end for end in (b" ", b">", b"/")]


@dataclass(frozen=True)
class WorkbookLimits:
    """The most a workbook may hold for leadrank to read it."""

    cells: int  # rows × columns of the first sheet's extent, empty cells included
    uncompressed_bytes: int  # all its parts together, unzipped


@dataclass
class _Extent:
    last_row: int = 0
    columns: int = 0
    rows_written: int = 0
    referenced_rows: int = 0
    cells: int = 0
    referenced_cells: int = 0

    @property
    def rows(self) -> int:
        # A row or cell written without its reference comes after the one before it: such
        # rows lengthen the grid, and such cells widen it, at most by as many as there are.
        return max(self.last_row + self.rows_written - self.referenced_rows, 1)

    @property
    def grid(self) -> int:
        return self.rows * max(self.columns, self.cells - self.referenced_cells, 1)


def check_workbook(path: Path, limits: WorkbookLimits) -> None:
    """BadInput, naming the limit and its setting, if the workbook at `path` is over `limits`;
    nothing for a workbook within them, or a file that is no zip (the reader says what it is)."""
    if not zipfile.is_zipfile(path):
        return
    with zipfile.ZipFile(path) as archive:
        unzipped = sum(member.file_size for member in archive.infolist())
        if unzipped > limits.uncompressed_bytes:
            raise BadInput(
                f"{path.name}: unzips to {unzipped:,} bytes, over the "
                f"{limits.uncompressed_bytes:,} leadrank reads "
                "(LEADRANK_MAX_WORKBOOK_BYTES); save the sheet as CSV"
            )
        sheet = _first_sheet(archive)
        if sheet is None:
            return
        extent = _extent_of(archive, sheet, limits)
    if extent.grid > limits.cells:
        raise BadInput(
            f"{path.name}: its first sheet spans {extent.rows:,} rows by "
            f"{max(extent.columns, 1):,} columns ({extent.grid:,} cells counting the empty "
            f"ones), over the {limits.cells:,} leadrank reads (LEADRANK_MAX_WORKBOOK_CELLS); "
            "delete stray cells far from the data, or save the sheet as CSV"
        )


def _first_sheet(archive: zipfile.ZipFile) -> str | None:
    """The part of the workbook's first sheet (the one the reader reads), by the workbook's
    own list and relations; the lowest-numbered worksheet when those cannot be followed."""
    names = set(archive.namelist())
    try:
        workbook = archive.read("xl/workbook.xml")
        relations = archive.read("xl/_rels/workbook.xml.rels")
    except KeyError:
        workbook = relations = b""
    first = _FIRST_SHEET.search(workbook)
    if first is not None:
        for tag in _RELATION.findall(relations):
            attributes = dict(_ATTRIBUTE.findall(tag))
            if attributes.get(b"Id") == first.group(1):
                target = attributes.get(b"Target", b"").decode(errors="replace")
                part = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
                part = str(PurePosixPath(part))
                if part in names:
                    return part
    sheets = sorted(
        (name for name in names if re.fullmatch(r"xl/worksheets/[^/]+\.xml", name)),
        key=lambda name: (len(name), name),
    )
    return sheets[0] if sheets else None


def _extent_of(archive: zipfile.ZipFile, sheet: str, limits: WorkbookLimits) -> _Extent:
    extent = _Extent()
    carried = b""
    tags: _Tags | None = None
    read = 0
    with archive.open(sheet) as stream:  # stops at the size the zip declares for it
        while block := stream.read(CHUNK_BYTES):
            read += len(block)
            if read > limits.uncompressed_bytes:
                break  # the size check above already refuses such a part
            data = carried + block
            cut = data.rfind(b">") + 1  # whole tags only; the rest waits for the next block
            data, carried = data[:cut], data[cut:]
            if tags is None:
                root = _ROOT.search(data)
                tags = _Tags(root.group(1) or b"" if root else b"")
                for dimension in tags.dimension.findall(data):  # declared before the rows
                    _declared(dimension, extent)
            _measure(data, tags, extent)
            if extent.grid > limits.cells:
                break  # refused already; no need to read on
    return extent


def _measure(data: bytes, tags: _Tags, extent: _Extent) -> None:
    rows = tags.row_number.findall(data)
    if rows:
        extent.last_row = max(extent.last_row, max(int(row) for row in rows))
        extent.referenced_rows += len(rows)
    extent.rows_written += sum(data.count(opening) for opening in tags.row_openings)
    columns = tags.cell_column.findall(data)
    if columns:
        extent.columns = max(extent.columns, max(_column_number(c) for c in set(columns)))
        extent.referenced_cells += len(columns)
    extent.cells += sum(data.count(opening) for opening in tags.cell_openings)


def _declared(dimension: bytes, extent: _Extent) -> None:
    for letters, number in _REFERENCE.findall(dimension.decode(errors="replace")):
        extent.last_row = max(extent.last_row, int(number))
        extent.columns = max(extent.columns, _column_number(letters.encode()))


def _column_number(letters: bytes) -> int:
    """A1's A is 1, Z is 26, AA is 27; XFD, Excel's last, is 16,384."""
    number = 0
    for letter in letters.upper():
        number = number * 26 + (letter - 64)
    return number
