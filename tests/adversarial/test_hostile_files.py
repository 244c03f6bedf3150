"""Every command that reads a file, given each hostile file of the corpus: a result or one
line saying why not, never a traceback; and an ingest loses none of the file's good rows, on
both databases."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import func, select

from leadrank.db.engine import session_scope
from leadrank.orm import BronzeRecord, Lead
from tests.adversarial.corpus import CORPUS, Hostile, build
from tests.conftest import CliResult, Workspace


def _answered(ran: CliResult, what: str) -> None:
    """Exit 0, or exit 1 with one `error:` line; an exception would have escaped `cli`."""
    assert ran.exit_code in (0, 1), (what, ran.exit_code, ran.stderr[-2000:])
    assert "Traceback" not in ran.stdout + ran.stderr, what
    if ran.exit_code == 1:
        assert ran.stderr.strip().startswith("error:"), (what, ran.stderr[-2000:])


@pytest.mark.parametrize("hostile", CORPUS, ids=lambda hostile: hostile.name)
def test_file_commands_answer_every_hostile_file(
    hostile: Hostile, cli: Callable[..., CliResult], tmp_path: Path
) -> None:
    source = str(build(tmp_path / "corpus", hostile))
    out = tmp_path / "out"
    commands = [
        ["clean", source, "-o", str(out / "clean.csv")],
        ["dedupe", source, "-o", str(out / "dedupe.csv")],
        ["icp", "apply", source, "-o", str(out / "icp.xlsx")],
    ]
    for command in commands:
        ran = cli(*command)
        _answered(ran, " ".join(command[:2]))
        if hostile.leads is not None and hostile.kind == "leads":
            assert ran.exit_code == 0, (command[0], ran.stderr)


@pytest.mark.parametrize("hostile", CORPUS, ids=lambda hostile: hostile.name)
def test_an_ingest_of_a_hostile_file_loses_none_of_its_good_rows(
    hostile: Hostile, workspace: Workspace, cli: Callable[..., CliResult], tmp_path: Path
) -> None:
    source = str(build(tmp_path / "corpus", hostile))
    command = ["ingest", "events", source] if hostile.kind == "events" else ["ingest", source]
    ran = cli(*command)
    _answered(ran, "ingest")
    with session_scope(workspace.engine) as session:
        records = session.scalar(select(func.count()).select_from(BronzeRecord)) or 0
        leads = session.scalar(select(func.count()).select_from(Lead)) or 0
    if ran.exit_code == 1:
        assert records == 0 and leads == 0  # refused whole: nothing half-loaded
    if hostile.leads is not None:
        assert ran.exit_code == 0, ran.stderr
        assert leads == hostile.leads, ran.stdout
        assert f"rows read {records:,}" in ran.stdout  # every row is kept in bronze
