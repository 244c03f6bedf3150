"""HubSpot pulls into the workspace and pushes scores back: incremental, outcomes from deals,
only changed values, and nothing lost or sent twice through a storm of 429s."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import func, select

from leadrank.config import Settings, get_settings
from leadrank.connectors.hubspot.fake import FakeHubSpot, sample_portal
from leadrank.connectors.hubspot.pull import pull
from leadrank.connectors.hubspot.push import CONTACT_PROPERTIES, push
from leadrank.db.engine import session_scope
from leadrank.features.frames import workspace_frames
from leadrank.leads.grade_overrides import set_override
from leadrank.orm import BronzeRecord, CrmLink, Event, Lead
from leadrank.scoring.score_run import score_workspace
from leadrank.training.labels import gold_labels
from leadrank.training.outcomes import parse_label
from tests.conftest import Workspace
from tests.connectors.hubspot.conftest import MakeClient


@pytest.fixture
def settings(workspace: Workspace) -> Settings:
    return get_settings().model_copy(update={"auto_enrich": False})


def _closed_deal_contacts(fake: FakeHubSpot) -> Counter[str]:
    portal = fake.portal
    outcomes: Counter[str] = Counter()
    for deal_id, deal in portal.objects["deals"].items():
        props = deal["properties"]
        if props.get("hs_is_closed") != "true":
            continue
        kind = "deal_won" if props.get("hs_is_closed_won") == "true" else "deal_lost"
        outcomes[kind] += len(portal.linked("deals", deal_id, "contacts"))
    return outcomes


def _batch_updates(fake: FakeHubSpot) -> list[dict[str, Any]]:
    """The inputs of every batch update HubSpot took."""
    return [
        item
        for request in fake.calls("batch/update")
        if request.status in (200, 207)
        for item in request.body["inputs"]
    ]


def test_a_pull_makes_leads_links_and_outcomes_then_picks_up_only_changes(
    workspace: Workspace, settings: Settings, hubspot: MakeClient, hubspot_fake: FakeHubSpot
) -> None:
    client = hubspot()
    first = pull(workspace.engine, settings, client)
    contacts = len(hubspot_fake.portal.objects["contacts"])
    assert first.contacts == contacts and first.linked_contacts == contacts
    assert first.leads.leads_created + first.leads.leads_updated > 0
    outcomes = _closed_deal_contacts(hubspot_fake)
    assert first.outcomes == sum(outcomes.values()) > 0
    with session_scope(workspace.engine) as session:
        kinds = Counter(
            dict(
                session.execute(
                    select(Event.event_type, func.count()).group_by(Event.event_type)
                ).all()
            )
        )
        assert (
            kinds["deal_won"] == outcomes["deal_won"]
            and kinds["deal_lost"] == outcomes["deal_lost"]
        )
        amounts = session.scalars(
            select(Event.properties).where(Event.event_type == "deal_won")
        ).all()
        assert all(p.get("amount") and p.get("deal_id") for p in amounts)
        # A company's firmographics reach its contacts' leads.
        lead = session.scalars(select(Lead).where(Lead.company_id.is_not(None))).first()
        assert lead is not None and lead.company_domain
        links = session.scalar(
            select(func.count()).select_from(CrmLink).where(CrmLink.object_type == "companies")
        )
        assert links and links > 0
        records = session.scalar(select(func.count()).select_from(BronzeRecord))

    # Nothing changed: nothing new comes, nothing is stored twice.
    again = pull(workspace.engine, settings, hubspot())
    assert (again.leads.leads_created, again.leads.leads_updated) == (0, 0)
    with session_scope(workspace.engine) as session:
        assert (
            session.scalar(select(func.count()).select_from(BronzeRecord)) - records
            <= again.contacts
        )

    # Two contacts change: only they (and the boundary moment's records) come again.
    some = list(hubspot_fake.portal.objects["contacts"])[:2]
    hubspot_fake.touch("contacts", some[0], jobtitle="Chief Data Officer")
    hubspot_fake.touch("contacts", some[1], jobtitle="VP Sales")
    changed = pull(workspace.engine, settings, hubspot())
    assert changed.leads.new == 2 and changed.leads.leads_updated == 2
    assert changed.contacts < 10  # the two, and those changed at the moment the last pull ended
    with session_scope(workspace.engine) as session:
        titles = set(
            session.scalars(
                select(Lead.job_title).where(Lead.job_title.in_(["Chief Data Officer", "VP Sales"]))
            )
        )
        assert titles == {"Chief Data Officer", "VP Sales"}


def test_deals_won_become_training_labels(
    workspace: Workspace, settings: Settings, hubspot: MakeClient, hubspot_fake: FakeHubSpot
) -> None:
    pull(workspace.engine, settings, hubspot())
    with session_scope(workspace.engine) as session:
        leads, events = workspace_frames(session)
    gold = gold_labels(
        leads.select("lead_id", "created_at"),
        events,
        definition=parse_label("deal_won within 3650d"),
        as_of=datetime.now(UTC),
    )
    assert gold.filter(gold["label"].fill_null(False)).height > 0


def test_a_push_creates_the_fields_and_then_sends_only_what_changed(
    workspace: Workspace, settings: Settings, hubspot: MakeClient, hubspot_fake: FakeHubSpot
) -> None:
    pull(workspace.engine, settings, hubspot())
    with session_scope(workspace.engine) as session:
        score_workspace(session)
    first = push(workspace.engine, hubspot())
    assert len([p for p in first.properties_created if p.startswith("contacts.")]) == len(
        CONTACT_PROPERTIES
    )
    assert first.contacts_sent == first.contacts_linked and first.companies_sent > 0
    contact_id, contact = next(iter(hubspot_fake.portal.objects["contacts"].items()))
    assert contact["properties"]["leadrank_grade"] in "ABCDE"
    assert float(contact["properties"]["leadrank_score"]) >= 0
    batches = len(hubspot_fake.calls("contacts/batch/update"))
    assert batches == -(-first.contacts_sent // 100)

    second = push(workspace.engine, hubspot())
    assert (second.contacts_sent, second.companies_sent, second.properties_created) == (0, 0, [])
    assert second.contacts_unchanged == second.contacts_linked

    with session_scope(workspace.engine) as session:
        lead_id = session.scalar(
            select(CrmLink.lead_id).where(
                CrmLink.remote_id == contact_id, CrmLink.object_type == "contacts"
            )
        )
        assert lead_id is not None
        grade = "E" if contact["properties"]["leadrank_grade"] != "E" else "A"
        set_override(session, lead_id=lead_id, grade=grade, reason="talked", by="sam")
    third = push(workspace.engine, hubspot())
    assert third.contacts_sent == 1
    last = hubspot_fake.calls("contacts/batch/update")[-1].body["inputs"]
    assert last == [{"id": contact_id, "properties": {"leadrank_grade": grade}}]

    # HubSpot moved every pushed record's modification time; the next pull knows its own
    # writes by the time HubSpot gave them, and reads none of them again.
    after = pull(workspace.engine, settings, hubspot())
    assert after.own_writes == first.contacts_sent + first.companies_sent
    assert (after.contacts, after.companies) == (0, 0)


def test_a_push_through_a_storm_of_429s_loses_and_repeats_nothing(
    workspace: Workspace, settings: Settings, hubspot: MakeClient, hubspot_fake: FakeHubSpot
) -> None:
    hubspot_fake.portal = sample_portal(contacts=450, seed=3)
    pull(workspace.engine, settings, hubspot())
    with session_scope(workspace.engine) as session:
        score_workspace(session)
    hubspot_fake.fail("429", times=12, path="batch/update")
    report = push(workspace.engine, hubspot(max_attempts=20))
    updates = [
        item["id"]
        for item in _batch_updates(hubspot_fake)
        if "leadrank_score" in item["properties"]
    ]
    assert len(updates) == len(set(updates)) == report.contacts_sent == report.contacts_linked
    assert sum(1 for r in hubspot_fake.calls("batch/update") if r.status == 429) == 12
    assert push(workspace.engine, hubspot()).contacts_sent == 0


def test_records_hubspot_refuses_are_reported_and_sent_again_next_time(
    workspace: Workspace, settings: Settings, hubspot: MakeClient, hubspot_fake: FakeHubSpot
) -> None:
    pull(workspace.engine, settings, hubspot())
    with session_scope(workspace.engine) as session:
        score_workspace(session)
    refused = list(hubspot_fake.portal.objects["contacts"])[:2]
    hubspot_fake.fail_updates(refused, message="Property values were not valid")
    first = push(workspace.engine, hubspot())
    assert set(first.refused) == set(refused)
    assert first.contacts_sent == first.contacts_linked - 2
    with session_scope(workspace.engine) as session:
        errors = session.scalars(
            select(CrmLink.push_error).where(
                CrmLink.remote_id.in_(refused), CrmLink.object_type == "contacts"
            )
        ).all()
        assert all(errors)
    hubspot_fake.failing_updates.clear()
    second = push(workspace.engine, hubspot())
    assert second.contacts_sent == 2 and not second.refused


def test_the_commands_pull_push_and_sync(
    workspace: Workspace,
    cli: Callable[..., Any],
    hubspot_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from leadrank.connectors.hubspot.fake import FAKE_TOKEN

    assert "LEADRANK_HUBSPOT_TOKEN" in cli("connectors", "hubspot", "pull").stderr
    monkeypatch.setenv("LEADRANK_HUBSPOT_TOKEN", FAKE_TOKEN)
    monkeypatch.setenv("LEADRANK_HUBSPOT_URL", hubspot_url)
    monkeypatch.setenv("LEADRANK_AUTO_ENRICH", "false")
    get_settings.cache_clear()
    pulled = cli("connectors", "hubspot", "pull")
    assert pulled.exit_code == 0, pulled.stderr
    assert "hubspot pull: 30 people" in pulled.stdout and "queued job" in pulled.stdout
    assert cli("worker", "--exit-when-idle").exit_code == 0  # scores, then pushes
    synced = cli("connectors", "hubspot", "sync")
    assert synced.exit_code == 0, synced.stderr
    assert "hubspot push: 0 people updated" in synced.stdout  # the worker pushed them all


def test_an_owner_hubspot_does_not_know_refuses_only_its_record(
    workspace: Workspace, settings: Settings, hubspot: MakeClient, hubspot_fake: FakeHubSpot
) -> None:
    from leadrank.routing.service import route, set_rules

    pull(workspace.engine, settings, hubspot())
    with session_scope(workspace.engine) as session:
        score_workspace(session)
        unowned = session.scalar(select(func.count()).select_from(Lead).where(Lead.owner.is_(None)))
        assert unowned and unowned >= 2
        # A typo in the rules: an owner id HubSpot has no user for.
        set_rules(
            session,
            text="owners:\n  - {email: ana@acme.com, hubspot_owner_id: '999'}\nfallback: ana@acme.com\n",
        )
        route(session)
    report = push(workspace.engine, hubspot())
    assert len(report.refused) == unowned
    assert all("not a valid owner id" in reason for reason in report.refused.values())
    assert report.contacts_sent == report.contacts_linked - unowned
