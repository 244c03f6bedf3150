"""Hostile files: what a careless export or an attacker hands leadrank, each with what must
come of it. Built in code (seeded), so the corpus is the same on every run and nothing binary
sits in the repository."""

from __future__ import annotations

import random
import struct
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import openpyxl
import polars as pl

EXTENSIONS = (".csv", ".tsv", ".json", ".jsonl", ".parquet", ".xlsx", ".xls")


@dataclass(frozen=True)
class Hostile:
    """A file, and the leads an ingest must create from it: None when it may be refused (one
    line, exit 1) or load whatever it can, as long as nothing crashes."""

    name: str
    build: Callable[[Path], object]  # writes the file at the path it is given
    leads: int | None = None
    kind: str = "leads"


def _bytes(data: bytes) -> Callable[[Path], None]:
    return lambda path: path.write_bytes(data)


def _text(text: str, encoding: str = "utf-8") -> Callable[[Path], None]:
    return lambda path: path.write_bytes(text.encode(encoding))


def _garbage(seed: int, size: int = 4096) -> bytes:
    return random.Random(seed).randbytes(size)


def far_cell_workbook(path: Path) -> Path:
    """Two cells, A1 and the last one Excel has: 4.8 KB on disk."""
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet["A1"] = "email"
    sheet["XFD1048576"] = "x"
    book.save(path)
    return path


def _formula_workbook(path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["email", "name", "title"])
    sheet.append(["ann@acme.com", '=HYPERLINK("http://evil.example","click")', "VP Sales"])
    sheet.append(["bo@beta.io", "@SUM(A1:A2)", "=cmd|' /C calc'!A0"])
    book.save(path)


def _wide_csv(path: Path) -> None:
    header = ["email", "name", *(f"extra_{i}" for i in range(10_000))]
    rows = [
        [f"p{i}@wide{i}.com", f"Person {i}", *(str(j) for j in range(10_000))] for i in range(3)
    ]
    path.write_text("\n".join(",".join(row) for row in [header, *rows]) + "\n")


def _mixed_encoding_csv(path: Path) -> None:
    lines = ["email,name,title"] + [f"p{i}@acme{i}.com,Ann {i},VP Sales" for i in range(50)]
    data = "\n".join(lines).encode() + "\nbo@beta.io,José Peña,CTO\n".encode("cp1252")
    path.write_bytes(data + "\ncy@gamma.io,Zoë Ünal,CEO\n".encode())


def _odd_parquet(path: Path) -> None:
    frame = pl.DataFrame(
        {
            "email": ["ann@acme.com", "bo@beta.io", "cy@gamma.io"],
            "employees": [float("nan"), float("inf"), 1e21],
            "revenue": [2**63 - 1, -(2**63), 0],
            "founded": [date(9999, 12, 31), date(1, 1, 1), None],
            "tags": [["a", "b"], [], None],
            "meta": [{"x": 1}, {"x": None}, None],
            "blob": [b"\x00\xff", b"", None],
        }
    )
    frame.write_parquet(path)


def _json_numbers(path: Path) -> None:
    path.write_text(
        '[{"email": "ann@acme.com", "employees": NaN, "revenue": Infinity},'
        ' {"email": "bo@beta.io", "employees": 1e21, "revenue": -Infinity},'
        ' {"email": "cy@gamma.io", "employees": 99999999999999999999, "revenue": 1e400}]'
    )


def _jsonl_numbers(path: Path) -> None:
    path.write_text(
        '{"email": "ann@acme.com", "employees": NaN}\n'
        '{"email": "bo@beta.io", "employees": 1e400}\n'
        '{"email": "cy@gamma.io", "name": "Cy", "employees": 12}\n'
    )


def _ragged_csv(path: Path) -> None:
    path.write_text("email,name\nann@acme.com,Ann\nbo@beta.io,Bo,extra,fields\ncy@gamma.io,Cy\n")


def _control_csv(path: Path) -> None:
    path.write_bytes(
        b"email,name,title\r\n"
        b"ann@acme.com,Ann\x1b[31mRed,VP\x07Sales\r\n"
        b"bo@beta.io,Bo\x00Null,CTO\r\n"
        b'cy@gamma.io,"Cy ""quoted""\nnewline",CEO\r\n'
    )


