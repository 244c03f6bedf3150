"""Bad input never makes a page answer 500: digits of other scripts and numbers too large for
the database where a page takes a number or an id, "nan" and "inf" for a score, a model
version stored without importances, and lead data holding characters the chart renderer
cannot take (line and paragraph separators) each get a 4xx page, or the page itself."""

from __future__ import annotations

import csv
import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
from markupsafe import escape
from sqlalchemy import select, update

from leadrank.db.engine import build_engine, session_scope
from leadrank.orm import Lead
from leadrank.orm.scoring import LeadScore
from leadrank.scoring.icp_store import save_profile
from leadrank.training import registry
from leadrank.training.bundle import ModelBundle
from leadrank.training.fit import TrainOptions
from leadrank.training.table import train_table
from tests.conftest import FIXTURES, Workspace
from tests.web.conftest import Site, csrf_of, load_scored

SEPARATED = "Soft\u2028ware\u2029Services"  # U+2028 LINE and U+2029 PARAGRAPH SEPARATOR
TOO_LARGE = "99999999999999999999999"  # past every integer column of SQLite and PostgreSQL
COLUMN = "Lead\u2028Source"  # a column name of the training table, as a file may have it
CHANNEL = "Lead\u2029Channel"  # a lead file's own column


def test_a_page_size_in_other_digits_is_the_usual_page(workspace: Workspace, site: Site) -> None:
    with site.client("reader") as client:
        for size in ("²", "¹⁰⁰", "١٠٠", "7"):  # superscripts; Arabic-Indic digits
            page = client.get("/leads", params={"limit": size})
            assert page.status_code == 200, size
            assert '<input type="hidden" name="limit" value="50">' in page.text
        page = client.get("/leads?limit=100")
        assert '<input type="hidden" name="limit" value="100">' in page.text


def test_a_score_bound_must_be_a_finite_number_from_0_to_100(
    workspace: Workspace, site: Site
) -> None:
    with site.client("reader") as client:
        for value in ("nan", "NaN", "inf", "-inf", "1e400", "101", "²", "0x10"):
            for name in ("min_score", "max_score"):
                answer = client.get("/leads", params={name: value})
                assert answer.status_code == 400, (name, value)
                assert "<h1>" in answer.text
        assert client.get("/leads", params={"min_score": "١٢"}).status_code == 200


def test_an_exported_lead_id_out_of_range_is_refused(workspace: Workspace, site: Site) -> None:
    with site.client("reader") as client:
        token = csrf_of(client.get("/leads").text)
        for lead in ("1000000000000000000000000000000", str(2**62 + 1), "0", "-3", "²"):
            answer = client.post(
                "/leads/export",
                data={"csrf_token": token, "format": "csv", "lead": [lead], "view_query": ""},
            )
            assert answer.status_code == 400, lead
        # The view the form carries goes through the same checks.
        for query in ("limit=²", "min_score=nan"):
            answer = client.post(
                "/leads/export", data={"csrf_token": token, "format": "csv", "view_query": query}
            )
            assert answer.status_code == (200 if query == "limit=²" else 400), query


def test_a_profile_version_that_is_no_number_is_not_found(workspace: Workspace, site: Site) -> None:
    with session_scope(workspace.engine) as session:
        save_profile(session, document=_profile("outbound"), created_by="test", activate=True)
    with site.client("admin") as client:
        token = csrf_of(client.get("/icp").text)
        for ref in ("outbound:²", f"outbound:{TOO_LARGE}", "outbound:١", "outbound:", ":1"):
            answer = client.post("/icp/activate", data={"csrf_token": token, "ref": ref})
            assert answer.status_code == 404, ref
            assert "<h1>Not found</h1>" in answer.text
        for query in (
            {"open": "outbound:²"},
            {"open": f"outbound:{TOO_LARGE}"},
            {"open": "outbound:1\n"},
        ):
            assert 400 <= client.get("/icp", params=query).status_code < 500, query
        for a in ("outbound:²", f"outbound:{TOO_LARGE}", "outbound:١٢"):
            answer = client.get("/icp/compare", params={"a": a, "b": "outbound:1"})
            assert 400 <= answer.status_code < 500, a
        # The version that exists still opens, activates and compares.
        assert client.get("/icp?open=outbound:1").status_code == 200
        assert client.get("/icp/compare?a=built-in&b=outbound:1").status_code == 200
        done = client.post("/icp/activate", data={"csrf_token": token, "ref": "outbound:1"})
        assert done.status_code == 303


