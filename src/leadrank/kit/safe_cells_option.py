"""`--safe-cells/--raw-cells`: the option of every command that writes a table to a file."""

from __future__ import annotations

from typing import Annotated

import typer

from leadrank.config import get_settings

SafeCellsOption = Annotated[
    bool | None,
    typer.Option(
        "--safe-cells/--raw-cells",
        help="CSV, TSV, Excel: put ' before text cells a spreadsheet would run as formulas "
        "(=, +, -, @, tab, CR; plain numbers stay), or write them raw "
        "(default: LEADRANK_SAFE_SPREADSHEET_CELLS, on)",
    ),
]


def safe_cells_chosen(flag: bool | None) -> bool:
    """The flag given, else LEADRANK_SAFE_SPREADSHEET_CELLS."""
    return get_settings().safe_spreadsheet_cells if flag is None else flag
