"""A lead list carrying spreadsheet formulas: the files the commands write open as text, with
`--raw-cells` or LEADRANK_SAFE_SPREADSHEET_CELLS=false writing the cells as they came."""

from __future__ import annotations

import csv
import zipfile
from collections.abc import Callable
from pathlib import Path

import openpyxl
import pytest

from leadrank.config import get_settings
from tests.conftest import CliResult, Workspace

Cli = Callable[..., CliResult]
HYPERLINK = '=HYPERLINK("http://x","y")'
DDE = "=cmd|' /C calc'!A0"
SUM = "@SUM(A1:A2)"
EVIL = (
    "Email,Full Name,Job Title,Company Name,Phone,Country,Notes,\"=cmd|' /C calc'!A0\"\n"
    'ann@initech.com,"=HYPERLINK(""http://x"",""y"")",@SUM(A1:A2),'
    "=cmd|' /C calc'!A0,+1 202 555 0101,US,-5,+12025550101\n"
    "bob@acme.io,Bob Stone,-2+3,Acme,+12025550102,US,=1+2,x\n"
)
FORMULA_START = tuple("=+-@\t\r")


def rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle))


def plain_number(cell: str) -> bool:
    digits = cell[1:] if cell[:1] in "+-" else cell
    return digits.replace(".", "", 1).isdigit()


def assert_inert(path: Path) -> None:
    """No cell or column name a spreadsheet would run: each leads with no formula character,
    or is one plain number."""
    with path.open(newline="") as handle:
        for line in csv.reader(handle):
            for cell in line:
                assert not cell.startswith(FORMULA_START) or plain_number(cell), cell


@pytest.fixture
def evil(tmp_path: Path) -> Path:
    path = tmp_path / "evil.csv"
    path.write_text(EVIL)
    return path


def test_clean_dedupe_and_icp_apply_write_formulas_as_text(
    cli: Cli, evil: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cleaned = tmp_path / "clean.csv"
    assert cli("clean", str(evil), "-o", str(cleaned)).exit_code == 0
    assert_inert(cleaned)
    ann, bob = rows(cleaned)
    assert ann["Full Name"] == "'" + HYPERLINK and ann["Job Title"] == "'" + SUM
    assert ann["Company Name"] == "'" + DDE and ann["clean_company_name"] == "'" + DDE
    assert ann["clean_job_title"] == "'" + SUM, "its own clean_* columns too"
    assert ann["'" + DDE] == "+12025550101", "a header is quoted; a plain number is not"
    assert ann["Phone"] == "'+1 202 555 0101" and ann["clean_phone_e164"] == "+12025550101"
    assert ann["Notes"] == "-5" and bob["Notes"] == "'=1+2" and bob["Job Title"] == "'-2+3"

    raw = tmp_path / "raw.csv"
    assert cli("clean", str(evil), "-o", str(raw), "--raw-cells").exit_code == 0
    ann = rows(raw)[0]
    assert ann["Full Name"] == HYPERLINK and ann["clean_company_name"] == DDE and DDE in ann

    monkeypatch.setenv("LEADRANK_SAFE_SPREADSHEET_CELLS", "false")
    get_settings.cache_clear()
    by_setting = tmp_path / "setting.csv"
    assert cli("clean", str(evil), "-o", str(by_setting)).exit_code == 0
    assert rows(by_setting)[0]["clean_job_title"] == SUM
    forced = tmp_path / "forced.csv"
    assert cli("clean", str(evil), "-o", str(forced), "--safe-cells").exit_code == 0
    assert rows(forced)[0]["clean_job_title"] == "'" + SUM, "the flag wins over the setting"
    monkeypatch.delenv("LEADRANK_SAFE_SPREADSHEET_CELLS")
    get_settings.cache_clear()

    deduped = tmp_path / "dedupe.csv"
    done = cli("dedupe", str(evil), "-o", str(deduped))
    assert done.exit_code == 0, done.stderr
    assert_inert(deduped)
    assert rows(deduped)[0]["Company Name"] == "'" + DDE
    raw_dedupe = tmp_path / "dedupe_raw.csv"
    assert cli("dedupe", str(evil), "-o", str(raw_dedupe), "--raw-cells").exit_code == 0
    assert rows(raw_dedupe)[0]["Company Name"] == DDE

    fit = tmp_path / "fit.csv"
    applied = cli("icp", "apply", str(evil), "-o", str(fit))
    assert applied.exit_code == 0, applied.stderr
    assert_inert(fit)
    assert rows(fit)[0]["Full Name"] == "'" + HYPERLINK


def test_leads_export_writes_formulas_as_text_in_csv_and_excel(
    cli: Cli, workspace: Workspace, evil: Path, tmp_path: Path
) -> None:
    ingested = cli("ingest", str(evil), "--source", "hubspot")
    assert ingested.exit_code == 0, ingested.stderr

    exported = tmp_path / "leads.csv"
    done = cli("leads", "export", "-o", str(exported))
    assert done.exit_code == 0, done.stderr
    assert_inert(exported)
    ann = next(row for row in rows(exported) if row["email"] == "ann@initech.com")
    assert ann["company_name"] == "'" + DDE and ann["job_title"] == "'" + SUM
    assert ann["phone_e164"] == "+12025550101"

    workbook = tmp_path / "leads.xlsx"
    assert cli("leads", "export", "-o", str(workbook)).exit_code == 0
    sheet = openpyxl.load_workbook(workbook).active
    assert sheet is not None
    header = [cell.value for cell in sheet[1]]
    email = header.index("email")
    line = next(r for r in sheet.iter_rows(min_row=2) if r[email].value == "ann@initech.com")
    cells = dict(zip(header, line, strict=True))
    assert cells["company_name"].value == "'" + DDE and cells["company_name"].data_type == "s"
    assert cells["job_title"].value == "'" + SUM
    assert cells["id"].data_type == "n", "numbers stay numbers"
    assert "<f>" not in zipfile.ZipFile(workbook).read("xl/worksheets/sheet1.xml").decode()

    raw = tmp_path / "raw.csv"
    assert cli("leads", "export", "-o", str(raw), "--raw-cells").exit_code == 0
    ann = next(row for row in rows(raw) if row["email"] == "ann@initech.com")
    assert ann["company_name"] == DDE and ann["job_title"] == SUM
