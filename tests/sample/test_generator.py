"""The sample workspace: reproducible, readable by ingestion, messy like real exports, and with
outcomes that follow the behaviour a model can see."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import TypeVar

import phonenumbers
import polars as pl
import pytest

from leadrank.ingest.service import detect_kind
from leadrank.kit.readers import RawTable, read_table
from leadrank.leads.column_mapping import auto_map
from leadrank.sample.generator import SampleManifest, generate_workspace

LEADS = 6_000
EXPECTED = {
    "apollo_contacts.csv": ("leads", "apollo"),
    "hubspot_contacts.csv": ("leads", "hubspot"),
    "salesnav_leads.jsonl": ("leads", "linkedin"),
    "webinar_signups.tsv": ("leads", "webinar"),
    "instantly_events.jsonl": ("events", "instantly"),
    "web_events.csv": ("events", "web"),
    "crm_deal_events.csv": ("events", "crm"),
}
MAPPED = {
    "apollo": {"email", "first_name", "last_name", "job_title", "company_name", "phone",
               "linkedin_url", "website", "employees", "country", "external_id"},
    "hubspot": {"email", "phone", "country", "external_id", "first_name", "company_name"},
    "linkedin": {"first_name", "last_name", "linkedin_url", "company_name", "country"},
    "webinar": {"email", "full_name", "company_name", "phone", "country"},
    "instantly": {"email", "event_type", "occurred_at"},
    "web": {"email", "event_type", "occurred_at"},
    "crm": {"email", "event_type", "occurred_at"},
}  # fmt: skip
REGIONS = {"United States": "US", "United Kingdom": "GB", "Germany": "DE", "India": "IN",
           "France": "FR", "Canada": "CA", "Australia": "AU", "Netherlands": "NL",
           "Spain": "ES", "Brazil": "BR", "Singapore": "SG", "Japan": "JP"}  # fmt: skip


Sample = tuple[Path, SampleManifest, dict[str, RawTable]]


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Sample:
    """A workspace of a few thousand people, written once and read back by ingestion's reader."""
    out = tmp_path_factory.mktemp("sample") / "workspace"  # not there yet: created on demand
    manifest = generate_workspace(out, leads=LEADS, seed=7)
    return out, manifest, {f.name: read_table(out / f.name) for f in manifest.files}


def frame(sample: Sample, name: str) -> pl.DataFrame:
    return sample[2][name].frame


def digests(directory: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in directory.iterdir()}


Text = TypeVar("Text", pl.Series, pl.Expr)


def emails(values: Text) -> Text:
    """Addresses as a person's identity: trimmed, lowercase, without a mailto: prefix."""
    return values.str.strip_chars().str.to_lowercase().str.strip_prefix("mailto:")


def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path: Path) -> None:
    calls: list[tuple[str, int, int]] = []
    generate_workspace(tmp_path / "a", leads=250, seed=3, progress=lambda *a: calls.append(a))
    generate_workspace(tmp_path / "b", leads=250, seed=3)
    generate_workspace(tmp_path / "c", leads=250, seed=4)
    first, again, other = (digests(tmp_path / d) for d in "abc")
    assert first == again
    assert first.keys() == other.keys() == EXPECTED.keys()
    assert all(first[name] != other[name] for name in first)
    assert calls[0][1] == 0 and calls[-1][1] == calls[-1][2]  # the bar starts empty, ends full


def test_manifest_names_kinds_vendors_and_true_row_counts(
    sample: Sample,
) -> None:
    out, manifest, tables = sample
    assert (manifest.people, manifest.seed) == (LEADS, 7)
    assert [f.name for f in manifest.files] == list(EXPECTED)  # lead files before events
    assert {p.name for p in out.iterdir()} == set(EXPECTED)
    for item in manifest.files:
        assert (item.kind, item.vendor) == EXPECTED[item.name]
        assert ("event" in item.name) == (item.kind == "events")
        assert tables[item.name].height == item.rows
    rows = {f.vendor: f.rows for f in manifest.files}
    # Apollo ~55%, HubSpot ~45%, Sales Navigator ~20%, webinar ~10% of people, +3% duplicates.
    assert 0.5 < rows["apollo"] / LEADS < 0.63
    assert 0.4 < rows["hubspot"] / LEADS < 0.52
    assert 0.16 < rows["linkedin"] / LEADS < 0.25
    assert 0.07 < rows["webinar"] / LEADS < 0.14


def test_every_file_reads_back_with_its_kind_and_mapping(
    sample: Sample,
) -> None:
    for item in sample[1].files:
        columns = frame(sample, item.name).columns
        assert detect_kind(columns) == item.kind, item.name
        fields = auto_map(columns, item.kind).fields
        assert MAPPED[item.vendor] <= fields.keys(), (item.name, fields)
    assert auto_map(frame(sample, "salesnav_leads.jsonl").columns, "leads").fields["country"] == [
        "location"
    ]


