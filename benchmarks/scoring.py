"""Workspace training and bulk scoring: `leadrank train --label` and `leadrank score` over a
sample workspace of N people stored in SQLite (or the database you name).

Usage: python benchmarks/scoring.py [--leads 1000000] [--workdir DIR] [--database-url URL]
The workspace is built once per workdir (sample, then ingest of leads and events) and reused
by later runs, since ingesting a million people takes minutes of its own.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import tempfile
from pathlib import Path

from ingest import run  # the same timed, measured child process as the ingest benchmark

LABEL = "meeting_booked or deal_won within 120d"


def build(workdir: Path, leads: int, env: dict[str, str]) -> None:
    """Sample and ingest the workspace unless this workdir already holds it."""
    marker = workdir / f"built-{leads}"
    if marker.exists():
        return
    sample = workdir / "sample"
    run(["sample", "--leads", str(leads), "--out", str(sample)], env)
    lead_files = sorted(str(p) for p in sample.iterdir() if "event" not in p.name)
    event_files = sorted(str(p) for p in sample.iterdir() if "event" in p.name)
    seconds, _ = run(["ingest", "leads", *lead_files], env)
    print(f"ingested the lead files in {seconds:.0f} s")
    seconds, _ = run(["ingest", "events", *event_files], env)
    print(f"ingested the event files in {seconds:.0f} s")
    marker.touch()


def stored_leads(database: Path) -> int:
    """Leads in the SQLite workspace."""
    with sqlite3.connect(database) as connection:
        return int(connection.execute("SELECT count(*) FROM leads").fetchone()[0])


def main() -> None:
    """Build (or reuse) the workspace, then time training and two scoring passes."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--leads", type=int, default=1_000_000, help="people in the sample")
    parser.add_argument("--workdir", type=Path, default=None, help="kept and reused when given")
    args = parser.parse_args()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="leadrank-bench-score-"))
    workdir.mkdir(parents=True, exist_ok=True)
    database = workdir / "bench.db"
    env = {
        **os.environ,
        "LEADRANK_DATABASE_URL": f"sqlite:///{database}",
        "LEADRANK_DATA_DIR": str(workdir / "data"),
    }
    build(workdir, args.leads, env)
    leads = stored_leads(database)
    rules_s, rules_mb = run(["score"], env)
    train_s, train_mb = run(
        ["train", "--label", LABEL, "--name", "bench", "--time-budget", "60"], env
    )
    if _has_shadow(database):
        run(["models", "promote", "bench"], env)
    score_s, score_mb = run(["score"], env)
    print(f"workspace: {leads:,} stored leads ({workdir})")
    print(f"{'step':34} {'seconds':>8} {'leads/s':>10} {'peak MiB':>9}")
    for step, seconds, peak in (
        ("score, rules only (no model)", rules_s, rules_mb),
        (f"train --label '{LABEL}'", train_s, train_mb),
        ("score, model + shadows", score_s, score_mb),
    ):
        print(f"{step[:34]:34} {seconds:8.1f} {leads / seconds:10,.0f} {peak:9,.0f}")


def _has_shadow(database: Path) -> bool:
    with sqlite3.connect(database) as connection:
        row = connection.execute(
            "SELECT count(*) FROM model_versions WHERE name = 'bench' AND stage = 'shadow'"
        ).fetchone()
    return bool(row[0])


if __name__ == "__main__":
    main()
