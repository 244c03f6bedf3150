"""Companies without domains in the workspace: a later file that writes a stored company
another way joins it, by the same comparisons `dedupe --entity company` makes."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from sqlalchemy import select

from leadrank.db.engine import session_scope
from leadrank.ingest.service import ingest_file
from leadrank.orm import Company, CompanyAlias, Lead
from tests.conftest import CliResult, Workspace

Cli = Callable[..., CliResult]

FIRST = """email,first_name,last_name,company,country
ann@akzo-mail.example,Ann,Lee,Akzo Nobel N.V.,NL
bob@bw-mail.example,Bob,Ray,Brightwave Analytics Inc.,US
cy@qc-mail.example,Cy,Fox,Quantumcraft Power GmbH,DE
ida@ibm-mail.example,Ida,Moe,International Business Machines Corp.,US
"""
LATER = """email,first_name,last_name,company,country
dee@other.example,Dee,Ng,AKZO-NOBEL,NL
eve@other.example,Eve,Oh,"Brightwave Analytcs, LLC",US
fay@other.example,Fay,Po,Quantumcraft Logistics,DE
hal@other.example,Hal,Ro,Int'l Business Machines,US
"""
ABROAD = """email,first_name,last_name,company,country
gus@other.example,Gus,Qi,Akzo Nobel B.V.,FR
"""


def _company_of(workspace: Workspace) -> dict[str, str | None]:
    with session_scope(workspace.engine) as session:
        rows = session.execute(
            select(Lead.email, Company.name).join(Company, Company.id == Lead.company_id)
        ).all()
    return dict(rows)


def _ingested(workspace: Workspace, folder: Path, cli: Cli, *texts: str) -> dict[str, int]:
    """Each text ingested as a file in turn; then each lead's company by email."""
    for number, text in enumerate(texts):
        path = folder / f"list{number}.csv"
        path.write_text(text)
        assert cli("ingest", str(path)).exit_code == 0
    with session_scope(workspace.engine) as session:
        return dict(session.execute(select(Lead.email, Lead.company_id)).all())


def test_a_company_written_another_way_joins_the_stored_one(
    workspace: Workspace, tmp_path: Path
) -> None:
    for number, text in enumerate((FIRST, LATER, ABROAD)):
        path = tmp_path / f"list{number}.csv"
        path.write_text(text)
        with session_scope(workspace.engine) as session:
            ingest_file(session, path=path, source=f"list{number}")
    companies = _company_of(workspace)
    with session_scope(workspace.engine) as session:
        ids = dict(session.execute(select(Lead.email, Lead.company_id)).all())
    assert ids["dee@other.example"] == ids["ann@akzo-mail.example"]  # capitals, a hyphen
    assert ids["eve@other.example"] == ids["bob@bw-mail.example"]  # a typo, another form
    assert ids["hal@other.example"] == ids["ida@ibm-mail.example"]  # an abbreviation
    # One stem, another business; and one name in another country: not joined.
    assert ids["fay@other.example"] != ids["cy@qc-mail.example"]
    assert ids["gus@other.example"] != ids["ann@akzo-mail.example"]
    assert len(set(ids.values())) == 6
    assert companies["fay@other.example"] == "Quantumcraft Logistics"
    # Each name joined is remembered with why: later rows of it join at once.
    with session_scope(workspace.engine) as session:
        aliases = {a.match_key: a for a in session.scalars(select(CompanyAlias)).all()}
    assert aliases["name:akzo nobel"].company_id == ids["ann@akzo-mail.example"]
    assert (aliases["name:akzo nobel"].reason or "").startswith("name the same rare name (+")
    assert "name nearly the same" in (aliases["name:brightwave analytcs"].reason or "")
    assert "name:quantumcraft logistics" not in aliases


def test_a_company_that_may_be_a_stored_one_waits_for_review(
    workspace: Workspace, tmp_path: Path, cli: Cli
) -> None:
    ids = _ingested(workspace, tmp_path, cli, FIRST, ABROAD)
    stored, abroad = ids["ann@akzo-mail.example"], ids["gus@other.example"]
    assert stored != abroad  # the same name in another country is not joined on its own

    listed = cli("leads", "duplicates")
    assert f"company {stored} ~ {abroad}" in listed.stdout
    assert "name the same rare name" in listed.stdout
    assert "country differs (NL, FR)" in listed.stdout
    assert "1 company pairs pending" in listed.stdout

    decided = cli("leads", "review", str(stored), str(abroad), "--companies", "--same")
    assert decided.exit_code == 0, decided.stderr
    assert f"merged company {abroad} into company {stored}" in decided.stdout
    assert "no pairs waiting for review" in cli("leads", "duplicates").stdout

    # The folded company's name joins the kept company from now on.
    again = tmp_path / "again.csv"
    again.write_text(ABROAD.replace("gus@", "hugo@"))
    assert cli("ingest", str(again)).exit_code == 0
    with session_scope(workspace.engine) as session:
        ids = dict(session.execute(select(Lead.email, Lead.company_id)).all())
        assert session.get(Company, abroad) is None
    assert ids["gus@other.example"] == ids["hugo@other.example"] == stored
    with session_scope(workspace.engine) as session:
        hugo = session.scalar(select(Lead.id).where(Lead.email == "hugo@other.example"))
    shown = cli("leads", "show", str(hugo)).stdout
    assert (
        f"company also written: akzo nobel b v (company {abroad} folded into it by review:cli)"
        in shown
    )


def test_companies_decided_different_stay_apart(
    workspace: Workspace, tmp_path: Path, cli: Cli
) -> None:
    ids = _ingested(workspace, tmp_path, cli, FIRST, ABROAD)
    stored, abroad = ids["ann@akzo-mail.example"], ids["gus@other.example"]
    decided = cli("leads", "review", str(abroad), str(stored), "--companies", "--different")
    assert "are different organisations" in decided.stdout
    assert "no pairs waiting for review" in cli("leads", "duplicates").stdout
    same_again = cli("leads", "review", str(stored), str(stored), "--companies", "--same")
    assert same_again.exit_code != 0
    assert "two different company ids" in same_again.stderr


def test_folding_companies_keeps_lead_merges_undoable_and_leads_blocked(
    workspace: Workspace, tmp_path: Path, cli: Cli
) -> None:
    path = tmp_path / "first.csv"
    path.write_text(FIRST)
    assert cli("ingest", str(path)).exit_code == 0
    with session_scope(workspace.engine) as session:
        lead = {
            email: (lead_id, company)
            for lead_id, email, company in session.execute(
                select(Lead.id, Lead.email, Lead.company_id)
            ).all()
        }
    (ann, akzo), (bob, brightwave) = lead["ann@akzo-mail.example"], lead["bob@bw-mail.example"]
    # A person merges two leads, then two companies; then undoes the lead merge.
    assert cli("leads", "review", str(ann), str(bob), "--same").exit_code == 0
    folded = cli("leads", "review", str(akzo), str(brightwave), "--companies", "--same")
    assert folded.exit_code == 0, folded.stderr
    undone = cli("leads", "unmerge", str(min(ann, bob)))
    assert undone.exit_code == 0, undone.stderr
    with session_scope(workspace.engine) as session:
        back = session.get(Lead, max(ann, bob))
        assert back is not None and back.company_id == min(akzo, brightwave)
        assert back.match_block is not None and back.match_block.endswith(
            f"@{min(akzo, brightwave)}"
        )
        for moved in session.scalars(select(Lead).where(Lead.company_id == min(akzo, brightwave))):
            assert moved.match_block is None or moved.match_block.endswith(
                f"@{min(akzo, brightwave)}"
            )
