"""Enrichment throughput against the fake vendors under their rate limits, and the share of
work lost when the vendors fail (it must be zero).

Usage: python benchmarks/enrichment.py [--leads 300] [--workers 2] [--threads 4]
       [--database-url postgresql://postgres@127.0.0.1:5432/test] [--fault-every 0.3]

The fake vendors (leadrank.enrichment.providers.fake_vendors) serve Apollo, Hunter, People
Data Labs and Clearbit on 127.0.0.1. Worker processes enrich disjoint shares of the leads and
share one set of limits through the database. Two runs on fresh leads: a clean one, and one
where a fault (429 with Retry-After, 500, 503, a timeout, malformed JSON) is queued for a
random vendor every `--fault-every` seconds. Leads a run leaves unfinished are run again, as
a user would; lost work is any lead still unfinished after that, or any vendor answer that
reached no lead's record. The busiest second per vendor is printed beside its limit (calls
are counted when the fake receives them, retries of timed-out calls included).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import random
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import func, select

from leadrank.config import Settings
from leadrank.db.engine import build_engine, session_scope
from leadrank.db.migrate import upgrade
from leadrank.db.scratch import scratch_postgres
from leadrank.enrichment.providers.fake_vendors import KEYS, VENDORS, FakeVendors, serve
from leadrank.enrichment.setup import enrich_with_settings
from leadrank.ingest.service import ingest_records
from leadrank.orm import EnrichmentAttempt, Lead

RATES = {"apollo": "20/1", "hunter": "10/1", "pdl": "20/1", "clearbit": "30/1"}
DOMAINS = ("acme.com", "globex.de", "initech.co.uk", "hooli.io", "umbrella.fr")
FAULTS = ("rate_limited", "server_error", "unavailable", "slow", "malformed")


def environment(url: str, base: str) -> dict[str, str]:
    """The settings every worker reads: the fake's URL and keys, the benchmark's rates."""
    env = {
        "LEADRANK_DATABASE_URL": url,
        "LEADRANK_ENRICHMENT_BASE_URLS": json.dumps(dict.fromkeys(VENDORS, base)),
        "LEADRANK_ENRICHMENT_RATE_LIMITS": json.dumps(RATES),
        "LEADRANK_ENRICHMENT_DEFAULT_DAILY_CREDITS": "1000000",
    }
    env.update({f"LEADRANK_{v.upper()}_API_KEY": KEYS[v] for v in VENDORS})
    return env


def add_leads(url: str, count: int, tag: str) -> list[int]:
    """`count` new leads across a few company domains."""
    people = [
        {
            "email": f"{tag}{i}@{DOMAINS[i % len(DOMAINS)]}",
            "first_name": f"Lee{i}",
            "last_name": tag.capitalize(),
            "job_title": random.choice(("Head of Sales", "CTO", "Data Analyst", "VP Marketing")),
        }
        for i in range(count)
    ]
    engine = build_engine(url)
    with session_scope(engine) as session:
        ingest_records(session, records=people, source="bench", kind="leads", name=tag)
    with session_scope(engine) as session:
        ids = list(session.scalars(select(Lead.id).where(Lead.last_name == tag.capitalize())))
    engine.dispose()
    return ids


def work(url: str, lead_ids: list[int], threads: int) -> tuple[int, list[int]]:
    """One worker process: enrich its leads; the leads it left unfinished."""
    engine = build_engine(url)
    report = enrich_with_settings(
        engine,
        Settings(),
        lead_ids=lead_ids,
        groups=["company", "person", "email"],
        threads=threads,
        timeout=2.0,
    )
    engine.dispose()
    return report.leads, report.unfinished


def run(url: str, ids: list[int], workers: int, threads: int) -> tuple[float, list[int]]:
    """Enrich `ids` with `workers` processes; seconds taken and the unfinished leads."""
    shares = [ids[i::workers] for i in range(workers)]
    started = time.perf_counter()
    with multiprocessing.get_context("spawn").Pool(workers) as pool:
        results = pool.starmap(work, [(url, share, threads) for share in shares])
    return time.perf_counter() - started, sorted(i for _, unfinished in results for i in unfinished)


def busiest_second(fake: FakeVendors, vendor: str, since: float) -> int:
    """The most calls the vendor received within any one second."""
    times = sorted(c.at for c in fake.calls_to(vendor) if c.at >= since)  # type: ignore[arg-type]
    most, start = 0, 0
    for end, moment in enumerate(times):
        while moment - times[start] >= 1.0:
            start += 1
        most = max(most, end - start + 1)
    return most


def lost_answers(url: str, fake: FakeVendors, since: float, ids: list[int]) -> int:
    """Vendor calls answered 200 whose answer reached no attempt record of these leads."""
    answered = sum(1 for c in fake.calls if c.at >= since and c.status == 200)
    engine = build_engine(url)
    with session_scope(engine) as session:
        recorded = session.scalar(
            select(func.count()).where(
                EnrichmentAttempt.entity_id.in_(ids),
                EnrichmentAttempt.status.in_(("found", "not_found")),
                EnrichmentAttempt.provider != "builtin",
            )
        )
    engine.dispose()
    return max(0, answered - int(recorded or 0))


def phase(name: str, url: str, fake: FakeVendors, args: argparse.Namespace, faults: bool) -> None:
    """One run on fresh leads, then again on what it left unfinished; prints its figures."""
    ids = add_leads(url, args.leads, name)
    since = time.monotonic()
    stop = threading.Event()

    def chaos() -> None:
        while not stop.wait(args.fault_every):
            fake.faults.add(
                random.choice(VENDORS), random.choice(FAULTS), retry_after="1", delay=3.0
            )  # type: ignore[arg-type]

    injector = threading.Thread(target=chaos, daemon=True)
    if faults:
        injector.start()
    seconds, unfinished = run(url, ids, args.workers, args.threads)
    stop.set()
    if faults:
        injector.join(timeout=5)
    fake.faults.clear()  # the vendors are well again: faults still queued are not served later
    rounds = 0
    while unfinished and rounds < 5:  # a user runs the rest again, once breakers have cooled
        rounds += 1
        time.sleep(31 if rounds > 1 else 1)
        _, unfinished = run(url, unfinished, args.workers, args.threads)
    injected = Counter(c.fault for c in fake.calls if c.at >= since and c.fault)
    calls = Counter(c.vendor for c in fake.calls if c.at >= since)
    print(f"\n{name}: {len(ids)} leads in {seconds:.1f} s = {len(ids) / seconds:.1f} leads/s "
          f"({args.workers} workers x {args.threads} threads)")  # fmt: skip
    for vendor in VENDORS:
        print(f"  {vendor:9} {calls[vendor]:5} calls, busiest second {busiest_second(fake, vendor, since):3}"
              f" (limit {RATES[vendor]})")  # fmt: skip
    if faults:
        print(f"  faults answered: {dict(injected)}; re-runs of unfinished leads: {rounds}")
    lost = lost_answers(url, fake, since, ids)
    print(
        f"  lost: {len(unfinished)} of {len(ids)} leads unfinished, {lost} vendor answers unrecorded"
    )


def main() -> None:
    """Both runs, with a fresh SQLite workspace unless a database URL is given."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--leads", type=int, default=300)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--fault-every", type=float, default=0.3, help="seconds between faults")
    parser.add_argument(
        "--database-url", default=None, help="a PostgreSQL server: the run makes its own database"
    )
    args = parser.parse_args()
    with workspace(args.database_url) as url:
        fake = FakeVendors()
        with serve(fake) as base:
            os.environ.update(environment(url, base))
            print(f"workspace {url.split('@')[-1]}; fake vendors at {base}; rates {RATES}")
            phase("clean", url, fake, args, faults=False)
            phase("faults", url, fake, args, faults=True)


@contextmanager
def workspace(server_url: str | None) -> Iterator[str]:
    """A fresh workspace: a SQLite file, or a database of its own on the PostgreSQL server
    named by `server_url`, dropped at the end."""
    if server_url is None:
        url = f"sqlite:///{Path(tempfile.mkdtemp()) / 'enrichment.db'}"
        upgrade(build_engine(url))
        yield url
        return
    with scratch_postgres(server_url, prefix="leadrank_bench") as url:
        yield url


if __name__ == "__main__":
    main()
