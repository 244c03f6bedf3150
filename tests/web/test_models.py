"""The model pages over plain HTTP: the registry with stages and headline metrics, a version's
evaluation with its charts, promotion and rollback for admins only (with the form's token),
unknown models as a 404 page, and the report `leadrank train` writes, still whole offline."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from leadrank.db.engine import session_scope
from leadrank.training import registry
from leadrank.training.bundle import ModelBundle
from leadrank.training.evaluation import Evaluation
from tests.conftest import FIXTURES, CliResult, Workspace
from tests.training.svg_charts import charts_in, labels, title_of
from tests.web.conftest import Site, csrf_of
from tests.web.model_versions import (
    NAME,
    Trained,
    register_versions,
    stage_of,
    train_versions,
)

CHART_TITLES = ["ROC curve", "Calibration", "Cumulative gains", "Lift", "Feature importance"]


@pytest.fixture(scope="module")
def trained(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> list[Trained]:
    """Two versions of "meetings", trained once for the module."""
    return train_versions(sqlite_template, tmp_path_factory.mktemp("trained"))


@pytest.fixture
def models(workspace: Workspace, trained: list[Trained], tmp_path: Path) -> Workspace:
    """The test's workspace with meetings v1 (active) and v2 (shadow)."""
    register_versions(workspace, trained, tmp_path / "data")
    return workspace


def _stored(workspace: Workspace, version: int) -> tuple[dict[str, object], Evaluation]:
    with session_scope(workspace.engine) as session:
        meta = registry.metadata(registry.find(session, f"{NAME}:v{version}"))
    return meta, Evaluation.model_validate(meta["metrics"])


def _no_inline_code(html: str) -> None:
    """The CSP forbids inline styles and scripts: the page must not need them."""
    assert not re.search(r"<style|\sstyle=|<script(?![^>]*\ssrc=)|\son[a-z]+=|hx-on", html)


def test_every_model_page_needs_sign_in(models: Workspace, site: Site) -> None:
    with site.client() as anonymous:
        for path in ("/models", f"/models/{NAME}/1"):
            answer = anonymous.get(path)
            assert answer.status_code == 303
            assert answer.headers["location"].startswith("/login?next=")
        refused = anonymous.post(f"/models/{NAME}/2/promote", data={"csrf_token": "x"})
        assert refused.status_code == 401
    assert stage_of(models, 2) == "shadow"


def test_the_registry_lists_every_version_with_its_stage(models: Workspace, site: Site) -> None:
    with site.client("reader") as client:
        page = client.get("/models")
    assert page.status_code == 200
    assert "default-src 'self'" in page.headers["content-security-policy"]
    _no_inline_code(page.text)
    rows = re.findall(r"<tr>\s*<td class=\"name\">(.*?)</tr>", page.text, re.DOTALL)
    assert [re.search(r">v(\d+)<", row).group(1) for row in rows] == ["2", "1"]  # type: ignore[union-attr]
    shadow, active = rows
    assert 'class="pill stage-shadow pill-info"' in shadow
    assert 'class="pill stage-active pill-ok"' in active
    assert f'href="/models/{NAME}/2"' in shadow
    for row, version in ((shadow, 2), (active, 1)):
        meta, evaluation = _stored(models, version)
        assert f"{evaluation.roc_auc:.3f}" in row and f"{evaluation.pr_auc:.3f}" in row
        assert f"{evaluation.brier:.3f}" in row
        assert f">{meta['rows']:,}<" in row
        window = meta["data_window"]
        assert isinstance(window, dict)
        assert f"{window['start'][:10]} → {window['end'][:10]}" in row
    assert "meeting_booked or deal_won within 120 days of lead creation" in shadow
    assert "meeting_booked or deal_won within 90 days of lead creation" in active


def test_a_version_shows_its_evaluation(models: Workspace, site: Site) -> None:
    meta, evaluation = _stored(models, 2)
    with site.client("reader") as client:
        page = client.get(f"/models/{NAME}/2")
        assert client.get(f"/models/{NAME}/v2").text.count("<svg") == 5
    assert page.status_code == 200
    _no_inline_code(page.text)
    charts = charts_in(page.text)
    assert [title_of(chart) for chart in charts] == CHART_TITLES
    importances = meta["importances"]
    assert isinstance(importances, list)
    shown = [label.rsplit(": ", 1)[0] for label in labels(charts[-1], "bar")]
    assert shown == [name for name, _ in importances[: len(shown)]]
    assert f"{evaluation.roc_auc:.3f}" in page.text and f"{evaluation.log_loss:.3f}" in page.text
    # leaks, segments, the label and the data window
    leaks = meta["leaks"]
    assert isinstance(leaks, list) and leaks
    for leak in leaks:
        assert f"<code>{leak['column']}</code>" in page.text
    segments = re.search(r'<table class="segments">.*?</table>', page.text, re.DOTALL)
    assert segments and segments.group(0).count("<tr>") == len(evaluation.segments) + 1
    assert "meeting_booked or deal_won within 120 days of lead creation" in page.text
    assert "by lead creation" in page.text and "outcomes known up to" in page.text
    # a reader sees the other versions, and no buttons
    assert f'href="/models/{NAME}/1"' in page.text
    assert "/promote" not in page.text and "/rollback" not in page.text
    assert "Only an admin can promote or roll back" in page.text


