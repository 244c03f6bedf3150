"""`leadrank demo-outlets`: scores where sales works, on local fakes of HubSpot and of a
webhook and Slack receiver: pull the CRM's contacts and deals, score them, route owners, push
grades and owners back, fire `lead.grade_changed` webhooks and a Slack alert. Jobs run in this
process on the embedded default, or in `--workers` worker processes (PostgreSQL)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter
from typing import Annotated

import typer
from sqlalchemy import Engine, delete, select

from leadrank.config import Settings, get_settings
from leadrank.connectors import crm
from leadrank.connectors.hubspot.fake import FAKE_TOKEN, FakeHubSpot, sample_portal, serve_fake
from leadrank.db.engine import session_scope
from leadrank.db.workspace_db import open_workspace
from leadrank.errors import BadInput
from leadrank.jobs.runner import JobRunner
from leadrank.kit.console import console, progress_bar
from leadrank.orm.outlets import AlertRule, WebhookEndpoint
from leadrank.outlets.alert_rules import add_rule
from leadrank.outlets.endpoints import add_endpoint
from leadrank.outlets.fake_receiver import FakeReceiver, serve_receiver
from leadrank.routing.service import active_ruleset, set_rules

HOOK_PATH = "/hooks/leadrank"
SLACK_PATH = "/slack/T0DEMO/B0DEMO/demo"
ALERT_RULE = "demo: grade A or B"
DEMO_ENDPOINT = "demo receiver"
DEMO_RULES = "demo"  # who set the demo's routing rules
WORKER_SECONDS = 600


def demo_outlets(
    contacts: Annotated[
        int,
        typer.Option("--contacts", "-n", min=10, max=50_000, help="Contacts in the fake HubSpot"),
    ] = 300,
    workers: Annotated[
        int,
        typer.Option(
            "--workers",
            "-w",
            min=0,
            max=8,
            help="Worker processes to run the jobs (PostgreSQL); 0: in this process",
        ),
    ] = 0,
) -> None:
    """Pull from a local fake HubSpot, score, route owners, push grades and owners back, and
    fire webhooks and a Slack alert to a local receiver."""
    fake = FakeHubSpot(portal=sample_portal(contacts=contacts, seed=21))
    receiver = FakeReceiver()
    with serve_fake(fake) as hubspot_url, serve_receiver(receiver) as receiver_url:
        settings = _settings_for(hubspot_url)
        if workers and settings.is_sqlite:
            raise BadInput("--workers needs a PostgreSQL workspace (LEADRANK_DATABASE_URL)")
        with open_workspace(settings) as engine:
            console.rule("1. outlets: a webhook endpoint, a Slack alert rule, routing rules")
            receiver.secrets[HOOK_PATH] = _subscribe(engine, settings, receiver_url)
            owners = [str(owner["email"]) for owner in fake.portal.owners]
            routed = _route_by_region(engine, owners)
            console.print(
                f"webhook {receiver_url}{HOOK_PATH} (lead.grade_changed), Slack alert when a lead "
                f"enters grade A or B; "
                + (
                    f"{len(owners)} owners in two teams by region"
                    if routed
                    else "your own routing rules stay active (the demo's are not set)"
                )
            )

            console.rule(f"2. pull {contacts:,} contacts, their companies and deals from HubSpot")
            with progress_bar("hubspot") as progress:
                pulled = crm.run(
                    engine,
                    settings,
                    vendor="hubspot",
                    direction="pull",
                    progress=progress,
                    requested_by="demo",
                )["hubspot"]["pull"]
            console.print(
                f"{pulled['contacts']:,} contacts → {pulled['leads_created']:,} new leads; "
                f"{pulled['outcomes']:,} won or lost deals → outcome events; "
                f"{pulled['calls']:,} calls to HubSpot"
            )

            console.rule(
                "3. the jobs: score, route owners, push to HubSpot, send webhooks and alerts"
            )
            ran = _run_jobs(engine, settings, workers)
            console.print(ran)
            _report(engine, fake, receiver)


def _settings_for(hubspot_url: str) -> Settings:
    """The workspace's settings pointed at the fakes; workers started here inherit them."""
    os.environ.update(
        {
            "LEADRANK_HUBSPOT_TOKEN": FAKE_TOKEN,
            "LEADRANK_HUBSPOT_URL": hubspot_url,
            "LEADRANK_WEBHOOK_ALLOW_PRIVATE_URLS": "true",
            "LEADRANK_AUTO_ENRICH": "false",
        }
    )
    get_settings.cache_clear()
    return get_settings()


