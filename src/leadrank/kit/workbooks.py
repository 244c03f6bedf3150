"""A workbook is looked at before it is read, since the Excel reader lays a sheet out as one
dense grid: a 5 KB .xlsx with cells at A1 and XFD1048576 asks it for 17 billion cells (512 GiB),
and the process dies where no error can be caught.

An .xlsx/.xlsm is a zip of XML parts. Before reading, leadrank adds up the sizes the zip
declares, then streams the XML of the sheet the reader reads and takes the extent its rows
and cells name (and the extent it declares), refusing with one line a workbook over the
limits. Every `r` attribute counts, whatever tag holds it, so no prefix, quoting or attribute
order hides a far cell; sheets written the usual way (no prefixes, `r="B2"`) are measured
with literal patterns, anything else with general ones. An .xls (BIFF) is a compound file
whose cell records each name their row and column: they are measured the same way.
"""

from __future__ import annotations

import re
import struct
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import olefile

from leadrank.errors import BadInput

CHUNK_BYTES = 1 << 20
_REFERENCE = re.compile(r"\$?([A-Za-z]{1,4})\$?(\d{1,12})")
_FIRST_SHEET = re.compile(
    rb"""<(?:[\w.-]+:)?sheet\b[^>]*?\s(?:[\w.-]+:)?id\s*=\s*["']([^"']+)["']"""
)
_RELATION = re.compile(rb"<(?:[\w.-]+:)?Relationship\b[^>]*>")
_ATTRIBUTE = re.compile(rb"""\s(Id|Target)\s*=\s*["']([^"']*)["']""")


class _Patterns:
    """How a sheet's references and tags are found: `usual` for XML as Excel and every
    library write it, else `general` (any namespace prefix, either quote, spaces around =)."""

    def __init__(self, *, usual: bool) -> None:
        if usual:
            self.column_letters = re.compile(rb' r="([A-Za-z]{1,4})\d')
            self.cell_rows = re.compile(rb' r="[A-Za-z]{1,4}(\d{1,12})"')
            self.row_numbers = re.compile(rb' r="(\d{1,12})"')
            self.dimension = re.compile(rb'<dimension ref="([^"]{1,40})"')
            self.cells = [b"<c" + end for end in (b" ", b">", b"/")]
            self.rows = [b"<row" + end for end in (b" ", b">", b"/")]
        else:
            attribute = rb"""\sr\s*=\s*["']\s*"""
            self.column_letters = re.compile(attribute + rb"([A-Za-z]{1,4})\s*\d")
            self.cell_rows = re.compile(attribute + rb"""[A-Za-z]{1,4}\s*(\d{1,12})\s*["']""")
            self.row_numbers = re.compile(attribute + rb"""(\d{1,12})\s*["']""")
            self.dimension = re.compile(
                rb"""<(?:[\w.-]+:)?dimension\s[^>]*?\bref\s*=\s*["']([^"']{1,40})["']"""
            )
        self.usual = usual
        self._cell_tag = re.compile(rb"<(?:[\w.-]+:)?c[\s>/]")
        self._row_tag = re.compile(rb"<(?:[\w.-]+:)?row[\s>/]")

    def count_cells(self, data: bytes) -> int:
        if self.usual:
            return sum(data.count(opening) for opening in self.cells)
        return len(self._cell_tag.findall(data))

    def count_rows(self, data: bytes) -> int:
        if self.usual:
            return sum(data.count(opening) for opening in self.rows)
        return len(self._row_tag.findall(data))


# What only unusual XML holds, each a pattern with a literal start, which a search finds fast
# (one alternation of them all took 20 times as long): spaces before an `r` attribute's =, a
# prefixed cell or row tag, whitespace other than a space after a tag's name.
_UNUSUAL = [
    re.compile(pattern)
    for pattern in (rb"r\s+=", rb":(?:c|row)[\s>/]", rb"<c[\t\n\r]", rb"<row[\t\n\r]")
]


def _usual(data: bytes) -> bool:
    """Whether every `r` attribute of `data` is written ` r="..."` and every cell and row tag
    `<c `, `<row ` (no prefix): the counts of `r=` and ` r="` differ when one `r=` is written
    otherwise (quoted with ', spaced, after a tab or a line break)."""
    if any(pattern.search(data) for pattern in _UNUSUAL):
        return False
    return data.count(b"r=") == data.count(b' r="')


