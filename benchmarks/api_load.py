"""Load on the scoring API: leadrank serve against a straightforward FastAPI + pydantic +
LightGBM endpoint (benchmarks/api_reference.py), both with 2 uvicorn workers on 127.0.0.1,
driven by wrk on the same machine, in one run so the ratios are fair on a noisy machine:
both servers run at once and take turns, and each ratio is the median of the rounds' ratios.

Usage: python benchmarks/api_load.py [--seconds 5] [--rounds 3] [--concurrency 1 4 16]
Needs wrk (Debian: apt-get install wrk). Prints, per server and scenario, requests/s,
leads/s and latency p50/p99, then leadrank's ratios to the reference.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from statistics import median

import httpx
import msgspec

from leadrank.sample.api_leads import sample_api_leads

HERE = Path(__file__).parent
LEAD = {
    "seniority_level": "vp",
    "job_title": "VP of Sales",
    "company_size": "201-500",
    "industry": "Software",
    "geography": "Europe",
    "email_engagement_score": 72.5,
    "website_sessions": 9,
    "pages_viewed": 31,
    "time_on_site": 840,
    "form_fills": 2,
    "content_downloads": 1,
    "campaign_touchpoints": 5,
    "last_campaign_interaction": "2026-11-20T10:00:00Z",
    "account_revenue": 45000000,
    "account_employees": 310,
    "existing_customer": False,
}
SCRIPT = """wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local f = io.open("{body}", "rb")
wrk.body = f:read("*a")
f:close()
"""


@dataclass
class Result:
    """One wrk run."""

    requests_per_s: float
    p50_ms: float
    p99_ms: float
    errors: int


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start(command: list[str], env: dict[str, str], cwd: Path, log: Path) -> subprocess.Popen[bytes]:
    """A server process, its output kept in `log`."""
    return subprocess.Popen(
        command, env=env, cwd=cwd, stdout=log.open("wb"), stderr=subprocess.STDOUT
    )


def wait_ready(url: str, process: subprocess.Popen[bytes], body: bytes) -> None:
    """Until the server answers a scoring request."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the server at {url} stopped; see its log")
        try:
            answer = httpx.post(url, content=body, headers={"content-type": "application/json"})
            if answer.status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.3)
    raise SystemExit(f"the server at {url} did not become ready")


