"""Previewing an edited profile (fit of the workspace's leads under both profiles, nothing
stored; a sample when the workspace is large) and comparing two versions of a profile."""

from __future__ import annotations

import polars as pl
from polars.testing import assert_frame_equal
from sqlalchemy import func, select

from leadrank.db.engine import session_scope
from leadrank.features.frames import workspace_frames
from leadrank.orm.scoring import LeadScore
from leadrank.scoring.icp import Group, Profile, Rule, load_profile, score_fit
from leadrank.scoring.icp_compare import compare_profiles
from leadrank.scoring.icp_preview import preview_fit, sampled_lead_frame
from tests.conftest import Workspace


def _edited() -> Profile:
    built_in = load_profile(None)
    extra = Rule(field="country_code", op="in", value=["US", "GB"], points=20)
    return built_in.model_copy(update={"rules": [*built_in.rules, extra]})


def test_a_preview_scores_every_lead_by_both_profiles_and_stores_nothing(
    scored: Workspace,
) -> None:
    current, edited = load_profile(None), _edited()
    with session_scope(scored.engine) as session:
        stored = session.scalar(select(func.count()).select_from(LeadScore))
        preview = preview_fit(session, current=current, edited=edited)
        leads, _ = workspace_frames(session)
        assert session.scalar(select(func.count()).select_from(LeadScore)) == stored
    assert (preview.total, preview.scored, preview.sampled) == (leads.height, leads.height, False)
    assert preview.before == score_fit(leads, current, reasons=False)["fit_score"].to_list()
    assert preview.after == score_fit(leads, edited, reasons=False)["fit_score"].to_list()
    assert 0 < preview.changed <= leads.height
    assert len(preview.leads) == 10
    moves = [abs(lead.change) for lead in preview.leads]
    assert moves == sorted(moves, reverse=True)  # the leads that move most, first
    bands = preview.histogram()
    assert [band for band, _, _ in bands][:2] == ["disqualified", "0–10"]
    assert sum(old for _, old, _ in bands) == sum(new for _, _, new in bands) == leads.height


def test_a_large_workspace_is_previewed_on_a_fixed_sample(scored: Workspace) -> None:
    current, edited = load_profile(None), _edited()
    with session_scope(scored.engine) as session:
        first = preview_fit(session, current=current, edited=edited, sample_size=40)
        again = preview_fit(session, current=current, edited=edited, sample_size=40)
        leads, _ = workspace_frames(session)
        # The sample's rows are the rows scoring reads, first events and all.
        ids = leads["lead_id"].to_list()[::7]
        part = sampled_lead_frame(session, ids, anchored=True)
    assert first.sampled and first.scored == 40 and first.total == leads.height
    assert (first.before, first.after) == (again.before, again.after)  # the same sample
    assert_frame_equal(part, leads.filter(pl.col("lead_id").is_in(ids)))
    whole = leads.with_columns(score_fit(leads, edited, reasons=False)["fit_score"])
    by_id = dict(zip(whole["lead_id"].to_list(), whole["fit_score"].to_list(), strict=True))
    assert all(by_id[lead.lead_id] == lead.after for lead in first.leads)


def test_comparing_versions_pairs_rules_up() -> None:
    older = load_profile(None)
    rules = list(older.rules)
    rules[0] = rules[0].model_copy(update={"points": 30.0})  # changed
    del rules[2]  # removed: "Industry is known"
    rules.append(Rule(field="country_code", op="eq", value="US", points=5))  # added
    newer = older.model_copy(
        update={
            "rules": rules,
            "filters": [],
            "groups": {**older.groups, "company": Group(cap=50)},
        }
    )
    compared = compare_profiles(older, newer)
    assert compared.counts == {
        "added": 1,
        "removed": 2,
        "changed": 1,
        "same": len(older.rules) - 2,
    }
    changed = next(p for p in compared.rules if p.change == "changed")
    assert changed.before is not None and changed.after is not None
    assert (changed.before.described(), changed.after.described()) == (
        "Company has 50-5,000 employees",
        "Company has 50-5,000 employees",
    )
    removed = [p.before.described() for p in compared.rules if p.change == "removed" and p.before]
    assert removed == ["Industry is known"]
    assert compared.filters[0].change == "removed"
    caps = {s.name: (s.before, s.after, s.change) for s in compared.groups}
    assert caps["company"] == (45.0, 50.0, "changed") and caps["person"][2] == "same"
    assert compared.engagement == [] and compared.description.change == "same"
