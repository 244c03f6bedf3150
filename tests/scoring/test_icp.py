"""ICP profiles: every operator, group caps, hard filters, reasons, and the commands."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import polars as pl
import pytest

from leadrank.errors import BadInput
from leadrank.scoring.icp import load_profile, parse_profile, score_fit
from tests.conftest import CliResult

Cli = Callable[..., CliResult]
LEADS = pl.DataFrame(
    {
        "employees": [200, 5, None],
        "seniority": ["vp", "ic", None],
        "industry": ["Software", None, "Retail"],
        "country_code": ["US", "DE", None],
        "title": ["VP of Engineering", "Intern", None],
        "email_disposable": [False, False, True],
    }
)


def fit(rules: list[dict], filters: list[dict] | None = None, groups: dict | None = None) -> list:
    profile = parse_profile(
        {"name": "t", "rules": rules, "filters": filters or [], "groups": groups or {}},
        source="test",
    )
    return score_fit(LEADS, profile).to_dicts()


@pytest.mark.parametrize(
    ("rule", "fired"),
    [
        ({"field": "country_code", "op": "eq", "value": "US"}, [True, False, False]),
        ({"field": "country_code", "op": "neq", "value": "US"}, [False, True, False]),
        ({"field": "employees", "op": "gt", "value": 200}, [False, False, False]),
        ({"field": "employees", "op": "gte", "value": 200}, [True, False, False]),
        ({"field": "employees", "op": "lt", "value": 10}, [False, True, False]),
        ({"field": "employees", "op": "lte", "value": 5}, [False, True, False]),
        ({"field": "employees", "op": "between", "value": [5, 200]}, [True, True, False]),
        ({"field": "seniority", "op": "in", "value": ["vp", "c_level"]}, [True, False, False]),
        ({"field": "seniority", "op": "not_in", "value": ["vp"]}, [False, True, False]),
        ({"field": "title", "op": "contains", "value": "engineer"}, [True, False, False]),
        ({"field": "title", "op": "contains", "value": ["intern", "vp"]}, [True, True, False]),
        ({"field": "industry", "op": "exists", "value": True}, [True, False, True]),
        ({"field": "industry", "op": "exists", "value": False}, [False, True, False]),
    ],
)
def test_each_operator_and_a_missing_value_never_satisfies_it(rule: dict, fired: list) -> None:
    scored = fit([{**rule, "points": 10}])
    assert [row["fit_score"] == 100.0 for row in scored] == fired


def test_group_caps_negative_points_and_the_scale() -> None:
    scored = fit(
        [
            {"field": "seniority", "op": "eq", "value": "vp", "points": 30, "group": "person"},
            {"field": "title", "op": "contains", "value": "vp", "points": 30, "group": "person"},
            {"field": "employees", "op": "gte", "value": 50, "points": 40},
            {"field": "employees", "op": "lt", "value": 10, "points": -20},
        ],
        groups={"person": {"cap": 40}},
    )
    # At most 40 (person, capped) + 40 (employees) = 80 points make 100.
    assert [row["fit_score"] for row in scored] == [100.0, 0.0, 0.0]
    assert scored[1]["fit_reasons"] == ["employees is below 10 (-20)"]
    assert scored[0]["fit_reasons"][0].endswith("(+40)")


def test_hard_filters_disqualify_with_their_reason() -> None:
    scored = fit(
        [{"field": "employees", "op": "gte", "value": 1, "points": 10}],
        filters=[
            {"field": "email_disposable", "op": "neq", "value": True, "reason": "Disposable"},
            {"field": "country_code", "op": "in", "value": ["US", "DE"]},
        ],
    )
    assert [row["disqualified"] for row in scored] == [False, False, True]
    assert scored[2]["fit_score"] == 0.0
    assert scored[2]["fit_reasons"][:2] == [
        "disqualified: Disposable",
        "disqualified: country_code is one of US, DE",
    ]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {"name": "x", "rules": [{"field": "a", "op": "between", "value": 3, "points": 1}]},
            "two bounds",
        ),
        (
            {"name": "x", "rules": [{"field": "a", "op": "like", "value": 3, "points": 1}]},
            "rules.0.op",
        ),
        (
            {
                "name": "x",
                "rules": [{"field": "a", "op": "eq", "value": 1, "points": 1, "group": "g"}],
            },
            "undeclared groups",
        ),
        ({"name": "x"}, "at least one rule"),
        ({"name": "x", "rules": [], "bogus": 1}, "bogus"),
    ],
)
def test_bad_profiles_are_explained(data: dict, message: str) -> None:
    with pytest.raises(BadInput, match=message):
        parse_profile(data, source="p.yaml")


def test_a_profile_must_name_fields_the_data_has() -> None:
    profile = parse_profile(
        {"name": "x", "rules": [{"field": "nope", "op": "exists", "points": 1}]}, source="t"
    )
    with pytest.raises(BadInput, match="lacks: nope"):
        score_fit(LEADS, profile)


def test_the_default_profile_scores_the_normalised_fields() -> None:
    profile = load_profile()
    assert profile.most_points() == 100
    assert {"seniority", "employees", "email_free_mail"} <= set(profile.fields)


def test_icp_commands(cli: Cli, tmp_path: Path) -> None:
    leads = tmp_path / "leads.csv"
    leads.write_text(
        "Email,Job Title,# Employees,Company,Lead Source\n"
        "ann@initech.com,VP of Engineering,201-500,Initech,webinar\n"
        "bob@mailinator.com,Intern,1-10,Acme,ads\n"
    )
    profile = tmp_path / "icp.yaml"
    profile.write_text(
        "name: webinar-vps\n"
        "rules:\n"
        "  - {field: seniority, op: in, value: [vp, c_level], points: 60}\n"
        "  - {field: Lead Source, op: eq, value: webinar, points: 40}\n"
        "filters:\n"
        "  - {field: email_disposable, op: neq, value: true, reason: Disposable email}\n"
    )
    shown = cli("icp", "show", "--profile", str(profile))
    assert shown.exit_code == 0 and "webinar-vps" in shown.stdout and "+60" in shown.stdout
    out = tmp_path / "scored.parquet"
    applied = cli("icp", "apply", str(leads), "-o", str(out), "--profile", str(profile))
    assert applied.exit_code == 0, applied.stderr
    assert "disqualified 1" in applied.stdout
    scored = pl.read_parquet(out)
    assert scored.columns[:5] == ["Email", "Job Title", "# Employees", "Company", "Lead Source"]
    assert scored["fit_score"].to_list() == [100.0, 0.0]
    assert scored["fit_reasons"][1].to_list() == ["disqualified: Disposable email"]
    profile.write_text("name: [unclosed\n")
    broken = cli("icp", "show", "--profile", str(profile))
    assert broken.exit_code == 1 and "not valid YAML" in broken.stderr
    assert cli("icp", "show", "--profile", str(tmp_path / "none.yaml")).exit_code == 1


def test_numbers_that_are_not_numbers_are_refused() -> None:
    from leadrank.errors import BadInput
    from leadrank.scoring.icp import parse_profile

    rule = {"field": "employees", "op": "gte", "value": 10, "points": 10}
    for broken in (
        {**rule, "points": float("nan")},
        {**rule, "value": float("inf")},
        {**rule, "op": "between", "value": [1, float("nan")]},
    ):
        with pytest.raises(BadInput):
            parse_profile({"name": "p", "rules": [broken]}, source="p")
    with pytest.raises(BadInput, match="engagement"):
        parse_profile(
            {"name": "p", "rules": [rule], "engagement": {"points": {"form_fill": float("nan")}}},
            source="p",
        )
