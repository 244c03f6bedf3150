"""A HubSpot sync of 10,000 contacts against the local fake HubSpot with HubSpot's own rate
limits on (100 calls per rolling 10 s, search 5 a second): the pull into an empty workspace,
the first push of every score, and a second pull and push that find nothing new.

Usage: python benchmarks/crm_sync.py [--contacts 10000] [--database-url postgresql://...]

Figures: wall time, calls made (from the client, and as the fake saw them), the most calls
the fake saw in any 10-second window (HubSpot's limit is 100) and in any second for search,
and the 429s it answered (0 means the shared pace kept under the limits).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import httpx

from leadrank.config import Settings
from leadrank.connectors.hubspot.client import HubSpotClient
from leadrank.connectors.hubspot.fake import FAKE_TOKEN, FakeHubSpot, sample_portal, serve_fake
from leadrank.connectors.hubspot.pull import pull
from leadrank.connectors.hubspot.push import push
from leadrank.connectors.shared_pace import SharedPace
from leadrank.db.engine import build_engine, session_scope
from leadrank.db.migrate import upgrade
from leadrank.db.scratch import scratch_postgres
from leadrank.scoring.score_run import score_workspace


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=10_000)
    parser.add_argument("--database-url", default=None)
    options = parser.parse_args()
    if options.database_url:
        with scratch_postgres(options.database_url, prefix="leadrank_bench") as url:
            run(url, options.contacts, "PostgreSQL")
        return
    with tempfile.TemporaryDirectory() as folder:
        run(f"sqlite:///{Path(folder) / 'bench.db'}", options.contacts, "SQLite")


def run(url: str, contacts: int, backend: str) -> None:
    engine = build_engine(url)
    upgrade(engine)
    settings = Settings(database_url=url, auto_enrich=False, auto_score=False)
    built = time.perf_counter()
    fake = FakeHubSpot(portal=sample_portal(contacts=contacts, seed=11))
    print(
        f"{backend}: fake portal of {contacts:,} contacts, {len(fake.portal.objects['companies']):,} "
        f"companies, {len(fake.portal.objects['deals']):,} deals built in "
        f"{time.perf_counter() - built:.1f} s; HubSpot's limits on (100 per 10 s, search 5/s)"
    )
    with serve_fake(fake) as base, httpx.Client(timeout=30.0) as http:

        def client() -> HubSpotClient:
            return HubSpotClient(
                http, token=FAKE_TOKEN, base_url=base, pace=SharedPace.of(engine, settings)
            )

        step("pull (empty workspace)", fake, lambda: pull(engine, settings, client()).as_json())
        with session_scope(engine) as session:
            started = time.perf_counter()
            score_workspace(session)
            print(f"  (scored the workspace in {time.perf_counter() - started:.1f} s)")
        step("push (every score, fields made)", fake, lambda: push(engine, client()).as_json())
        step(
            "pull again (nothing changed)", fake, lambda: pull(engine, settings, client()).as_json()
        )
        step("push again (nothing changed)", fake, lambda: push(engine, client()).as_json())
    engine.dispose()


def step(name: str, fake: FakeHubSpot, work) -> None:  # type: ignore[no-untyped-def]
    before = len(fake.requests)
    started = time.perf_counter()
    done = work()
    seconds = time.perf_counter() - started
    seen = fake.requests[before:]
    limited = sum(1 for r in seen if r.status == 429)
    peak_10s = _peak([r.at for r in seen], 10.0)
    peak_search = _peak([r.at for r in seen if r.path.endswith("/search")], 1.0)
    print(
        f"{name}: {seconds:.1f} s, {done.get('calls', len(seen)):,} calls by the client, "
        f"{len(seen):,} seen by HubSpot, peak {peak_10s} per 10 s (limit 100), search peak "
        f"{peak_search} per 1 s (limit 5), {limited} answered 429"
    )
    shown = {k: v for k, v in done.items() if k != "calls"}
    print(f"  {shown}")


def _peak(moments: list[float], window: float) -> int:
    moments = sorted(moments)
    best, start = 0, 0
    for end, moment in enumerate(moments):
        while moment - moments[start] >= window:
            start += 1
        best = max(best, end - start + 1)
    return best


if __name__ == "__main__":
    main()