def _long_cell_csv(path: Path) -> None:
    path.write_text(f"email,name,notes\nann@acme.com,Ann,{'x' * 1_000_000}\nbo@beta.io,Bo,short\n")


def _deep_json(path: Path) -> None:
    path.write_text('[{"email": "ann@acme.com", "x": ' + "[" * 5000 + "]" * 5000 + "}]")


def _huge_numbers_csv(path: Path) -> None:
    path.write_text(
        "email,name,employees,annual revenue\n"
        "ann@acme.com,Ann,99999999999999999999,5\n"
        "bo@beta.io,Bo,1e21,1e400\n"
        "cy@gamma.io,Cy,-5,NaN\n"
        f"dy@delta.io,Dy,{'9' * 400},inf\n"
    )


def _far_dates_events(path: Path) -> None:
    path.write_text(
        "email,event_type,occurred_at\n"
        "ann@acme.com,email_replied,9999-12-31\n"
        "ann@acme.com,email_opened,1900-01-01\n"
        "ann@acme.com,email_opened,2026-11-30T10:00:00Z\n"
        "bo@beta.io,meeting_booked,99999999999\n"
    )


CORPUS: list[Hostile] = [
    *(Hostile(f"garbage{ext}", _bytes(_garbage(i))) for i, ext in enumerate(EXTENSIONS)),
    *(Hostile(f"empty{ext}", _bytes(b"")) for ext in EXTENSIONS),
    Hostile("header_only.csv", _text("email,name,title\n")),
    Hostile("header_only.json", _text("[]")),
    Hostile("bom_crlf.csv", _text("\ufeffemail,name\r\nann@acme.com,Ann\r\nbo@beta.io,Bo\r\n"), 2),
    Hostile("ten_thousand_columns.csv", _wide_csv, 3),
    Hostile("far_cell_bomb.xlsx", far_cell_workbook),
    Hostile("far_cell_bomb.xls", lambda path: biff_workbook(path, [(0, 0), (65535, 65535)])),
    Hostile("formulas.xlsx", _formula_workbook, 2),
    Hostile(
        "formulas.csv",
        _text(
            'email,name,title\nann@acme.com,"=HYPERLINK(""http://evil.example"",""x"")",VP\n'
            "bo@beta.io,@SUM(A1:A2),-2+3\ncy@gamma.io,+cmd,\t=1+1\n"
        ),
        3,
    ),
    Hostile("mixed_encoding.csv", _mixed_encoding_csv, 52),
    Hostile("latin1.csv", _text("email,name\nann@acme.com,José Peña\n", "cp1252"), 1),
    Hostile("utf16.csv", _text("email,name\nann@acme.com,Ann\n", "utf-16"), None),
    Hostile("huge_numbers.csv", _huge_numbers_csv, 4),
    Hostile("numbers.json", _json_numbers, 3),
    Hostile("numbers.jsonl", _jsonl_numbers, 3),
    Hostile("odd_types.parquet", _odd_parquet, 3),
    Hostile("ragged.csv", _ragged_csv, 2),
    Hostile("control_characters.csv", _control_csv, None),
    Hostile("long_cell.csv", _long_cell_csv, 2),
    Hostile("deep.json", _deep_json),
    # Headers a dataframe library reads as patterns: every column, or a regex of them.
    Hostile("pattern_headers.csv", _text("email,*,^x.*$,name\nann@acme.com,a,b,Ann\n"), 1),
    Hostile("pattern_headers.jsonl", _text('{"email": "ann@acme.com", "*": 1, "^.*$": 2}\n'), 1),
    Hostile(
        "pattern_headers.parquet",
        lambda path: pl.DataFrame({"email": ["ann@acme.com"], "*": [1]}).write_parquet(path),
        1,
    ),
    Hostile("not_records.json", _text('"just a string"')),
    Hostile("scalars.jsonl", _text("1\n2\n3\n")),
    Hostile("far_dates_events.csv", _far_dates_events, None, kind="events"),
]


