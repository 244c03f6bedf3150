"""Ingest throughput and peak memory: `leadrank ingest` of sample workspaces into SQLite.

Usage: python benchmarks/ingest.py [--sizes 100000 1000000] [--database-url URL] [--keep DIR]
Each size runs in fresh processes (sample, then ingest of the lead files, then the events), so
peak memory is that of one `leadrank ingest` process.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

LEADRANK = [sys.executable, "-m", "leadrank.cli"]


def run(args: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Run a leadrank command; return (seconds, peak RSS in MiB of exactly that process)."""
    started = time.perf_counter()
    child = subprocess.Popen([*LEADRANK, *args], env=env, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"leadrank {' '.join(args[:2])} failed")
    return seconds, usage.ru_maxrss / 1024


def bench_size(leads: int, workdir: Path, database_url: str | None) -> dict[str, float]:
    """Sample `leads` people, then time ingesting their lead files and events."""
    env = {
        **os.environ,
        "LEADRANK_DATABASE_URL": database_url or f"sqlite:///{workdir / 'bench.db'}",
    }
    sample_dir = workdir / "sample"
    sample_s, _ = run(["sample", "--leads", str(leads), "--out", str(sample_dir)], env)
    from leadrank.kit.readers import read_table

    lead_files = sorted(p for p in sample_dir.iterdir() if "event" not in p.name)
    event_files = sorted(p for p in sample_dir.iterdir() if "event" in p.name)
    lead_rows = sum(read_table(p).height for p in lead_files)
    event_rows = sum(read_table(p).height for p in event_files)
    run(["init"], env)
    ingest_s, ingest_mb = run(["ingest", "leads", *map(str, lead_files)], env)
    events_s, events_mb = run(["ingest", "events", *map(str, event_files)], env)
    again_s, _ = run(["ingest", "leads", *map(str, lead_files)], env)
    return {
        "leads": leads,
        "sample_s": sample_s,
        "lead_rows": lead_rows,
        "ingest_s": ingest_s,
        "lead_rows_per_s": lead_rows / ingest_s,
        "ingest_peak_mb": ingest_mb,
        "event_rows": event_rows,
        "events_s": events_s,
        "event_rows_per_s": event_rows / events_s,
        "events_peak_mb": events_mb,
        "reingest_s": again_s,
    }


def main() -> None:
    """Run each size in a child process of its own so peak memory is per size."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument(
        "--database-url", default=None, help="default: a fresh SQLite file per size"
    )
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        workdir = Path(tempfile.mkdtemp(prefix="leadrank-bench-"))
        try:
            result = bench_size(args.one, workdir, args.database_url)
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
        print(
            f"{result['leads']:>9,} people | sample {result['sample_s']:6.1f}s | "
            f"lead rows {result['lead_rows']:>9,} in {result['ingest_s']:6.1f}s = "
            f"{result['lead_rows_per_s']:>7,.0f} rows/s, peak {result['ingest_peak_mb']:,.0f} MiB | "
            f"events {result['event_rows']:>10,} in {result['events_s']:6.1f}s = "
            f"{result['event_rows_per_s']:>7,.0f} rows/s, peak {result['events_peak_mb']:,.0f} MiB | "
            f"re-ingest {result['reingest_s']:.1f}s",
            flush=True,
        )
        return
    for size in args.sizes:
        command = [sys.executable, __file__, "--one", str(size)]
        if args.database_url:
            command += ["--database-url", args.database_url]
        subprocess.run(command, check=True)


if __name__ == "__main__":
    main()
