"""Read lead and event files of any common format into string columns plus verbatim payloads.

The entry point for every file read: `read_table` and `read_head` find the format from the
extension (`file_format`), dispatch to its reader and say any failure in one line naming the
file. Delimited text is read in `delimited_files`, JSON and JSONL in `json_files`; Parquet and
Excel, which their libraries read for us, are read here. The table they all return, `RawTable`,
is defined in `raw_tables` and importable from here too.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import polars as pl

from leadrank.config import get_settings
from leadrank.errors import BadInput
from leadrank.kit.delimited_files import DELIMITED, read_delimited, read_delimited_bytes
from leadrank.kit.json_files import (
    json_head,
    read_json,
    read_jsonl,
    read_jsonl_bytes,
    table_from_records,
)
from leadrank.kit.raw_tables import RawTable, clean_headers, literal_names, row_payloads
from leadrank.kit.workbooks import WorkbookLimits, check_workbook

# RawTable is re-exported: it is what read_table and read_head return.
__all__ = [
    "FORMATS",
    "HEAD_BYTES",
    "RawTable",
    "TableHead",
    "file_format",
    "file_sha256",
    "read_head",
    "read_table",
]

FORMATS = {
    **dict.fromkeys(DELIMITED, "csv"),
    ".json": "json",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".xlsx": "excel",
    ".xlsm": "excel",
    ".xls": "excel",
}
HEAD_BYTES = 4 * 1024 * 1024  # read for a text file's head (see read_head)


def file_format(path: Path) -> str:
    """The format of a file, from its extension."""
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        known = ", ".join(sorted(FORMATS))
        raise BadInput(
            f"{path.name}: unsupported file type {path.suffix or '(none)'!r}; use {known}"
        )
    return fmt


def file_sha256(path: Path) -> str:
    """The SHA-256 of a file's bytes, to recognise a file sent twice."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_table(path: Path) -> RawTable:
    """Read a CSV/TSV/JSON/JSONL/Parquet/Excel file; BadInput with one clear line if unreadable."""
    return _read(path, lambda fmt: _READERS[fmt](path))


@dataclass(frozen=True)
class TableHead:
    """The first records of a file, and whether they are all of it."""

    table: RawTable
    whole: bool


def read_head(path: Path, rows: int, *, max_bytes: int = HEAD_BYTES) -> TableHead:
    """The first `rows` records of a file as `read_table` reads them, reading about `max_bytes`."""
    # A text file longer than max_bytes is read from a prefix cut at a line's end (the last
    # record may be cut short); Parquet and Excel read only the rows asked for.
    fmt = file_format(path)
    if fmt in _HEAD_READERS and path.is_file() and path.stat().st_size > max_bytes:
        with path.open("rb") as handle:
            prefix = handle.read(max_bytes)
        cut = prefix.rfind(b"\n")
        prefix = prefix[: cut + 1] if cut > 0 else prefix
        table = _read(path, lambda fmt: _HEAD_READERS[fmt](path, prefix, rows))
        whole = False
    elif fmt in _ROW_READERS:
        table = _read(path, lambda fmt: _ROW_READERS[fmt](path, rows + 1))
        whole = table.height <= rows
    else:
        table = read_table(path)
        whole = table.height <= rows
    payloads = table.stored_payloads
    return TableHead(
        replace(
            table,
            frame=table.frame.head(rows),
            stored_payloads=payloads.head(rows) if payloads is not None else None,
        ),
        whole,
    )


def _read(path: Path, reader: Callable[[str], RawTable]) -> RawTable:
    """`reader(format)`'s table of `path`, its failures said in one line naming the file."""
    if not path.exists():
        raise BadInput(f"{path}: no such file")
    if path.is_dir():
        raise BadInput(f"{path}: is a directory, not a file")
    fmt = file_format(path)
    try:
        table = reader(fmt)
    except BadInput:
        raise
    except Exception as exc:  # a library's parse error: one line, naming the file
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise BadInput(f"{path.name}: cannot read as {fmt}: {first_line}") from exc
    if table.frame.width == 0:
        raise BadInput(f"{path.name}: no columns found")
    return replace(table, frame=literal_names(table.frame))


def _read_parquet(path: Path, rows: int | None = None) -> RawTable:
    typed = literal_names(pl.read_parquet(path, n_rows=rows))
    # Bytes are no text (nor JSON): kept as their hex digits, so the rest of the file loads.
    typed = typed.with_columns(
        pl.col(name).bin.encode("hex") for name, dtype in typed.schema.items() if dtype == pl.Binary
    )
    return RawTable(_as_strings(typed), row_payloads(typed), "parquet")


def _read_excel(path: Path, rows: int | None = None) -> RawTable:
    settings = get_settings()
    limits = WorkbookLimits(settings.max_workbook_cells, settings.max_workbook_bytes)
    check_workbook(path, limits)
    typed = literal_names(
        pl.read_excel(
            path,
            engine="calamine",
            infer_schema_length=0,
            drop_empty_rows=True,
            read_options={"n_rows": rows} if rows is not None else None,
        )
    )
    frame = clean_headers(_as_strings(typed))
    return RawTable(frame, None, "excel")


def _as_strings(frame: pl.DataFrame) -> pl.DataFrame:
    nested = {name for name, dtype in frame.schema.items() if dtype.is_nested()}
    return frame.select(
        pl.struct(pl.col(name)).struct.json_encode().alias(name)
        if name in nested
        else pl.col(name).cast(pl.String)
        for name in frame.columns
    )


_READERS = {
    "csv": read_delimited,
    "json": read_json,
    "jsonl": read_jsonl,
    "parquet": _read_parquet,
    "excel": _read_excel,
}
# Heads of text files longer than HEAD_BYTES: (path, a prefix cut at a line's end, rows).
_HEAD_READERS: dict[str, Callable[[Path, bytes, int], RawTable]] = {
    "csv": lambda path, prefix, rows: read_delimited_bytes(path, prefix, rows),
    "json": lambda path, prefix, rows: table_from_records(json_head(path, prefix, rows), "json"),
    "jsonl": lambda path, prefix, rows: read_jsonl_bytes(
        path, b"\n".join(prefix.split(b"\n")[:rows])
    ),
}
# Formats read a number of rows at a time, whatever their size: (path, rows).
_ROW_READERS: dict[str, Callable[[Path, int], RawTable]] = {
    "parquet": _read_parquet,
    "excel": _read_excel,
}
