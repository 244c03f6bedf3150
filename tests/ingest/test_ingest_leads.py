"""Ingesting lead files end to end into a real workspace (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest
from sqlalchemy import func, select

from leadrank.db.engine import session_scope
from leadrank.errors import BadInput
from leadrank.ingest.service import chunk_size, ingest_file
from leadrank.orm import BronzeRecord, Company, Import, Lead, LeadKey
from tests.conftest import FIXTURES, Workspace

APOLLO_HEADER = "First Name,Last Name,Title,Company,Email,Work Direct Phone,Mobile Phone,# Employees,Industry,Person Linkedin Url,Website,City,Country,Annual Revenue,Apollo Contact Id,Keywords\n"
APOLLO_ROWS = [
    "Ada,Lovelace,VP of Engineering,Analytical Engines Ltd,Ada.Lovelace@Engines.co.uk,+44 20 7946 0958,,51-200,Software,https://www.linkedin.com/in/ada-lovelace,www.engines.co.uk,London,United Kingdom,$10M-$50M,ap-1,compilers",
    "grace,hopper,Director of Data,Cobol Corp,grace@cobolcorp.com,(415) 555-0132,,1200,Software,,cobolcorp.com,San Francisco,USA,,ap-2,",
    "Alan,Turing,Intern,Bletchley Inc,alan.turing@gmail.com,,,10,Research,,,,UK,,ap-3,",
    ",,,,,,,,Software,,,,,,,",
    "Jane,NoMail,CEO,,not-an-email,,,,,,,,,,,",
]


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def ingest(workspace: Workspace, path: Path, source: str, **options: object):  # type: ignore[no-untyped-def]
    with session_scope(workspace.engine) as session:
        return ingest_file(session, path=path, source=source, **options)  # type: ignore[arg-type]


def count(workspace: Workspace, model: type) -> int:
    with session_scope(workspace.engine) as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_apollo_file_becomes_bronze_leads_companies_and_quarantine(
    workspace: Workspace, tmp_path: Path
) -> None:
    path = write(tmp_path / "apollo.csv", APOLLO_HEADER + "\n".join(APOLLO_ROWS) + "\n")
    report = ingest(workspace, path, "apollo")
    assert (report.rows_read, report.rows_new, report.rows_quarantined) == (5, 5, 2)
    assert report.leads_created == 3
    assert count(workspace, BronzeRecord) == 5
    with session_scope(workspace.engine) as session:
        ada = session.scalar(select(Lead).where(Lead.email == "ada.lovelace@engines.co.uk"))
        assert ada is not None
        assert (ada.first_name, ada.seniority, ada.country_code, ada.phone_e164) == (
            "Ada",
            "vp",
            "GB",
            "+442079460958",
        )
        assert ada.attributes == {"Keywords": "compilers"}
        assert ada.sources == ["apollo"]
        assert ada.provenance["email"] == [report.import_id, 1]
        company = session.get(Company, ada.company_id)
        assert company is not None
        assert (company.domain, company.employees_min, company.employees_max) == (
            "engines.co.uk",
            51,
            200,
        )
        grace = session.scalar(select(Lead).where(Lead.email == "grace@cobolcorp.com"))
        assert (
            grace is not None and grace.first_name == "Grace" and grace.phone_e164 == "+14155550132"
        )
        turing = session.scalar(select(Lead).where(Lead.last_name == "Turing"))
        assert (
            turing is not None and turing.email_free_mail is True and turing.company_domain is None
        )
        quarantined = session.scalars(
            select(BronzeRecord)
            .where(BronzeRecord.status == "quarantined")
            .order_by(BronzeRecord.row_number)
        ).all()
        assert [r.row_number for r in quarantined] == [4, 5]
        assert quarantined[0].reasons is not None and quarantined[0].reasons[0].startswith(
            "no_identity"
        )
        assert "email_invalid" in (quarantined[1].reasons or [])
        assert quarantined[1].payload["Email"] == "not-an-email"  # verbatim, nothing lost
        loaded = session.scalar(select(BronzeRecord).where(BronzeRecord.row_number == 1))
        assert (
            loaded is not None
            and loaded.lead_id == ada.id
            and loaded.payload["First Name"] == "Ada"
        )


def test_reingesting_the_same_file_adds_nothing(workspace: Workspace, tmp_path: Path) -> None:
    path = write(tmp_path / "apollo.csv", APOLLO_HEADER + "\n".join(APOLLO_ROWS) + "\n")
    first = ingest(workspace, path, "apollo")
    before = (
        count(workspace, BronzeRecord),
        count(workspace, Lead),
        count(workspace, Company),
        count(workspace, LeadKey),
    )
    again = ingest(workspace, path, "apollo")
    assert again.repeat_of == first.import_id
    # The two quarantined rows get another chance (and fail again); nothing else is touched.
    assert (again.rows_new, again.rows_duplicate, again.rows_retried) == (0, 3, 2)
    assert (again.leads_created, again.leads_updated, again.rows_quarantined) == (0, 0, 2)
    assert (
        count(workspace, BronzeRecord),
        count(workspace, Lead),
        count(workspace, Company),
        count(workspace, LeadKey),
    ) == before


def test_duplicate_rows_in_one_file_are_stored_once(workspace: Workspace, tmp_path: Path) -> None:
    path = write(tmp_path / "dupes.csv", APOLLO_HEADER + "\n".join([APOLLO_ROWS[0]] * 3) + "\n")
    report = ingest(workspace, path, "apollo")
    assert (report.rows_new, report.rows_duplicate, report.leads_created) == (1, 2, 1)


def test_second_source_merges_by_email_and_never_blanks_a_value(
    workspace: Workspace, tmp_path: Path
) -> None:
    ingest(
        workspace,
        write(tmp_path / "apollo.csv", APOLLO_HEADER + "\n".join(APOLLO_ROWS) + "\n"),
        "apollo",
    )
    hubspot = (
        "Record ID;First Name;Last Name;Email;Phone Number;Job Title;Company Name;Country/Region;City;Notes\n"
        '77;Ada;Lovelace;mailto:ADA.LOVELACE@engines.co.uk;;Vice President Engineering;;Großbritannien;;"met at\nexpo"\n'
    )
    report = ingest(workspace, write(tmp_path / "hubspot.csv", hubspot, "cp1252"), "hubspot")
    assert (report.leads_created, report.leads_updated) == (0, 1)
    with session_scope(workspace.engine) as session:
        ada = session.scalar(select(Lead).where(Lead.email == "ada.lovelace@engines.co.uk"))
        assert ada is not None
        assert ada.job_title == "Vice President Engineering"  # newer non-empty value wins
        assert ada.phone_e164 == "+442079460958"  # empty cell never overwrites
        assert ada.city == "London"
        assert ada.company_name == "Analytical Engines Ltd"
        assert ada.sources == ["apollo", "hubspot"]
        assert ada.attributes["Notes"] == "met at\nexpo"
        assert ada.attributes["Keywords"] == "compilers"
        assert ada.provenance["job_title"] == [report.import_id, 1]
        assert (
            ada.provenance["phone_e164"][1] == 1
            and ada.provenance["phone_e164"][0] != report.import_id
        )
        keys = set(
            session.execute(
                select(LeadKey.key_type, LeadKey.key_value).where(LeadKey.lead_id == ada.id)
            )
        )
        assert ("ext", "hubspot:77") in keys and ("ext", "apollo:ap-1") in keys


def test_linkedin_only_rows_merge_with_the_lead_that_has_the_url(
    workspace: Workspace, tmp_path: Path
) -> None:
    ingest(
        workspace, write(tmp_path / "apollo.csv", APOLLO_HEADER + APOLLO_ROWS[0] + "\n"), "apollo"
    )
    salesnav = tmp_path / "salesnav.jsonl"
    salesnav.write_text(
        json.dumps(
            {
                "firstName": "Ada",
                "lastName": "Lovelace",
                "profileUrl": "linkedin.com/in/Ada-Lovelace/?trk=x",
                "location": "London, England, United Kingdom",
                "companySize": "51-200 employees",
            }
        )
        + "\n"
    )
    report = ingest(workspace, salesnav, "linkedin")
    assert (report.leads_created, report.leads_updated) == (0, 1)
    assert count(workspace, Lead) == 1


def test_x_education_leads_are_identified_by_their_prospect_id(workspace: Workspace) -> None:
    report = ingest(workspace, FIXTURES / "x_education_200.csv", "x_education")
    assert (report.rows_read, report.rows_quarantined, report.leads_created) == (200, 0, 200)
    with session_scope(workspace.engine) as session:
        lead = session.scalar(select(Lead).where(Lead.id == 2))
        assert lead is not None
        assert lead.country_code == "IN"
        assert lead.lead_source == "Organic Search"
        assert lead.attributes["Converted"] == "0"
        assert lead.attributes["Lead Number"] == "660728"
        assert lead.city is None  # "Select" means not answered
        countries = dict(
            session.execute(
                select(Lead.country_code, func.count()).group_by(Lead.country_code)
            ).all()
        )
        assert countries.get("IN", 0) > 100


def test_dry_run_writes_nothing(workspace: Workspace, tmp_path: Path) -> None:
    path = write(tmp_path / "apollo.csv", APOLLO_HEADER + "\n".join(APOLLO_ROWS) + "\n")
    report = ingest(workspace, path, "apollo", dry_run=True)
    assert (report.rows_new, report.rows_quarantined, report.import_id) == (5, 2, None)
    assert report.mapping.fields["email"] == ["Email"]
    assert count(workspace, BronzeRecord) == count(workspace, Lead) == count(workspace, Import) == 0


def test_a_malformed_file_leaves_the_workspace_as_it_was(
    workspace: Workspace, tmp_path: Path
) -> None:
    path = write(tmp_path / "broken.jsonl", '{"email": "a@x.com"}\n{"email": \n')
    with pytest.raises(BadInput, match="line 2"):
        ingest(workspace, path, "web")
    assert count(workspace, BronzeRecord) == count(workspace, Import) == 0


def test_chunks_give_the_same_result_as_one_pass(workspace: Workspace, tmp_path: Path) -> None:
    rows = [
        f"P{i},Q{i},Engineer,Co{i % 7},p{i}@co{i % 7}.com,,,10,IT,,,,US,,id-{i},\n"
        for i in range(2500)
    ]
    rows += rows[:300]  # a second copy of some people, in later chunks
    path = write(tmp_path / "big.csv", APOLLO_HEADER + "".join(rows))
    report = ingest(workspace, path, "apollo", chunk_rows=1000)
    assert (report.rows_new, report.rows_duplicate, report.leads_created) == (2500, 300, 2500)
    assert count(workspace, Company) == 7
    with session_scope(workspace.engine) as session:
        numbers = session.scalars(
            select(BronzeRecord.row_number).order_by(BronzeRecord.row_number)
        ).all()
    assert numbers == list(range(1, 2501))


def test_progress_moves_as_chunks_are_written(workspace: Workspace, tmp_path: Path) -> None:
    rows = [
        f"P{i},Q{i},Engineer,Co{i % 7},p{i}@co{i % 7}.com,,,10,IT,,,,US,,id-{i},\n"
        for i in range(2500)
    ]
    path = write(tmp_path / "big.csv", APOLLO_HEADER + "".join(rows))
    seen: list[tuple[int, int, int]] = []
    with session_scope(workspace.engine) as session:

        def progress(stage: str, done: int, total: int) -> None:
            leads = session.scalar(select(func.count()).select_from(Lead))
            seen.append((done, total, int(leads or 0)))

        ingest_file(
            session, path=path, source="apollo", kind="leads", chunk_rows=1000, progress=progress
        )
    assert [(done, total) for done, total, _ in seen] == [
        (0, 2500),
        (1000, 2500),
        (2000, 2500),
        (2500, 2500),
    ]
    assert [leads for *_, leads in seen] == [0, 1000, 2000, 2500], "reported once written"


@pytest.mark.parametrize(
    ("rows", "chunk_rows", "chunks"),
    [(10, 100_000, 1), (25_000, 100_000, 1), (20_000, 5_000, 4), (56_000, 100_000, 3),
     (200_000, 100_000, 5), (1_000_000, 100_000, 10)],
)  # fmt: skip
def test_files_go_in_a_few_chunks_never_over_the_limit(
    rows: int, chunk_rows: int, chunks: int
) -> None:
    size = chunk_size(rows, chunk_rows)
    assert size <= chunk_rows and -(-rows // size) == chunks


def test_parquet_and_excel_ingest(workspace: Workspace, tmp_path: Path) -> None:
    frame = pl.DataFrame({"Email": ["x@parq.io"], "Company Name": ["Parq"], "Employees": [40]})
    frame.write_parquet(tmp_path / "leads.parquet")
    report = ingest(workspace, tmp_path / "leads.parquet", "web")
    assert report.leads_created == 1


def test_a_later_file_fills_company_fields_and_records_where_they_came_from(
    workspace: Workspace, tmp_path: Path
) -> None:
    first = ingest(
        workspace,
        write(tmp_path / "apollo.csv", APOLLO_HEADER + APOLLO_ROWS[1] + "\n"),
        "apollo",
    )
    crm = (
        "Email,Company,Website,Industry,Number of Employees,Create Date\n"
        "jo@cobolcorp.com,Cobol Corp,https://www.cobolcorp.com/about,,,2026-02-03\n"
        "sam@cobolcorp.com,COBOL CORP,cobolcorp.com,Mainframes,1001-5000,03/04/2026\n"
    )
    second = ingest(workspace, write(tmp_path / "crm.csv", crm), "crm")
    assert (second.leads_created, second.companies_created) == (2, 0)
    with session_scope(workspace.engine) as session:
        companies = session.scalars(select(Company)).all()
        assert len(companies) == 1
        company = companies[0]
        assert (company.domain, company.industry) == ("cobolcorp.com", "Mainframes")
        assert (company.employees_min, company.employees_max) == (1001, 5000)
        assert company.name == "COBOL CORP"  # the newest non-empty value wins
        assert company.provenance["industry"] == [second.import_id, 2]
        assert company.provenance["domain"] == [second.import_id, 2]
        sam = session.scalar(select(Lead).where(Lead.email == "sam@cobolcorp.com"))
        assert sam is not None and sam.company_id == company.id
        assert sam.source_created_at is not None and sam.source_created_at.month == 3
        assert sam.provenance["source_created_at"] == [second.import_id, 2]
        grace = session.scalar(select(Lead).where(Lead.email == "grace@cobolcorp.com"))
        assert grace is not None and grace.company_id == company.id
        assert grace.provenance["company_id"] == [first.import_id, 1]


def test_rows_reaching_one_lead_by_different_keys_are_merged_together(
    workspace: Workspace, tmp_path: Path
) -> None:
    ingest(
        workspace, write(tmp_path / "apollo.csv", APOLLO_HEADER + APOLLO_ROWS[0] + "\n"), "apollo"
    )
    later = (
        "Email,Person Linkedin Url,Title,City,Record ID\n"
        "ada.lovelace@engines.co.uk,,CEO,,N/A\n"
        ",https://www.linkedin.com/in/ada-lovelace,,Paris,N/A\n"
        "charles@engines.co.uk,,CTO,,N/A\n"  # shares only a placeholder id: someone else
    )
    report = ingest(workspace, write(tmp_path / "crm.csv", later), "crm")
    assert (report.leads_created, report.leads_updated) == (1, 1)
    with session_scope(workspace.engine) as session:
        ada = session.scalar(select(Lead).where(Lead.email == "ada.lovelace@engines.co.uk"))
        assert ada is not None
        assert (ada.job_title, ada.city) == ("CEO", "Paris")
        charles = session.scalar(select(Lead).where(Lead.email == "charles@engines.co.uk"))
        assert charles is not None and charles.id != ada.id
        assert (
            session.scalar(
                select(func.count())
                .select_from(LeadKey)
                .where(LeadKey.key_type == "ext")
                .where(LeadKey.key_value.like("crm:%"))
            )
            == 0
        )


def test_sources_and_provenance_stay_clean_across_merges(
    workspace: Workspace, tmp_path: Path
) -> None:
    for name, title in (("a.csv", "CEO"), ("b.csv", "CTO"), ("c.csv", "CFO")):
        path = write(tmp_path / name, f"Email,Title\nann@initech.com,{title}\n")
        ingest(workspace, path, "messe-münchen" if name != "b.csv" else "$ales")
    with session_scope(workspace.engine) as session:
        ann = session.scalar(select(Lead).where(Lead.email == "ann@initech.com"))
        assert ann is not None and ann.job_title == "CFO"
        assert ann.sources == ["messe-münchen", "$ales"]
        assert None not in ann.provenance.values()
        assert "phone_e164" not in ann.provenance


def test_oversized_values_and_nul_characters_load_on_every_backend(
    workspace: Workspace, tmp_path: Path
) -> None:
    long_name = "Q" * 420
    rows = [
        {
            "email": "ann@initech.com",
            "last_name": long_name,
            "company": "C" * 400,
            "note": "a\u0000b",
        },
        {"linkedin": "https://www.linkedin.com/in/" + "x" * 400, "first_name": "Bo"},
    ]
    path = tmp_path / "odd.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows))
    report = ingest(workspace, path, "web")
    assert (report.leads_created, report.rows_quarantined) == (2, 0)
    again = ingest(workspace, path, "web")
    assert again.rows_new == 0
    with session_scope(workspace.engine) as session:
        ann = session.scalar(select(Lead).where(Lead.email == "ann@initech.com"))
        assert ann is not None and ann.last_name == long_name.capitalize()
        assert ann.attributes["note"] in ("a\u0000b", "a\ufffdb")  # PostgreSQL cannot store NUL
        longest = session.scalar(select(func.max(func.length(LeadKey.key_value))))
        assert longest is not None and longest <= 250


def test_a_company_named_without_its_domain_is_the_same_company(
    workspace: Workspace, tmp_path: Path
) -> None:
    ingest(
        workspace, write(tmp_path / "apollo.csv", APOLLO_HEADER + APOLLO_ROWS[1] + "\n"), "apollo"
    )
    salesnav = (
        "First Name,Last Name,Company,Profile URL\n"
        "Jo,Park,COBOL Corp.,https://www.linkedin.com/in/jo-park\n"
        "Sam,Ng,Initech,https://www.linkedin.com/in/sam-ng\n"
        "Lu,Ma,Initech,https://www.linkedin.com/in/lu-ma\n"
    )
    report = ingest(workspace, write(tmp_path / "salesnav.csv", salesnav), "linkedin")
    assert report.companies_created == 1  # Initech: no domain anywhere, one company by name
    with session_scope(workspace.engine) as session:
        jo = session.scalar(select(Lead).where(Lead.first_name == "Jo"))
        grace = session.scalar(select(Lead).where(Lead.first_name == "Grace"))
        assert jo is not None and grace is not None and jo.company_id == grace.company_id
        company = session.get(Company, jo.company_id)
        assert company is not None and company.domain == "cobolcorp.com"
        assert session.scalar(select(func.count()).select_from(Company)) == 2


def test_a_company_known_by_name_takes_its_domain_when_it_arrives(
    workspace: Workspace, tmp_path: Path
) -> None:
    first = "First Name,Last Name,Company,Profile URL\nJo,Park,Initech,https://www.linkedin.com/in/jo-park\n"
    ingest(workspace, write(tmp_path / "salesnav.csv", first), "linkedin")
    later = "Email,Company,Industry\nann@initech.com,Initech LLC,Software\n"
    report = ingest(workspace, write(tmp_path / "crm.csv", later), "crm")
    assert report.companies_created == 0
    with session_scope(workspace.engine) as session:
        companies = session.scalars(select(Company)).all()
        assert len(companies) == 1
        assert (companies[0].match_key, companies[0].domain, companies[0].industry) == (
            "domain:initech.com",
            "initech.com",
            "Software",
        )
        ids = set(session.scalars(select(Lead.company_id)))
        assert ids == {companies[0].id}


def test_a_merged_lead_is_scored_on_what_it_now_knows(workspace: Workspace, tmp_path: Path) -> None:
    first = "First Name,Last Name,Profile URL\nJo,Park,https://www.linkedin.com/in/jo-park\n"
    ingest(workspace, write(tmp_path / "salesnav.csv", first), "linkedin")
    with session_scope(workspace.engine) as session:
        before = session.scalar(select(Lead))
        assert before is not None and "email_missing" in before.issues
        quality_before = before.quality_score
    later = "Email,Profile URL,Title\njo@initech.com,https://www.linkedin.com/in/jo-park,\n"
    ingest(workspace, write(tmp_path / "crm.csv", later), "crm")
    with session_scope(workspace.engine) as session:
        after = session.scalar(select(Lead))
        assert after is not None and after.email == "jo@initech.com"
        assert "email_missing" not in after.issues and "name_missing" not in after.issues
        assert "title_missing" in after.issues  # still unknown
        assert after.quality_score is not None and quality_before is not None
        assert after.quality_score > quality_before
