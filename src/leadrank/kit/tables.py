"""Write a frame to the file format its name asks for."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from leadrank.errors import BadInput

WRITABLE = (".csv", ".tsv", ".jsonl", ".ndjson", ".json", ".parquet", ".xlsx")


def write_table(frame: pl.DataFrame, path: Path) -> None:
    """Write CSV, TSV, JSONL, JSON, Parquet or Excel by extension; list columns become text
    ("a; b") in CSV, TSV and Excel."""
    suffix = path.suffix.lower()
    if suffix not in WRITABLE:
        raise BadInput(
            f"{path.name}: cannot write {suffix or 'files without an extension'}; use {', '.join(WRITABLE)}"
        )
    try:
        _write(frame, path, suffix)
    except OSError as exc:  # a folder that cannot be made, a full disk, no permission
        raise BadInput(f"cannot write {path}: {exc.strerror or exc}") from exc


def _write(frame: pl.DataFrame, path: Path, suffix: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if suffix in (".csv", ".tsv", ".xlsx"):
        flat = frame.with_columns(
            pl.col(name).list.join("; ")
            for name, dtype in frame.schema.items()
            if dtype == pl.List(pl.String)
        )
        if suffix == ".xlsx":  # Excel has no time zones: times are written as UTC
            flat.with_columns(
                pl.col(name).dt.convert_time_zone("UTC").dt.replace_time_zone(None)
                for name, dtype in flat.schema.items()
                if isinstance(dtype, pl.Datetime) and dtype.time_zone is not None
            ).write_excel(path, autofit=True)
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
