"""`/icp` over plain HTTP: sign-in, roles and form tokens; saving from the form and from YAML,
refusing what is not a profile (and storing nothing), activating and comparing versions, the
editor switching forms, and a preview that scores the workspace without storing a thing."""

from __future__ import annotations

import re

import httpx
from sqlalchemy import func, select

from leadrank.db.engine import session_scope
from leadrank.orm import IcpProfile
from leadrank.orm.scoring import LeadScore, ScoreRun
from tests.conftest import Workspace
from tests.web.conftest import Site, csrf_of

PROFILE_YAML = """name: outbound
description: Heads of engineering at software companies
groups:
  company: {cap: 30}
rules:
  - {field: employees, op: between, value: [50, 5000], points: 20, group: company}
  - {field: seniority, op: in, value: [c_level, vp], points: 30}
filters:
  - {field: email_disposable, op: neq, value: true}
"""


def _form_rows(token: str, **changes: object) -> dict[str, object]:
    """The editor's rows for a small profile, as a browser sends them."""
    return {
        "csrf_token": token,
        "source": "form",
        "name": "outbound",
        "description": "Heads of engineering at software companies",
        "group_name": ["company"],
        "group_cap": ["30"],
        "rule_field": ["employees", "seniority", ""],
        "rule_op": ["between", "in", "eq"],
        "rule_value": ["50, 5000", "c_level, vp", ""],
        "rule_points": ["20", "30", ""],
        "rule_group": ["company", "", ""],
        "rule_reason": ["", "Senior buyer", ""],
        "filter_field": ["email_disposable"],
        "filter_op": ["neq"],
        "filter_value": ["true"],
        "filter_reason": [""],
        "event_type": ["demo_request", "page_view"],
        "event_points": ["40", "0"],
        "event_cap": ["", ""],
        "half_life_days": "14",
        "window_days": "",
        "full_score_points": "80",
        **changes,
    }


def _stored(workspace: Workspace) -> list[IcpProfile]:
    with session_scope(workspace.engine) as session:
        rows = list(session.scalars(select(IcpProfile).order_by(IcpProfile.id)))
        session.expunge_all()
    return rows


def _token(client: httpx.Client) -> str:
    return csrf_of(client.get("/icp").text)


def test_the_profile_pages_need_a_signed_in_user(site: Site) -> None:
    with site.client() as client:
        for path in ("/icp", "/icp/compare", "/icp?open=built-in"):
            answer = client.get(path)
            assert answer.status_code == 303 and answer.headers["location"].startswith("/login")
        for path in ("/icp/save", "/icp/preview", "/icp/activate", "/icp/editor/yaml"):
            assert client.post(path, data={"ref": "built-in"}).status_code == 401


def test_only_an_admin_saves_or_activates(site: Site, workspace: Workspace) -> None:
    for role in ("reader", "writer"):
        with site.client(role) as client:
            page = client.get("/icp")
            assert page.status_code == 200
            assert (
                "Save as a new version" not in page.text
                and 'action="/icp/activate"' not in page.text
            )
            assert "Only an admin can save" in page.text
            token = csrf_of(page.text)
            saved = client.post(
                "/icp/save", data={"csrf_token": token, "source": "yaml", "yaml_text": PROFILE_YAML}
            )
            assert saved.status_code == 403
            assert client.post("/icp/save", data=_form_rows(token)).status_code == 403
            activated = client.post("/icp/activate", data={"csrf_token": token, "ref": "built-in"})
            assert activated.status_code == 403
    assert _stored(workspace) == []


def test_a_save_without_the_form_token_is_refused(site: Site, workspace: Workspace) -> None:
    with site.client("admin") as client:
        assert client.post("/icp/save", data=_form_rows("")).status_code == 403
        refused = client.post("/icp/save", data={"source": "yaml", "yaml_text": PROFILE_YAML})
        assert refused.status_code == 403
        assert client.post("/icp/save", data=_form_rows("forged")).status_code == 403
    assert _stored(workspace) == []


def test_yaml_that_does_not_parse_is_refused_with_the_parsers_words(
    site: Site, workspace: Workspace
) -> None:
    broken = "name: outbound\nrules:\n  - {field: seniority, op: in, value: [c_level, vp\n"
    with site.client("admin") as client:
        answer = client.post(
            "/icp/save",
            data={"csrf_token": _token(client), "source": "yaml", "yaml_text": broken},
        )
    assert answer.status_code == 400
    assert "not valid YAML: while parsing a flow sequence" in answer.text
    assert "line 3, column" in answer.text  # where the parser stopped
    assert "[c_level, vp\n</textarea>" in answer.text  # the text stays to be mended
    assert _stored(workspace) == []


def test_a_form_that_is_not_a_profile_is_refused_with_its_rows_kept(
    site: Site, workspace: Workspace
) -> None:
    with site.client("admin") as client:
        token = _token(client)
        undeclared = client.post(
            "/icp/save", data=_form_rows(token, rule_group=["company", "people", ""])
        )
        assert undeclared.status_code == 400
        assert "rules name undeclared groups: people" in undeclared.text
        assert 'name="rule_group" value="people"' in undeclared.text
        not_a_number = client.post(
            "/icp/save", data=_form_rows(token, rule_points=["20", "many", ""])
        )
        assert not_a_number.status_code == 400
        assert "rule 2 (seniority): points: &#39;many&#39; is not a number" in not_a_number.text
    assert _stored(workspace) == []


