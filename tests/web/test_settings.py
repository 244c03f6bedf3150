"""`/settings/keys` and `/settings/users` over plain HTTP: an admin's pages (anyone else gets a
403 and changes nothing), every change needs the form token, a new key is shown once and works
against the API, a made-up password is shown once and signs in, and disabling a user ends
their sessions (but never the admin's own)."""

from __future__ import annotations

import re
from collections.abc import Callable

import httpx
import pytest
from sqlalchemy import func, select

from leadrank.db.engine import session_scope
from leadrank.orm.auth import ApiKey, User
from tests.conftest import Workspace
from tests.server import Server
from tests.web.conftest import EMAILS, Site, csrf_of, sign_in

PAGES = ("/settings/keys", "/settings/users")


def _counts(workspace: Workspace) -> tuple[int, int, int]:
    """Keys, users, and users disabled."""
    with session_scope(workspace.engine) as session:
        return (
            session.scalar(select(func.count()).select_from(ApiKey)) or 0,
            session.scalar(select(func.count()).select_from(User)) or 0,
            session.scalar(select(func.count()).where(User.disabled_at.is_not(None))) or 0,
        )


def _user_id(workspace: Workspace, email: str) -> int:
    with session_scope(workspace.engine) as session:
        found = session.scalar(select(User.id).where(User.email == email))
        assert found is not None
        return found


def _new_key(html: str) -> str:
    found = re.search(r"<pre[^>]*data-new-key[^>]*>(lr_[^<]+)</pre>", html)
    assert found, "the page shows no new key"
    return found.group(1)


def test_the_settings_need_a_sign_in(site: Site) -> None:
    with site.client() as client:
        for path in PAGES:
            answer = client.get(path)
            assert answer.status_code == 303 and answer.headers["location"].startswith("/login")
        assert client.post("/settings/keys", data={"role": "admin"}).status_code in (401, 403)


@pytest.mark.parametrize("role", ["writer", "reader"])
def test_only_an_admin_reaches_the_settings(site: Site, workspace: Workspace, role: str) -> None:
    before = _counts(workspace)
    writer_id = _user_id(workspace, EMAILS["writer"])
    with site.client(role) as client:
        for path in PAGES:
            answer = client.get(path)
            assert answer.status_code == 403, path
            assert 'class="sidebar"' in answer.text and EMAILS[role] in answer.text  # the frame
            assert "needs admin" in answer.text
        token = csrf_of(client.get("/leads").text)
        changes = [
            ("/settings/keys", {"name": "mine", "role": "admin", "requests_per_minute": "60"}),
            ("/settings/users", {"email": "new@example.com", "role": "admin", "generate": "1"}),
            (f"/settings/users/{writer_id}/disable", {}),
        ]
        for path, form in changes:
            assert client.post(path, data={**form, "csrf_token": token}).status_code == 403, path
    with site.client("admin") as client:
        made = client.post(
            "/settings/keys",
            data={"name": "x", "role": "reader", "csrf_token": csrf_of(client.get(PAGES[0]).text)},
        )
        prefix = re.search(r'id="key-([0-9a-f]+)"', made.text)
        assert prefix
    with site.client(role) as client:
        token = csrf_of(client.get("/leads").text)
        revoke = client.post(f"/settings/keys/{prefix.group(1)}/revoke", data={"csrf_token": token})
        assert revoke.status_code == 403
    keys, users, disabled = _counts(workspace)
    assert (keys, users, disabled) == (before[0] + 1, before[1], before[2])  # the admin's key only
    with session_scope(workspace.engine) as session:
        assert session.scalar(select(ApiKey.revoked_at)) is None


def test_every_change_needs_the_form_token(site: Site, workspace: Workspace) -> None:
    before = _counts(workspace)
    writer_id = _user_id(workspace, EMAILS["writer"])
    with site.client("admin") as client:
        for path, form in (
            ("/settings/keys", {"name": "k", "role": "scorer", "requests_per_minute": "60"}),
            ("/settings/users", {"email": "new@example.com", "role": "reader", "generate": "1"}),
            (f"/settings/users/{writer_id}/disable", {}),
        ):
            for token in (None, "forged"):
                data = form if token is None else {**form, "csrf_token": token}
                answer = client.post(path, data=data)
                assert answer.status_code == 403, path
                assert "did not come from leadrank" in answer.text
    assert _counts(workspace) == before


