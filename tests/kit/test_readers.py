"""Readers: every supported format comes back as string columns plus verbatim payloads."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from leadrank.errors import BadInput
from leadrank.kit.raw_tables import EXTRA_FIELDS_COLUMN
from leadrank.kit.readers import file_format, read_head, read_table


def test_csv_with_semicolons_latin1_and_quoted_newlines(tmp_path: Path) -> None:
    path = tmp_path / "hubspot.csv"
    text = 'Record ID;First Name;Notes\n1;José;"line one\nline two"\n2;Zoë;\n'
    path.write_bytes(text.encode("cp1252"))
    table = read_table(path)
    assert table.encoding == "cp1252"
    assert table.delimiter == ";"
    assert table.frame["First Name"].to_list() == ["José", "Zoë"]
    assert table.frame["Notes"].to_list()[0] == "line one\nline two"
    assert json.loads(table.payloads[0]) == {
        "Record ID": "1",
        "First Name": "José",
        "Notes": "line one\nline two",
    }


def test_utf8_bom_and_tsv(tmp_path: Path) -> None:
    path = tmp_path / "list.tsv"
    path.write_bytes("\ufeffEmail\tName\na@x.com\tAnn\n".encode())
    table = read_table(path)
    assert table.encoding == "utf-8-sig"
    assert table.frame.columns == ["Email", "Name"]


def test_ragged_rows_are_kept_and_flagged(tmp_path: Path) -> None:
    path = tmp_path / "ragged.csv"
    path.write_text("a,b\n1,2\n3\n4,5,6,7\n")
    table = read_table(path)
    assert table.height == 3
    assert table.frame["b"].to_list() == ["2", None, "5"]
    assert table.frame[EXTRA_FIELDS_COLUMN].to_list() == [None, None, '["6", "7"]']


def test_duplicate_and_empty_headers_get_unique_names(tmp_path: Path) -> None:
    path = tmp_path / "dupes.csv"
    path.write_text("Email,Email, ,x\na,b,c,d\n")
    assert read_table(path).frame.columns == ["Email", "Email_1", "column_3", "x"]


def test_json_array_nested_objects_are_flattened(tmp_path: Path) -> None:
    path = tmp_path / "leads.json"
    records = [{"email": "a@x.com", "company": {"name": "Acme", "size": 12}, "tags": ["a", "b"]}]
    path.write_text(json.dumps({"data": records}))
    table = read_table(path)
    assert table.frame.row(0, named=True) == {
        "email": "a@x.com",
        "company.name": "Acme",
        "company.size": "12",
        "tags": '["a","b"]',
    }
    assert json.loads(table.payloads[0]) == records[0]


def test_jsonl_reports_the_bad_line(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    path.write_text('{"a": 1}\n\n{"a": \n')
    with pytest.raises(BadInput, match="line 3"):
        read_table(path)


def test_parquet_and_excel(tmp_path: Path) -> None:
    frame = pl.DataFrame({"Email": ["a@x.com", None], "Employees": [12, 40]})
    frame.write_parquet(tmp_path / "x.parquet")
    table = read_table(tmp_path / "x.parquet")
    assert table.frame["Employees"].to_list() == ["12", "40"]
    assert json.loads(table.payloads[0]) == {"Email": "a@x.com", "Employees": 12}

    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Email", "Company Name"])
    sheet.append(["b@y.com", "Initech"])
    book.save(tmp_path / "x.xlsx")
    excel = read_table(tmp_path / "x.xlsx")
    assert excel.frame.row(0, named=True) == {"Email": "b@y.com", "Company Name": "Initech"}


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("empty.csv", b"", "empty"),
        ("binary.csv", b"\x00\x01\x02garbage", "binary"),
        ("notes.docx", b"x", "unsupported file type"),
        ("broken.json", b"[{", "invalid JSON"),
        ("scalar.json", b"42", "expected a JSON array"),
    ],
)
def test_unreadable_files_give_one_clear_error(
    tmp_path: Path, name: str, content: bytes, message: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(BadInput, match=message) as error:
        read_table(path)
    assert "\n" not in error.value.message


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(BadInput, match="no such file"):
        read_table(tmp_path / "nope.csv")
    with pytest.raises(BadInput, match="unsupported"):
        file_format(Path("x.pdf"))


cell = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00\r"), max_size=12
)


@settings(max_examples=60, deadline=None)
@given(rows=st.lists(st.tuples(cell, cell), min_size=1, max_size=8))
def test_csv_round_trip_keeps_every_cell(
    tmp_path_factory: pytest.TempPathFactory, rows: list[tuple[str, str]]
) -> None:
    path = tmp_path_factory.mktemp("rt") / "rt.csv"
    pl.DataFrame({"Email": [r[0] for r in rows], "Name": [r[1] for r in rows]}).write_csv(
        path, quote_style="always"
    )
    table = read_table(path)
    assert table.height == len(rows)
    assert [(r["Email"] or "", r["Name"] or "") for r in table.frame.iter_rows(named=True)] == rows


def test_jsonl_fast_and_exact_readers_agree(tmp_path: Path) -> None:
    records = [
        {
            "email": "a@x.com",
            "n": 1,
            "ok": True,
            "score": 1.5,
            "org": {"name": "X", "tags": [1, 2]},
        },
        {"email": "b@x.com", "n": 2, "ok": False, "org": {"name": "Y"}, "extra": None},
    ]
    regular = tmp_path / "regular.jsonl"
    regular.write_text("\n".join(json.dumps(r) for r in records) + "\n\n")
    mixed = tmp_path / "mixed.jsonl"  # "n" is a number on one line and text on the other
    mixed.write_text(
        "\n".join(
            json.dumps({**r, "n": str(r["n"]) if i else r["n"]}) for i, r in enumerate(records)
        )
    )
    fast, exact = read_table(regular), read_table(mixed)
    for table in (fast, exact):
        assert table.frame["email"].to_list() == ["a@x.com", "b@x.com"]
        assert table.frame["org.name"].to_list() == ["X", "Y"]
        assert table.frame["n"].to_list() == ["1", "2"]
        assert table.frame["ok"].to_list() == ["true", "false"]
    assert fast.frame["org.tags"].to_list() == ["[1,2]", None]
    assert fast.frame["score"].to_list() == ["1.5", None]
    # Each record is kept exactly as its line was sent.
    assert fast.payloads.to_list() == [json.dumps(r) for r in records]
    assert json.loads(exact.payloads[1]) == {**records[1], "n": "2"}


def test_jsonl_that_is_not_utf8_or_empty_is_refused_clearly(tmp_path: Path) -> None:
    latin = tmp_path / "latin.jsonl"
    latin.write_bytes('{"name": "José"}\n'.encode("latin-1"))
    with pytest.raises(BadInput, match="line 1: not UTF-8"):
        read_table(latin)
    blank = tmp_path / "blank.jsonl"
    blank.write_text("\n  \n")
    with pytest.raises(BadInput, match="empty"):
        read_table(blank)


def test_jsonl_numbers_keep_the_form_they_were_written_in(tmp_path: Path) -> None:
    path = tmp_path / "ids.jsonl"
    path.write_text('{"id": 123, "tiny": 1e-07}\n{"id": 1.5, "tiny": 2}\n')
    frame = read_table(path).frame
    assert frame["id"].to_list() == ["123", "1.5"]
    assert frame["tiny"].to_list() == ["1e-07", "2"]


def test_a_mostly_utf8_file_with_one_cp1252_line_keeps_every_accent(tmp_path: Path) -> None:
    lines = ["Email,First Name,City"]
    lines += [f"p{i}@acme.io,José,Zürich" for i in range(20)]
    path = tmp_path / "mixed.csv"
    body = ("\n".join(lines) + "\n").encode("utf-8") + "p99@acme.io,Renée,Besançon\n".encode(
        "cp1252"
    )
    path.write_bytes(body)
    table = read_table(path)
    assert table.encoding == "utf-8 (some lines cp1252)"
    assert set(table.frame["First Name"].to_list()) == {"José", "Renée"}
    assert (
        "Besançon" in table.frame["City"].to_list()
        and "JosÃ©" not in table.frame["First Name"].to_list()
    )
    cp1252 = tmp_path / "old.csv"
    cp1252.write_bytes(("\n".join(lines) + "\n").encode("cp1252"))
    assert read_table(cp1252).encoding == "cp1252", "a whole cp1252 file is read as one"


def _people(count: int) -> list[dict[str, object]]:
    return [{"email": f"p{i}@x.example", "n": i, "co": {"name": f"C{i}"}} for i in range(count)]


@pytest.mark.parametrize("name", ["a.csv", "a.json", "wrapped.json", "a.jsonl", "a.parquet"])
def test_the_head_of_a_file_is_its_first_records_as_read_table_reads_them(
    tmp_path: Path, name: str
) -> None:
    people = _people(3_000)
    path = tmp_path / name
    if name.endswith(".csv"):
        pl.DataFrame(people).unnest("co").write_csv(path)
    elif name == "wrapped.json":
        path.write_text(json.dumps({"meta": {"pages": [1, 2]}, "total": 3_000, "data": people}))
    elif name.endswith(".json"):
        path.write_text(json.dumps(people))
    elif name.endswith(".jsonl"):
        path.write_text("".join(json.dumps(p) + "\n" for p in people))
    else:
        pl.DataFrame(people).unnest("co").write_parquet(path)
    whole = read_table(path)
    for max_bytes in (4_000, 10_000_000):  # a prefix of the file, or all of it
        head = read_head(path, 25, max_bytes=max_bytes)
        assert not head.whole
        assert head.table.frame.equals(whole.frame.head(25))
        assert head.table.payload_slice(0, 25).equals(whole.payload_slice(0, 25))
    everything = read_head(path, 3_000, max_bytes=10_000_000)
    assert everything.whole and everything.table.height == 3_000


def test_the_head_of_a_large_file_does_not_read_past_it(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    path.write_text("".join(json.dumps(p) + "\n" for p in _people(200)) + '{"email": \n')
    with pytest.raises(BadInput, match="line 201"):
        read_table(path)
    head = read_head(path, 10, max_bytes=2_000)
    assert head.table.frame["email"].to_list() == [f"p{i}@x.example" for i in range(10)]
    assert not head.whole
    # A record the prefix cuts short is left out; a head with no whole record is refused.
    cut = tmp_path / "cut.json"
    cut.write_text('[{"email": "a@x.example"}, {"email": ' + " " * 5_000 + '"b@x.example"}]')
    assert read_head(cut, 10, max_bytes=1_000).table.frame["email"].to_list() == ["a@x.example"]
    broken = tmp_path / "broken.json"
    broken.write_text('[{"email": ' + " " * 5_000 + '"b@x.example"}]')
    with pytest.raises(BadInput, match=r"broken\.json: invalid JSON"):
        read_head(broken, 10, max_bytes=1_000)


def test_the_head_of_a_workbook_reads_only_the_rows_asked_for(tmp_path: Path) -> None:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Email"])
    for i in range(50):
        sheet.append([f"p{i}@x.example"])
    book.save(tmp_path / "x.xlsx")
    head = read_head(tmp_path / "x.xlsx", 5)
    assert head.table.frame["Email"].to_list() == [f"p{i}@x.example" for i in range(5)]
    assert not head.whole
    assert read_head(tmp_path / "x.xlsx", 50).whole
