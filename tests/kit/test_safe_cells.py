"""Text cells a spreadsheet would run as formulas get a leading quote in the CSV, TSV and
Excel files leadrank writes; numbers, plain numeric text and data formats stay as they were."""

from __future__ import annotations

import csv
import zipfile
from pathlib import Path

import openpyxl
import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from leadrank.errors import BadInput
from leadrank.kit.safe_cells import neutralise_formulas
from leadrank.kit.tables import write_table

RISKY = [
    '=HYPERLINK("http://x","y")',
    "=cmd|' /C calc'!A0",
    "+1-2",
    "-2+3",
    "@SUM(A1:A2)",
    "\t=1+2",
    "\r=1+2",
    "+1 202 555 0101",  # + then digits and operators: a formula to a spreadsheet
    "-1e5",
    "-",
    "--5",
    "-\u0663",  # an Arabic-Indic digit is not a number to a spreadsheet
]
PLAIN_NUMBERS = ["-5", "+12025550101", "3.5", "-.5", "+7.", "-0.25"]
ORDINARY = ["hello", "http://example.com", "a=b", "'=already quoted", "", "Ann Lee"]


def one_column(values: list[str | None]) -> list[str | None]:
    return neutralise_formulas(pl.DataFrame({"cell": values}, schema={"cell": pl.String}))[
        "cell"
    ].to_list()


@pytest.mark.parametrize("cell", RISKY)
def test_a_cell_leading_with_a_formula_character_gets_a_quote(cell: str) -> None:
    assert one_column([cell]) == ["'" + cell]


@pytest.mark.parametrize("cell", PLAIN_NUMBERS + ORDINARY)
def test_plain_numbers_and_ordinary_text_stay_as_written(cell: str) -> None:
    assert one_column([cell]) == [cell]


def test_nulls_numbers_and_column_names() -> None:
    frame = pl.DataFrame(
        {
            "=cmd|' /C calc'!A0": ["=1+2", None],
            "'@x": ["a", "b"],  # the quoted name of the next column is taken
            "@x": ["@y", "-5"],
            "amount": [-5, 3],
            "ratio": [-0.5, None],
            "kind": pl.Series(["-neg", "pos"], dtype=pl.Categorical),
        }
    )
    safe = neutralise_formulas(frame)
    assert safe.columns == ["'=cmd|' /C calc'!A0", "'@x", "''@x", "amount", "ratio", "kind"]
    assert safe.rows() == [
        ("'=1+2", "a", "'@y", -5, -0.5, "'-neg"),
        (None, "b", "-5", 3, None, "pos"),
    ]
    assert safe.schema["amount"] == pl.Int64 and safe.schema["ratio"] == pl.Float64
    assert safe.schema["kind"] == pl.String


@given(st.lists(st.one_of(st.none(), st.text(max_size=12)), max_size=20))
def test_every_written_cell_is_inert_and_only_ever_gains_one_quote(
    cells: list[str | None],
) -> None:
    safe = one_column(cells)
    for before, after in zip(cells, safe, strict=True):
        assert after in (before, None if before is None else "'" + before)
        if after and after[0] in "=+-@\t\r":
            assert after == before, "only a plain number may lead with these"
            assert after.lstrip("+-").replace(".", "", 1).isascii()
            assert after.lstrip("+-").replace(".", "", 1).isdigit()


def frame_to_write() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "company": ['=HYPERLINK("http://x","y")', "Acme"],
            "=title": ["@SUM(A1:A2)", "CTO"],
            "phone": ["+12025550101", "+1 202 555 0101"],
            "website": ["http://example.com", "external:C:\\Windows\\System32\\calc.exe"],
            "score": [-5, 40],
            "reasons": [["-5 no title", "fit"], ["fit", "-5 no title"]],
        },
        schema_overrides={"reasons": pl.List(pl.String)},
    )