def wrk(url: str, body_file: Path, concurrency: int, seconds: int, work: Path) -> Result:
    """Requests/s and latency percentiles of one scenario."""
    script = work / f"post-{body_file.stem}.lua"
    script.write_text(SCRIPT.format(body=body_file))
    output = subprocess.run(
        ["wrk", "-t1", f"-c{concurrency}", f"-d{seconds}s", "--latency", "-s", str(script), url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return Result(
        rate,
        _percentile(output, "50%"),
        _percentile(output, "99%"),
        int(errors.group(1)) if errors else 0,
    )


def _percentile(output: str, which: str) -> float:
    match = re.search(rf"{re.escape(which)}\s+([\d.]+)(us|ms|s)", output)
    assert match, output
    value, unit = float(match.group(1)), match.group(2)
    return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value


def main() -> None:
    """Start both servers, load each scenario, print the figures and ratios."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 4, 16])
    parser.add_argument(
        "--workers", type=int, default=2, help="leadrank's worker processes (the reference: 2)"
    )
    parser.add_argument(
        "--rounds", type=int, default=3, help="alternating runs of each server per scenario"
    )
    parser.add_argument("--only", choices=["reference", "leadrank"], default=None)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("benchmarks/api_load.py needs wrk: apt-get install wrk")
    work = Path(tempfile.mkdtemp(prefix="leadrank-api-load-"))
    bodies = {name: work / f"{name}.json" for name in ("single", "batch")}
    bodies["single"].write_text(json.dumps({"leads": [LEAD]}))
    # 500 different generated leads, so no cache of repeated values flatters a server.
    generated, _ = sample_api_leads(rows=500, seed=42)
    bodies["batch"].write_bytes(msgspec.json.encode({"leads": generated}))
    env = {
        **os.environ,
        "LEADRANK_DATABASE_URL": f"sqlite:///{work / 'api.db'}",
        "LEADRANK_DATA_DIR": str(work),
    }
    env["PYTHONPATH"] = os.pathsep.join([str(HERE), env.get("PYTHONPATH", "")])
    bin_dir = Path(sys.executable).parent
    servers = {
        "reference": (
            [
                str(bin_dir / "uvicorn"),
                "api_reference:app",
                "--workers",
                "2",
                "--log-level",
                "warning",
                "--no-access-log",
            ],
            HERE,
        ),
        "leadrank": ([str(bin_dir / "leadrank"), "serve", "--workers", str(args.workers)], work),
    }
    names = [name for name in servers if args.only in (None, name)]
    processes: dict[str, subprocess.Popen[bytes]] = {}
    urls: dict[str, str] = {}
    try:
        # Both servers run at once and take turns, round after round, so a swing in the
        # machine's speed falls on both; the ratio reported is the median of the rounds'.
        for name in names:
            command, cwd = servers[name]
            port = free_port()
            processes[name] = start([*command, "--port", str(port)], env, cwd, work / f"{name}.log")
            urls[name] = f"http://127.0.0.1:{port}/api/v1/scoring/score"
        for name in names:
            wait_ready(urls[name], processes[name], bodies["single"].read_bytes())
            for body in bodies.values():
                wrk(urls[name], body, 4, 2, work)  # warm both workers up
        rounds: dict[tuple[str, str, int], list[Result]] = {}
        for scenario, body in bodies.items():
            for concurrency in args.concurrency:
                for turn in range(args.rounds):
                    order = names if turn % 2 == 0 else names[::-1]
                    for name in order:
                        result = wrk(urls[name], body, concurrency, args.seconds, work)
                        rounds.setdefault((name, scenario, concurrency), []).append(result)
    finally:
        for process in processes.values():
            process.send_signal(signal.SIGINT)
        for process in processes.values():
            process.wait(timeout=30)
    print(
        f"leadrank with {args.workers} worker processes, the reference with 2; "
        f"{args.rounds} alternating rounds of {args.seconds} s per scenario, medians"
    )
    report(rounds, args.concurrency)


def report(rounds: dict[tuple[str, str, int], list[Result]], levels: list[int]) -> None:
    """The table of medians and the ratios."""
    print(
        f"{'server':10} {'scenario':8} {'conc':>4} {'req/s':>9} {'leads/s':>9} "
        f"{'p50 ms':>8} {'p99 ms':>8} {'errors':>6}  rounds' req/s"
    )
    for (name, scenario, concurrency), results in rounds.items():
        leads = 500 if scenario == "batch" else 1
        rate = median(r.requests_per_s for r in results)
        print(
            f"{name:10} {scenario:8} {concurrency:4d} {rate:9,.0f} {rate * leads:9,.0f} "
            f"{median(r.p50_ms for r in results):8.2f} {median(r.p99_ms for r in results):8.2f} "
            f"{sum(r.errors for r in results):6d}  "
            + " ".join(f"{r.requests_per_s:,.0f}" for r in results)
        )
    if {name for name, _, _ in rounds} != {"reference", "leadrank"}:
        return
    print("leadrank / reference, median of the rounds' ratios (each round's ratio):")
    for scenario in ("batch", "single"):
        for concurrency in levels:
            ours, theirs = (
                rounds[("leadrank", scenario, concurrency)],
                rounds[("reference", scenario, concurrency)],
            )
            ratios = [
                a.requests_per_s / b.requests_per_s for a, b in zip(ours, theirs, strict=True)
            ]
            print(
                f"  {scenario:6} c={concurrency:<3} throughput x{median(ratios):.2f} "
                f"({' '.join(f'{r:.2f}' for r in ratios)}), p99 "
                f"{median(r.p99_ms for r in ours):.2f} ms vs {median(r.p99_ms for r in theirs):.2f} ms"
            )


if __name__ == "__main__":
    main()