@pytest.mark.parametrize("role", ["writer", "reader"])
def test_only_an_admin_may_promote_or_roll_back(models: Workspace, site: Site, role: str) -> None:
    with site.client(role) as client:
        token = csrf_of(client.get(f"/models/{NAME}/2").text)
        for action in ("2/promote", "1/rollback"):
            refused = client.post(f"/models/{NAME}/{action}", data={"csrf_token": token})
            assert refused.status_code == 403
            assert "Not allowed" in refused.text
    assert (stage_of(models, 1), stage_of(models, 2)) == ("active", "shadow")


def test_an_admin_promotes_and_rolls_back_with_the_form_token(
    models: Workspace, site: Site
) -> None:
    with site.client("admin") as client:
        page = client.get(f"/models/{NAME}/2")
        assert f'action="/models/{NAME}/2/promote"' in page.text and "data-confirm=" in page.text
        token = csrf_of(page.text)
        forged = client.post(f"/models/{NAME}/2/promote", data={})
        assert forged.status_code == 403
        assert stage_of(models, 2) == "shadow"

        promoted = client.post(f"/models/{NAME}/2/promote", data={"csrf_token": token})
        assert promoted.status_code == 303
        assert promoted.headers["location"] == f"/models/{NAME}/2?done=promoted"
        assert (stage_of(models, 1), stage_of(models, 2)) == ("archived", "active")
        shown = client.get(promoted.headers["location"])
        assert "v2 is now the active version of meetings; v1 is archived" in shown.text
        assert f'action="/models/{NAME}/2/rollback"' in shown.text
        again = client.post(f"/models/{NAME}/2/promote", data={"csrf_token": token})
        assert again.status_code == 409 and "already active" in again.text

        no_token = client.post(f"/models/{NAME}/2/rollback")
        assert no_token.status_code == 403 and stage_of(models, 2) == "active"
        rolled = client.post(f"/models/{NAME}/2/rollback", data={"csrf_token": token})
        assert rolled.status_code == 303
        assert rolled.headers["location"] == f"/models/{NAME}/1?done=rolled-back"
        assert (stage_of(models, 1), stage_of(models, 2)) == ("active", "archived")
        back = client.get(rolled.headers["location"]).text
        assert "Rolled back: v1 is the active version of meetings again" in back
        # A page shown before that rollback must not roll back the version active now.
        stale = client.post(f"/models/{NAME}/2/rollback", data={"csrf_token": token})
        assert stale.status_code == 409 and "not the active version" in stale.text
        assert stage_of(models, 1) == "active"


def test_unknown_models_are_a_not_found_page(models: Workspace, site: Site) -> None:
    with site.client("admin") as client:
        token = csrf_of(client.get("/models").text)
        for path in (
            "/models/churn/1",
            f"/models/{NAME}/9",
            f"/models/{NAME}/latest",
            "/models/Bad%20Name/1",
        ):
            missing = client.get(path)
            assert missing.status_code == 404, path
            assert "<h1>Not found</h1>" in missing.text or "Not found" in missing.text
            assert "text/html" in missing.headers["content-type"]
        refused = client.post("/models/churn/1/promote", data={"csrf_token": token})
        assert refused.status_code == 404


def test_text_from_lead_files_shows_as_text(
    workspace: Workspace, trained: list[Trained], site: Site, tmp_path: Path
) -> None:
    bundle = ModelBundle.from_bytes(trained[0].artifact)
    hostile = "<script>alert(1)</script>"
    bundle.metadata["metrics"]["segments"][0]["value"] = hostile
    bundle.metadata["leaks"] = [{"column": "<img src=x onerror=alert(2)>", "evidence": "a & b"}]
    bundle.metadata["importances"] = [["<b>bold</b>", 0.6], ["plain", 0.4]]
    with session_scope(workspace.engine) as session:
        registry.register(
            session,
            bundle=bundle,
            name="hostile",
            kind="table",
            target="<i>won</i>",
            data_dir=tmp_path,
        )
    with site.client("reader") as client:
        page = client.get("/models/hostile/1").text
        listed = client.get("/models").text
    for html in (page, listed):
        assert "<i>won</i>" not in html and "&lt;i&gt;won&lt;/i&gt;" in html
    assert hostile not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<img src=x" not in page and "&lt;img src=x onerror=alert(2)&gt;" in page
    assert "<b>bold</b>" not in page and "&lt;b&gt;bold&lt;/b&gt;" in page


def test_an_empty_registry_says_how_to_train(site: Site) -> None:
    with site.client("reader") as client:
        page = client.get("/models")
    assert page.status_code == 200 and "No models yet" in page.text


def test_the_training_report_opens_offline_with_its_charts(
    workspace: Workspace, cli: Callable[..., CliResult], tmp_path: Path
) -> None:
    table = FIXTURES / "x_education_200.csv"
    trained = cli("train", "--data", str(table), "--target", "Converted", "--time-budget", "0")
    assert trained.exit_code == 0, trained.stderr
    found = re.search(r"report: (\S+)", trained.stdout)
    assert found
    html = Path(found.group(1)).read_text(encoding="utf-8")
    # nothing to fetch: no scripts, stylesheets, images or fonts from anywhere
    assert not re.search(r"<script|<link|@import|src=|url\(|https?://(?!www\.w3\.org/)", html)
    assert [title_of(chart) for chart in charts_in(html)] == CHART_TITLES
