"""Write a frame to the file format its name asks for."""

from __future__ import annotations

from pathlib import Path

import polars as pl
from xlsxwriter import Workbook
from xlsxwriter.exceptions import FileCreateError

from leadrank.errors import BadInput
from leadrank.kit.safe_cells import neutralise_formulas

WRITABLE = (".csv", ".tsv", ".jsonl", ".ndjson", ".json", ".parquet", ".xlsx")
# Every text cell is written as text: xlsxwriter would otherwise make a cell starting with
# "http://", "file://" or "external:" a link (to a local program, say), and drop, with only a
# warning, the cell of every link past Excel's 65,530 a sheet or longer than 2,079 characters.
_WORKBOOK_OPTIONS = {
    "strings_to_formulas": False,
    "strings_to_urls": False,
    "nan_inf_to_errors": True,
    "default_date_format": "yyyy-mm-dd;@",
}


def write_table(frame: pl.DataFrame, path: Path, *, safe_cells: bool = True) -> None:
    """Write CSV, TSV, JSONL, JSON, Parquet or Excel by extension; list columns become text
    ("a; b") in CSV, TSV and Excel, where `safe_cells` also quotes the text cells a spreadsheet
    would run as formulas (`kit.safe_cells`). JSON and Parquet are data, written as they are."""
    suffix = path.suffix.lower()
    if suffix not in WRITABLE:
        raise BadInput(
            f"{path.name}: cannot write {suffix or 'files without an extension'}; use {', '.join(WRITABLE)}"
        )
    try:
        _write(frame, path, suffix, safe_cells=safe_cells)
    except OSError as exc:  # a folder that cannot be made, a full disk, no permission
        raise BadInput(f"cannot write {path}: {exc.strerror or exc}") from exc
    except FileCreateError as exc:  # the same, met by the Excel writer
        cause = exc.__cause__ or exc.__context__ or exc
        raise BadInput(f"cannot write {path}: {getattr(cause, 'strerror', None) or cause}") from exc


def _write(frame: pl.DataFrame, path: Path, suffix: str, *, safe_cells: bool) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if suffix in (".csv", ".tsv", ".xlsx"):
        flat = frame.with_columns(
            pl.col(name).list.join("; ")
            for name, dtype in frame.schema.items()
            if dtype == pl.List(pl.String)
        )
        if safe_cells:
            flat = neutralise_formulas(flat)
        if suffix == ".xlsx":  # Excel has no time zones: times are written as UTC
            with Workbook(str(path), _WORKBOOK_OPTIONS) as workbook:
                flat.with_columns(
                    pl.col(name).dt.convert_time_zone("UTC").dt.replace_time_zone(None)
                    for name, dtype in flat.schema.items()
                    if isinstance(dtype, pl.Datetime) and dtype.time_zone is not None
                ).write_excel(workbook, autofit=True)
        else:
            flat.write_csv(path, separator="\t" if suffix == ".tsv" else ",")
    elif suffix in (".jsonl", ".ndjson"):
        frame.write_ndjson(path)
    elif suffix == ".json":
        frame.write_json(path)
    else:
        frame.write_parquet(path)


def free_column_name(name: str, taken: set[str]) -> str:
    """`name`, prefixed with "leadrank_" until no column in `taken` (casefolded) has it."""
    while name.casefold() in taken:
        name = f"leadrank_{name}"
    return name
