"""`leadrank leads list`, `leads export` and `score -o`: the ranked worklist as a user reads it
in a terminal and takes it away as a file."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import polars as pl
import pytest

from leadrank.db.engine import session_scope
from leadrank.kit.console import console
from leadrank.leads.browse import LeadFilters, browse_leads
from tests.conftest import CliResult, Workspace


def _ids(output: str) -> list[int]:
    """The lead ids of a printed list, in order."""
    return [
        int(line.split()[0])
        for line in output.splitlines()
        if line.split()[:1] != [] and line.split()[0].isdigit()
    ]


def test_the_list_ranks_filters_and_fits_80_columns(
    scored: Workspace, cli: Callable[..., CliResult], monkeypatch: pytest.MonkeyPatch
) -> None:
    with session_scope(scored.engine) as session:
        best, _ = browse_leads(session, filters=LeadFilters(), sort="score", limit=15)
        fittest, _ = browse_leads(session, filters=LeadFilters(), sort="fit", limit=15)
    listed = cli("leads", "list", "-n", "15")
    assert listed.exit_code == 0, listed.stderr
    header = listed.stdout.splitlines()[0].split()
    assert header[:3] == ["id", "grade", "score"] and header[-1] == "why"
    assert "chance" not in header, "the rules give no chance to show"
    assert _ids(listed.stdout) == [row.lead.id for row in best], "best first by default"
    top = best[0]
    line = next(
        line for line in listed.stdout.splitlines() if line.split()[:1] == [str(top.lead.id)]
    )
    assert f"{top.score:.1f}" in line and (top.top_reason or "")[:20] in line
    by_fit = cli("leads", "list", "-n", "15", "--sort", "fit")
    assert _ids(by_fit.stdout) == [row.lead.id for row in fittest]

    with session_scope(scored.engine) as session:
        everyone, _ = browse_leads(session, filters=LeadFilters(), sort="score", limit=500)
    wanted = sorted({row.grade for row in everyone if row.grade})[:2]
    grades = cli("leads", "list", "-n", "500", "--grade", ",".join(wanted).lower())
    assert grades.exit_code == 0
    rows = [line.split() for line in grades.stdout.splitlines()[2:] if line.strip()]
    assert len(rows) == sum(row.grade in wanted for row in everyone)
    assert all(row[1] in wanted for row in rows)
    floor = cli("leads", "list", "-n", "500", "--min-score", "60")
    assert all(
        float(line.split()[2]) >= 60 for line in floor.stdout.splitlines()[2:] if line.strip()
    )

    monkeypatch.setattr(console, "width", 80)
    narrow = cli("leads", "list", "-n", "15")
    lines = [line for line in narrow.stdout.splitlines() if line.strip()]
    assert len(lines) == 2 + 15, "one line a lead: nothing wraps"
    assert all(len(line) <= 80 for line in lines)
    assert narrow.stdout.splitlines()[0].split()[:3] == ["id", "grade", "score"]

    refused = cli("leads", "list", "--grade", "Z")
    assert refused.exit_code == 1 and "grades" in refused.stderr
    unknown = cli("leads", "list", "--sort", "luck")
    assert unknown.exit_code == 1 and "unknown sort" in unknown.stderr


@pytest.mark.parametrize("suffix", [".csv", ".xlsx", ".parquet", ".jsonl"])
def test_export_writes_the_selection_with_scores_and_reasons(
    scored: Workspace, cli: Callable[..., CliResult], tmp_path: Path, suffix: str
) -> None:
    path = tmp_path / f"worklist{suffix}"
    done = cli("leads", "export", "-o", str(path), "--grade", "A,B,C")
    assert done.exit_code == 0, done.stderr
    frame = {
        ".csv": pl.read_csv,
        ".xlsx": pl.read_excel,
        ".parquet": pl.read_parquet,
        ".jsonl": pl.read_ndjson,
    }[suffix](path)
    with session_scope(scored.engine) as session:
        rows, _ = browse_leads(
            session, filters=LeadFilters(grades=("A", "B", "C")), sort="score", limit=500
        )
    assert frame["id"].to_list() == [row.lead.id for row in rows]
    assert f"{frame.height:,} leads" in done.stdout
    for column in ("email", "job_title", "company_name", "country_code", "quality_score", "fit",
                   "engagement", "probability", "score", "grade", "reasons_for",
                   "reasons_against", "model_version", "scored_at"):  # fmt: skip
        assert column in frame.columns, column
    assert set(frame["grade"].to_list()) <= {"A", "B", "C"}
    assert frame["score"].to_list() == sorted(frame["score"].to_list(), reverse=True)
    assert set(frame["model_version"].to_list()) == {"rules"}
    reasons = frame["reasons_for"].to_list()
    flat = [r if isinstance(r, str) else "; ".join(r) for r in reasons]
    assert any(flat), "the reasons go along"


def test_score_writes_the_scored_workspace(
    workspace: Workspace, cli: Callable[..., CliResult], tmp_path: Path
) -> None:
    from tests.conftest import ingest_sample

    ingest_sample(workspace, tmp_path / "sample", leads=120, seed=9)
    path = tmp_path / "scored.csv"
    done = cli("score", "-o", str(path))
    assert done.exit_code == 0, done.stderr
    frame = pl.read_csv(path)
    assert frame.height > 100 and "best first" in done.stdout
    assert frame["score"].to_list() == sorted(frame["score"].to_list(), reverse=True)
    assert frame["grade"].null_count() == 0
    refused = cli("score", "--model", "x")
    assert refused.exit_code == 1 and "--model goes with --data" in refused.stderr


def test_the_owner_comes_in_from_the_crm_and_filters_the_list(
    workspace: Workspace, cli: Callable[..., CliResult], tmp_path: Path
) -> None:
    path = tmp_path / "hubspot.csv"
    path.write_text(
        "Email,First Name,Last Name,Job Title,Contact owner\n"
        "ann@initech.com,Ann,Lee,CTO,Ana Ruiz\n"
        "bob@acme.io,Bob,Stone,VP Sales,ben okafor\n"
        "cy@acme.io,Cy,Young,Engineer,\n"
    )
    assert cli("ingest", str(path), "--source", "hubspot").exit_code == 0
    mine = cli("leads", "list", "--owner", "ana ruiz")
    assert mine.exit_code == 0, mine.stderr
    assert "Ann" in mine.stdout and "Bob" not in mine.stdout and "Cy" not in mine.stdout
    exported = tmp_path / "ben.csv"
    assert cli("leads", "export", "-o", str(exported), "--owner", "Ben Okafor").exit_code == 0
    frame = pl.read_csv(exported)
    assert frame["email"].to_list() == ["bob@acme.io"] and frame["owner"].to_list() == [
        "ben okafor"
    ]


def test_search_words_match_only_themselves(
    workspace: Workspace, cli: Callable[..., CliResult], tmp_path: Path
) -> None:
    path = tmp_path / "list.csv"
    path.write_text(
        "Email,First Name,Last Name,Company\n"
        "ann@initech.com,Ann,Lee,100% Growth\n"
        "bob@acme.io,Bob,Stone,Acme_Labs\n"
        "cy@zeta.io,Cy,Young,Zeta\n"
    )
    assert cli("ingest", str(path), "--source", "crm").exit_code == 0
    for words, found in (
        ("%", ["Ann"]),
        ("_", ["Bob"]),
        ("100%", ["Ann"]),
        ("n_l", []),
        ("\\\\", []),
    ):
        listed = cli("leads", "list", "-q", words)
        assert listed.exit_code == 0, listed.stderr
        names = [n for n in ("Ann", "Bob", "Cy") if n in listed.stdout]
        assert names == found, (words, listed.stdout)


def test_names_cannot_drive_the_terminal(
    workspace: Workspace, cli: Callable[..., CliResult], tmp_path: Path
) -> None:
    path = tmp_path / "list.csv"
    path.write_text(
        "Email,First Name,Last Name,Company\n"
        'ann@initech.com,"\x1b[31mAnn",Lee,[bold]Initech[/bold]\n'
    )
    assert cli("ingest", str(path), "--source", "crm").exit_code == 0
    for args in (("leads", "list"), ("leads", "show", "ann@initech.com")):
        shown = cli(*args)
        assert shown.exit_code == 0, shown.stderr
        assert "\x1b" not in shown.stdout, args
        assert "\\x1b[31m" in shown.stdout.replace("\\\\", "\\"), args
    listed = cli("leads", "list").stdout
    assert "[bold]Initech[/bold]" in listed, "markup in data is shown as written"