def test_hubspot_is_semicolon_separated_cp1252_with_multiline_notes(
    sample: Sample,
) -> None:
    path = sample[0] / "hubspot_contacts.csv"
    with pytest.raises(UnicodeDecodeError):
        path.read_bytes().decode("utf-8")
    table = sample[2][path.name]
    assert (table.delimiter, table.encoding) == (";", "cp1252")
    notes = table.frame["Notes"].drop_nulls()
    assert notes.str.contains("\n").any()
    assert notes.str.contains(";").any() and notes.str.contains(",").any()
    assert notes.str.contains("€").any()
    names = pl.concat([table.frame["First Name"], table.frame["Last Name"]]).drop_nulls()
    assert names.str.contains("[éöüëçñ]").any()


def test_lead_files_carry_the_usual_mess(sample: Sample) -> None:
    apollo = frame(sample, "apollo_contacts.csv")
    hubspot = frame(sample, "hubspot_contacts.csv")
    webinar = frame(sample, "webinar_signups.tsv")
    for name in ("apollo_contacts.csv", "hubspot_contacts.csv", "salesnav_leads.jsonl",
                 "webinar_signups.tsv"):  # fmt: skip
        table = frame(sample, name)
        duplicated = int(table.is_duplicated().sum())
        assert 0 < duplicated < 0.1 * table.height, name

    apollo_email = apollo["Email"].drop_nulls()
    assert apollo_email.str.ends_with("@").any()
    assert (apollo_email.str.contains(" at ") | apollo_email.str.contains("@@")).any()
    hub_email = hubspot["Email"].drop_nulls()
    assert hub_email.str.starts_with("mailto:").any()
    assert (hub_email != hub_email.str.strip_chars()).any()
    assert (hub_email == hub_email.str.to_uppercase()).any()

    mailboxes = webinar["E-mail Address"].drop_nulls()
    free = mailboxes.filter(mailboxes.str.contains("@(gmail|yahoo|outlook|hotmail)\\.com$"))
    assert free.len() > 0.1 * mailboxes.len()
    assert mailboxes.str.contains("^(info|sales|contact)@").any()

    countries = set(hubspot["Country/Region"].drop_nulls().to_list())
    assert {"United States", "USA", "U.S.", "Deutschland", "Germany", "UK", "India"} <= countries
    phones = hubspot["Phone Number"].drop_nulls()
    for shape in (r"^\(\d{3}\) \d{3}-\d{4}$", r"^\+\d", r"^0\d"):
        assert phones.str.contains(shape).any(), shape
    assert {"51-200", "10k+"} & set(hubspot["Number of Employees"].drop_nulls().to_list())
    assert hubspot["Create Date"].str.contains(r"^\d\d/\d\d/2026 \d\d:\d\d$").any()
    assert hubspot["Create Date"].str.contains(r"^2026-\d\d-\d\dT").any()

    identity = ["First Name", "Last Name", "Email", "Work Direct Phone", "Mobile Phone",
                "Person Linkedin Url", "Apollo Contact Id"]  # fmt: skip
    nobody = apollo.filter(pl.all_horizontal(pl.col(identity).is_null()))
    assert 0 < nobody.height < 0.03 * apollo.height
    assert apollo["Title"].is_in(["N/A", "n/a", "-", "NULL", "none", "#N/A"]).any()
    assert apollo["Company"].drop_nulls().str.ends_with(" ").any()
    assert apollo["Title"].null_count() > 0.03 * apollo.height


def test_phone_numbers_are_valid_for_their_country(sample: Sample) -> None:
    apollo = frame(sample, "apollo_contacts.csv")
    hubspot = frame(sample, "hubspot_contacts.csv")
    international = pl.concat(
        [apollo["Work Direct Phone"], apollo["Corporate Phone"], hubspot["Phone Number"]]
    ).drop_nulls()
    international = international.filter(international.str.starts_with("+")).head(1500)
    national = hubspot.filter(
        pl.col("Country/Region").is_in(list(REGIONS))
        & pl.col("Phone Number").str.contains(r"^[0-9(]")
    ).head(800)
    numbers = [(text, None) for text in international.to_list()] + [
        (text, REGIONS[country])
        for text, country in national.select("Phone Number", "Country/Region").iter_rows()
    ]
    assert len(numbers) > 1000
    invalid = [
        text for text, region in numbers
        if not phonenumbers.is_valid_number(phonenumbers.parse(text, region))
    ]  # fmt: skip
    assert invalid == []


