"""`leadrank enrich leads` and `leadrank enrich providers`: thin commands over enrichment."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

import typer

from leadrank.config import get_settings
from leadrank.db.engine import session_scope
from leadrank.db.workspace_db import open_workspace
from leadrank.enrichment import health, service
from leadrank.enrichment.setup import enrich_with_settings
from leadrank.enrichment.waterfall import Waterfall
from leadrank.jobs.cli import say_queued
from leadrank.kit.console import NUMBER, Column, console, fitted_table, progress_bar

enrich_app = typer.Typer(
    help="Enrichment: fill in leads and companies from offline rules and vendors.",
    no_args_is_help=True,
)


@enrich_app.command("leads")
def leads_command(
    lead_ids: Annotated[
        list[int] | None, typer.Argument(help="Lead ids (default: all new)")
    ] = None,
    group: Annotated[
        list[str] | None, typer.Option("--group", "-g", help="company, person or email; repeatable")
    ] = None,
    refresh_days: Annotated[
        float | None,
        typer.Option(
            "--refresh-days", min=0, max=3650, help="Also leads last enriched longer ago than this"
        ),
    ] = None,
    limit: Annotated[int | None, typer.Option("--limit", "-n", min=1)] = None,
    threads: Annotated[int, typer.Option("--threads", min=1, max=12)] = 4,
) -> None:
    """Enrich leads through each group's waterfall; enriched values never silently replace yours."""
    settings = get_settings()
    groups = service.parse_groups(group)
    refresh = timedelta(days=refresh_days) if refresh_days is not None else None

    def announce(waterfall: Waterfall) -> None:
        asked = ", ".join(dict.fromkeys(p.name for g in groups for p in waterfall.chain(g)))
        console.print(f"enriching {len(ids):,} leads ({', '.join(groups)}) with {asked or 'none'}")

    with open_workspace(settings) as engine, progress_bar("enrich") as update:
        ids = service.leads_to_enrich(
            engine, lead_ids=lead_ids or (), refresh_after=refresh, limit=limit
        )
        report = enrich_with_settings(
            engine,
            settings,
            lead_ids=ids,
            groups=groups,
            threads=threads,
            on_start=announce,
            progress=lambda done, total: update("leads", done, total),
            requested_by="cli",
        )
    fields = report.fields
    console.print(
        f"{report.leads:,} leads: {fields['filled']:,} fields filled, {fields['replaced']:,} "
        f"replaced (ranked above their source), {fields['kept']:,} kept as they were"
    )
    if report.attempts:
        console.print(
            "attempts: " + ", ".join(f"{n:,} {s}" for s, n in report.attempts.most_common())
        )
    if report.cost:
        console.print(
            "credits spent: " + ", ".join(f"{p} {c:g}" for p, c in sorted(report.cost.items()))
        )
    if report.changed:
        console.print(f"{len(report.changed):,} leads changed: their quality and issues follow")
    if report.rescore_job is not None:
        say_queued({report.rescore_job: "score_leads"})
    if report.unfinished:
        console.print(
            f"{len(report.unfinished):,} leads had a provider that could not answer now; "
            "run again later (cached answers cost nothing)"
        )


@enrich_app.command("providers")
def providers_command() -> None:
    """Each provider: configured or not, its breaker, today's credits and recent attempts."""
    settings = get_settings()
    with open_workspace(settings) as engine, session_scope(engine) as session:
        providers = health.provider_health(session, settings=settings)
    columns = [
        Column("provider", fixed=True),
        Column("key", fixed=True),
        Column("breaker", fixed=True),
        Column("failures", **NUMBER),
        Column("credits today", **NUMBER),
        Column("last 24 h", share=1),
    ]
    rows = []
    for p in providers:
        key = "offline" if p.daily_budget is None else ("set" if p.configured else "not set")
        credits = "" if p.daily_budget is None else f"{p.credits_today:g} / {p.daily_budget:g}"
        counts = ", ".join(f"{n} {status}" for status, n in sorted(p.attempts_24h.items()))
        rows.append([p.provider, key, p.breaker, str(p.failures), credits, counts])
    console.print(fitted_table(columns, rows, width=console.width))
