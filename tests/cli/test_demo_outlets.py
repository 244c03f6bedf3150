"""`leadrank demo-outlets`: a CRM pull, scores, owners, pushes, webhooks and a Slack alert
end to end on local fakes; in this process on SQLite, in two worker processes on PostgreSQL."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest

from tests.conftest import CliResult, Workspace

SET_BY_THE_DEMO = (
    "LEADRANK_HUBSPOT_TOKEN",
    "LEADRANK_HUBSPOT_URL",
    "LEADRANK_WEBHOOK_ALLOW_PRIVATE_URLS",
    "LEADRANK_AUTO_ENRICH",
)


def test_the_outlets_demo_end_to_end(
    workspace: Workspace, cli: Callable[..., CliResult], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in SET_BY_THE_DEMO:  # the demo sets them for its workers; put back afterwards
        monkeypatch.setenv(name, "")
    workers = ["--workers", "2"] if workspace.backend == "postgresql" else []
    done = cli("demo-outlets", "--contacts", "60", *workers)
    assert done.exit_code == 0, done.stderr
    out = " ".join(done.stdout.split())
    graded = re.search(r"HubSpot: (\d+) contacts carry leadrank_grade", out)
    assert graded and int(graded.group(1)) == 60
    owners = re.search(r"owners: (\d+) contacts that had none got one", out)
    assert owners and int(owners.group(1)) > 0
    hooks = re.search(r"webhooks: (\d+) lead.grade_changed deliveries, (\d+) with a valid", out)
    assert hooks and hooks.group(1) == hooks.group(2) == "60"
    assert re.search(r"Slack: (\d+ leads met the rule|.* entered grade [AB])", out)
    assert "failed jobs" not in out