def test_an_admin_saves_activates_and_compares_versions(site: Site, workspace: Workspace) -> None:
    with site.client("admin") as client:
        token = _token(client)
        answer = client.post("/icp/save", data=_form_rows(token))
        assert answer.status_code == 303
        assert answer.headers["location"] == "/icp?open=outbound:1&saved=1"
        page = client.get(answer.headers["location"])
        assert "Saved outbound v1." in page.text
        assert "built-in default" in page.text  # still the one in use
        first = _stored(workspace)[0]
        assert (first.name, first.version, first.active) == ("outbound", 1, False)
        assert first.created_by == "admin@example.com"
        assert first.document["rules"][0]["value"] == [50, 5000]
        assert first.document["rules"][1]["reason"] == "Senior buyer"
        assert first.document["engagement"]["points"]["demo_request"] == 40
        assert first.document["engagement"]["half_life_days"] == 14

        # The YAML form, saved and put in use at once: one rule changed, one added.
        edited = PROFILE_YAML.replace("points: 30}", "points: 35}").replace(
            "filters:",
            "  - {field: country_code, op: in, value: [US, GB], points: 10}\n"
            "filters:\n  - {field: email_role, op: neq, value: true}",
        )
        answer = client.post(
            "/icp/save",
            data={"csrf_token": token, "source": "yaml", "yaml_text": edited, "activate": "true"},
        )
        assert answer.headers["location"] == "/icp?open=outbound:2&saved=1"
        active = [(p.version, p.active) for p in _stored(workspace)]
        assert active == [(1, False), (2, True)]
        page = client.get("/icp")
        assert re.search(r"data-in-use>outbound v2<", page.text)

        compared = client.get("/icp/compare?a=outbound:1&b=outbound:2")
        assert compared.status_code == 200
        assert re.search(r"data-added>2<", compared.text)  # the rule and the filter
        assert re.search(r"data-changed>1<", compared.text)
        assert re.search(r"data-removed>0<", compared.text)
        assert "country_code is one of US, GB" in compared.text
        assert 'class="differs change-changed"' in compared.text
        assert "demo request points" in compared.text  # engagement: the defaults are back
        assert client.get("/icp/compare?a=outbound:9&b=outbound:1").status_code == 404

        back = client.post("/icp/activate", data={"csrf_token": token, "ref": "outbound:1"})
        assert back.status_code == 303 and back.headers["location"] == "/icp?open=outbound:1"
        assert [p.active for p in _stored(workspace)] == [True, False]
        built_in = client.post("/icp/activate", data={"csrf_token": token, "ref": "built-in"})
        assert built_in.status_code == 303
        assert not any(p.active for p in _stored(workspace))
        missing = client.post("/icp/activate", data={"csrf_token": token, "ref": "outbound:7"})
        assert missing.status_code == 404


def test_the_editor_turns_rows_into_yaml_and_back(site: Site) -> None:
    with site.client("reader") as client:
        token = _token(client)
        as_yaml = client.post(
            "/icp/editor/yaml", data=_form_rows(token), headers={"HX-Request": "true"}
        )
        assert as_yaml.status_code == 200 and "<html" not in as_yaml.text
        text = re.search(r"<textarea[^>]*>(.*?)</textarea>", as_yaml.text, re.S)
        assert text is not None
        assert "value: [c_level, vp]" in text.group(1)
        rows = client.post(
            "/icp/editor/form",
            data={"csrf_token": token, "source": "yaml", "yaml_text": PROFILE_YAML},
            headers={"HX-Request": "true"},
        )
        assert 'name="rule_value" value="c_level, vp"' in rows.text
        assert 'name="group_cap" value="30"' in rows.text
        # YAML that does not parse stays YAML, with why.
        broken = client.post(
            "/icp/editor/form",
            data={"csrf_token": token, "source": "yaml", "yaml_text": "rules: ["},
            headers={"HX-Request": "true"},
        )
        assert "not valid YAML" in broken.text and "<textarea" in broken.text


def test_the_preview_scores_the_workspace_and_stores_nothing(scored: Workspace, site: Site) -> None:
    def counts() -> tuple[int, int, int]:
        with session_scope(scored.engine) as session:
            return tuple(  # type: ignore[return-value]
                int(session.scalar(select(func.count()).select_from(t)) or 0)
                for t in (LeadScore, ScoreRun, IcpProfile)
            )

    before = counts()
    with site.client("reader") as client:
        token = _token(client)
        answer = client.post(
            "/icp/preview",
            data={"csrf_token": token, "source": "yaml", "yaml_text": PROFILE_YAML},
            headers={"HX-Request": "true"},
        )
        assert answer.status_code == 200 and "<html" not in answer.text
        assert "<svg" in answer.text and "With your edits" in answer.text
        assert re.search(r"All 3\d\d leads of the workspace", answer.text)
        rows = re.findall(r'<td class="name"><a href="/leads/\d+">', answer.text)
        assert len(rows) == 10
        changed = re.search(r"data-changed>([\d,]+)<", answer.text)
        assert changed is not None and int(changed.group(1).replace(",", "")) > 0

        broken = {"csrf_token": token, "source": "yaml", "yaml_text": "name: x\nrules: {"}
        shown = client.post("/icp/preview", data=broken, headers={"HX-Request": "true"})
        assert shown.status_code == 200 and "Cannot preview these edits" in shown.text
        assert client.post("/icp/preview", data=broken).status_code == 400
        unknown = PROFILE_YAML.replace("field: employees", "field: shoe_size")
        missing = client.post(
            "/icp/preview",
            data={"csrf_token": token, "source": "yaml", "yaml_text": unknown},
            headers={"HX-Request": "true"},
        )
        assert "reads field(s) the data lacks: shoe_size" in missing.text
    assert counts() == before
