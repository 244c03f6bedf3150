"""The worklist page of a large workspace: how long a signed-in browser waits for a page of
50 leads, sorted and filtered, from a real `leadrank serve` on this machine.

A sample workspace of N people (100,000 by default) is generated, ingested and scored once
(kept in --workdir to reuse); a user is created; `leadrank serve` runs in its own process; a
client signs in through the form and asks for each view in turn, many times, each time with
another search word or page where the view allows, so no answer is a cached one. The times
are measured at the client over loopback: the server's own time is at most this. (A search
is first sent as typed; the server keeps its words and answers with the view's own URL, which
is what is timed, as a browser shows it.)

Usage: python benchmarks/web.py [--leads 100000] [--rounds 30] [--workdir DIR]
Prints p50 and p95 (ms) per view, as the server measured it and at the client; the target
is < 150 ms server time for each.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
from sqlalchemy import func, select

from leadrank.auth.users import create_user
from leadrank.db.engine import build_engine, session_scope
from leadrank.db.migrate import upgrade
from leadrank.ingest.service import ingest_file
from leadrank.orm import Lead
from leadrank.sample.generator import generate_workspace
from leadrank.scoring.icp_store import scoring_profile
from leadrank.scoring.score_run import score_workspace

PASSWORD = "benchmark password, not a secret"
EMAIL = "bench@example.com"
WORDS = ("an", "el", "ra", "ma", "so", "li", "ne", "ta", "ro", "ch")
COMPANIES = ("tech", "systems", "capital", "data", "labs", "health", "cloud", "works")


def build(path: Path, folder: Path, leads: int) -> None:
    """Generate, ingest (lead files first) and score a sample workspace at `path`."""
    engine = build_engine(f"sqlite:///{path}")
    upgrade(engine)
    manifest = generate_workspace(folder, leads=leads, seed=11)
    started = time.perf_counter()
    for item in sorted(manifest.files, key=lambda f: f.kind != "leads"):
        with session_scope(engine, writes=True) as session:
            ingest_file(session, path=folder / item.name, source=item.vendor, kind=item.kind)
    with session_scope(engine, writes=True) as session:
        score_workspace(session, profile=scoring_profile(session))
    with session_scope(engine, writes=True) as session:
        create_user(session, email=EMAIL, password=PASSWORD, role="reader", now=datetime.now(UTC))
    print(f"built the workspace in {time.perf_counter() - started:.0f} s", flush=True)
    engine.dispose()


def views(round_: int) -> dict[str, str]:
    """The views asked for in one round; the words change from round to round."""
    word = WORDS[round_ % len(WORDS)]
    company = COMPANIES[round_ % len(COMPANIES)]
    return {
        "ranked by score (first page)": "/leads",
        "grade A,B by probability": "/leads?grade=A&grade=B&sort=probability",
        "search a word, by score": f"/leads?q={word}",
        "company words, by company": f"/leads?company={company}&sort=company",
        "country + seniority, by title": "/leads?country=US&seniority=manager&sort=title",
        "score 40-80 by last activity": "/leads?min_score=40&max_score=80&sort=activity",
        "created in a range, by owner": "/leads?created_after=2020-01-01&sort=owner",
        "everyone, by company": "/leads?sort=company",
        "everyone, by last activity": "/leads?sort=activity",
        "everyone, by top reason": "/leads?sort=reason",
    }


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--leads", type=int, default=100_000, help="people in the sample")
    parser.add_argument("--rounds", type=int, default=30, help="requests per view")
    parser.add_argument("--workdir", type=Path, default=None, help="kept and reused when given")
    args = parser.parse_args()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="leadrank-bench-web-"))
    workdir.mkdir(parents=True, exist_ok=True)
    template = workdir / f"web-{args.leads}.db"
    if not template.exists():
        build(template, workdir / "sample", args.leads)
    run = workdir / "serving.db"
    shutil.copy(template, run)
    engine = build_engine(f"sqlite:///{run}")
    with session_scope(engine) as session:
        count = session.scalar(select(func.count()).select_from(Lead)) or 0
    engine.dispose()
    port = free_port()
    env = {
        **os.environ,
        "LEADRANK_DATABASE_URL": f"sqlite:///{run}",
        "LEADRANK_DATA_DIR": str(workdir / "data"),
        "LEADRANK_API_ACCESS_LOG": "false",
        "LEADRANK_RUN_JOBS": "false",
    }
    leadrank = str(Path(sys.executable).with_name("leadrank"))
    server = subprocess.Popen(
        [leadrank, "serve", "--port", str(port), "--workers", "1"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        with httpx.Client(base_url=base, timeout=60) as client:
            deadline = time.monotonic() + 60
            while True:
                try:
                    form = client.get("/login")
                    break
                except httpx.TransportError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.2)
            token = re.search(r'name="csrf_token" value="([^"]+)"', form.text).group(1)  # type: ignore[union-attr]
            signed = client.post(
                "/login", data={"email": EMAIL, "password": PASSWORD, "csrf_token": token}
            )
            assert signed.status_code == 303, signed.text[:300]
            times: dict[str, list[float]] = {}
            server_times: dict[str, list[float]] = {}
            for round_ in range(args.rounds + 2):
                for name, url in views(round_).items():
                    key = re.sub(r"\b(" + "|".join(WORDS + COMPANIES) + r")\b", "…", name)
                    # Searched words are kept by the server: the page's URL names a token.
                    first = client.get(url)
                    if first.status_code == 303:
                        url = first.headers["location"]
                    started = time.perf_counter()
                    answer = client.get(url)
                    elapsed = (time.perf_counter() - started) * 1000
                    if answer.status_code != 200:
                        raise SystemExit(f"{url}: {answer.status_code}")
                    if round_ >= 2:  # the first rounds warm the caches of the process
                        times.setdefault(key, []).append(elapsed)
                        server_times.setdefault(key, []).append(_server_ms(answer))
    finally:
        server.terminate()
        server.wait(timeout=30)
    print(f"worklist of {count:,} leads (SQLite), page of 50 rows, {args.rounds} requests each")
    print("  server: the page's Server-Timing (request in to answer out); client: over loopback")
    print(f"  {'view':<34} {'server p50':>10} {'p95':>7} {'client p50':>10} {'p95':>7}")
    for name, values in times.items():
        server = _percentiles(server_times[name])
        client = _percentiles(values)
        print(
            f"  {name:<34} {server[0]:>10.1f} {server[1]:>7.1f} {client[0]:>10.1f} {client[1]:>7.1f}"
        )


def _percentiles(values: list[float]) -> tuple[float, float]:
    ordered = sorted(values)
    return statistics.median(ordered), ordered[
        min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))
    ]


def _server_ms(answer: httpx.Response) -> float:
    """The server's own time for an answer, from its Server-Timing header."""
    found = re.search(r"dur=([0-9.]+)", answer.headers.get("server-timing", ""))
    if found is None:
        raise SystemExit("the page has no Server-Timing header")
    return float(found.group(1))


if __name__ == "__main__":
    main()