@pytest.mark.parametrize("suffix,separator", [(".csv", ","), (".tsv", "\t")])
def test_csv_and_tsv_carry_the_quote_and_raw_cells_turn_it_off(
    tmp_path: Path, suffix: str, separator: str
) -> None:
    safe_path, raw_path = tmp_path / f"safe{suffix}", tmp_path / f"raw{suffix}"
    write_table(frame_to_write(), safe_path)
    write_table(frame_to_write(), raw_path, safe_cells=False)
    with safe_path.open(newline="") as handle:
        header, *rows = list(csv.reader(handle, delimiter=separator))
    assert header == ["company", "'=title", "phone", "website", "score", "reasons"]
    assert rows == [
        ["'=HYPERLINK(\"http://x\",\"y\")", "'@SUM(A1:A2)", "+12025550101",
         "http://example.com", "-5", "'-5 no title; fit"],
        ["Acme", "CTO", "'+1 202 555 0101", "external:C:\\Windows\\System32\\calc.exe", "40",
         "fit; -5 no title"],
    ]  # fmt: skip
    text = safe_path.read_text()
    assert '"\'=HYPERLINK(""http://x"",""y"")"' in text, "quoted, its own quotes doubled"
    with raw_path.open(newline="") as handle:
        header, first, _ = list(csv.reader(handle, delimiter=separator))
    assert header[1] == "=title"
    assert first[:2] == ['=HYPERLINK("http://x","y")', "@SUM(A1:A2)"]


def test_excel_holds_text_cells_with_the_quote_and_no_formula_or_link(tmp_path: Path) -> None:
    path = tmp_path / "out.xlsx"
    write_table(frame_to_write(), path)
    sheet = openpyxl.load_workbook(path).active
    assert sheet is not None
    rows = [[(cell.value, cell.data_type) for cell in row] for row in sheet.iter_rows()]
    assert rows[0][1] == ("'=title", "s")
    assert rows[1][:2] == [('\'=HYPERLINK("http://x","y")', "s"), ("'@SUM(A1:A2)", "s")]
    assert rows[1][2] == ("+12025550101", "s")
    assert rows[1][4] == (-5, "n"), "numbers stay numbers"
    assert rows[1][5] == ("'-5 no title; fit", "s"), "lists are joined, then made safe"
    assert rows[2][3] == ("external:C:\\Windows\\System32\\calc.exe", "s")
    xml = zipfile.ZipFile(path).read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in xml and "<f " not in xml, "no cell is a formula"
    assert "<hyperlink" not in xml, "no cell is a link"

    raw = tmp_path / "raw.xlsx"
    write_table(frame_to_write(), raw, safe_cells=False)
    raw_sheet = openpyxl.load_workbook(raw).active
    assert raw_sheet is not None
    assert raw_sheet["A2"].value == '=HYPERLINK("http://x","y")'
    assert raw_sheet["A2"].data_type == "s", "text even when raw: never a formula"
    raw_xml = zipfile.ZipFile(raw).read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in raw_xml and "<hyperlink" not in raw_xml


def test_every_url_of_a_long_sheet_is_kept(tmp_path: Path) -> None:
    """Excel allows 65,530 links a sheet; written as links, the cells past that were dropped."""
    urls = [f"https://www.linkedin.com/in/p{i}" for i in range(65_540)]
    path = tmp_path / "long.xlsx"
    write_table(pl.DataFrame({"linkedin": urls}), path)
    assert pl.read_excel(path)["linkedin"].to_list() == urls


@pytest.mark.parametrize("suffix", [".jsonl", ".json", ".parquet"])
def test_data_formats_keep_every_value_as_it_was(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"out{suffix}"
    write_table(frame_to_write(), path)
    read = {".jsonl": pl.read_ndjson, ".json": pl.read_json, ".parquet": pl.read_parquet}[suffix]
    back = read(path)
    assert back.columns == frame_to_write().columns
    assert back["company"][0] == '=HYPERLINK("http://x","y")'
    assert back["reasons"][0].to_list() == ["-5 no title", "fit"]


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_a_file_that_cannot_be_written_is_one_line(tmp_path: Path, suffix: str) -> None:
    taken = tmp_path / f"folder{suffix}"
    taken.mkdir()
    with pytest.raises(BadInput) as refused:
        write_table(frame_to_write(), taken)
    assert refused.value.message.startswith(f"cannot write {taken}: ")
    assert "\n" not in refused.value.message
