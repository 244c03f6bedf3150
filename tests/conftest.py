"""Shared fixtures: a real workspace database per test, on SQLite and (when configured) PostgreSQL.

Set LEADRANK_TEST_POSTGRES_URL=postgresql://user@host:port/db to run every database test on
PostgreSQL too; each run creates its own database there and drops it at the end.
"""

from __future__ import annotations

import logging
import os
import shutil
import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from leadrank.config import get_settings
from leadrank.db.engine import build_engine
from leadrank.db.migrate import upgrade
from leadrank.db.scratch import scratch_postgres
from leadrank.kit.console import console, err_console
from leadrank.orm import Base

# The API server fixtures (`start_server`, `api`) serve the route tests of every domain.
pytest_plugins = ["tests.server"]

POSTGRES_URL = os.environ.get("LEADRANK_TEST_POSTGRES_URL")
FIXTURES = Path(__file__).parent / "fixtures"
# procrastinate's tables, which come with the migrations: emptied with leadrank's own.
PROCRASTINATE_TABLES = [
    "procrastinate_periodic_defers",
    "procrastinate_events",
    "procrastinate_jobs",
    "procrastinate_workers",
]


@dataclass
class Workspace:
    """A migrated, empty workspace database and its URL."""

    url: str
    engine: Engine
    backend: str


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One migrated SQLite file, copied for each test (faster than migrating each time)."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    engine = build_engine(f"sqlite:///{path}")
    upgrade(engine)
    with engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    """A database of this test run's own on the PostgreSQL server, migrated once."""
    if not POSTGRES_URL:
        pytest.skip("PostgreSQL tests need LEADRANK_TEST_POSTGRES_URL (CI sets it)")
    with scratch_postgres(POSTGRES_URL, prefix="leadrank_test") as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def workspace(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    sqlite_template: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Workspace]:
    """An empty, migrated workspace; the environment points the CLI at it."""
    if request.param == "sqlite":
        path = tmp_path / "leadrank.db"
        shutil.copy(sqlite_template, path)
        url = f"sqlite:///{path}"
    else:
        url = request.getfixturevalue("postgres_database")
    engine = build_engine(url)
    if request.param == "postgresql":
        tables = [t.name for t in reversed(Base.metadata.sorted_tables)] + PROCRASTINATE_TABLES
        names = ", ".join(f'"{name}"' for name in tables)
        with engine.begin() as connection:
            connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    monkeypatch.setenv("LEADRANK_DATABASE_URL", url)
    monkeypatch.setenv("LEADRANK_DATA_DIR", str(tmp_path / "data"))
    get_settings.cache_clear()
    try:
        yield Workspace(url=url, engine=engine, backend=request.param)
    finally:
        engine.dispose()
        get_settings.cache_clear()


@pytest.fixture(autouse=True)
def _isolated_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """No test reads the developer's own workspace: the default database lives in tmp_path."""
    monkeypatch.chdir(tmp_path)
    for name in list(os.environ):
        if name.startswith("LEADRANK_") and name != "LEADRANK_TEST_POSTGRES_URL":
            monkeypatch.delenv(name)
    get_settings.cache_clear()
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    get_settings.cache_clear()
    # A test that configured logging wrote to its own captured stderr: later tests must not.
    root.handlers[:], root.level = handlers, level


@dataclass
class CliResult:
    """What one `leadrank` invocation printed and returned."""

    exit_code: int
    stdout: str
    stderr: str


@pytest.fixture
def cli(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> Callable[..., CliResult]:
    """Run the real `leadrank` entry point in-process and capture its output."""
    from leadrank.cli.main import main

    monkeypatch.setenv("COLUMNS", "200")
    # The consoles read COLUMNS once, when first imported, which may be in another test.
    for shown in (console, err_console):
        monkeypatch.setattr(shown, "width", 200)

    def run(*args: str) -> CliResult:
        capsys.readouterr()
        monkeypatch.setattr("sys.argv", ["leadrank", *args])
        try:
            main()
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        captured = capsys.readouterr()
        return CliResult(code, captured.out, captured.err)

    return run


def ingest_sample(workspace: Workspace, folder: Path, *, leads: int, seed: int) -> None:
    """Generate a sample workspace of `leads` people into `folder` and ingest it: lead files
    first, then the events."""
    from leadrank.db.engine import session_scope
    from leadrank.ingest.service import ingest_file
    from leadrank.sample.generator import generate_workspace

    manifest = generate_workspace(folder, leads=leads, seed=seed)
    for item in sorted(manifest.files, key=lambda f: f.kind != "leads"):
        with session_scope(workspace.engine) as session:
            ingest_file(session, path=folder / item.name, source=item.vendor, kind=item.kind)


@pytest.fixture
def scored(workspace: Workspace, tmp_path: Path) -> Workspace:
    """A workspace of a 300-person sample, scored whole by the rules."""
    from leadrank.db.engine import session_scope
    from leadrank.scoring.score_run import score_workspace

    ingest_sample(workspace, tmp_path / "sample", leads=300, seed=5)
    with session_scope(workspace.engine) as session:
        score_workspace(session)
    return workspace


def redis_up() -> bool:
    """Whether the Redis the tests use answers at 127.0.0.1:6379."""
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=0.5).close()
    except OSError:
        return False
    return True
