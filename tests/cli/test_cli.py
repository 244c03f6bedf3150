"""The `leadrank` command line as a user runs it: real files, a real workspace, real output."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest

from leadrank import __version__
from leadrank.auth.users import list_users, signed_in_user
from leadrank.db.engine import session_scope
from tests.conftest import FIXTURES, CliResult, Workspace

Cli = Callable[..., CliResult]
LEADS = (
    "E-mail Address,Full Name,Job Title,Company Name,# Employees,Country,Favourite Colour\n"
    "ann.lee@initech.com,ann lee,Chief Technology Officer,Initech,51-200,Deutschland,blue\n"
    "info@acme.io,Bob Stone,Sales Manager,Acme,1.2k,U.S.,\n"
    ",,,,,,green\n"
)


def test_help_lists_the_commands(cli: Cli) -> None:
    result = cli("--help")
    assert result.exit_code == 0
    for command in ("init", "ingest", "clean", "quarantine", "leads", "stats", "sample", "demo"):
        assert command in result.stdout


def test_each_listed_command_is_the_one_it_names(cli: Cli) -> None:
    from leadrank.cli.main import COMMANDS

    listed = cli("--help").stdout
    for name, entry in COMMANDS.items():
        command = entry.load(name)
        first = " ".join((command.help or "").strip().split("\n\n")[0].split())
        assert first == entry.help, f"{name}: the line in cli/main.py differs from its help"
        assert re.search(rf"\b{name}\b", listed), name
        assert cli(name, "--help").exit_code == 0, name
    typo = cli("ingst")
    assert typo.exit_code == 2 and "Did you mean 'ingest'" in typo.stderr


def test_help_and_version_load_no_domain() -> None:
    """`leadrank --help` and `--version` import the command line alone: no domain, no
    database, no dataframes (they start in a tenth of a second, not in one)."""
    probe = (
        "import sys\n"
        "from leadrank.cli.main import app\n"
        "for args in (['--help'], ['--version']):\n"
        "    try:\n"
        "        app(args, prog_name='leadrank')\n"
        "    except SystemExit as done:\n"
        "        assert done.code == 0, done.code\n"
        "heavy = ('sqlalchemy', 'polars', 'pydantic_settings', 'numpy', 'lightgbm', 'fastapi')\n"
        "print('LOADED', sorted(m for m in sys.modules if m.split('.')[0] in heavy\n"
        "    or (m.startswith('leadrank.') and m.split('.')[1] not in ('cli', 'errors'))))\n"
    )
    ran = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert ran.returncode == 0, ran.stderr
    assert f"leadrank {__version__}" in ran.stdout and "Usage: leadrank" in ran.stdout
    assert "LOADED []" in ran.stdout, ran.stdout[-500:]


def test_init_creates_the_default_sqlite_workspace(cli: Cli, tmp_path: Path) -> None:
    result = cli("init")
    assert result.exit_code == 0, result.stderr
    assert (tmp_path / "leadrank.db").exists()
    assert "workspace ready" in result.stdout


def test_ingest_then_browse(cli: Cli, workspace: Workspace, tmp_path: Path) -> None:
    path = tmp_path / "list.csv"
    path.write_text(LEADS)
    result = cli("ingest", str(path), "--source", "tradeshow")
    assert result.exit_code == 0, result.stderr
    assert "email" in result.stdout and "E-mail Address" in result.stdout
    assert "Favourite Colour" in result.stdout  # kept as an attribute, and said so
    assert "leads created 2" in result.stdout and "quarantined 1" in result.stdout

    again = cli("ingest", str(path), "--source", "tradeshow")
    assert again.exit_code == 0
    assert "nothing new" in again.stdout and "ingested before" in again.stdout

    listed = cli("leads", "list", "--country", "DE")
    assert "Ann Lee" in listed.stdout and "Bob Stone" not in listed.stdout
    shown = cli("leads", "show", "ann.lee@initech.com")
    assert shown.exit_code == 0
    assert "c_level" in shown.stdout and "tradeshow list.csv row 1" in shown.stdout
    quarantine = cli("quarantine")
    assert "no_identity" in quarantine.stdout and "Favourite Colour=green" in quarantine.stdout
    out = tmp_path / "q.csv"
    assert cli("quarantine", "-o", str(out)).exit_code == 0
    assert pl.read_csv(out)["row"].to_list() == [3]
    stats = cli("stats")
    assert "leads 2" in stats.stdout and "quarantined 1" in stats.stdout


def test_errors_are_one_line_and_non_zero(cli: Cli, workspace: Workspace, tmp_path: Path) -> None:
    missing = cli("ingest", str(tmp_path / "nope.csv"))
    assert missing.exit_code == 1
    assert missing.stderr.strip().count("\n") == 0 and "no such file" in missing.stderr
    (tmp_path / "bad.json").write_text("[{")
    assert cli("ingest", str(tmp_path / "bad.json")).exit_code == 1
    assert cli("leads", "show", "nobody@nowhere.com").exit_code == 1
    assert cli("ingest", "--bogus-option").exit_code == 2


def test_dry_run_prints_the_mapping_and_writes_nothing(
    cli: Cli, workspace: Workspace, tmp_path: Path
) -> None:
    path = tmp_path / "list.csv"
    path.write_text(LEADS)
    result = cli("ingest", str(path), "--dry-run")
    assert result.exit_code == 0
    assert "dry run" in result.stdout and "company_name" in result.stdout
    assert "leads 0" in cli("stats").stdout


def test_clean_writes_every_input_column_plus_normalised_ones(cli: Cli, tmp_path: Path) -> None:
    source = tmp_path / "list.csv"
    source.write_text(LEADS)
    out = tmp_path / "clean.csv"
    result = cli("clean", str(source), "-o", str(out))
    assert result.exit_code == 0, result.stderr
    frame = pl.read_csv(out, infer_schema=False)
    assert frame.columns[:7] == pl.read_csv(source, infer_schema=False).columns
    assert {
        "clean_email",
        "clean_country_code",
        "clean_seniority",
        "quality_score",
        "issues",
    } <= set(frame.columns)
    assert frame["clean_country_code"].to_list() == ["DE", "US", None]
    assert frame["clean_first_name"].to_list()[0] == "Ann"
    assert "email_role" in frame["issues"].to_list()[1]
    assert not (tmp_path / "leadrank.db").exists()  # stateless


def test_clean_x_education_to_parquet(cli: Cli, tmp_path: Path) -> None:
    out = tmp_path / "x.parquet"
    result = cli("clean", str(FIXTURES / "x_education_200.csv"), "-o", str(out))
    assert result.exit_code == 0, result.stderr
    frame = pl.read_parquet(out)
    assert frame.height == 200
    assert frame["clean_country_code"].drop_nulls().value_counts(sort=True)[0, 0] == "IN"
    assert frame.schema["issues"] == pl.List(pl.String)


def test_sample_and_demo(cli: Cli, workspace: Workspace, tmp_path: Path) -> None:
    result = cli("sample", "--leads", "300", "--out", str(tmp_path / "s"))
    assert result.exit_code == 0, result.stderr
    assert len(list((tmp_path / "s").iterdir())) >= 5
    demo = cli("demo", "--leads", "300", "--out", str(tmp_path / "d"))
    assert demo.exit_code == 0, demo.stderr
    assert "the workspace" in demo.stdout and "quarantined" in demo.stdout
    enriched = re.search(r"([\d,]+) leads: ([\d,]+) fields filled", demo.stdout)
    assert enriched and int(enriched.group(2).replace(",", "")) > 0
    # 300 people settle too few outcomes to learn from: the rules score alone, and say so.
    assert "no model yet" in demo.stdout and "the 20 leads to work first" in demo.stdout
    again = cli("demo", "--leads", "300", "--out", str(tmp_path / "d"))
    assert again.exit_code == 0
    ingested = again.stdout.split("2. ingest")[1].split("3. enrich")[0]
    rows = [
        line.split() for line in ingested.splitlines() if re.match(r"\S+\.(csv|tsv|jsonl) ", line)
    ]
    assert len(rows) >= 5 and all(row[1] == "0" for row in rows)  # same sample, nothing new
    # Each run ends with the command that opens the web app and a sign-in, its password new
    # each time (the one before stops working).
    first, second = _demo_password(demo.stdout), _demo_password(again.stdout)
    assert first != second
    for shown in (demo.stdout, again.stdout):
        assert "leadrank serve --port 8000" in shown and "http://127.0.0.1:8000/" in shown
    with session_scope(workspace.engine) as session:
        assert [(u.email, u.role) for u in list_users(session)] == [("demo@example.com", "admin")]
        now = datetime.now(UTC)
        assert signed_in_user(session, email="demo@example.com", password=first, now=now) is None
        assert signed_in_user(session, email="demo@example.com", password=second, now=now)


def _demo_password(stdout: str) -> str:
    found = re.search(r"email\s+demo@example\.com\s+password\s+(\S+)", stdout)
    assert found, stdout[-2000:]
    return found.group(1)


def test_ingest_says_which_key_fields_it_found_no_column_for(
    cli: Cli, workspace: Workspace, tmp_path: Path
) -> None:
    path = tmp_path / "names.csv"
    path.write_text("First Name,Last Name,E-mail\nAnn,Lee,ann@initech.com\n")
    result = cli("ingest", str(path), "--dry-run")
    assert result.exit_code == 0, result.stderr
    line = next(line for line in result.stdout.splitlines() if "no column found for" in line)
    assert "job_title" in line and "company_name" in line and "phone" in line
    assert "email" not in line.split(":", 1)[1] and "full_name" not in line


def test_two_ingests_at_once_both_load(workspace: Workspace, tmp_path: Path) -> None:
    """Two `leadrank ingest` processes on one SQLite workspace: the second waits its turn for
    the write lock instead of failing with "database is locked"."""
    if workspace.backend != "sqlite":
        return  # PostgreSQL writers never share one lock
    files = []
    for part in range(2):
        rows = "".join(
            f"p{part}-{i}@acme{i % 50}.io,P{i},Q{part},Engineer,Acme{i % 50}\n"
            for i in range(3_000)
        )
        path = tmp_path / f"list{part}.csv"
        path.write_text("Email,First Name,Last Name,Job Title,Company\n" + rows)
        files.append(path)
    env = {**os.environ, "LEADRANK_DATABASE_URL": workspace.url, "LEADRANK_DATA_DIR": str(tmp_path)}
    runs = [
        subprocess.Popen(
            [sys.executable, "-m", "leadrank.cli", "ingest", str(path), "--source", "crm"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for path in files
    ]
    for run in runs:
        _, stderr = run.communicate(timeout=120)
        assert run.returncode == 0, stderr
    with workspace.engine.connect() as connection:
        leads = connection.exec_driver_sql("SELECT count(*) FROM leads").scalar()
    assert leads == 6_000


def test_a_setting_or_a_path_that_cannot_be_used_is_one_line(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from leadrank.config import get_settings

    for name, value in (
        ("LEADRANK_API_MAX_BODY_BYTES", "abc"),
        ("LEADRANK_INSTANTLY_WEBHOOK_SECRET", "short"),
    ):
        with monkeypatch.context() as scoped:
            scoped.setenv(name, value)
            get_settings.cache_clear()
            refused = cli("stats")
        get_settings.cache_clear()
        assert refused.exit_code == 1, name
        assert refused.stderr.startswith(f"error: setting {name}:"), refused.stderr
        assert "Traceback" not in refused.stderr
    source = tmp_path / "in.csv"
    source.write_text("Email\nann@initech.com\n")
    blocked = tmp_path / "a-file"
    blocked.write_text("")
    written = cli("clean", str(source), "-o", str(blocked / "out.csv"))
    assert written.exit_code == 1 and written.stderr.startswith("error: cannot write "), (
        written.stderr
    )
