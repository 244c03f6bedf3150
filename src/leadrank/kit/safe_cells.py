"""Text cells a spreadsheet would run as formulas, made inert before they are written.

A lead list comes from outside: a cell such as `=HYPERLINK("http://x","y")`,
`=cmd|' /C calc'!A0` or `@SUM(A1:A2)` in it would be copied into every CSV, TSV or Excel file
leadrank writes (its own `clean_*` columns included), and a spreadsheet opening that file would
evaluate it: formula injection. The OWASP rule makes such a cell text: a cell starting with
`=`, `+`, `-`, `@`, a tab or a carriage return gets a single quote in front.

One exemption, so phone numbers in E.164 and signed amounts stay as written: a cell that is a
single plain number (`-5`, `+12025550101`, `3.5`) is read by a spreadsheet as that number,
never as a formula. Anything more (`+1 202 555 0101`, `-2+3`, `-1e5`) gets the quote, since
`=`, `+` or `-` followed by digits and operators is a formula (`+1-2` computes -1).
"""

from __future__ import annotations

import polars as pl

QUOTE = "'"
# Rust regex (polars): `$` is the end of the text, and [0-9] is ASCII where \d is not.
FORMULA_START = r"^[=+\-@\t\r]"
PLAIN_NUMBER = r"^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)$"


def neutralised(cell: pl.Expr) -> pl.Expr:
    """The text cells of `cell`, a quote put before those a spreadsheet would run as formulas."""
    inert = ~cell.str.contains(FORMULA_START) | cell.str.contains(PLAIN_NUMBER)
    # `cell` first: the result keeps its name.
    return pl.when(inert).then(cell).otherwise(pl.concat_str(pl.lit(QUOTE), cell))


def neutralise_formulas(frame: pl.DataFrame) -> pl.DataFrame:
    """`frame` with every text cell and column name that would run as a formula made text;
    numeric columns stay numbers, and categorical text becomes plain text."""
    text = [
        name
        for name, dtype in frame.schema.items()
        if isinstance(dtype, pl.String | pl.Categorical | pl.Enum)
    ]
    safe = frame.with_columns(neutralised(pl.col(name).cast(pl.String)) for name in text)
    return safe.rename(_safe_names(frame.columns))


def _safe_names(names: list[str]) -> dict[str, str]:
    """Column names (a header row is cells too) made safe, each kept apart from the others."""
    quoted = (
        pl.Series("name", names, dtype=pl.String).to_frame().select(neutralised(pl.col("name")))
    )
    taken = set(names)
    renamed = {}
    for name, safe in zip(names, quoted.to_series().to_list(), strict=True):
        if safe == name:
            continue
        while safe in taken:  # a file that also has the quoted name: quote once more
            safe = QUOTE + safe
        taken.add(safe)
        renamed[name] = safe
    return renamed
