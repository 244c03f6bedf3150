"""Read CSV/TSV (delimited text) files into a `RawTable`.

Delimited exports come from anywhere, so this module holds what it takes to read them as their
senders meant: the encoding found (UTF-8, a BOM, cp1252, or lines of both), the delimiter taken
from the extension or sniffed, ragged rows read leniently and flagged, and the user's own header
names kept. `readers` dispatches here by extension; the table shape is `raw_tables`'.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import polars as pl

from leadrank.errors import BadInput
from leadrank.kit.raw_tables import EXTRA_FIELDS_COLUMN, RawTable, clean_headers, unique_names

DELIMITED = {".csv": None, ".txt": None, ".tsv": "\t", ".tab": "\t"}
SNIFF_BYTES = 64 * 1024


def read_delimited(path: Path) -> RawTable:
    """The table of a delimited file."""
    return read_delimited_bytes(path, path.read_bytes())


def read_delimited_bytes(path: Path, data: bytes, rows: int | None = None) -> RawTable:
    """The table of a delimited file's bytes (its first `rows` records, if given)."""
    if not data.strip():
        raise BadInput(f"{path.name}: the file is empty")
    if b"\x00" in data[:SNIFF_BYTES]:
        raise BadInput(f"{path.name}: looks binary, not delimited text (wrong extension?)")
    text_bytes, encoding = _to_utf8(data)
    delimiter = DELIMITED.get(path.suffix.lower()) or _sniff_delimiter(text_bytes[:SNIFF_BYTES])
    try:
        frame = pl.read_csv(
            io.BytesIO(text_bytes),
            separator=delimiter,
            infer_schema=False,
            quote_char='"',
            raise_if_empty=True,
            n_rows=rows,
        )
    except pl.exceptions.ComputeError:
        # Ragged or oddly quoted rows: the stdlib parser is slower but keeps every row.
        frame = _read_delimited_leniently(text_bytes, delimiter)
        frame = frame if rows is None else frame.head(rows)
    frame = _with_header(frame, _header_of(text_bytes, delimiter))
    return RawTable(frame, None, "csv", encoding, delimiter)


def _header_of(data: bytes, delimiter: str) -> list[str]:
    # Polars renames repeated headers ("Email_duplicated_0"); read the user's own names instead.
    sample = data[:SNIFF_BYTES].decode("utf-8", errors="ignore")
    return next(csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter), [])


def _with_header(frame: pl.DataFrame, header: list[str]) -> pl.DataFrame:
    data_columns = [c for c in frame.columns if c != EXTRA_FIELDS_COLUMN]
    if len(header) != len(data_columns):
        return clean_headers(frame)
    names = unique_names(header)
    return frame.rename(dict(zip(data_columns, names, strict=True)))


def _mostly_utf8(data: bytes) -> bytes | None:
    """A file whose accented lines are mostly UTF-8, with a few from an old export pasted in:
    each line decoded as what it is (UTF-8, else cp1252, else latin-1), so "José" stays "José"
    where decoding the whole file as cp1252 would write "JosÃ©". None when the accented lines
    are mostly not UTF-8 (a cp1252 file)."""
    lines = data.splitlines(keepends=True)
    accented = [line for line in lines if not line.isascii()]
    valid = sum(1 for line in accented if _is_utf8(line))
    if not accented or valid * 2 <= len(accented):
        return None
    return b"".join(line if _is_utf8(line) else _legacy(line) for line in lines)


def _is_utf8(line: bytes) -> bool:
    try:
        line.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _legacy(line: bytes) -> bytes:
    try:
        return line.decode("cp1252").encode("utf-8")
    except UnicodeDecodeError:
        return line.decode("latin-1").encode("utf-8")


def _to_utf8(data: bytes) -> tuple[bytes, str]:
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:], "utf-8-sig"
    try:
        data.decode("utf-8")
        return data, "utf-8"
    except UnicodeDecodeError:
        pass
    mixed = _mostly_utf8(data)
    if mixed is not None:
        return mixed, "utf-8 (some lines cp1252)"
    # cp1252 is what spreadsheet exports call "latin-1"; true latin-1 decodes any byte.
    for encoding in ("cp1252", "latin-1"):
        try:
            return data.decode(encoding).encode("utf-8"), encoding
        except UnicodeDecodeError:
            continue
    raise AssertionError("latin-1 decodes every byte")


def _sniff_delimiter(sample: bytes) -> str:
    text = sample.decode("utf-8", errors="ignore")
    try:
        return csv.Sniffer().sniff(text, delimiters=",;\t|").delimiter
    except csv.Error:
        first = text.splitlines()[0] if text else ""
        counts = {d: first.count(d) for d in ",;\t|"}
        best = max(counts, key=lambda d: counts[d])
        return best if counts[best] else ","


def _read_delimited_leniently(data: bytes, delimiter: str) -> pl.DataFrame:
    reader = csv.reader(io.StringIO(data.decode("utf-8"), newline=""), delimiter=delimiter)
    try:
        rows = list(reader)
    except csv.Error as exc:
        raise BadInput(f"malformed delimited text near record {reader.line_num}: {exc}") from exc
    rows = [row for row in rows if row]  # blank lines carry no record
    if not rows:
        raise BadInput("the file is empty")
    header, body = rows[0], rows[1:]
    width = len(header)
    columns: dict[str, list[str | None]] = {name: [] for name in unique_names(header)}
    extras: list[str | None] = []
    for row in body:
        padded: list[str | None] = [*row[:width], *([None] * (width - len(row)))]
        for values, value in zip(columns.values(), padded, strict=True):
            values.append(value)
        extras.append(json.dumps(row[width:], ensure_ascii=False) if len(row) > width else None)
    frame = pl.DataFrame(columns, schema=dict.fromkeys(columns, pl.String))
    if any(extra is not None for extra in extras):
        frame = frame.with_columns(pl.Series(EXTRA_FIELDS_COLUMN, extras, dtype=pl.String))
    return frame
