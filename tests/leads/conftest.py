"""A sampled workspace scored by the rules, for the worklist's tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from leadrank.db.engine import session_scope
from leadrank.scoring.score_run import score_workspace
from tests.conftest import Workspace, ingest_sample


@pytest.fixture
def scored(workspace: Workspace, tmp_path: Path) -> Workspace:
    """A workspace of a 300-person sample, scored by the rules."""
    ingest_sample(workspace, tmp_path / "sample", leads=300, seed=5)
    with session_scope(workspace.engine) as session:
        score_workspace(session)
    return workspace
