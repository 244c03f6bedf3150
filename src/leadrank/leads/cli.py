"""`leadrank clean`, `leadrank leads list/export/show/override` and `leadrank stats`: thin
commands."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, cast

import typer
from rich.table import Table
from rich.text import Text
from sqlalchemy.orm import Session

from leadrank.db.workspace_db import workspace_session
from leadrank.errors import BadInput
from leadrank.kit.console import (
    NUMBER,
    Column,
    console,
    fitted_table,
    percent,
    printable,
    progress_bar,
    system_user,
)
from leadrank.kit.safe_cells_option import SafeCellsOption, safe_cells_chosen
from leadrank.leads import company_reviews, reviews, service
from leadrank.leads.browse import (
    MAX_PAGE,
    SORTS,
    LeadFilters,
    Sort,
    browse_leads,
    parse_grades,
    served_run_id,
)
from leadrank.leads.clean_file import clean_file
from leadrank.leads.export import export_leads
from leadrank.leads.fields import EMAIL_FLAGS, LEAD_COLUMNS
from leadrank.leads.grade_overrides import clear_override, set_override
from leadrank.leads.repository import account_of_company, current_overrides, scores_of_lead

leads_app = typer.Typer(help="Browse the leads in the workspace.", no_args_is_help=True)


def clean(
    source: Annotated[
        Path, typer.Argument(help="Lead list: CSV, TSV, JSON, JSONL, Parquet or Excel")
    ],
    output: Annotated[
        Path,
        typer.Option(
            "--output", "-o", help="Where to write: .csv .tsv .xlsx .jsonl .json .parquet"
        ),
    ],
    mapping: Annotated[
        Path | None, typer.Option("--mapping", "-m", help="JSON/TOML column mapping file")
    ] = None,
    safe_cells: SafeCellsOption = None,
) -> None:
    """Clean a lead list file: normalised columns, quality_score and issues per row (no workspace)."""
    safe = safe_cells_chosen(safe_cells)
    with progress_bar(source.name) as progress:
        report = clean_file(
            source, output, mapping_path=mapping, progress=progress, safe_cells=safe
        )
    console.print(f"cleaned {report.rows:,} rows -> {output}")
    mapped = "; ".join(f"{f} <- {', '.join(c)}" for f, c in report.mapping.fields.items())
    console.print(f"mapped: {mapped or 'nothing'}")
    if report.mean_quality is not None:
        console.print(f"mean quality score {report.mean_quality:.3f}")
    if report.issues:
        console.print(
            "issues: " + ", ".join(f"{i} ({c:,})" for i, c in report.issues.most_common())
        )


SearchOption = Annotated[
    str | None, typer.Option("--search", "-q", help="Text in name, email, company or title")
]
SourceOption = Annotated[str | None, typer.Option("--source", "-s", help="Where leads came from")]
CountryOption = Annotated[str | None, typer.Option("--country", help="ISO alpha-2 code")]
SeniorityOption = Annotated[
    str | None, typer.Option("--seniority", help="c_level, vp, director, manager, ic")
]
GradeOption = Annotated[
    str | None, typer.Option("--grade", "-g", help="Grades served, e.g. A or A,B")
]
OwnerOption = Annotated[str | None, typer.Option("--owner", help="Who works the lead (any case)")]
MinScoreOption = Annotated[
    float | None, typer.Option("--min-score", min=0, max=100, help="Lowest score 0-100")
]
SortOption = Annotated[
    str | None,
    typer.Option(
        "--sort",
        help=f"{', '.join(SORTS)} (default: score, best first, once leads are scored; "
        "else quality)",
    ),
]


def _filters(
    search: str | None,
    source: str | None,
    country: str | None,
    seniority: str | None,
    grade: str | None,
    min_score: float | None,
    owner: str | None,
) -> LeadFilters:
    return LeadFilters(
        grades=parse_grades(grade),
        min_score=min_score,
        source=source,
        search=search,
        country=country,
        seniority=seniority,
        owner=owner,
    )


def _sort(session: Session, sort: str | None) -> Sort:
    """The sort asked for, else score once the workspace is scored, else quality."""
    chosen = sort or ("score" if served_run_id(session) is not None else "quality")
    if chosen not in SORTS:
        raise BadInput(f"unknown sort {chosen!r}; use one of {', '.join(SORTS)}")
    return cast(Sort, chosen)


@leads_app.command("list")
def list_command(
    search: SearchOption = None,
    source: SourceOption = None,
    country: CountryOption = None,
    seniority: SeniorityOption = None,
    grade: GradeOption = None,
    min_score: MinScoreOption = None,
    owner: OwnerOption = None,
    sort: SortOption = None,
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, max=MAX_PAGE)] = 20,
) -> None:
    """List leads with their grade, score, chance and top reason: who to work first."""
    filters = _filters(search, source, country, seniority, grade, min_score, owner)
    with workspace_session(writes=False) as session:
        order = _sort(session, sort)
        rows, _ = browse_leads(session, filters=filters, sort=order, limit=limit)
    if not rows:
        console.print("no leads match")
        return
    scored = any(row.score is not None for row in rows)
    chances = any(row.probability is not None for row in rows)  # none when the rules score
    columns = [Column("id", **NUMBER)]
    if scored:
        columns += [Column("grade", fixed=True), Column("score", **NUMBER)]
        columns += [Column("chance", **NUMBER)] if chances else []
    else:
        columns += [Column("quality", **NUMBER)]
    columns += [Column("name", share=3), Column("title", share=3, drop=2)]
    columns += [Column("company", share=3, drop=1)]
    if scored:
        columns += [Column("why", share=5)]
    cells = []
    for row in rows:
        lead = row.lead
        who = [
            lead.full_name or lead.email or "",
            lead.job_title or "",
            lead.company_name or lead.company_domain or "",
        ]
        if scored:
            score = f"{row.score:.1f}" if row.score is not None else ""
            chance = [percent(row.probability)] if chances else []
            line = [row.grade or "", score, *chance, *who, row.top_reason or ""]
        else:
            quality = f"{lead.quality_score:.2f}" if lead.quality_score is not None else ""
            line = [quality, *who]
        cells.append([str(lead.id), *line])
    console.print(fitted_table(columns, cells, width=console.width))


@leads_app.command("export")
def export_command(
    output: Annotated[
        Path,
        typer.Option(
            "--output", "-o", help="Where to write: .csv .tsv .xlsx .parquet .jsonl .json"
        ),
    ],
    search: SearchOption = None,
    source: SourceOption = None,
    country: CountryOption = None,
    seniority: SeniorityOption = None,
    grade: GradeOption = None,
    min_score: MinScoreOption = None,
    owner: OwnerOption = None,
    sort: SortOption = None,
    safe_cells: SafeCellsOption = None,
) -> None:
    """Write the leads `leads list` would show (all of them, not a page) with every field,
    fit, engagement, chance, score, grade, reasons, model version and when they were scored."""
    filters = _filters(search, source, country, seniority, grade, min_score, owner)
    safe = safe_cells_chosen(safe_cells)
    with workspace_session(writes=False) as session:
        report = export_leads(
            session, filters=filters, sort=_sort(session, sort), path=output, safe_cells=safe
        )
    console.print(f"{report.rows:,} leads -> {report.path}{_grade_counts(report.grades)}")


def _grade_counts(grades: dict[str, int]) -> str:
    if not grades:
        return ""
    return "; grades " + "  ".join(f"{g} {grades[g]:,}" for g in "ABCDE" if grades.get(g))


@leads_app.command("show")
def show_command(
    ref: Annotated[str, typer.Argument(help="Lead id or email")],
    scores: Annotated[
        int, typer.Option("--scores", min=1, help="Newest scores of its history to show")
    ] = 4,
) -> None:
    """Show one lead: its fields with where each came from, its company, records, events and
    newest scores."""
    with workspace_session(writes=False) as session:
        detail = service.get_lead(session, ref=ref)
        served, scores_total = scores_of_lead(session, detail.lead.id, limit=scores)
        override = current_overrides(session, [detail.lead.id]).get(detail.lead.id)
        account = account_of_company(session, detail.company.id) if detail.company else None
        aliases = company_reviews.aliases_of(session, detail.company.id) if detail.company else []
    lead = detail.lead
    who = printable(lead.full_name or lead.email or "(no name)")
    console.print(Text(f"Lead {lead.id}: {who}", style="bold"), f" quality {lead.quality_score}")
    fields = Table(box=None, padding=(0, 2))
    for column in ("field", "value", "from"):
        fields.add_column(column)
    # The facts about the email are in the issues line; its name parts make up its full name.
    shown = [c for c in LEAD_COLUMNS.values() if c not in EMAIL_FLAGS[1:] and c != "full_name"]
    for name in shown:
        value = getattr(lead, name)
        if value is None:
            continue
        origin = (lead.provenance or {}).get(name)
        where = enriched_by((lead.enrichment or {}).get(name), value) or ""
        if origin and not where:
            imp = detail.imports.get(origin[0])
            where = (
                f"{imp.source} {Path(imp.file_name).name} row {origin[1]}"
                if imp
                else f"import {origin[0]} row {origin[1]}"
            )
        if name == "owner" and lead.owner_source:  # routing or a person chose the owner
            where = lead.owner_source
        fields.add_row(name, Text(printable(str(value))), Text(printable(where)))
    console.print(fields)
    if lead.issues:
        console.print("issues: " + ", ".join(lead.issues))
    if lead.attributes:
        console.print("attributes: " + json.dumps(lead.attributes, ensure_ascii=False))
    if detail.company:
        c = detail.company
        console.print(
            f"company {c.id}: {c.name or ''} {c.domain or ''} industry={c.industry} "
            f"employees={c.employees} revenue={c.revenue}",
            markup=False,
        )
        for column in ("name", "industry", "employees", "revenue", "country_code", "linkedin_url"):
            source = enriched_by((c.enrichment or {}).get(column), getattr(c, column))
            if source:
                console.print(f"  company {column}: {source}", markup=False)
        for alias in aliases:
            console.print(
                f"  company also written: {alias.match_key.removeprefix('name:')} "
                f"({alias.reason or 'joined'})",
                markup=False,
            )
    console.print(
        f"records ({len(detail.records)}): "
        + ", ".join(f"{r.source}:{r.file_name}#{r.row_number}" for r in detail.records)
    )
    if override is not None:
        console.print(
            f"grade {override.grade} set by {override.set_by} on {override.set_at:%Y-%m-%d}: "
            f"{override.reason} (served instead of the computed grade below)",
            markup=False,
        )
    if account is not None:
        console.print(
            f"account score {account.score:.1f} grade {account.grade}: "
            + "; ".join(account.reasons.get("summary", [])),
            markup=False,
        )
    for position, (score, run) in enumerate(served):
        probability = (
            f", chance {percent(score.probability)}" if score.probability is not None else ""
        )
        console.print(
            f"{'score' if position == 0 else '  earlier'} {score.score:.1f} grade {score.grade}"
            f"{probability} by {run.model_version} ({run.as_of:%Y-%m-%d %H:%M})",
            markup=False,
        )
        if position == 0:
            for reason in score.reasons.get("positive", []) + score.reasons.get("negative", []):
                console.print(f"  {reason}", markup=False)
            unknown = score.reasons.get("not_known", [])
            if unknown:
                console.print(f"  not known: {', '.join(unknown)}", markup=False)
            for part, value in (("fit", score.fit), ("engagement", score.engagement)):
                beside = score.reasons.get(part, [])
                if beside and run.model_version != "rules":
                    level = f"{value:.0f}" if value is not None else "?"
                    console.print(f"  {part} {level}: {'; '.join(beside)}", markup=False)
    if scores_total > len(served):
        console.print(
            f"  ({scores_total - len(served):,} earlier scores; --scores N shows more)",
            markup=False,
        )
    if detail.events:
        console.print(f"events ({len(detail.events)}):")
        for event in detail.events[-15:]:
            console.print(
                f"  {event.occurred_at:%Y-%m-%d %H:%M} {event.event_type} ({event.source})"
            )


@leads_app.command("duplicates")
def duplicates_command(
    limit: Annotated[int, typer.Option("--limit", "-n", help="Pairs to show")] = 20,
) -> None:
    """List likely duplicate leads, and companies that may be one organisation, waiting for a
    decision, likeliest first, with the evidence."""
    with workspace_session() as session:
        pairs, total = reviews.pending_pairs(session, limit=limit)
        companies, company_total = company_reviews.pending_company_pairs(session, limit=limit)
        if not total and not company_total:
            console.print("no pairs waiting for review")
            return
        for pair in pairs:
            console.print(
                f"[bold]{pair.first.id} ~ {pair.second.id}[/bold]  "
                f"match probability {pair.review.match_score:.3f}"
            )
            for lead in (pair.first, pair.second):
                console.print(
                    f"  {lead.id}: {lead.full_name or ''} <{lead.email or ''}> "
                    f"{lead.company_name or lead.company_domain or ''} {lead.phone_e164 or ''} "
                    f"({', '.join(lead.sources)})",
                    markup=False,
                )
            console.print("  " + "; ".join(pair.review.reasons[:6]), markup=False)
        if total:
            console.print(
                f"{total:,} lead pairs pending; decide with "
                "`leadrank leads review A B --same` or `--different`"
            )
        for found in companies:
            console.print(
                f"[bold]company {found.first.id} ~ {found.second.id}[/bold]  "
                f"match probability {found.review.match_score:.3f}"
            )
            for company, leads in (
                (found.first, found.first_leads),
                (found.second, found.second_leads),
            ):
                console.print(
                    f"  {company.id}: {company.name or ''} {company.domain or ''} "
                    f"{company.country_code or ''} ({leads:,} leads)",
                    markup=False,
                )
            console.print("  " + "; ".join(found.review.reasons[:6]), markup=False)
        if company_total:
            console.print(
                f"{company_total:,} company pairs pending; decide with "
                "`leadrank leads review A B --companies --same` or `--different`"
            )


@leads_app.command("review")
def review_command(
    first: Annotated[int, typer.Argument(help="A lead id (a company id with --companies)")],
    second: Annotated[int, typer.Argument(help="The other lead (or company) id")],
    same: Annotated[
        bool,
        typer.Option(
            "--same/--different",
            help="One person or organisation (merge them) or two (never merge)",
        ),
    ],
    companies: Annotated[
        bool, typer.Option("--companies", help="The ids are companies, not leads")
    ] = False,
    by: Annotated[str, typer.Option("--by", help="Who decides, for the record")] = "cli",
) -> None:
    """Decide whether two leads are one person, or two companies one organisation; the
    decision holds for every later import."""
    now = datetime.now(UTC)
    with workspace_session() as session:
        if companies:
            kept = company_reviews.decide_companies(
                session, company_a=first, company_b=second, same=same, by=by, now=now
            )
            if kept is not None:
                console.print(
                    f"merged company {max(first, second)} into company {kept.id} "
                    f"({kept.name or kept.domain or ''}); its leads follow, and rows naming it "
                    "join this company from now on",
                    markup=False,
                )
            else:
                console.print(
                    f"recorded: companies {first} and {second} are different organisations"
                )
            return
        merge = reviews.decide(session, lead_a=first, lead_b=second, same=same, by=by, now=now)
        if merge is not None:
            console.print(
                f"merged lead {merge.merged_lead_id} into lead {merge.kept_lead_id} "
                f"(merge {merge.id}; `leadrank leads unmerge {merge.kept_lead_id}` undoes it)"
            )
        else:
            console.print(f"recorded: leads {first} and {second} are different people")


@leads_app.command("unmerge")
def unmerge_command(
    lead: Annotated[int, typer.Argument(help="The lead another was merged into")],
    merge: Annotated[
        int | None, typer.Option("--merge", help="A particular merge (default: the newest)")
    ] = None,
    by: Annotated[str, typer.Option("--by", help="Who decides, for the record")] = "cli",
) -> None:
    """Undo a merge: the merged lead comes back with its records, events and keys."""
    with workspace_session() as session:
        restored = reviews.undo_merge(
            session, lead_id=lead, merge_id=merge, by=by, now=datetime.now(UTC)
        )
        console.print(
            f"lead {restored.id} is back, apart from lead {lead}; they will not be merged again"
        )


def stats() -> None:
    """Summarise the workspace: layers, imports, quality, lead mix and events."""
    with workspace_session() as session:
        data = service.workspace_stats(session)
    render_stats(data)


def render_stats(data: service.WorkspaceStats) -> None:
    """Print workspace statistics."""
    counts = data.counts
    console.print(
        f"bronze records {counts['bronze_records']:,} (quarantined {counts['quarantined']:,}); "
        f"leads {counts['leads']:,}; companies {counts['companies']:,}; events {counts['events']:,}"
    )
    console.print(f"leads built from more than one record: {data.merged_leads:,}")
    mean, low, high = data.quality
    if mean is not None and low is not None and high is not None:
        console.print(f"quality score: mean {mean:.3f}, min {low:.3f}, max {high:.3f}")

    def mix(pairs: list[tuple[str | None, int]]) -> str:
        return ", ".join(f"{name or 'unknown'} {count:,}" for name, count in pairs)

    if data.seniority:
        console.print("seniority: " + mix(data.seniority))
    if data.countries:
        console.print("top countries: " + mix(data.countries))
    if data.events:
        console.print("events: " + mix(list(data.events)))
    if data.imports:
        columns = [
            Column("id", **NUMBER),
            Column("source", drop=3),
            Column("file", share=2),
            Column("kind", drop=4),
            Column("status", fixed=True),
            Column("read", **NUMBER),
            Column("new", **NUMBER),
            Column("dupes", **NUMBER, drop=2),
            Column("quarantined", **NUMBER),
            Column("leads +", **NUMBER),
            Column("events +", **NUMBER, drop=1),
        ]
        rows = [
            [
                str(imp.id),
                imp.source,
                Path(imp.file_name).name,
                imp.kind,
                imp.status,
                f"{imp.rows_read:,}",
                f"{imp.rows_new:,}",
                f"{imp.rows_duplicate:,}",
                f"{imp.rows_quarantined:,}",
                f"{imp.leads_created:,}",
                f"{imp.events_created:,}",
            ]
            for imp in data.imports
        ]
        console.print("imports")
        console.print(fitted_table(columns, rows, width=console.width))


@leads_app.command("override")
def override_command(
    ref: Annotated[str, typer.Argument(help="Lead id or email")],
    grade: Annotated[str | None, typer.Option("--grade", "-g", help="A, B, C, D or E")] = None,
    reason: Annotated[str, typer.Option("--reason", "-r", help="Why, for the next reader")] = "",
    by: Annotated[
        str | None, typer.Option("--by", help="Who sets it (default: the system user)")
    ] = None,
    clear: Annotated[bool, typer.Option("--clear", help="Serve the computed grade again")] = False,
) -> None:
    """Set a lead's grade by hand (it sticks while the computed score keeps updating), or
    --clear it."""
    who = by or system_user()
    with workspace_session() as session:
        lead = service.get_lead(session, ref=ref).lead
        if clear:
            cleared = clear_override(session, lead_id=lead.id, by=who)
            console.print(f"lead {lead.id}: grade override {cleared.grade} cleared by {who}")
            return
        if grade is None:
            raise BadInput("give --grade A-E, or --clear")
        override = set_override(session, lead_id=lead.id, grade=grade, reason=reason, by=who)
        console.print(
            f"lead {lead.id}: grade {override.grade} set by {override.set_by} ({override.reason})",
            markup=False,
        )


def enriched_by(entry: Any, value: Any) -> str | None:
    """ "apollo, enriched 2026-12-06 04:10": who set a value there by enrichment and when,
    while it still holds that value (None: it came from an import, or a later one changed it)."""
    if not isinstance(entry, dict) or entry.get("value") != value or "provider" not in entry:
        return None
    try:
        at = datetime.fromisoformat(str(entry.get("at")))
    except ValueError:
        return f"{entry['provider']}, enriched"
    return f"{entry['provider']}, enriched {at:%Y-%m-%d %H:%M}"