def build(corpus_dir: Path, hostile: Hostile) -> Path:
    """Write the file of `hostile` into `corpus_dir`; its path."""
    corpus_dir.mkdir(parents=True, exist_ok=True)
    path = corpus_dir / hostile.name
    hostile.build(path)
    return path


def biff_workbook(path: Path, cells: list[tuple[int, int]]) -> Path:
    """An .xls: a compound file holding a BIFF8 workbook stream with a number in each
    (row, column) of `cells`, and nothing else a reader would need to show it."""
    records = [_biff(0x0809, struct.pack("<HHHHII", 0x0600, 0x0010, 0, 0, 0, 0))]  # globals
    records += [
        _biff(0x000A, b""),
        _biff(0x0809, struct.pack("<HHHHII", 0x0600, 0x0010, 0, 0, 0, 0)),
    ]
    records += [_biff(0x0203, struct.pack("<HHHd", row, column, 0, 1.0)) for row, column in cells]
    records.append(_biff(0x000A, b""))
    stream = b"".join(records)
    while len(stream) < 4096:  # under 4,096 bytes a stream would sit in the mini stream
        stream += _biff(0x0000, bytes(min(4096 - len(stream), 8000)))
    path.write_bytes(_compound_file({"Workbook": stream}))
    return path


def _biff(kind: int, body: bytes) -> bytes:
    return struct.pack("<HH", kind, len(body)) + body


def _compound_file(streams: dict[str, bytes]) -> bytes:
    """A version 3 compound file (512-byte sectors) with these streams, each 4,096 bytes or
    more, in the root storage: the layout [MS-CFB] describes, with no mini stream."""
    sector = 512
    free, end_of_chain, fat_sector, no_stream = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFF
    data, chains, starts = b"", [], []
    for content in streams.values():
        padded = content + bytes(-len(content) % sector)
        start = len(data) // sector
        count = len(padded) // sector
        starts.append(start)
        chains += [start + i + 1 for i in range(count - 1)] + [end_of_chain]
        data += padded
    directory_sector = len(data) // sector
    entries = [_directory_entry("Root Entry", 5, child=1, start=end_of_chain, size=0)]
    for index, (name, content) in enumerate(streams.items()):
        right = index + 2 if index + 1 < len(streams) else no_stream
        entries.append(
            _directory_entry(name, 2, right=right, start=starts[index], size=len(content))
        )
    directory = b"".join(entries)
    directory += b"".join(
        _directory_entry("", 0, start=0, size=0) for _ in range(-len(entries) % 4)
    )
    directory_sectors = len(directory) // sector
    fat_entries = chains + [directory_sector + i + 1 for i in range(directory_sectors - 1)]
    fat_entries += [end_of_chain]
    fat_at = directory_sector + directory_sectors
    fat_count = 1
    while len(fat_entries) + fat_count > fat_count * (sector // 4):
        fat_count += 1
    fat_entries += [fat_sector] * fat_count
    fat_entries += [free] * (fat_count * (sector // 4) - len(fat_entries))
    fat = struct.pack(f"<{len(fat_entries)}I", *fat_entries)
    difat = [fat_at + i for i in range(fat_count)] + [free] * (109 - fat_count)
    header = struct.pack(
        "<8s16sHHHHH6sIIIIIIIII",
        bytes.fromhex("D0CF11E0A1B11AE1"), bytes(16), 0x003E, 0x0003, 0xFFFE, 9, 6, bytes(6),
        0, fat_count, directory_sector, 0, 4096, end_of_chain, 0, end_of_chain, 0,
    )  # fmt: skip
    header += struct.pack("<109I", *difat)
    return header + data + directory + fat


def _directory_entry(
    name: str,
    kind: int,
    *,
    start: int,
    size: int,
    child: int = 0xFFFFFFFF,
    right: int = 0xFFFFFFFF,
) -> bytes:
    encoded = (name + "\0").encode("utf-16-le") if name else b""
    return struct.pack(
        "<64sHBBIII16sIQQIQ",
        encoded, len(encoded), kind, 1, 0xFFFFFFFF, right, child, bytes(16), 0, 0, 0, start, size,
    )  # fmt: skip
