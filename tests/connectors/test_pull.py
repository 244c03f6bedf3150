"""`pull` and `leadrank connectors instantly pull` against the fake: Instantly's leads land in
bronze and silver, its emails become lead events, and a second pull adds nothing."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from leadrank.config import get_settings
from leadrank.connectors.instantly.client import InstantlyClient
from leadrank.connectors.instantly.fake import (
    FAKE_API_KEY,
    ORGANIZATION,
    FakeInstantly,
    webhook_event,
)
from leadrank.connectors.instantly.schemas import WebhookReceipt
from leadrank.connectors.instantly.service import pull, record_webhook
from leadrank.db.engine import session_scope
from leadrank.errors import WriteRace
from leadrank.leads.service import get_lead
from leadrank.orm import BronzeRecord, Company, Event, Lead
from tests.conftest import CliResult, Workspace

# What each kind of Instantly email becomes (API v2 Email.ue_type; 4 is scheduled, not sent).
EVENT_OF_EMAIL = {1: "email_sent", 3: "email_sent", 2: "email_replied"}
SENT = (1, 3)


def counts(session: Session) -> tuple[int, int, int, int]:
    return tuple(  # type: ignore[return-value]
        session.scalar(select(func.count()).select_from(table))
        for table in (BronzeRecord, Lead, Event, Company)
    )


def expected_events(fake: FakeInstantly, since: str = "") -> Counter[str]:
    kinds: Counter[str] = Counter()
    for email in fake.workspace.emails:
        if email["ue_type"] in EVENT_OF_EMAIL and email["timestamp_created"] >= since:
            auto = email["ue_type"] == 2 and email["is_auto_reply"] == 1
            kinds["auto_reply_received" if auto else EVENT_OF_EMAIL[email["ue_type"]]] += 1
    return kinds


def test_pull_lands_leads_and_events_and_a_second_pull_adds_nothing(
    workspace: Workspace, fake: FakeInstantly, instantly: Callable[..., InstantlyClient]
) -> None:
    client = instantly(page_size=3)
    with session_scope(workspace.engine) as session:
        report = pull(session, client)
    people = {lead["email"] for lead in fake.workspace.leads}
    events = expected_events(fake)
    assert (report.campaigns, report.leads_listed, report.emails_listed) == (3, 13, 31)
    assert report.emails_skipped == 3  # one scheduled email per campaign
    assert (report.leads.new, report.leads.leads_created, report.leads.quarantined) == (13, 12, 0)
    assert len(people) == 12  # Femi is in two campaigns: one person, one lead
    assert report.events.new == sum(events.values()) == 28
    assert report.events.events_created == 28 and report.events.quarantined == 0
    assert report.events.leads_created == 0  # every email's lead came with the leads

    with session_scope(workspace.engine) as session:
        assert counts(session)[:3] == (13 + 28, 12, 28)
        stored = Counter(session.scalars(select(Event.event_type)))
        assert stored == events and stored["email_replied"] == 5
        assert set(session.scalars(select(Event.source))) == {"instantly"}
        ann = get_lead(session, ref="ann.lee@acme-corp.com")
        assert (ann.lead.first_name, ann.lead.job_title, ann.lead.seniority) == (
            "Ann",
            "VP Engineering",
            "vp",
        )
        assert ann.lead.company_domain == "acme-corp.com"
        assert ann.lead.source_created_at is not None  # Instantly's timestamp_created
        assert [e.event_type for e in ann.events] == ["email_sent", "email_replied", "email_sent"]
        assert ann.events[0].properties["campaign_name"] == "Q2 Outbound - SaaS Leaders"
        assert ann.events[0].properties["step"] == "step-1"
        # Instantly's workspace id is not anybody's company.
        assert session.scalar(select(func.count()).where(Company.name == ORGANIZATION)) == 0
        assert ORGANIZATION not in str(ann.lead.attributes)
        before = counts(session)

    with session_scope(workspace.engine) as session:
        again = pull(session, client)
    assert (again.leads.new, again.leads.already_there) == (0, 13)
    assert (again.events.new, again.events.already_there, again.events.events_created) == (
        0,
        28,
        0,
    )
    assert again.leads.leads_created == 0
    with session_scope(workspace.engine) as session:
        assert counts(session) == before


def test_pull_since_takes_only_what_changed(
    workspace: Workspace, fake: FakeInstantly, instantly: Callable[..., InstantlyClient]
) -> None:
    since = datetime(2026, 3, 20, tzinfo=UTC)
    with session_scope(workspace.engine) as session:
        report = pull(session, instantly(), since=since)
    fresh_leads = [x for x in fake.workspace.leads if x["timestamp_updated"] >= "2026-03-20"]
    events = expected_events(fake, since="2026-03-20")
    assert 0 < len(fresh_leads) < 13 and report.leads.new == len(fresh_leads)
    assert report.events.events_created == sum(events.values())
    assert 0 < sum(events.values()) < 28
    assert all(
        r.query["min_timestamp_created"] == "2026-03-20T00:00:00.000Z"
        for r in fake.calls("/emails")
    )
    with session_scope(workspace.engine) as session:
        assert Counter(session.scalars(select(Event.event_type))) == events
        # Then a full pull brings the rest, and only the rest.
        rest = pull(session, instantly())
    assert rest.events.new == 28 - sum(events.values())
    assert rest.events.already_there == sum(events.values())


def test_a_sent_email_is_one_event_whether_its_webhook_or_a_pull_brings_it(
    workspace: Workspace, fake: FakeInstantly, instantly: Callable[..., InstantlyClient]
) -> None:
    sent = [e for e in fake.workspace.emails if e["ue_type"] in SENT]
    first, second = sent[0], sent[1]

    def delivery(kind: str, email: dict[str, str]) -> WebhookReceipt:
        payload = webhook_event(
            kind,
            lead_email=email["lead"],
            timestamp=email["timestamp_email"],
            campaign_id=email["campaign_id"],
            email_id=email["id"],
            step=1,
        )
        with session_scope(workspace.engine) as session:
            return record_webhook(session, get_settings(), payload=payload, name="webhook")

    assert delivery("email_sent", first).events_created == 1  # before any pull
    with session_scope(workspace.engine) as session:
        report = pull(session, instantly())
    assert (report.events.events_created, report.events.events_repeated) == (27, 1)
    # After the pull: the webhook of an email pulled already is recorded, and counts nothing.
    late = delivery("email_sent", second)
    assert (late.status, late.events_created) == ("already_recorded", 0)
    # An open names the email too, but one email is opened many times: each open counts.
    assert delivery("email_opened", second).events_created == 1
    with session_scope(workspace.engine) as session:
        stored = Counter(session.scalars(select(Event.event_type)))
        keys = session.scalars(select(Event.event_key).where(Event.event_key.is_not(None)))
        assert sorted(keys) == sorted(f"email_sent:{e['id']}" for e in sent)
    assert stored["email_sent"] == len(sent) and stored["email_opened"] == 1


def test_two_deliveries_of_one_sent_email_at_once_record_it_once(
    workspace: Workspace, fake: FakeInstantly
) -> None:
    """Two deliveries of one sent email (other fields, so both get past bronze) at once: on
    PostgreSQL the second meets the first's event in the unique index and is asked to send
    again (503 over HTTP), then finds it recorded; on SQLite it waits its turn and finds it."""
    email = next(e for e in fake.workspace.emails if e["ue_type"] in SENT)
    settings = get_settings()

    def sent(timestamp: str) -> dict[str, object]:
        return webhook_event(
            "email_sent", lead_email=email["lead"], email_id=email["id"], timestamp=timestamp
        )

    def deliver(payload: dict[str, object]) -> str:
        try:
            with session_scope(workspace.engine, writes=True) as session:
                return record_webhook(session, settings, payload=payload, name="webhook").status
        except WriteRace:
            return "send again"

    opened = webhook_event("email_opened", lead_email=email["lead"], email_id=email["id"])
    assert deliver(opened) == "recorded"  # the lead exists: the race is for the event alone
    second: list[str] = []
    with session_scope(workspace.engine, writes=True) as session:
        first = record_webhook(session, settings, payload=sent("2026-06-01T10:00:00Z"), name="a")
        assert first.events_created == 1
        racer = threading.Thread(
            target=lambda: second.append(deliver(sent("2026-06-01T10:00:01Z")))
        )
        racer.start()
        time.sleep(1.0)  # the second delivery is under way while this one is not committed
    racer.join(timeout=30)
    expected = "send again" if workspace.backend == "postgresql" else "already_recorded"
    assert second == [expected]
    assert deliver(sent("2026-06-01T10:00:01Z")) == "already_recorded"
    with session_scope(workspace.engine) as session:
        assert Counter(session.scalars(select(Event.event_type))) == {
            "email_opened": 1,
            "email_sent": 1,
        }


@pytest.fixture
def instantly_env(
    workspace: Workspace, instantly_url: str, monkeypatch: pytest.MonkeyPatch
) -> Workspace:
    monkeypatch.setenv("LEADRANK_INSTANTLY_API_KEY", FAKE_API_KEY)
    monkeypatch.setenv("LEADRANK_INSTANTLY_BASE_URL", instantly_url)
    monkeypatch.setenv("LEADRANK_INSTANTLY_EMAILS_PER_MINUTE", "6000")
    get_settings.cache_clear()
    return workspace


def test_the_pull_command_prints_a_summary_and_is_idempotent(
    instantly_env: Workspace, cli: Callable[..., CliResult]
) -> None:
    first = cli("connectors", "instantly", "pull")
    assert first.exit_code == 0, first.stderr
    assert "Instantly pull: 3 campaigns" in first.stdout
    assert "leads: 13 listed; 13 new, 0 already in bronze, 0 quarantined; 12 created" in (
        first.stdout
    )
    assert "emails: 31 listed, 3 not sent yet; 28 new" in first.stdout
    assert "28 lead events" in first.stdout

    second = cli("connectors", "instantly", "pull", "--since", "2026-01-01")
    assert second.exit_code == 0, second.stderr
    assert "since 2026-01-01 00:00 UTC" in second.stdout
    assert "13 new" not in second.stdout and "0 lead events" in second.stdout
    assert "13 listed; 0 new, 13 already in bronze" in second.stdout

    shown = cli("leads", "show", "carla.diaz@initech.com")
    assert shown.exit_code == 0, shown.stderr
    assert "email_sent (instantly)" in shown.stdout


def test_the_pull_command_fails_in_one_line_and_writes_nothing(
    instantly_env: Workspace, cli: Callable[..., CliResult], monkeypatch: pytest.MonkeyPatch
) -> None:
    bad_date = cli("connectors", "instantly", "pull", "--since", "last tuesday")
    assert bad_date.exit_code == 1 and "is not a date" in bad_date.stderr

    monkeypatch.setenv("LEADRANK_INSTANTLY_API_KEY", "sk-wrong-key-0000")
    get_settings.cache_clear()
    refused = cli("connectors", "instantly", "pull")
    assert refused.exit_code == 1
    assert refused.stderr.startswith("error: Instantly refused the API key")
    assert "sk-wrong-key-0000" not in refused.stderr + refused.stdout

    monkeypatch.delenv("LEADRANK_INSTANTLY_API_KEY")
    get_settings.cache_clear()
    unset = cli("connectors", "instantly", "pull")
    assert unset.exit_code == 1 and "set LEADRANK_INSTANTLY_API_KEY" in unset.stderr
    with session_scope(instantly_env.engine) as session:
        assert counts(session) == (0, 0, 0, 0)