def test_a_new_key_shows_once_works_against_the_api_and_is_revoked(
    workspace: Workspace, users: dict[str, str], start_server: Callable[..., Server]
) -> None:
    site = Site(start_server(api_auth=True))
    with site.client("admin") as client:
        page = client.get("/settings/keys")
        assert page.status_code == 200 and "No API keys yet" in page.text
        assert "requires a key on every API request" in page.text  # this server asks for keys
        token = csrf_of(page.text)
        refused = client.post(
            "/settings/keys", data={"name": "x", "role": "root", "csrf_token": token}
        )
        assert (
            refused.status_code == 400
            and "not one of admin, writer, reader, scorer" in refused.text
        )
        made = client.post(
            "/settings/keys",
            data={
                "name": "dashboard <b>",
                "role": "reader",
                "requests_per_minute": "120",
                "csrf_token": token,
            },
        )
        assert made.status_code == 201
        assert made.headers["cache-control"] == "no-store"
        key = _new_key(made.text)
        assert key not in made.headers.get("location", "") and "dashboard &lt;b&gt;" in made.text
        prefix = key.split("_")[1]
        listed = client.get("/settings/keys")
        assert key not in listed.text and key.split("_")[2] not in listed.text  # never again
        assert f'id="key-{prefix}"' in listed.text and "120" in listed.text
        with httpx.Client(base_url=site.url) as api:
            assert api.get("/api/v1/leads").status_code == 401
            answer = api.get("/api/v1/leads", headers={"Authorization": f"Bearer {key}"})
            assert answer.status_code == 200, answer.text
            writing = api.post(
                "/api/v1/enrichment/jobs", json={}, headers={"Authorization": f"Bearer {key}"}
            )
            assert writing.status_code == 403  # a reader key
        revoked = client.post(f"/settings/keys/{prefix}/revoke", data={"csrf_token": token})
        assert revoked.status_code == 303
        assert revoked.headers["location"] == f"/settings/keys?revoked={prefix}"
        shown = client.get(revoked.headers["location"])
        assert (
            "is revoked" in shown.text and "revoked " in shown.text.split(f'id="key-{prefix}"')[1]
        )
        assert f"/settings/keys/{prefix}/revoke" not in shown.text  # nothing left to revoke
    # A server starting now (no key remembered) refuses the revoked key.
    fresh = start_server(api_auth=True)
    answer = fresh.client.get("/api/v1/leads", headers={"Authorization": f"Bearer {key}"})
    assert answer.status_code == 401


def test_users_are_made_with_a_password_or_a_made_up_one_and_disabled(
    site: Site, workspace: Workspace
) -> None:
    with site.client("writer") as writer:
        assert writer.get("/leads").status_code == 200
        with site.client("admin") as admin:
            page = admin.get("/settings/users")
            assert page.status_code == 200
            for email in EMAILS.values():
                assert email in page.text
            token = csrf_of(page.text)
            short = admin.post(
                "/settings/users",
                data={
                    "email": "ann@example.com",
                    "role": "writer",
                    "password": "short",
                    "csrf_token": token,
                },
            )
            assert short.status_code == 400 and "at least 12 characters" in short.text
            assert 'value="ann@example.com"' in short.text  # the form as it was sent
            made = admin.post(
                "/settings/users",
                data={
                    "email": "Ann@Example.com",
                    "role": "writer",
                    "password": "a long enough password",
                    "csrf_token": token,
                },
            )
            assert made.status_code == 303
            ann = _user_id(workspace, "ann@example.com")
            assert made.headers["location"] == f"/settings/users?created={ann}"
            assert "ann@example.com can sign in now" in admin.get(made.headers["location"]).text
            taken = admin.post(
                "/settings/users",
                data={
                    "email": "ann@example.com",
                    "role": "reader",
                    "generate": "1",
                    "csrf_token": token,
                },
            )
            assert taken.status_code == 409 and "already" in taken.text
            generated = admin.post(
                "/settings/users",
                data={
                    "email": "bo@example.com",
                    "role": "reader",
                    "generate": "1",
                    "csrf_token": token,
                },
            )
            assert generated.status_code == 201 and generated.headers["cache-control"] == "no-store"
            password = re.search(r"<pre[^>]*data-new-password[^>]*>([^<]+)</pre>", generated.text)
            assert password and len(password.group(1)) >= 12
            assert password.group(1) not in admin.get("/settings/users").text
            with httpx.Client(base_url=site.url) as bo:
                assert sign_in(bo, "bo@example.com", password.group(1)).status_code == 303
            no_password = admin.post(  # none given: one is made up too
                "/settings/users",
                data={"email": "cy@example.com", "role": "reader", "csrf_token": token},
            )
            assert no_password.status_code == 201 and "data-new-password" in no_password.text

            # Disabling ends the writer's session at once; an admin cannot disable themselves.
            writer_id = _user_id(workspace, EMAILS["writer"])
            gone = admin.post(f"/settings/users/{writer_id}/disable", data={"csrf_token": token})
            assert gone.status_code == 303
            assert "can no longer sign in" in admin.get(gone.headers["location"]).text
            admin_id = _user_id(workspace, EMAILS["admin"])
            myself = admin.post(f"/settings/users/{admin_id}/disable", data={"csrf_token": token})
            assert myself.status_code == 400 and "cannot disable yourself" in myself.text
            assert admin.get("/settings/users").status_code == 200  # still signed in
            missing = admin.post("/settings/users/999999/disable", data={"csrf_token": token})
            assert missing.status_code == 404
        assert writer.get("/leads").status_code == 303  # signed out
    assert _counts(workspace)[1:] == (6, 1)  # three made here; the writer disabled
