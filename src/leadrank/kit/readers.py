"""Read lead and event files of any common format into string columns plus verbatim payloads."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import math
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import polars as pl

from leadrank.config import get_settings
from leadrank.errors import BadInput
from leadrank.kit.workbooks import WorkbookLimits, check_workbook

DELIMITED = {".csv": None, ".txt": None, ".tsv": "\t", ".tab": "\t"}
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
# Column of a row whose line had more fields than the header; the row goes to quarantine.
EXTRA_FIELDS_COLUMN = "__extra_fields__"
SNIFF_BYTES = 64 * 1024


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
        return _payloads(self.frame.slice(start, length))


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
    if not path.exists():
        raise BadInput(f"{path}: no such file")
    if path.is_dir():
        raise BadInput(f"{path}: is a directory, not a file")
    fmt = file_format(path)
    try:
        table = _READERS[fmt](path)
    except BadInput:
        raise
    except Exception as exc:  # a library's parse error: one line, naming the file
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise BadInput(f"{path.name}: cannot read as {fmt}: {first_line}") from exc
    if table.frame.width == 0:
        raise BadInput(f"{path.name}: no columns found")
    return replace(table, frame=literal_names(table.frame))


def _read_delimited(path: Path) -> RawTable:
    data = path.read_bytes()
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
        )
    except pl.exceptions.ComputeError:
        # Ragged or oddly quoted rows: the stdlib parser is slower but keeps every row.
        frame = _read_delimited_leniently(text_bytes, delimiter)
    frame = _with_header(frame, _header_of(text_bytes, delimiter))
    return RawTable(frame, None, "csv", encoding, delimiter)


def _header_of(data: bytes, delimiter: str) -> list[str]:
    # Polars renames repeated headers ("Email_duplicated_0"); read the user's own names instead.
    sample = data[:SNIFF_BYTES].decode("utf-8", errors="ignore")
    return next(csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter), [])


def _with_header(frame: pl.DataFrame, header: list[str]) -> pl.DataFrame:
    data_columns = [c for c in frame.columns if c != EXTRA_FIELDS_COLUMN]
    if len(header) != len(data_columns):
        return _clean_headers(frame)
    names = _unique_names(header)
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
    columns: dict[str, list[str | None]] = {name: [] for name in _unique_names(header)}
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


def _unique_names(names: Iterable[str]) -> list[str]:
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


def _clean_headers(frame: pl.DataFrame) -> pl.DataFrame:
    names = _unique_names(frame.columns)
    return (
        frame.rename(dict(zip(frame.columns, names, strict=True)))
        if names != frame.columns
        else frame
    )


def _as_written(constant: str) -> str:
    """NaN, Infinity and -Infinity, which JSON has no numbers for (and PostgreSQL's JSON
    refuses), are kept as the text they were written as: the cell is flagged, not the file."""
    return constant


def _finite_or_written(number: str) -> float | str:
    """A JSON number as a float, unless it is too large for one (1e400 would become an
    infinity, which PostgreSQL's JSON refuses): then kept as written, like `_as_written`."""
    value = float(number)
    return value if math.isfinite(value) else number


def _read_json(path: Path) -> RawTable:
    try:
        document = json.loads(
            path.read_bytes(), parse_constant=_as_written, parse_float=_finite_or_written
        )
    except json.JSONDecodeError as exc:
        raise BadInput(f"{path.name}: invalid JSON at line {exc.lineno}: {exc.msg}") from exc
    except RecursionError:
        raise BadInput(f"{path.name}: nested too deep to be records") from None
    records = _records_of(document, path)
    return table_from_records(records, "json")


def _records_of(document: Any, path: Path) -> list[Any]:
    if isinstance(document, list):
        return document
    if isinstance(document, dict):
        lists = [value for value in document.values() if isinstance(value, list)]
        if len(lists) == 1:
            return lists[0]
        return [document]
    raise BadInput(f"{path.name}: expected a JSON array of objects")


def _read_jsonl(path: Path) -> RawTable:
    data = path.read_bytes()
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        # Each record is kept as the line it was sent as; the lines stay in Arrow memory, and
        # each intermediate copy is let go as soon as the next exists (files can be large).
        # Read as one-column CSV: JSON text never holds a raw \x1f, and no quoting applies.
        lines = pl.read_csv(
            io.BytesIO(data),
            has_header=False,
            separator="\x1f",
            quote_char=None,
            schema={"payload": pl.String},
        )["payload"].str.strip_chars()
        payloads = lines.filter(lines.str.len_bytes() > 0)
        del lines
        typed = pl.read_ndjson(io.BytesIO(data), infer_schema_length=None)
    except Exception:  # not UTF-8, mixed types or a bad line: the exact reader says which
        return _read_jsonl_exactly(path, data)
    if payloads.is_empty():
        raise BadInput(f"{path.name}: the file is empty")
    if typed.height != payloads.len() or any(dtype.is_float() for dtype in typed.schema.values()):
        # Polars widens 123 to 123.0 beside 1.5 and writes floats its own way: the exact reader
        # keeps numbers as they were written.
        return _read_jsonl_exactly(path, data)
    del data
    return RawTable(_flat_strings(typed), payloads, "jsonl")


def _read_jsonl_exactly(path: Path, data: bytes) -> RawTable:
    records: list[Any] = []
    payloads: list[str] = []
    for line_number, line in enumerate(data.splitlines(), start=1):
        if not line.strip():
            continue
        constants: list[str] = []

        def as_written(constant: str, seen: list[str] = constants) -> str:
            seen.append(constant)
            return _as_written(constant)

        try:
            text = line.decode("utf-8").strip()
            record = json.loads(text, parse_constant=as_written, parse_float=_finite_or_written)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            reason = exc.msg if isinstance(exc, json.JSONDecodeError) else "not UTF-8 text"
            raise BadInput(f"{path.name}: invalid JSON on line {line_number}: {reason}") from exc
        except RecursionError:
            raise BadInput(f"{path.name}: line {line_number} is nested too deep") from None
        records.append(record)
        # A line with NaN is kept as the JSON it means, the constant as text (see _as_written).
        payloads.append(json.dumps(record, ensure_ascii=False) if constants else text)
    if not records:
        raise BadInput(f"{path.name}: the file is empty")
    table = table_from_records(records, "jsonl")
    return RawTable(table.frame, pl.Series("payload", payloads, dtype=pl.String), "jsonl")


def _flat_strings(frame: pl.DataFrame, prefix: str = "") -> pl.DataFrame:
    """Nested objects as "parent.child" columns and every value as text, like `_flatten`."""
    columns: list[pl.Series] = []
    for name, dtype in frame.schema.items():
        column = frame[name]
        if isinstance(dtype, pl.Struct) and dtype.fields:
            nested = _flat_strings(column.struct.unnest(), f"{prefix}{name}.")
            columns.extend(nested.get_columns())
        elif dtype.is_nested():
            encoded = pl.select(pl.struct(column.alias("v")).struct.json_encode()).to_series()
            # '{"v":[1,2]}' -> '[1,2]'
            text = encoded.str.slice(5, encoded.str.len_chars() - 6)
            nulls = pl.Series([None] * len(text), dtype=pl.String)
            columns.append(text.zip_with(column.is_not_null(), nulls).alias(f"{prefix}{name}"))
        elif dtype == pl.Boolean:
            columns.append(
                column.replace_strict({True: "true", False: "false"}, return_dtype=pl.String).alias(
                    f"{prefix}{name}"
                )
            )
        else:
            columns.append(column.cast(pl.String).alias(f"{prefix}{name}"))
    return pl.DataFrame(columns)


def table_from_records(records: list[Any], fmt: str) -> RawTable:
    """JSON objects as a table of text (nested objects flattened), each kept verbatim."""
    payloads: list[str] = []
    flat_rows: list[dict[str, str | None]] = []
    for index, record in enumerate(records, start=1):
        if not isinstance(record, dict):
            raise BadInput(f"record {index} is not a JSON object")
        payloads.append(json.dumps(record, ensure_ascii=False, separators=(",", ":")))
        flat_rows.append(_flatten(record))
    names = list(dict.fromkeys(key for row in flat_rows for key in row))
    columns = {name: [row.get(name) for row in flat_rows] for name in names}
    frame = literal_names(pl.DataFrame(columns, schema=dict.fromkeys(names, pl.String)))
    return RawTable(frame, pl.Series("payload", payloads, dtype=pl.String), fmt)


def names_a_field(record: dict[str, Any]) -> bool:
    """Whether a JSON record gives at least one field once flattened ({"a": {}} gives none,
    and would be no row of its table at all)."""
    return bool(_flatten(record))


def _flatten(record: dict[str, Any], prefix: str = "") -> dict[str, str | None]:
    flat: dict[str, str | None] = {}
    for key, value in record.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(_flatten(value, f"{name}."))
        else:
            flat[name] = _as_text(value)
    return flat


def _as_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value) if isinstance(value, float) else str(value)
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _read_parquet(path: Path) -> RawTable:
    typed = literal_names(pl.read_parquet(path))
    # Bytes are no text (nor JSON): kept as their hex digits, so the rest of the file loads.
    typed = typed.with_columns(
        pl.col(name).bin.encode("hex") for name, dtype in typed.schema.items() if dtype == pl.Binary
    )
    return RawTable(_as_strings(typed), _payloads(typed), "parquet")


def _read_excel(path: Path) -> RawTable:
    settings = get_settings()
    limits = WorkbookLimits(settings.max_workbook_cells, settings.max_workbook_bytes)
    check_workbook(path, limits)
    typed = literal_names(
        pl.read_excel(path, engine="calamine", infer_schema_length=0, drop_empty_rows=True)
    )
    frame = _clean_headers(_as_strings(typed))
    return RawTable(frame, None, "excel")


def _as_strings(frame: pl.DataFrame) -> pl.DataFrame:
    nested = {name for name, dtype in frame.schema.items() if dtype.is_nested()}
    return frame.select(
        pl.struct(pl.col(name)).struct.json_encode().alias(name)
        if name in nested
        else pl.col(name).cast(pl.String)
        for name in frame.columns
    )


def _payloads(frame: pl.DataFrame) -> pl.Series:
    return frame.select(pl.struct(pl.all()).struct.json_encode().alias("payload")).to_series()


_READERS = {
    "csv": _read_delimited,
    "json": _read_json,
    "jsonl": _read_jsonl,
    "parquet": _read_parquet,
    "excel": _read_excel,
}