def test_a_number_too_long_for_int_in_the_profile_editor_is_refused(
    workspace: Workspace, site: Site
) -> None:
    digits = "1" * 5_000  # int() refuses more than 4,300 digits
    with site.client("admin") as client:
        token = csrf_of(client.get("/icp").text)
        rows = {
            "csrf_token": token,
            "source": "form",
            "name": "outbound",
            "rule_field": ["employees"],
            "rule_op": ["gt"],
            "rule_value": [digits],
            "rule_points": ["10"],
            "rule_group": [""],
            "rule_reason": [""],
        }
        rule = "- {field: employees, op: gt, value: VALUE, points: 10}"
        for value in (digits, "[" * 20_000 + "]" * 20_000):  # too long; nested too deeply
            text = f"name: outbound\nrules:\n{rule.replace('VALUE', value)}\n"
            as_yaml = {"csrf_token": token, "source": "yaml", "yaml_text": text}
            for form in (rows, as_yaml):
                for path in ("/icp/preview", "/icp/save"):
                    answer = client.post(path, data=form)
                    assert answer.status_code == 400, (path, form["source"], value[:5])
                    assert "too large a number" in answer.text or "not valid YAML" in answer.text
            switched = client.post("/icp/editor/form", data=as_yaml)
            assert switched.status_code == 200 and "not valid YAML" in switched.text
        # A whole number past 64 bits is read as a decimal, as any number that fits is.
        fits = client.post("/icp/preview", data={**rows, "rule_value": ["1" * 30]})
        assert fits.status_code == 200


def _profile(name: str) -> dict[str, object]:
    return {
        "name": name,
        "rules": [{"field": "seniority", "op": "in", "value": ["vp"], "points": 30}],
    }


@dataclass(frozen=True)
class TableModel:
    """A table model trained once for the module, to register in each test's workspace."""

    artifact: bytes
    target: str


