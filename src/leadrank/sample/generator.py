"""A realistic, messy, multi-vendor sample workspace: lead exports and event logs of one crowd.

Every file is a partial, noisy view of the same synthetic people, so ingestion has duplicates
to merge, junk to quarantine, and outcomes a model can learn. The same seed gives byte-identical
files; all dates fall in 2026-01-01..2026-10-31 whatever today is.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

from leadrank.errors import BadInput
from leadrank.kit.progress import Progress, no_progress
from leadrank.sample.columns import IntArray, Rng, rows_where
from leadrank.sample.companies import build_companies
from leadrank.sample.event_files import crm_deal_events, instantly_events, web_events
from leadrank.sample.events import simulate_campaigns, simulate_deals, simulate_web
from leadrank.sample.lists import salesnav_leads, webinar_signups
from leadrank.sample.people import People, build_people
from leadrank.sample.vendors import apollo_contacts, hubspot_contacts


@dataclass(frozen=True)
class SampleFile:
    """One written file: its name inside the output directory, kind, vendor and row count."""

    name: str
    kind: str  # "leads" or "events"
    vendor: str  # the source to ingest it as
    rows: int


@dataclass(frozen=True)
class SampleManifest:
    """What a sample run wrote: lead files first, then event files."""

    files: list[SampleFile]
    people: int
    seed: int


Writer = Callable[[pl.DataFrame, Path], None]


def _csv(frame: pl.DataFrame, path: Path) -> None:
    frame.write_csv(path)


def _hubspot_csv(frame: pl.DataFrame, path: Path) -> None:
    # HubSpot exports from a European-locale Excel: ";"-separated Windows-1252.
    text = frame.write_csv(separator=";")
    path.write_bytes(text.encode("cp1252", errors="replace"))


def _tsv(frame: pl.DataFrame, path: Path) -> None:
    frame.write_csv(path, separator="\t")


def _jsonl(frame: pl.DataFrame, path: Path) -> None:
    frame.write_ndjson(path)


def generate_workspace(
    out: Path, *, leads: int, seed: int, progress: Progress = no_progress
) -> SampleManifest:
    """Write lead files from four sources and three event logs for `leads` people into `out`."""
    if leads < 1:
        raise BadInput("leads must be at least 1")
    out.mkdir(parents=True, exist_ok=True)
    # One independent stream per stage: a change to one file's mess leaves the others alone.
    streams = iter(np.random.default_rng(seed).spawn(16))
    steps = 9
    progress("generate", 0, steps)

    companies = build_companies(next(streams), max(20, leads // 8))
    people = build_people(next(streams), leads, companies)
    progress("generate", 1, steps)
    campaign = simulate_campaigns(next(streams), people)
    web = simulate_web(next(streams), people, campaign)
    deals = simulate_deals(
        next(streams), people, companies.employees[people.company], campaign, web
    )
    progress("generate", 2, steps)

    apollo, hubspot, linkedin, webinar = _audiences(next(streams), people)
    plan: list[tuple[str, str, str, Callable[[Rng], pl.DataFrame], Writer]] = [
        ("apollo_contacts.csv", "leads", "apollo",
         lambda rng: apollo_contacts(rng, people, companies, apollo), _csv),
        ("hubspot_contacts.csv", "leads", "hubspot",
         lambda rng: hubspot_contacts(rng, people, companies, hubspot), _hubspot_csv),
        ("salesnav_leads.jsonl", "leads", "linkedin",
         lambda rng: salesnav_leads(rng, people, companies, linkedin), _jsonl),
        ("webinar_signups.tsv", "leads", "webinar",
         lambda rng: webinar_signups(rng, people, companies, webinar), _tsv),
        ("instantly_events.jsonl", "events", "instantly",
         lambda rng: instantly_events(rng, people, campaign), _jsonl),
        ("web_events.csv", "events", "web", lambda rng: web_events(rng, people, web), _csv),
        ("crm_deal_events.csv", "events", "crm",
         lambda rng: crm_deal_events(rng, people, deals), _csv),
    ]  # fmt: skip
    files = []
    for done, (name, kind, vendor, build, write) in enumerate(plan, start=3):
        frame = build(next(streams))
        write(frame, out / name)
        files.append(SampleFile(name=name, kind=kind, vendor=vendor, rows=frame.height))
        del frame  # at a million people the frames are large; keep one at a time
        progress("generate", done, steps)
    return SampleManifest(files=files, people=leads, seed=seed)


def _audiences(rng: Rng, people: People) -> tuple[IntArray, IntArray, IntArray, IntArray]:
    """Who appears in Apollo, HubSpot, Sales Navigator and the webinar list."""
    # Apollo ~55% and HubSpot ~45% of people, half of HubSpot's also in Apollo; Sales Navigator
    # ~20%; webinar ~10%, the keener people signing up more often.
    n = people.count
    in_apollo = rng.random(n) < 0.55
    in_hubspot = rng.random(n) < np.where(in_apollo, 0.225 / 0.55, 0.225 / 0.45)
    keen = np.exp(0.5 * people.engagement)
    apollo = np.flatnonzero(in_apollo).astype(np.int64)
    hubspot = np.flatnonzero(in_hubspot).astype(np.int64)
    linkedin = rows_where(rng, n, 0.2)
    webinar = rows_where(rng, n, np.minimum(0.1 * keen / keen.mean(), 1.0))
    return _some(apollo), _some(hubspot), _some(linkedin), _some(webinar)


def _some(rows: IntArray) -> IntArray:
    """Even a one-person sample writes a record in every file."""
    return rows if rows.size else np.zeros(1, dtype=np.int64)