def test_events_are_ordered_and_carry_a_little_junk(sample: Sample) -> None:
    instantly = frame(sample, "instantly_events.jsonl")
    web = frame(sample, "web_events.csv")
    crm = frame(sample, "crm_deal_events.csv")
    assert set(instantly["event_type"].drop_nulls()) == {
        "email_sent", "email_opened", "link_clicked", "reply_received", "email_bounced",
        "lead_unsubscribed",
    }  # fmt: skip
    assert set(web["event_type"].drop_nulls()) == {"page_view", "form_fill", "content_download"}
    assert set(crm["Activity Type"].drop_nulls()) == {
        "Meeting Booked", "Opportunity Created", "Closed Won", "Closed Lost",
    }  # fmt: skip
    assert web["timestamp"].str.contains(r"^\d{10}$").any()  # epoch seconds among ISO text
    assert crm.filter(pl.col("Activity Type") == "Closed Won")["Amount"].null_count() == 0

    for table, email, kind, time, shape in (
        (instantly, "lead_email", "event_type", "timestamp", r"^2026-\d\d-\d\dT.*Z$"),
        (web, "email", "event_type", "timestamp", r"^(\d{10}|2026-\d\d-\d\d[T ].*)$"),
        (crm, "Email", "Activity Type", "Activity Date", r"^2026-\d\d-\d\d$"),
    ):
        unreadable = ~table[time].str.contains(shape).fill_null(False)
        broken = table[email].is_null() | table[kind].is_null() | unreadable
        assert 0 < broken.sum() < 0.02 * table.height

    # A sequence is sent before it is opened, and opened before it is replied to.
    timed = instantly.with_columns(
        emails(pl.col("lead_email")).alias("who"),
        pl.col("timestamp").str.to_datetime("%Y-%m-%dT%H:%M:%S%.3fZ", strict=False).alias("at"),
    ).drop_nulls(["at", "event_type"])
    first = (
        timed.group_by("who", "event_type")
        .agg(pl.col("at").min())
        .pivot(on="event_type", index="who", values="at")
    )
    assert first.filter(pl.col("email_opened") < pl.col("email_sent")).is_empty()
    assert first.filter(pl.col("reply_received") < pl.col("email_opened")).is_empty()


def won_rate(people: pl.Series, won: set[str]) -> float:
    unique = people.unique()
    return unique.filter(unique.is_in(list(won))).len() / max(unique.len(), 1)


def test_outcomes_follow_fit_and_visible_engagement(sample: Sample) -> None:
    apollo = frame(sample, "apollo_contacts.csv").with_columns(who=emails(pl.col("Email")))
    hubspot = frame(sample, "hubspot_contacts.csv")
    instantly = frame(sample, "instantly_events.jsonl")
    web = frame(sample, "web_events.csv")
    crm = frame(sample, "crm_deal_events.csv").with_columns(who=emails(pl.col("Email")))

    won = set(crm.filter(pl.col("Activity Type") == "Closed Won")["who"].to_list())
    replied = instantly.filter(pl.col("event_type") == "reply_received")["lead_email"]
    pricing = web.filter(pl.col("url") == "/pricing")["email"]
    engaged = set(emails(pl.concat([replied, pricing])).drop_nulls().to_list())
    known = pl.concat([apollo["who"], emails(hubspot["Email"])]).drop_nulls()
    known = known.filter(known.str.contains(r"^[^@\s]+@[^@\s]+\.[a-z.]+$")).unique()
    hot = known.filter(known.is_in(list(engaged)))
    cold = known.filter(~known.is_in(list(engaged)))
    assert hot.len() > 300 and cold.len() > 3000
    assert won_rate(hot, won) > 3 * won_rate(cold, won)
    assert won_rate(hot, won) > 0.01
    # About one meeting in eight ends in a won deal; the rest are lost or still open.
    met = crm.filter(pl.col("Activity Type") == "Meeting Booked")["who"].n_unique()
    assert 0.05 < len(won) / met < 0.25

    employees = pl.col("# Employees").str.strip_chars().cast(pl.Int64, strict=False)
    top = apollo.filter(
        pl.col("Seniority").is_in(["c_suite", "founder", "owner", "vp"])
        & employees.is_between(51, 5_000)
    )["who"].drop_nulls()
    interns = apollo.filter(pl.col("Title").str.contains("Intern"))["who"].drop_nulls()
    assert top.len() > 100 and interns.len() > 50
    assert won_rate(top, won) > 1.5 * won_rate(interns, won)
    assert won_rate(top, won) > 0.005

    # Outcomes come after the behaviour behind them: no reply after the meeting it led to.
    meetings = crm.filter(pl.col("Activity Type") == "Meeting Booked").select(
        "who", pl.col("Activity Date").str.to_date("%Y-%m-%d", strict=False).alias("met")
    )
    replies = instantly.filter(pl.col("event_type") == "reply_received").select(
        emails(pl.col("lead_email")).alias("who"),
        pl.col("timestamp").str.slice(0, 10).str.to_date(strict=False).alias("replied"),
    )
    both = meetings.join(replies, on="who").drop_nulls()
    assert both.height > 30
    assert both.filter(pl.col("replied") > pl.col("met")).is_empty()


def test_a_single_person_still_gets_every_file(tmp_path: Path) -> None:
    manifest = generate_workspace(tmp_path / "one", leads=1, seed=1)
    assert [f.name for f in manifest.files] == list(EXPECTED)
    for item in manifest.files:
        assert item.rows >= 1
        assert read_table(tmp_path / "one" / item.name).height == item.rows