@pytest.fixture(scope="module")
def table_model(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> TableModel:
    """A model of the X Education sample whose "Lead Source" column is named with a line
    separator in it, as a lead file may name a column."""
    folder = tmp_path_factory.mktemp("table-model")
    table = folder / "leads.csv"
    with (FIXTURES / "x_education_200.csv").open(newline="", encoding="utf-8") as source:
        rows = list(csv.reader(source))
    rows[0] = [COLUMN if name == "Lead Source" else name for name in rows[0]]
    with table.open("w", newline="", encoding="utf-8") as out:
        csv.writer(out).writerows(rows)
    path = folder / "training.db"
    shutil.copy(sqlite_template, path)
    engine = build_engine(f"sqlite:///{path}")
    try:
        with session_scope(engine) as session:
            trained = train_table(
                session,
                path=table,
                target="Converted",
                data_dir=folder / "data",
                name="courses",
                options=TrainOptions(time_budget=0.0, folds=3),
            )
            return TableModel(trained.model.artifact, trained.model.target)
    finally:
        engine.dispose()


def _register(workspace: Workspace, model: TableModel, data_dir: Path, *, importances: bool) -> int:
    """Register the model in `workspace` (its importances left out when asked); its version."""
    bundle = ModelBundle.from_bytes(model.artifact)
    if not importances:
        bundle.metadata.pop("importances", None)
    with session_scope(workspace.engine) as session:
        stored = registry.register(
            session,
            bundle=bundle,
            name="courses",
            kind="table",
            target=model.target,
            data_dir=data_dir,
        )
        return stored.version


def test_a_model_version_without_importances_has_its_page(
    workspace: Workspace, table_model: TableModel, site: Site, tmp_path: Path
) -> None:
    version = _register(workspace, table_model, tmp_path / "data", importances=False)
    with session_scope(workspace.engine) as session:
        meta = registry.metadata(registry.find(session, f"courses:v{version}"))
    assert "importances" not in meta and meta["metrics"], "stored with an evaluation only"
    with site.client("reader") as client:
        page = client.get(f"/models/courses/{version}")
    assert page.status_code == 200
    assert "No importances were recorded for this version." in page.text
    assert page.text.count("<svg") >= 4  # the evaluation's charts are still drawn


def test_a_column_named_with_a_line_separator_is_charted(
    workspace: Workspace, table_model: TableModel, site: Site, tmp_path: Path
) -> None:
    version = _register(workspace, table_model, tmp_path / "data", importances=True)
    with session_scope(workspace.engine) as session:
        meta = registry.metadata(registry.find(session, f"courses:v{version}"))
    assert any("\u2028" in str(name) for name, _ in meta["importances"])
    with site.client("reader") as client:
        page = client.get(f"/models/courses/{version}")
        assert page.status_code == 200
        assert "Each column's share of the model's decisions" in page.text
        assert "chart unavailable" not in page.text
        assert "Lead Source" in page.text  # the separator drawn as a space
        # Versions are numbers 0-9, few enough for the database; anything else is not found.
        for shown in ("²", "١", "v١", TOO_LARGE[:12], "1" * 10):
            assert client.get(f"/models/courses/{shown}").status_code == 404, shown
        assert 400 <= client.get(f"/models/courses/{TOO_LARGE}").status_code < 500
    with site.client("admin") as client:
        token = csrf_of(client.get(f"/models/courses/{version}").text)
        for action in ("promote", "rollback"):
            for shown in ("²", "1" * 10):
                answer = client.post(
                    f"/models/courses/{shown}/{action}", data={"csrf_token": token}
                )
                assert answer.status_code == 404, (action, shown)


@pytest.fixture
def separated(workspace: Workspace, tmp_path: Path) -> Workspace:
    """A workspace with one lead from a file whose own column (its name and its value) holds
    line and paragraph separators, scored by the rules."""
    path = tmp_path / "separated.csv"
    path.write_text(
        f"first_name,last_name,email,company,title,{CHANNEL}\n"
        f"Ada,Lovelace,ada@analytical.example,Engines Ltd,VP Sales,{SEPARATED}\n",
        encoding="utf-8",
    )
    return load_scored(workspace, path, source="separated")


def test_a_lead_with_line_separators_has_its_page(separated: Workspace, site: Site) -> None:
    with session_scope(separated.engine) as session:
        lead = session.scalar(select(Lead))
        assert lead is not None
        lead_id, attributes = lead.id, dict(lead.attributes)
    assert attributes == {CHANNEL: SEPARATED}, "the file's own column is kept as it came"
    with site.client("reader") as client:
        page = client.get(f"/leads/{lead_id}")
        assert page.status_code == 200
        assert str(escape(SEPARATED)) in page.text
        # A model's reasons cite the lead's own values ("Seniority is vp (+12)"): stored here
        # as a model run stores them, they are drawn on the reasons chart.
        reasons = {
            "positive": [f"{CHANNEL} is {SEPARATED} (+12)", "Seniority is vp (+8)"],
            "negative": ["Company size is 1-10 (-4)"],
        }
        with session_scope(separated.engine) as session:
            stored = session.scalar(select(LeadScore.reasons).where(LeadScore.lead_id == lead_id))
            session.execute(  # the column takes JSON text, as the scoring run writes it
                update(LeadScore)
                .where(LeadScore.lead_id == lead_id)
                .values(reasons=json.dumps({**(stored or {}), **reasons}))
            )
        page = client.get(f"/leads/{lead_id}")
    assert page.status_code == 200
    chart = page.text.split('<figure class="chart reasons-chart">', 1)[1].split("</figure>", 1)[0]
    assert chart.startswith("<svg") and "chart unavailable" not in chart
    assert "Lead Channel is Soft ware Services" in chart  # each separator drawn as a space
