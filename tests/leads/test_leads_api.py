"""`/api/v1/leads` through a real server on a sampled, scored workspace."""

from __future__ import annotations

from collections.abc import Callable

from leadrank.db.engine import session_scope
from leadrank.leads.grade_overrides import set_override
from tests.conftest import CliResult, Workspace
from tests.server import Server


def test_pages_cover_every_lead_once_best_first(scored: Workspace, api: Server) -> None:
    seen: list[dict] = []
    cursor = None
    while True:
        params = {"limit": 70, **({"cursor": cursor} if cursor else {})}
        page = api.client.get("/api/v1/leads", params=params)
        assert page.status_code == 200, page.text
        body = page.json()
        seen.extend(body["items"])
        cursor = body["next_cursor"]
        if cursor is None:
            break
    ids = [lead["id"] for lead in seen]
    assert len(ids) == len(set(ids)) and len(ids) > 200
    scores = [lead["score"] for lead in seen]
    assert scores == sorted(scores, reverse=True)
    assert all(lead["grade"] in "ABCDE" for lead in seen)
    newest = api.client.get("/api/v1/leads", params={"sort": "created", "limit": 5}).json()
    assert [lead["id"] for lead in newest["items"]] == sorted(ids, reverse=True)[:5]


def test_filters_detail_and_overrides(scored: Workspace, api: Server) -> None:
    top = api.client.get("/api/v1/leads", params={"limit": 1}).json()["items"][0]
    graded = api.client.get("/api/v1/leads", params={"grade": top["grade"], "limit": 500})
    assert all(lead["grade"] == top["grade"] for lead in graded.json()["items"])
    floor = api.client.get("/api/v1/leads", params={"min_score": 50, "limit": 500}).json()
    assert all(lead["score"] >= 50 for lead in floor["items"])
    word = (top["company_name"] or top["full_name"] or "").split()[0]
    found = api.client.get("/api/v1/leads", params={"q": word, "limit": 500}).json()["items"]
    assert top["id"] in [lead["id"] for lead in found]
    by_source = api.client.get("/api/v1/leads", params={"source": "nowhere"}).json()
    assert by_source["items"] == [] and by_source["next_cursor"] is None

    with session_scope(scored.engine) as session:
        set_override(session, lead_id=top["id"], grade="E", reason="bought elsewhere", by="ana")
    detail = api.client.get(f"/api/v1/leads/{top['id']}").json()
    assert detail["grade"] == "E" and detail["computed_grade"] == top["grade"]
    assert detail["override"]["set_by"] == "ana" and detail["scores"][0]["reasons"]
    assert detail["provenance"] and isinstance(detail["events"], list)
    overridden = api.client.get("/api/v1/leads", params={"grade": "E", "limit": 500}).json()
    assert top["id"] in [lead["id"] for lead in overridden["items"]]
    if detail["email"]:
        by_email = api.client.get(f"/api/v1/leads/{detail['email']}").json()
        assert by_email["id"] == top["id"]

    missing = api.client.get("/api/v1/leads/999999")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
    bad = api.client.get("/api/v1/leads", params={"cursor": "not-a-cursor"})
    assert bad.status_code == 400 and "cursor" in bad.json()["error"]["message"]
    wrong = api.client.get("/api/v1/leads", params={"grade": "Z"})
    assert wrong.status_code == 422 and wrong.json()["error"]["path"] == "$.grade"


def test_reading_leads_needs_a_reading_role(
    scored: Workspace, cli: Callable[..., CliResult], start_server: Callable[..., Server]
) -> None:
    reader = cli("keys", "create", "--role", "reader").stdout.strip().splitlines()[-1]
    scorer = cli("keys", "create", "--role", "scorer").stdout.strip().splitlines()[-1]
    server = start_server()
    assert server.client.get("/api/v1/leads").status_code == 401
    assert server.client.get("/api/v1/leads", headers={"X-API-Key": scorer}).status_code == 403
    assert server.client.get("/api/v1/leads", headers={"X-API-Key": reader}).status_code == 200


def test_a_nul_character_is_refused_not_stored(api: Server) -> None:
    for params in ({"q": "a\x00b"}, {"source": "\x00"}, {"cursor": "x\x00"}):
        answer = api.client.get("/api/v1/leads", params=params)
        assert answer.status_code == 422, (params, answer.text)
    assert api.client.get("/api/v1/leads/a%00b").status_code == 422


def _walk(api: Server, **params: object) -> list[dict]:
    """Every item of a list, page after page."""
    seen: list[dict] = []
    cursor = None
    while True:
        page = api.client.get(
            "/api/v1/leads",
            params={"limit": 90, **params, **({"cursor": cursor} if cursor else {})},
        )
        assert page.status_code == 200, page.text
        seen.extend(page.json()["items"])
        cursor = page.json()["next_cursor"]
        if cursor is None:
            return seen


def test_every_sort_pages_through_every_lead_once_in_its_order(
    scored: Workspace, api: Server
) -> None:
    everyone = _walk(api)
    total = len(everyone)
    for sort, field in (("fit", "fit"), ("engagement", "engagement"), ("quality", "quality_score")):
        listed = _walk(api, sort=sort)
        assert len({lead["id"] for lead in listed}) == len(listed) == total, sort
        values = [lead[field] if lead[field] is not None else -1.0 for lead in listed]
        assert values == sorted(values, reverse=True), sort
        ties = [(v, lead["id"]) for v, lead in zip(values, listed, strict=True)]
        assert ties == sorted(ties, key=lambda t: (-t[0], t[1])), f"{sort}: ties go by id"
    for sort in ("updated", "name"):
        listed = _walk(api, sort=sort)
        assert sorted(lead["id"] for lead in listed) == sorted(lead["id"] for lead in everyone)
    updated = [lead["id"] for lead in _walk(api, sort="updated")]
    assert len(updated) == total

    grades = {lead["grade"] for lead in everyone}
    assert len(grades) > 1
    wanted = sorted(grades)[:2]
    picked = _walk(api, grade=",".join(g.lower() for g in wanted))
    assert {lead["grade"] for lead in picked} <= set(wanted)
    assert len(picked) == sum(lead["grade"] in wanted for lead in everyone)
    top = everyone[0]
    assert top["reasons"]["positive"] or top["reasons"]["negative"]
    assert top["model_version"] == "rules" and top["scored_at"] is not None
    assert {"fit", "engagement"} <= set(top)
    country = next(lead["country_code"] for lead in everyone if lead["country_code"])
    assert {lead["country_code"] for lead in _walk(api, country=country.lower())} == {country}
    wrong = api.client.get("/api/v1/leads", params={"sort": "fit", "cursor": _cursor(api)})
    assert wrong.status_code == 400, "a cursor of one order is refused by another"


def _cursor(api: Server) -> str:
    return api.client.get("/api/v1/leads", params={"limit": 1}).json()["next_cursor"]


def test_leads_filter_by_owner(scored: Workspace, api: Server) -> None:
    owned = _walk(api, owner="ANA RUIZ")
    assert owned and {lead["owner"] for lead in owned} == {"Ana Ruiz"}
    assert _walk(api, owner="nobody here") == []
