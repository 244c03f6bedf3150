"""What every file reader returns: a `RawTable` of string columns plus each record's verbatim
JSON, and the column-name rules all of them share.

The readers of each format (`delimited_files`, `json_files`, and `readers` for the rest) build
on this module and nothing here reads a file, so the readers depend on it and never on each
other's internals.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import polars as pl

# Column of a row whose line had more fields than the header; the row goes to quarantine.
EXTRA_FIELDS_COLUMN = "__extra_fields__"


@dataclass(frozen=True)
class RawTable:
    """A file read as text: every column a string column, plus each row's verbatim JSON.

    `stored_payloads` holds the records as sent when the file had its own text per record
    (JSON, JSONL, Parquet); for tables of cells the JSON is built from the cells when asked,
    a chunk at a time, so a large file is not held twice in memory.
    """

    frame: pl.DataFrame
    stored_payloads: pl.Series | None
    file_format: str
    encoding: str | None = None
    delimiter: str | None = None

    @property
    def height(self) -> int:
        """The number of records read."""
        return self.frame.height

    @property
    def payloads(self) -> pl.Series:
        """Every record's JSON text."""
        return self.payload_slice(0, self.height)

    def payload_slice(self, start: int, length: int) -> pl.Series:
        """The JSON text of records start .. start + length."""
        if self.stored_payloads is not None:
            return self.stored_payloads.slice(start, length)
        # Cells beyond the header (EXTRA_FIELDS_COLUMN) are part of the record: kept too.
        return row_payloads(self.frame.slice(start, length))


def row_payloads(frame: pl.DataFrame) -> pl.Series:
    """Each row of a frame as one JSON object's text."""
    return frame.select(pl.struct(pl.all()).struct.json_encode().alias("payload")).to_series()


def unique_names(names: Iterable[str]) -> list[str]:
    """Header names made unique ("Email", "Email_1") and blank ones named ("column_3")."""
    seen: dict[str, int] = {}
    result = []
    for index, raw in enumerate(names):
        name = raw.strip() or f"column_{index + 1}"
        if name in seen:
            seen[name] += 1
            name = f"{name}_{seen[name]}"
        else:
            seen[name] = 0
        result.append(name)
    return result


def literal_names(frame: pl.DataFrame) -> pl.DataFrame:
    """The frame with each column name that polars would read as a pattern ("*", or a regex
    written "^...$") put in brackets ("[*]"): every expression naming a column by its name
    would otherwise take it for several, or fail."""
    taken = set(frame.columns)
    renamed: dict[str, str] = {}
    for name in frame.columns:
        if name == "*" or (len(name) > 1 and name.startswith("^") and name.endswith("$")):
            literal = f"[{name}]"
            while literal in taken:
                literal = f"[{literal}]"
            taken.add(literal)
            renamed[name] = literal
    return frame.rename(renamed) if renamed else frame


def clean_headers(frame: pl.DataFrame) -> pl.DataFrame:
    """The frame with its column names made unique and blank ones named (see `unique_names`)."""
    names = unique_names(frame.columns)
    return (
        frame.rename(dict(zip(frame.columns, names, strict=True)))
        if names != frame.columns
        else frame
    )
