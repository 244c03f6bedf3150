"""Incremental identity resolution in the workspace: near-duplicates from later files are
merged or queued for review, decisions stick, and merges can be undone."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import polars as pl
import pytest
from sqlalchemy import func, select

from leadrank.db.engine import session_scope
from leadrank.ingest.service import ingest_file
from leadrank.matching.prepare import name_block
from leadrank.orm import BronzeRecord, Lead, LeadKey, LeadMerge, LeadReview
from leadrank.sample.duplicates import sample_with_duplicates
from tests.conftest import CliResult, Workspace

Cli = Callable[..., CliResult]
HEADER = "First Name,Last Name,Email,Phone,Company,City,Country\n"


def ingest(workspace: Workspace, path: Path, source: str):  # type: ignore[no-untyped-def]
    with session_scope(workspace.engine) as session:
        return ingest_file(session, path=path, source=source)


def lead_by_email(workspace: Workspace, email: str) -> Lead:
    with session_scope(workspace.engine) as session:
        lead = session.scalar(
            select(Lead).join(LeadKey, LeadKey.lead_id == Lead.id).where(LeadKey.key_value == email)
        )
        assert lead is not None
        return lead


def count(workspace: Workspace, model: type) -> int:
    with session_scope(workspace.engine) as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


@pytest.fixture
def crm(workspace: Workspace, tmp_path: Path) -> Workspace:
    """A workspace holding 300 sample people and four people the tests come back to."""
    people, _ = sample_with_duplicates(300, seed=11, again_share=0.0)
    # Sample namesakes at one company ("Klaus Hoffmann", "Klaus Hofmann") are near-duplicates
    # themselves; the background keeps one of each.
    blocks = pl.Series(
        [name_block(f, la) for f, la in people.select("First Name", "Last Name").iter_rows()]
    )
    people = people.filter(~pl.struct(blocks.alias("b"), pl.col("Company")).is_duplicated())
    known = pl.DataFrame(
        [
            (
                "Robert",
                "Kowalczyk",
                "robert.kowalczyk@zentrix.com",
                "+1 202 555 0147",
                "Zentrix Inc",
                "Boston",
            ),
            ("Mariana", "Esteves", "mariana.esteves@quillon.pt", None, "Quillon", "Lisbon"),
            ("David", "Lewis", "david.lewis@foxnet.com", None, "Foxnet Power", "Austin"),
            (
                "Yuting",
                "Liu",
                "yuting.liu@truehaven.com",
                "+1 212 710 7272",
                "Truehaven Digital",
                "New York",
            ),
        ],
        schema=people.columns,
        orient="row",
    )
    table = pl.concat([people, known]).with_columns(pl.lit("US").alias("Country"))
    table.write_csv(tmp_path / "crm.csv")
    report = ingest(workspace, tmp_path / "crm.csv", "crm")
    assert report.leads_created == table.height and report.leads_merged == 0
    return workspace


def test_near_duplicates_from_a_later_file_merge_or_wait_for_review(
    crm: Workspace, tmp_path: Path
) -> None:
    rows = (
        # the same person without an email, and with a nickname: merged
        "Bob,Kowalczyk,,+1 202 555 0147,ZENTRIX CORPORATION,Boston,US\n"
        # the same person without an email, names the other way round: merged
        "Esteves,Mariana,,,Quillon,Lisbon,US\n"
        # a namesake at the same company with a numbered mailbox: never merged by itself
        "David,Lewis,david.lewis2@foxnet.com,,Foxnet Power,Austin,US\n"
        # the same person with a personal address: two mailboxes, so a person decides
        "Yuting,Liu,yuting.liu@hotmail.com,+1 212 710 7272,Truehaven Digital,New York,US\n"
    )
    (tmp_path / "webinar.csv").write_text(HEADER + rows)
    leads_before = count(crm, Lead)
    report = ingest(crm, tmp_path / "webinar.csv", "webinar")
    assert report.leads_created == 4
    assert report.leads_merged == 2
    assert report.pairs_to_review == 2  # the namesakes and the two mailboxes
    assert count(crm, Lead) == leads_before + 2

    robert = lead_by_email(crm, "robert.kowalczyk@zentrix.com")
    assert robert.sources == ["crm", "webinar"]
    with session_scope(crm.engine) as session:
        # the merged lead's bronze record now points at the lead that remains
        records = session.scalars(
            select(BronzeRecord.source).where(BronzeRecord.lead_id == robert.id)
        )
        assert sorted(records) == ["crm", "webinar"]
        reviews = session.scalars(select(LeadReview).order_by(LeadReview.match_score)).all()
        assert {r.status for r in reviews} == {"pending"}
        yuting = lead_by_email(crm, "yuting.liu@truehaven.com")
        assert yuting.id in (reviews[-1].lead_a, reviews[-1].lead_b)
        assert all(any("email different" in reason for reason in r.reasons) for r in reviews)
    namesake = lead_by_email(crm, "david.lewis2@foxnet.com")
    assert namesake.id != lead_by_email(crm, "david.lewis@foxnet.com").id


def test_review_decisions_merge_or_stick_and_merges_can_be_undone(
    crm: Workspace, cli: Cli, tmp_path: Path
) -> None:
    (tmp_path / "webinar.csv").write_text(
        HEADER + "Yuting,Liu,yuting.liu@hotmail.com,+1 212 710 7272,Truehaven Digital,New York,US\n"
    )
    ingest(crm, tmp_path / "webinar.csv", "webinar")
    listed = cli("leads", "duplicates")
    assert listed.exit_code == 0 and "1 lead pairs pending" in listed.stdout
    work = lead_by_email(crm, "yuting.liu@truehaven.com").id
    personal = lead_by_email(crm, "yuting.liu@hotmail.com").id

    merged = cli("leads", "review", str(work), str(personal), "--same")
    assert merged.exit_code == 0, merged.stderr
    assert f"merged lead {personal} into lead {work}" in merged.stdout
    assert lead_by_email(crm, "yuting.liu@hotmail.com").id == work  # its key moved along
    gone = cli("leads", "show", str(personal))
    assert gone.exit_code == 1 and f"merged into lead {work}" in gone.stderr
    assert "no pairs waiting" in cli("leads", "duplicates").stdout

    undone = cli("leads", "unmerge", str(work))
    assert undone.exit_code == 0, undone.stderr
    assert lead_by_email(crm, "yuting.liu@hotmail.com").id == personal
    restored = lead_by_email(crm, "yuting.liu@hotmail.com")
    kept = lead_by_email(crm, "yuting.liu@truehaven.com")
    assert restored.sources == ["webinar"] and kept.sources == ["crm"]
    with session_scope(crm.engine) as session:
        records = session.scalars(
            select(BronzeRecord.lead_id).where(BronzeRecord.source == "webinar")
        )
        assert list(records) == [personal]
        merge = session.scalar(select(LeadMerge))
        assert merge is not None and merge.undone_at is not None
        review = session.scalar(select(LeadReview))
        assert review is not None and review.status == "different"

    # A later file with more about the personal lead updates it and merges nothing.
    (tmp_path / "later.csv").write_text(
        HEADER + "Yuting,Liu,yuting.liu@hotmail.com,,Truehaven Digital,Boston,US\n"
    )
    report = ingest(crm, tmp_path / "later.csv", "events-form")
    assert (report.leads_updated, report.leads_merged, report.pairs_to_review) == (1, 0, 0)
    assert cli("leads", "unmerge", str(work)).exit_code == 1  # nothing left to undo


def test_review_errors_are_one_line(crm: Workspace, cli: Cli) -> None:
    same = cli("leads", "review", "1", "1", "--same")
    assert same.exit_code == 1 and "two different lead ids" in same.stderr
    missing = cli("leads", "review", "1", "999999", "--different")
    assert missing.exit_code == 1 and "no lead 999999" in missing.stderr


def test_a_lead_that_absorbed_another_can_itself_be_merged_and_both_undone(
    crm: Workspace, cli: Cli, tmp_path: Path
) -> None:
    (tmp_path / "a.csv").write_text(
        HEADER + "Yuting,Liu,yuting.liu@hotmail.com,+1 212 710 7272,Truehaven Digital,,US\n"
    )
    ingest(crm, tmp_path / "a.csv", "a")
    (tmp_path / "b.csv").write_text(HEADER + "Yuting,Liu,yliu@gmail.com,,Truehaven Digital,,US\n")
    ingest(crm, tmp_path / "b.csv", "b")
    work = lead_by_email(crm, "yuting.liu@truehaven.com").id
    hotmail = lead_by_email(crm, "yuting.liu@hotmail.com").id
    gmail = lead_by_email(crm, "yliu@gmail.com").id
    assert cli("leads", "review", str(hotmail), str(gmail), "--same").exit_code == 0
    assert cli("leads", "review", str(work), str(hotmail), "--same").exit_code == 0
    assert {lead_by_email(crm, e).id for e in ("yliu@gmail.com", "yuting.liu@hotmail.com")} == {
        work
    }
    # Undoing the newest merge brings back the hotmail lead as it was: holding the gmail one.
    assert cli("leads", "unmerge", str(work)).exit_code == 0
    assert lead_by_email(crm, "yuting.liu@hotmail.com").id == hotmail
    assert lead_by_email(crm, "yliu@gmail.com").id == hotmail
    assert cli("leads", "unmerge", str(work)).exit_code == 1  # nothing else was merged into it
    assert cli("leads", "unmerge", str(hotmail)).exit_code == 0
    assert lead_by_email(crm, "yliu@gmail.com").id == gmail


def test_company_name_variants_join_the_stored_company(
    workspace: Workspace, tmp_path: Path
) -> None:
    (tmp_path / "crm.csv").write_text(
        HEADER
        + "Ann,Lee,ann.lee@brightwave-analytics.com,,Brightwave Analytics Inc.,Austin,US\n"
        + "Bob,Stone,bob@northwind.com,,Northwind Traders,Seattle,US\n"
        + "Gus,Hale,gus@alphacapital.example,,Alpha Capital 1,Seattle,US\n"
    )
    ingest(workspace, tmp_path / "crm.csv", "crm")
    (tmp_path / "fair.csv").write_text(
        HEADER
        # a typo and another legal suffix, no domain: the same company
        + "Cara,Diaz,,+1 512 555 0111,BRIGHTWAVE ANALYTIC LLC,Austin,US\n"
        # the same first word, another business: a company of its own
        + "Dan,Ek,,+1 206 555 0199,Northwind Logistics,Seattle,US\n"
        # a region of the same organisation: one account (companies are organisations)
        + "Eve,Fox,,+1 206 555 0142,Northwind Traders West,Seattle,US\n"
        # one number apart: two businesses
        + "Fred,Gil,,+1 206 555 0143,Alpha Capital 2,Seattle,US\n"
    )
    ingest(workspace, tmp_path / "fair.csv", "fair")
    with session_scope(workspace.engine) as session:
        company = dict(session.execute(select(Lead.full_name, Lead.company_id)).all())
    assert company["Cara Diaz"] == company["Ann Lee"]
    assert company["Dan Ek"] != company["Bob Stone"]
    assert company["Eve Fox"] == company["Bob Stone"]
    assert company["Fred Gil"] != company["Gus Hale"]


def test_two_new_namesakes_are_not_both_merged_into_one_lead(
    crm: Workspace, tmp_path: Path
) -> None:
    (tmp_path / "first.csv").write_text(HEADER + "Sam,Okafor,,,Lumen Tides,Lagos,NG\n")
    ingest(crm, tmp_path / "first.csv", "first")
    (tmp_path / "second.csv").write_text(
        HEADER
        + "Sam,Okafor,sam.okafor@lumentides.com,,Lumen Tides,Lagos,NG\n"
        + "Sam,Okafor,sokafor@lumentides.com,,Lumen Tides,Lagos,NG\n"
    )
    report = ingest(crm, tmp_path / "second.csv", "second")
    # Each new one alone could be the stored Sam; both together would be two mailboxes.
    assert report.leads_merged == 1 and report.pairs_to_review >= 1
    first, second = (
        lead_by_email(crm, "sam.okafor@lumentides.com"),
        lead_by_email(crm, "sokafor@lumentides.com"),
    )
    assert first.id != second.id


def test_a_merged_lead_id_is_never_given_again_and_undo_goes_newest_first(
    crm: Workspace, cli: Cli, tmp_path: Path
) -> None:
    (tmp_path / "a.csv").write_text(
        HEADER + "Yuting,Liu,yuting.liu@hotmail.com,,Truehaven Digital,,US\n"
    )
    ingest(crm, tmp_path / "a.csv", "a")
    work = lead_by_email(crm, "yuting.liu@truehaven.com").id
    hotmail = lead_by_email(crm, "yuting.liu@hotmail.com").id
    assert cli("leads", "review", str(work), str(hotmail), "--same").exit_code == 0
    (tmp_path / "b.csv").write_text(
        HEADER
        + "Ines,Moura,ines.moura@quillon.pt,,Quillon,Lisbon,PT\n"
        + "Yuting,Liu,yliu@gmail.com,,Truehaven Digital,,US\n"
    )
    ingest(crm, tmp_path / "b.csv", "b")
    assert lead_by_email(crm, "ines.moura@quillon.pt").id > hotmail
    gmail = lead_by_email(crm, "yliu@gmail.com").id
    assert cli("leads", "review", str(work), str(gmail), "--same").exit_code == 0
    with session_scope(crm.engine) as session:
        first_merge = session.scalar(select(LeadMerge.id).order_by(LeadMerge.id))
    refused = cli("leads", "unmerge", str(work), "--merge", str(first_merge))
    assert refused.exit_code == 1 and "undo that one first" in refused.stderr
    assert cli("leads", "unmerge", str(work)).exit_code == 0  # gmail comes back
    kept = lead_by_email(crm, "yuting.liu@truehaven.com")
    assert kept.sources == ["crm", "a"]  # what the first merge brought stays
    assert cli("leads", "unmerge", str(work)).exit_code == 0  # then hotmail
    assert lead_by_email(crm, "yuting.liu@truehaven.com").sources == ["crm"]
    assert lead_by_email(crm, "yuting.liu@hotmail.com").id == hotmail
