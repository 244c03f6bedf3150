"""`leadrank demo`: sample -> ingest -> train -> score, the first five minutes of a new user."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy import Engine

from leadrank.auth.users import create_user, random_password, set_password
from leadrank.config import Settings, get_settings
from leadrank.db.engine import session_scope
from leadrank.db.workspace_db import open_workspace
from leadrank.errors import BadInput, NotFound
from leadrank.ingest.service import ingest_file
from leadrank.kit.console import NUMBER, Column, console, fitted_table, percent, progress_bar
from leadrank.leads import service
from leadrank.leads.cli import render_stats
from leadrank.leads.repository import current_overrides
from leadrank.orm import Lead
from leadrank.orm.scoring import GradeOverride, LeadScore
from leadrank.sample.cli import render_manifest, write_sample
from leadrank.scoring.repository import top_accounts, top_scores
from leadrank.training import registry
from leadrank.training.cli import render_training

# The sample's deals are rare, so the demo learns the wider outcome of a meeting or a win.
DEMO_LABEL = "meeting_booked or deal_won within 120d"
DEMO_USER = "demo@example.com"  # the demo's sign-in to the web app, an admin
DEMO_PORT = 8000


def demo(
    leads: Annotated[int, typer.Option("--leads", "-n", help="People in the sample")] = 5_000,
    out: Annotated[Path, typer.Option("--out", "-o", help="Where the sample files go")] = Path(
        "demo"
    ),
    seed: Annotated[int, typer.Option("--seed")] = 7,
) -> None:
    """Generate a messy sample workspace, ingest it, learn from its outcomes, score every lead
    and show the 20 to work first with their reasons."""
    settings = get_settings()
    console.rule("1. sample files from several vendors")
    manifest = write_sample(out, leads=leads, seed=seed)
    render_manifest(manifest, out)

    console.rule("2. ingest")
    with open_workspace(settings) as engine:
        ordered = sorted(
            manifest.files, key=lambda f: f.kind != "leads"
        )  # leads before their events
        ingested: list[list[str]] = []
        for item in ordered:
            path = out / item.name
            with progress_bar(item.name) as progress, session_scope(engine) as session:
                report = ingest_file(
                    session,
                    path=path,
                    source=item.vendor,
                    kind=item.kind,
                    chunk_rows=settings.ingest_chunk_rows,
                    progress=progress,
                )
            leads = item.kind == "leads"
            ingested.append(
                [
                    item.name,
                    f"{report.rows_new:,}",
                    f"{report.rows_duplicate:,}",
                    f"{report.rows_quarantined:,}",
                    f"{report.leads_created:,}" if leads else "",
                    f"{report.leads_updated:,}" if leads else "",
                    f"{report.leads_merged:,}" if leads else "",
                    f"{report.pairs_to_review:,}" if leads else "",
                    f"{report.companies_created:,}" if leads else "",
                    f"{report.events_created:,}" if not leads else "",
                ]
            )
        columns = [
            Column("file", share=1),
            Column("new", **NUMBER),
            Column("already there", **NUMBER, drop=3),
            Column("quarantined", **NUMBER),
            Column("leads +", **NUMBER),
            Column("updated", **NUMBER, drop=4),
            Column("merged", **NUMBER, drop=2),
            Column("to review", **NUMBER, drop=1),
            Column("companies +", **NUMBER, drop=5),
            Column("events +", **NUMBER),
        ]
        console.print(fitted_table(columns, ingested, width=console.width))

        console.rule("3. enrich (offline: no vendor key is used in the demo)")
        enrich_offline(engine, settings)

        console.rule("4. the workspace")
        with session_scope(engine) as session:
            render_stats(service.workspace_stats(session))

        console.rule(f"5. learn from outcomes: {DEMO_LABEL}")
        model_report = learn(engine, settings.data_dir)

        console.rule("6. score every lead")
        from leadrank.scoring.score_run import score_workspace  # the learners load here

        with session_scope(engine) as session:
            runs = score_workspace(session, lake_dir=settings.data_dir / "lake")
            active = runs[0]
            grades = "  ".join(f"{g} {active.grades.get(g, 0):,}" for g in "ABCDE")
            console.print(
                f"{active.leads:,} leads scored by {active.model_version}; grades {grades}"
            )
            best = top_scores(session, limit=20)
            overrides = current_overrides(session, [lead.id for _, lead in best])
            console.rule("6. the 20 leads to work first")
            leads_columns = [
                Column("id", **NUMBER),
                Column("grade", fixed=True),
                Column("score", **NUMBER),
                Column("chance", **NUMBER),
                Column("name", share=2),
                Column("title", share=2, drop=2),
                Column("company", share=2, drop=1),
                Column("why", share=4),
            ]
            console.print(
                fitted_table(leads_columns, _lead_lines(best, overrides), width=console.width)
            )
            console.print("(* a person's grade; `leadrank leads show <id>` gives every reason)")
            console.rule("7. the 5 accounts to work first")
            accounts = [
                [
                    account.grade,
                    f"{account.score:.1f}",
                    company.name or company.domain or "",
                    "; ".join(account.reasons.get("summary", [])),
                ]
                for account, company in top_accounts(session, limit=5)
            ]
            account_columns = [
                Column("grade", fixed=True),
                Column("score", **NUMBER),
                Column("company", share=1),
                Column("why", share=3),
            ]
            console.print(fitted_table(account_columns, accounts, width=console.width))
        password = demo_sign_in(engine)
    if model_report is not None:
        console.print(f"\nmodel report (ROC, calibration, lift): {model_report}")
    console.print(
        "next: `leadrank leads show <id>`, `leadrank accounts list`, `leadrank models list`, "
        "`leadrank leads override <id> --grade A --reason ...`, `leadrank evaluate`, "
        "`leadrank train --data FILE --target COLUMN`, `leadrank leads duplicates`"
    )
    console.rule("8. the web app")
    console.print(
        f"open the demo workspace in the web app: leadrank serve --port {DEMO_PORT}", markup=False
    )
    console.print(f"then go to http://127.0.0.1:{DEMO_PORT}/ and sign in as", markup=False)
    console.print(f"  email     {DEMO_USER}", markup=False)
    console.print(f"  password  {password}", markup=False)
    console.print(
        "(shown this once: keep it, or run the demo again for a new one; "
        "`leadrank users create EMAIL --role writer` adds your team)",
        markup=False,
    )


def demo_sign_in(engine: Engine) -> str:
    """A new random password for the demo's admin sign-in, made now or, after an earlier
    demo, set anew (only its hash is kept: this is the one time it is known)."""
    password = random_password()
    with session_scope(engine) as session:
        try:
            set_password(session, email=DEMO_USER, password=password, now=datetime.now(UTC))
        except NotFound:
            create_user(
                session, email=DEMO_USER, password=password, role="admin", now=datetime.now(UTC)
            )
    return password


def enrich_offline(engine: Engine, settings: Settings) -> None:
    """Every lead through the built-in provider: email type, company guesses, titles."""
    from leadrank.enrichment import service as enrichment
    from leadrank.enrichment.providers.builtin import BuiltinProvider
    from leadrank.enrichment.setup import enrich_with_settings

    with progress_bar("enrich") as update:
        report = enrich_with_settings(
            engine,
            settings,
            lead_ids=enrichment.leads_to_enrich(engine),
            groups=enrichment.parse_groups(None),
            providers={"builtin": BuiltinProvider()},
            progress=lambda done, total: update("leads", done, total),
            rescore="never",  # the demo scores right after
        )
    console.print(
        f"{report.leads:,} leads: {report.fields['filled']:,} fields filled, "
        f"{report.fields['kept']:,} imported values kept; `leadrank enrich leads` asks vendors "
        "too once their keys are set"
    )


def learn(engine: Engine, data_dir: Path) -> Path | None:
    """Train on the sample's outcomes and make the model active; a sample too small to learn
    from is scored by the rules alone, and the demo says so. Returns the report's path."""
    from leadrank.training.outcomes import train_workspace  # the learners load here

    try:
        with session_scope(engine) as session:
            trained = train_workspace(session, label=DEMO_LABEL, data_dir=data_dir)
            if trained.model.stage != "active":
                registry.promote(session, reference=registry.label(trained.model))
    except BadInput as exc:
        console.print(f"no model yet ({exc.message}); the ICP rules and engagement score alone")
        return None
    console.print(
        f"{trained.mature:,} leads with a settled outcome ({trained.positives:,} positive); "
        f"{trained.immature:,} still inside their window; {trained.early:,} reached it before "
        f"the first look; {trained.snapshots:,} looks at open leads of several ages trained"
    )
    render_training(trained.result, trained.target)
    return trained.report


def _lead_lines(
    best: list[tuple[LeadScore, Lead]], overrides: dict[int, GradeOverride]
) -> list[list[str]]:
    """The demo's best leads as table rows: a person's grade (marked *) before the computed
    one, the chance in percent, and the two strongest reasons for and the first against."""
    lines = []
    for score, lead in best:
        person = overrides.get(lead.id)
        reasons = score.reasons.get("positive", [])[:2] + score.reasons.get("negative", [])[:1]
        lines.append(
            [
                str(lead.id),
                person.grade + "*" if person else score.grade,
                f"{score.score:.1f}",
                percent(score.probability),
                lead.full_name or lead.email or "",
                lead.job_title or "",
                lead.company_name or lead.company_domain or "",
                "; ".join(reasons),
            ]
        )
    return lines
