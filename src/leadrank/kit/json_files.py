"""Read JSON and JSONL files into a `RawTable`, and turn JSON records into one.

JSON records arrive nested and typed, while every reader gives flat string columns: this module
flattens nested objects to "parent.child" columns, writes each value as text, and keeps each
record's own JSON. Numbers JSON cannot hold (NaN, 1e400) are kept as written. It also reads the
head of a JSON document cut short, and serves records that come from an API rather than a file
(`table_from_records`, `names_a_field`). `readers` dispatches here by extension.
"""

from __future__ import annotations

import io
import json
import math
from pathlib import Path
from typing import Any

import polars as pl

from leadrank.errors import BadInput
from leadrank.kit.raw_tables import RawTable, literal_names


def _as_written(constant: str) -> str:
    """NaN, Infinity and -Infinity, which JSON has no numbers for (and PostgreSQL's JSON
    refuses), are kept as the text they were written as: the cell is flagged, not the file."""
    return constant


def _finite_or_written(number: str) -> float | str:
    """A JSON number as a float, unless it is too large for one (1e400 would become an
    infinity, which PostgreSQL's JSON refuses): then kept as written, like `_as_written`."""
    value = float(number)
    return value if math.isfinite(value) else number


def read_json(path: Path) -> RawTable:
    """The table of a JSON file: an array of records, or an object holding one."""
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


def json_head(path: Path, prefix: bytes, rows: int) -> list[Any]:
    """The first `rows` records of a JSON document cut short after `prefix`: the items of the
    array it is, or of the first array its object holds (as `_records_of` finds them)."""
    text = prefix.decode("utf-8", errors="replace").removeprefix("\ufeff")
    decoder = json.JSONDecoder(parse_constant=_as_written, parse_float=_finite_or_written)
    records: list[Any] = []
    position = _past_blanks(text, 0)
    inside = text[position : position + 1] == "{"  # an object holding them: {"data": [...]}
    if not inside and text[position : position + 1] != "[":
        raise BadInput(f"{path.name}: expected a JSON array of objects")
    position += 1
    while len(records) < rows:
        position = _past_blanks(text, position)
        char = text[position : position + 1]
        if char in (",", ":"):
            position += 1
            continue
        if char in ("]", "}", ""):
            break
        if inside and char == "[":  # the first array the object holds: its records
            inside = False
            position += 1
            continue
        try:
            found, position = decoder.raw_decode(text, position)
        except json.JSONDecodeError as exc:
            if records:  # the record the prefix cuts short
                break
            raise BadInput(f"{path.name}: invalid JSON at line {exc.lineno}: {exc.msg}") from exc
        if not inside:  # else a key, or a value that is not the records
            records.append(found)
    if inside or not records:
        raise BadInput(f"{path.name}: no records in its first {len(prefix):,} bytes")
    return records


def _past_blanks(text: str, position: int) -> int:
    """The position of the first character from `position` on that is not JSON whitespace."""
    while text[position : position + 1] in (" ", "\t", "\n", "\r"):
        position += 1
    return position


def read_jsonl(path: Path) -> RawTable:
    """The table of a JSONL file, one record a line."""
    return read_jsonl_bytes(path, path.read_bytes())


def read_jsonl_bytes(path: Path, data: bytes) -> RawTable:
    """The table of a JSONL file's bytes."""
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