def _subscribe(engine: Engine, settings: Settings, receiver_url: str) -> str:
    """A webhook endpoint and an alert rule at the receiver (an earlier demo's replaced)."""
    with session_scope(engine, writes=True) as session:
        session.execute(
            delete(WebhookEndpoint).where(
                WebhookEndpoint.description == DEMO_ENDPOINT,
                WebhookEndpoint.url.like("%" + HOOK_PATH),
            )
        )
        session.execute(delete(AlertRule).where(AlertRule.name == ALERT_RULE))
        endpoint = add_endpoint(
            session,
            settings,
            url=receiver_url + HOOK_PATH,
            events=["lead.grade_changed"],
            description=DEMO_ENDPOINT,
        )
        add_rule(
            session, settings, name=ALERT_RULE, url=receiver_url + SLACK_PATH, grades=["A", "B"]
        )
        return endpoint.secret


def _route_by_region(engine: Engine, owners: list[str]) -> bool:
    """Rules: leads in the Americas to one team, the rest of the world to the other, round
    robin, with a fallback owner; not set over routing rules someone else set (False)."""
    with session_scope(engine) as session:
        active = active_ruleset(session)
        if active is not None and active.created_by != DEMO_RULES:
            return False
    half = max(1, len(owners) // 2)
    americas, world = owners[:half], owners[half:] or owners[:1]
    text = "\n".join(
        [
            "owners:",
            *[f"  - {{email: {email}, capacity: 100000}}" for email in owners],
            "teams:",
            f"  americas: [{', '.join(americas)}]",
            f"  world: [{', '.join(world)}]",
            "rules:",
            "  - {name: americas, when: {region: [NA, LATAM]}, assign: {team: americas}}",
            "  - {name: rest-of-world, when: {region: [EMEA, APAC]}, assign: {team: world}}",
            f"fallback: {owners[0]}",
        ]
    )
    with session_scope(engine, writes=True) as session:
        set_rules(session, text=text, source="demo rules", created_by=DEMO_RULES)
    return True


def _run_jobs(engine: Engine, settings: Settings, workers: int) -> str:
    if not workers:
        ran = JobRunner(engine, settings).run_until_idle()
        return f"{ran} jobs run in this process"
    command = [sys.executable, "-m", "leadrank.cli", "worker", "--exit-when-idle"]
    started = [subprocess.Popen(command, env=os.environ.copy()) for _ in range(workers)]
    codes = [process.wait(timeout=WORKER_SECONDS) for process in started]
    if any(codes):
        raise BadInput(f"a worker stopped with exit code {max(codes)}")
    return f"{workers} worker processes ran the jobs and stopped when none was left"


def _report(engine: Engine, fake: FakeHubSpot, receiver: FakeReceiver) -> None:
    from leadrank.orm import Job

    console.rule("4. what sales sees")
    contacts = fake.portal.objects["contacts"].values()
    graded = Counter(c["properties"].get("leadrank_grade") for c in contacts)
    graded.pop(None, None)
    console.print(
        f"HubSpot: {sum(graded.values()):,} contacts carry leadrank_grade "
        f"({', '.join(f'{g} {graded[g]:,}' for g in sorted(graded))}) with score, probability "
        "and reasons"
    )
    given = Counter(
        item["properties"]["hubspot_owner_id"]
        for request in fake.calls("contacts/batch/update")
        if request.status in (200, 207)
        for item in request.body["inputs"]
        if "hubspot_owner_id" in item["properties"]
    )
    names = {str(o["id"]): str(o["email"]) for o in fake.portal.owners}
    console.print(
        f"owners: {sum(given.values()):,} contacts that had none got one from the routing rules "
        f"({', '.join(f'{names.get(k, k)} {n}' for k, n in sorted(given.items()))})"
    )
    hooks = receiver.got(HOOK_PATH)
    verified = sum(1 for hook in hooks if hook.verified)
    console.print(
        f"webhooks: {len(hooks):,} lead.grade_changed deliveries, {verified:,} with a valid "
        "Standard Webhooks signature"
    )
    for message in receiver.got(SLACK_PATH)[:1]:
        console.print(f"Slack: {message.json.get('text')}", markup=False)
    with session_scope(engine) as session:
        failed = session.scalars(select(Job.task).where(Job.status == "failed")).all()
    if failed:
        console.print(f"failed jobs: {', '.join(failed)} (`leadrank jobs list --status failed`)")
    console.print(
        "next: `leadrank webhooks list`, `leadrank alerts list`, `leadrank routing show`, "
        "`leadrank connectors hubspot sync` with LEADRANK_HUBSPOT_TOKEN set to a real token"
    )
