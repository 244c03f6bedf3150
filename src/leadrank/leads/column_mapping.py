"""Column mapping: which source column feeds which canonical field, by header or mapping file."""

from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from leadrank.errors import BadInput
from leadrank.kit.raw_tables import EXTRA_FIELDS_COLUMN
from leadrank.leads.header_synonyms import EVENT_SYNONYMS, LEAD_SYNONYMS, header_key
from leadrank.normalize.values import blank_to_null

# Fields for which a vendor file often has several columns (Apollo's three phone columns, a
# person's and a company's country): the best column wins, the others fill its empty cells.
COALESCED_FIELDS = frozenset(
    {"email", "phone", "mobile_phone", "company_name", "website", "country"}
)
IGNORE = "-"  # in a mapping file: keep the column in bronze only
KEEP = "+"  # in a mapping file: keep the column as a custom attribute, whatever its header


@dataclass(frozen=True)
class ColumnMapping:
    """Canonical field -> source columns (best first); the rest are attributes or ignored."""

    fields: dict[str, list[str]]
    attributes: list[str]
    ignored: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        """The mapping as stored on the import record and printed by --dry-run."""
        return {"fields": self.fields, "attributes": self.attributes, "ignored": self.ignored}

    def missing(self, wanted: tuple[str, ...]) -> list[str]:
        """The wanted fields that no column feeds."""
        return [name for name in wanted if name not in self.fields]


def synonyms_for(kind: str) -> dict[str, tuple[str, ...]]:
    """The header synonyms of a kind of file."""
    return EVENT_SYNONYMS if kind == "events" else LEAD_SYNONYMS


def auto_map(
    columns: list[str], kind: str, explicit: dict[str, str] | None = None
) -> ColumnMapping:
    """Map headers to canonical fields; an explicit mapping (column -> field, "-" or "+") wins."""
    synonyms = synonyms_for(kind)
    explicit = explicit or {}
    unknown_targets = {t for t in explicit.values() if t not in (IGNORE, KEEP, *synonyms)}
    if unknown_targets:
        raise BadInput(
            f"mapping file names unknown field(s) {sorted(unknown_targets)}; "
            f"fields are: {', '.join(synonyms)}"
        )
    unknown_columns = set(explicit) - set(columns)
    if unknown_columns:
        raise BadInput(f"mapping file names column(s) not in the file: {sorted(unknown_columns)}")

    fields: dict[str, list[str]] = {}
    ignored = [c for c, target in explicit.items() if target == IGNORE]
    taken = set(explicit)
    for column, target in explicit.items():
        if target not in (IGNORE, KEEP):
            fields.setdefault(target, []).append(column)
    keys = {column: header_key(column) for column in columns if column not in taken}
    for target, names in synonyms.items():
        if target in fields:
            continue  # the mapping file decided this field
        ranked = sorted((names.index(key), column) for column, key in keys.items() if key in names)
        chosen = [column for _, column in ranked]
        if not chosen:
            continue
        if target not in COALESCED_FIELDS:
            chosen = chosen[:1]
        fields[target] = chosen
        for column in chosen:
            keys.pop(column)
    kept = {c for c, target in explicit.items() if target == KEEP}
    attributes = [c for c in columns if (c in keys or c in kept) and c != EXTRA_FIELDS_COLUMN]
    return ColumnMapping(fields=fields, attributes=attributes, ignored=ignored)


def load_mapping_file(path: Path) -> dict[str, str]:
    """Read a mapping file: JSON or TOML, `{"columns": {"Source header": "field", "-" or "+"}}`."""
    if not path.exists():
        raise BadInput(f"{path}: mapping file not found")
    try:
        if path.suffix.lower() == ".toml":
            document: Any = tomllib.loads(path.read_text("utf-8"))
        else:
            document = json.loads(path.read_text("utf-8"))
    except (json.JSONDecodeError, tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise BadInput(f"{path.name}: cannot parse mapping file: {exc}") from exc
    columns = document.get("columns", document) if isinstance(document, dict) else None
    if not isinstance(columns, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in columns.items()
    ):
        raise BadInput(f'{path.name}: expected {{"columns": {{"Source header": "field"}}}}')
    return dict(columns)


def apply_mapping(frame: pl.DataFrame, mapping: ColumnMapping) -> pl.DataFrame:
    """A frame of canonical fields: the best non-empty source value per row."""
    exprs = []
    for target, columns in mapping.fields.items():
        values = [pl.col(c).str.strip_chars().replace("", None) for c in columns]
        exprs.append(
            pl.coalesce(values).alias(target) if len(values) > 1 else values[0].alias(target)
        )
    return (
        frame.select(exprs)
        if exprs
        else pl.DataFrame({"_": [None] * frame.height}).clear(frame.height)
    )


def attributes_json(frame: pl.DataFrame, mapping: ColumnMapping) -> pl.Series:
    """Each row's unmapped columns as a JSON object, empty cells left out."""
    if not mapping.attributes:
        return pl.Series("attributes", ["{}"] * frame.height, dtype=pl.String)
    encoded = frame.select(
        pl.struct(blank_to_null(c) for c in mapping.attributes).struct.json_encode()
    ).to_series()
    # Arrow writes empty cells as null; leave them out so merges never overwrite with nothing.
    # A key starts right after "{" or ","; inside strings quotes are escaped, so this is exact.
    return (
        encoded.str.replace_all(r',"(?:[^"\\]|\\.)*":null', "")
        .str.replace(r'^\{"(?:[^"\\]|\\.)*":null,?', "{")
        .alias("attributes")
    )
