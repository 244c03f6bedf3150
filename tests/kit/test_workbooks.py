"""Workbooks are measured before the Excel reader lays them out: a few kilobytes naming a far
cell would otherwise ask it for hundreds of gigabytes and end the process."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import openpyxl
import pytest

from leadrank.config import get_settings
from leadrank.errors import BadInput
from leadrank.kit.readers import read_table
from leadrank.kit.workbooks import WorkbookLimits, check_workbook
from tests.adversarial.corpus import biff_workbook, far_cell_workbook

LIMITS = WorkbookLimits(cells=1_000_000, uncompressed_bytes=10_000_000)
CONTENT_TYPES = (
    '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
    'content-types"><Default Extension="xml" ContentType="application/xml"/></Types>'
)
RELS_PACKAGE = "http://schemas.openxmlformats.org/package/2006/relationships"
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def handmade(path: Path, sheets: dict[str, str], order: list[str] | None = None) -> Path:
    """A workbook zip with these sheet parts' XML, listed in `order` (the first is read)."""
    order = order or list(sheets)
    listed = "".join(
        f'<sheet name="S{i}" sheetId="{i + 1}" r:id="rId{i + 1}"/>' for i in range(len(order))
    )
    relations = "".join(
        f'<Relationship Id="rId{i + 1}" Target="worksheets/{name}" Type="{RELS}/worksheet"/>'
        for i, name in enumerate(order)
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        archive.writestr(
            "_rels/.rels",
            f'<Relationships xmlns="{RELS_PACKAGE}"><Relationship Id="rId1" '
            f'Type="{RELS}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        )
        archive.writestr(
            "xl/workbook.xml",
            f'<workbook xmlns="{MAIN}" xmlns:r="{RELS}"><sheets>{listed}</sheets></workbook>',
        )
        archive.writestr(
            "xl/_rels/workbook.xml.rels",
            f'<Relationships xmlns="{RELS_PACKAGE}">{relations}</Relationships>',
        )
        for name, xml in sheets.items():
            archive.writestr(f"xl/worksheets/{name}", xml)
    return path


def sheet_xml(rows: str, prefix: str = "") -> str:
    colon = f"{prefix}:" if prefix else ""
    namespace = f"xmlns:{prefix}" if prefix else "xmlns"
    return f'<{colon}worksheet {namespace}="{MAIN}"><{colon}sheetData>{rows}</{colon}sheetData></{colon}worksheet>'


def test_a_far_cell_is_refused_before_reading_with_one_line_naming_the_setting(
    tmp_path: Path,
) -> None:
    bomb = far_cell_workbook(tmp_path / "bomb.xlsx")
    with pytest.raises(BadInput) as refused:
        read_table(bomb)
    message = refused.value.message
    assert "1,048,576 rows by 16,384 columns" in message
    assert "LEADRANK_MAX_WORKBOOK_CELLS" in message and "\n" not in message


def test_cells_are_measured_without_a_declared_dimension_and_with_prefixed_tags(
    tmp_path: Path,
) -> None:
    far = '<x:row r="1"><x:c r="A1" t="inlineStr"><x:is><x:t>a</x:t></x:is></x:c></x:row>'
    far += '<x:row r="900000"><x:c r="ZZ900000"><x:v>1</x:v></x:c></x:row>'
    book = handmade(tmp_path / "far.xlsx", {"sheet1.xml": sheet_xml(far, "x")})
    with pytest.raises(BadInput, match="900,000 rows by 702 columns"):
        check_workbook(book, LIMITS)
    near = '<row r="1"><c r="A1"><v>1</v></c><c r="C1"><v>2</v></c></row>'
    check_workbook(handmade(tmp_path / "near.xlsx", {"sheet1.xml": sheet_xml(near)}), LIMITS)


def test_rows_and_cells_without_references_count_as_one_after_another(tmp_path: Path) -> None:
    wide = "<row>" + "<c><v>1</v></c>" * 2_000 + "</row>"
    rows = wide + "<row><c><v>1</v></c></row>" * 600
    book = handmade(tmp_path / "unreferenced.xlsx", {"sheet1.xml": sheet_xml(rows)})
    with pytest.raises(BadInput, match="601 rows"):
        check_workbook(book, LIMITS)
    check_workbook(book, WorkbookLimits(cells=10_000_000, uncompressed_bytes=10_000_000))


def test_a_declared_dimension_counts_too(tmp_path: Path) -> None:
    declared = f'<worksheet xmlns="{MAIN}"><dimension ref="A1:XFD1048576"/><sheetData/></worksheet>'
    book = handmade(tmp_path / "declared.xlsx", {"sheet1.xml": declared})
    with pytest.raises(BadInput, match="16,384 columns"):
        check_workbook(book, LIMITS)


def test_only_the_sheet_that_is_read_is_measured(tmp_path: Path) -> None:
    small = sheet_xml('<row r="1"><c r="A1"><v>1</v></c></row>')
    huge = sheet_xml('<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>')
    parts = {"sheet1.xml": huge, "sheet2.xml": small}
    check_workbook(
        handmade(tmp_path / "small_first.xlsx", parts, ["sheet2.xml", "sheet1.xml"]), LIMITS
    )
    with pytest.raises(BadInput):
        check_workbook(
            handmade(tmp_path / "huge_first.xlsx", parts, ["sheet1.xml", "sheet2.xml"]), LIMITS
        )


def test_a_workbook_that_unzips_too_large_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = "".join(f'<row r="{i}"><c r="A{i}"><v>{i}</v></c></row>' for i in range(1, 2_000))
    book = handmade(tmp_path / "long.xlsx", {"sheet1.xml": sheet_xml(rows)})
    assert read_table(book).frame.height == 1_998  # the first row is the header
    monkeypatch.setenv("LEADRANK_MAX_WORKBOOK_BYTES", "4096")
    get_settings.cache_clear()
    with pytest.raises(BadInput, match=r"unzips to .*LEADRANK_MAX_WORKBOOK_BYTES"):
        read_table(book)


def test_an_ordinary_workbook_is_read_and_a_non_zip_is_left_to_the_reader(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["email", "name"])
    sheet.append(["ann@acme.com", "Ann Lee"])
    book.save(tmp_path / "leads.xlsx")
    assert read_table(tmp_path / "leads.xlsx").frame.to_dicts() == [
        {"email": "ann@acme.com", "name": "Ann Lee"}
    ]
    (tmp_path / "junk.xlsx").write_bytes(b"not a zip at all")
    check_workbook(tmp_path / "junk.xlsx", LIMITS)
    with pytest.raises(BadInput, match=r"junk\.xlsx: cannot read as excel"):
        read_table(tmp_path / "junk.xlsx")


def test_commands_given_the_far_cell_workbook_end_with_one_line_not_a_crash(tmp_path: Path) -> None:
    bomb = far_cell_workbook(tmp_path / "bomb.xlsx")
    for command in (
        ["clean", str(bomb), "-o", str(tmp_path / "out.csv")],
        ["dedupe", str(bomb), "-o", str(tmp_path / "d.csv")],
    ):
        ran = subprocess.run(
            [sys.executable, "-m", "leadrank.cli", *command],
            capture_output=True,
            text=True,
            timeout=120,
            env={
                "PATH": "/usr/bin:/bin",
                "LEADRANK_DATA_DIR": str(tmp_path / "data"),
                "COLUMNS": "200",
            },
        )
        assert ran.returncode == 1, ran.stderr
        assert "LEADRANK_MAX_WORKBOOK_CELLS" in ran.stderr and "Traceback" not in ran.stderr


@pytest.mark.parametrize(
    "rows",
    [
        # Rows without their number: the cells' own references place them.
        '<row><c r="A1"><v>1</v></c></row><row><c r="XFD1048576"><v>1</v></c></row>',
        # Quoted with ', spaced around =, after a line break, or after a '>' in a value.
        "<row r='1'><c r='XFD1048576'><v>1</v></c></row>",
        '<row r = "1"><c r = "XFD1048576"><v>1</v></c></row>',
        '<row r="1"><c\nr="XFD1048576"><v>1</v></c></row>',
        '<row r="1"><c t="n" x=">" r="XFD1048576"><v>1</v></c></row>',
        # A prefix the rest of the sheet does not use.
        '<row r="1"><x:c xmlns:x="' + MAIN + '" r="XFD1048576"><x:v>1</x:v></x:c></row>',
    ],
)
def test_a_far_cell_is_found_however_its_xml_is_written(tmp_path: Path, rows: str) -> None:
    book = handmade(tmp_path / "odd.xlsx", {"sheet1.xml": sheet_xml(rows)})
    with pytest.raises(BadInput, match="LEADRANK_MAX_WORKBOOK_CELLS"):
        check_workbook(book, LIMITS)


def test_a_far_cell_is_found_across_the_blocks_the_sheet_is_read_in(tmp_path: Path) -> None:
    filler = "".join(f'<row r="{i}"><c r="A{i}"><v>{i}</v></c></row>' for i in range(1, 40_000))
    far = '<row r="40000"><c r="XFD40000"><v>1</v></c></row>'
    book = handmade(tmp_path / "long.xlsx", {"sheet1.xml": sheet_xml(filler + far)})
    with pytest.raises(BadInput, match="40,000 rows by 16,384 columns"):
        check_workbook(book, LIMITS)


def test_a_workbook_whose_first_sheet_cannot_be_told_is_measured_on_every_sheet(
    tmp_path: Path,
) -> None:
    small = sheet_xml('<row r="1"><c r="A1"><v>1</v></c></row>')
    huge = sheet_xml('<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>')
    book = tmp_path / "unlisted.xlsx"
    with zipfile.ZipFile(book, "w") as archive:  # no workbook.xml naming the first sheet
        archive.writestr("xl/worksheets/sheet1.xml", small)
        archive.writestr("xl/worksheets/sheet9.xml", huge)
    with pytest.raises(BadInput):
        check_workbook(book, LIMITS)


def test_an_xls_naming_a_far_cell_is_refused_and_a_small_one_is_not(tmp_path: Path) -> None:
    check_workbook(biff_workbook(tmp_path / "small.xls", [(0, 0), (10, 1000)]), LIMITS)
    bomb = biff_workbook(tmp_path / "bomb.xls", [(0, 0), (65535, 65535)])
    with pytest.raises(BadInput, match="65,536 rows by 65,536 columns"):
        check_workbook(bomb, LIMITS)
    with pytest.raises(BadInput, match="LEADRANK_MAX_WORKBOOK_CELLS"):
        read_table(bomb)
