"""`leadrank webhooks ...` and `leadrank alerts ...` as a user runs them."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import select
from standardwebhooks import Webhook

from leadrank.db.engine import session_scope
from leadrank.leads.grade_overrides import set_override
from leadrank.orm.outlets import Delivery, WebhookEndpoint
from leadrank.outlets.fake_receiver import FakeReceiver
from tests.conftest import CliResult, Workspace
from tests.outlets.helpers import ingest_people


@pytest.fixture
def allow_local(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEADRANK_WEBHOOK_ALLOW_PRIVATE_URLS", "true")
    monkeypatch.setenv("LEADRANK_WEBHOOK_RETRY_SCHEDULE", "1s")


def test_add_list_test_deliver_fail_retry_and_remove(
    workspace: Workspace,
    cli: Callable[..., CliResult],
    allow_local: None,
    receiver: FakeReceiver,
    receiver_url: str,
    tmp_path: Path,
) -> None:
    added = cli(
        "webhooks", "add", f"{receiver_url}/hook", "--events", "lead.grade_changed,lead.merged"
    )
    assert added.exit_code == 0, added.stderr
    secret = added.stdout.strip().splitlines()[-1]
    assert secret.startswith("whsec_")
    with session_scope(workspace.engine) as session:
        endpoint = session.scalars(select(WebhookEndpoint)).one()
        assert endpoint.secret == secret and endpoint.events == [
            "lead.grade_changed",
            "lead.merged",
        ]
    receiver.secrets["/hook"] = secret

    listed = cli("webhooks", "list")
    assert f"{receiver_url}/hook" in listed.stdout and secret not in listed.stdout

    tried = cli("webhooks", "test", "1")
    assert tried.exit_code == 0 and "answered 204" in tried.stdout
    (trial,) = receiver.got()
    assert trial.verified and trial.json["type"] == "webhook.test"

    ids = ingest_people(workspace, tmp_path / "in")
    receiver.fail_with = 503
    with session_scope(workspace.engine) as session:
        set_override(session, lead_id=ids[0], grade="A", reason="demo", by="sam")
    cli("worker", "--exit-when-idle")
    failing = cli("webhooks", "deliveries", "--failed")
    assert "503 unavailable" in failing.stdout and "pending" in failing.stdout

    # The only retry (1 s later) fails too: dead, then replayed by hand to a receiver back up.
    import time

    time.sleep(1.1)
    cli("worker", "--exit-when-idle")
    failed_now = cli("webhooks", "deliveries", "--failed").stdout
    assert "dead" in failed_now, failed_now
    receiver.fail_with = None
    assert cli("webhooks", "retry", "1").exit_code == 0
    assert cli("webhooks", "retry", "1").exit_code != 0  # pending already: a conflict
    cli("worker", "--exit-when-idle")
    (delivered,) = [r for r in receiver.got() if r.json["data"].get("lead_id") == ids[0]]
    assert Webhook(secret).verify(delivered.body, delivered.headers)["data"]["grade"] == "A"
    with session_scope(workspace.engine) as session:
        # (On PostgreSQL the worker's schedules may rescore meanwhile: more deliveries.)
        assert session.scalar(select(Delivery.status).where(Delivery.id == 1)) == "delivered"

    assert cli("webhooks", "remove", "1").exit_code == 0
    assert "no webhook endpoints yet" in cli("webhooks", "list").stdout


def test_bad_subscriptions_are_refused_with_one_clear_line(
    workspace: Workspace, cli: Callable[..., CliResult]
) -> None:
    refused = cli("webhooks", "add", "http://127.0.0.1:9/hook", "--events", "lead.created")
    assert refused.exit_code != 0 and "LEADRANK_WEBHOOK_ALLOW_PRIVATE_URLS" in refused.stderr
    unknown = cli("webhooks", "add", "https://93.184.215.14/h", "--events", "lead.exploded")
    assert unknown.exit_code != 0 and "unknown event type(s) lead.exploded" in unknown.stderr
    assert cli("webhooks", "test", "7").exit_code != 0


def test_alert_rules_from_the_command_line(
    workspace: Workspace,
    cli: Callable[..., CliResult],
    allow_local: None,
    receiver: FakeReceiver,
    receiver_url: str,
) -> None:
    slack = f"{receiver_url}/slack/T000/B000/XXXXXXXX"
    added = cli(
        "alerts",
        "add",
        "hot",
        "--url",
        slack,
        "--grade",
        "A,B",
        "--quiet",
        "22:00-07:00",
        "--timezone",
        "Europe/Berlin",
    )
    assert added.exit_code == 0, added.stderr
    assert "enters grade A/B" in added.stdout and "quiet 22:00-07:00 Europe/Berlin" in added.stdout
    listed = cli("alerts", "list").stdout
    assert "hot" in listed and "XXXXXXXX" not in listed  # the URL is the credential
    assert cli("alerts", "test", "hot").exit_code == 0
    assert receiver.got()[0].json["text"].startswith("Ada Example entered grade A")
    assert cli("alerts", "add", "hot", "--url", slack, "--grade", "A").exit_code != 0
    assert cli("alerts", "remove", "hot").exit_code == 0
    assert "no alert rules yet" in cli("alerts", "list").stdout