_USUAL, _GENERAL = _Patterns(usual=True), _Patterns(usual=False)


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
    nothing for a workbook within them, or a file that is neither a zip nor a compound file
    (the reader says what it is)."""
    if zipfile.is_zipfile(path):
        extent = _zipped_extent(path, limits)
    elif olefile.isOleFile(str(path)):
        extent = _biff_extent(path)
    else:
        return
    if extent is not None and extent.grid > limits.cells:
        raise BadInput(
            f"{path.name}: its first sheet spans {extent.rows:,} rows by "
            f"{max(extent.columns, 1):,} columns ({extent.grid:,} cells counting the empty "
            f"ones), over the {limits.cells:,} leadrank reads (LEADRANK_MAX_WORKBOOK_CELLS); "
            "delete stray cells far from the data, or save the sheet as CSV"
        )


def _zipped_extent(path: Path, limits: WorkbookLimits) -> _Extent | None:
    with zipfile.ZipFile(path) as archive:
        unzipped = sum(member.file_size for member in archive.infolist())
        if unzipped > limits.uncompressed_bytes:
            raise BadInput(
                f"{path.name}: unzips to {unzipped:,} bytes, over the "
                f"{limits.uncompressed_bytes:,} leadrank reads "
                "(LEADRANK_MAX_WORKBOOK_BYTES); save the sheet as CSV"
            )
        extents = [_extent_of(archive, sheet, limits) for sheet in _sheets_read(archive)]
    return max(extents, key=lambda extent: extent.grid, default=None)


def _sheets_read(archive: zipfile.ZipFile) -> list[str]:
    """The part of the workbook's first sheet (the one the reader reads), by the workbook's
    own list and relations; every worksheet when those cannot be followed."""
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
                    return [part]
    return sorted(name for name in names if re.fullmatch(r"xl/worksheets/[^/]+\.xml", name))


def _extent_of(archive: zipfile.ZipFile, sheet: str, limits: WorkbookLimits) -> _Extent:
    extent = _Extent()
    carried = b""
    read = 0
    with archive.open(sheet) as stream:  # stops at the size the zip declares for it
        while block := stream.read(CHUNK_BYTES):
            read += len(block)
            if read > limits.uncompressed_bytes:
                break  # the size check above already refuses such a part
            data = carried + block
            # Whole tags only: "<" opens a tag and nothing else (XML escapes it in text and
            # values), so what comes before the last one is whole; the rest waits.
            cut = data.rfind(b"<")
            data, carried = (data[:cut], data[cut:]) if cut > 0 else (data, b"")
            _measure(data, extent)
            if extent.grid > limits.cells:
                break  # refused already; no need to read on
        _measure(carried, extent)
    return extent


def _measure(data: bytes, extent: _Extent) -> None:
    patterns = _USUAL if _usual(data) else _GENERAL
    # Each pass stays in C: only distinct values are turned into numbers.
    letters = set(patterns.column_letters.findall(data))
    if letters:
        extent.columns = max(extent.columns, max(_column_number(c) for c in letters))
    cell_rows = patterns.cell_rows.findall(data)
    row_numbers = patterns.row_numbers.findall(data)
    numbers = set(cell_rows) | set(row_numbers)
    if numbers:
        extent.last_row = max(extent.last_row, max(int(number) for number in numbers))
    extent.referenced_cells += len(cell_rows)
    extent.referenced_rows += len(row_numbers)
    extent.cells += patterns.count_cells(data)
    extent.rows_written += patterns.count_rows(data)
    for dimension in patterns.dimension.findall(data):
        for column, number in _REFERENCE.findall(dimension.decode(errors="replace")):
            extent.last_row = max(extent.last_row, int(number))
            extent.columns = max(extent.columns, _column_number(column.encode()))


def _column_number(letters: bytes) -> int:
    """A1's A is 1, Z is 26, AA is 27; XFD, Excel's last, is 16,384."""
    number = 0
    for letter in letters.upper():
        number = number * 26 + (letter - 64)
    return number


# BIFF records that name one cell (row, then column, each 16 bits) and the two that name a
# run of them along one row (the last column is the record's last 16 bits).
_ONE_CELL = frozenset((0x0006, 0x00FD, 0x0201, 0x0203, 0x0204, 0x0205, 0x027E, 0x00D6))
_CELL_RUNS = frozenset((0x00BD, 0x00BE))  # MULRK, MULBLANK
_DIMENSIONS = 0x0200
_RECORD = struct.Struct("<HH")


def _biff_extent(path: Path) -> _Extent | None:
    """The extent the cell records of an .xls name, over all its sheets (a few more rows
    and columns than the first sheet's at worst); None when it holds no workbook stream."""
    with olefile.OleFileIO(str(path)) as compound:
        name = next((n for n in ("Workbook", "Book") if compound.exists(n)), None)
        if name is None:
            return None
        data = compound.openstream(name).read()
    rows = columns = 0
    at, end = 0, len(data) - _RECORD.size
    while at <= end:
        kind, length = _RECORD.unpack_from(data, at)
        body = at + _RECORD.size
        if kind in _ONE_CELL and length >= 4:
            row, column = _RECORD.unpack_from(data, body)
        elif kind in _CELL_RUNS and length >= 6:
            row, _ = _RECORD.unpack_from(data, body)
            (column,) = struct.unpack_from("<H", data, body + length - 2)
        elif kind == _DIMENSIONS and length >= 12:  # first row, last row + 1, first col, last + 1
            row, column = struct.unpack_from("<I2xH", data, body + 4)
            rows, columns = max(rows, row), max(columns, column)
            at = body + length
            continue
        else:
            at = body + length
            continue
        rows, columns = max(rows, row + 1), max(columns, column + 1)
        at = body + length
    return _Extent(last_row=rows, columns=columns)
