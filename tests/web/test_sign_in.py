"""Signing in and out over plain HTTP: cookies, CSRF, slow-down, expiry, disabled users."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import select, update

from leadrank.auth.sign_in_limits import FREE_FAILURES, attempt_keys
from leadrank.auth.users import disable_user, set_password
from leadrank.db.engine import session_scope
from leadrank.orm.auth import WebSession
from tests.conftest import Workspace
from tests.server import Server
from tests.web.conftest import EMAILS, PASSWORD, Site, csrf_of, sign_in


def test_pages_send_a_browser_without_a_session_to_sign_in(site: Site) -> None:
    with site.client() as client:
        answer = client.get("/leads?grade=A")
        assert answer.status_code == 303
        assert answer.headers["location"] == "/login?next=%2Fleads%3Fgrade%3DA"
        assert client.get("/").headers["location"] == "/leads"
        form = client.get("/login")
        assert form.status_code == 200
        assert 'name="email"' in form.text and 'name="password"' in form.text


def test_a_good_sign_in_sets_a_safe_cookie_and_opens_the_page_asked_for(
    site: Site, workspace: Workspace
) -> None:
    with site.client() as client:
        form = client.get("/login?next=/leads%3Fgrade%3DB")
        answer = client.post(
            "/login",
            data={
                "email": EMAILS["writer"].upper(),
                "password": PASSWORD,
                "csrf_token": csrf_of(form.text),
                "next": "/leads?grade=B",
            },
        )
        assert answer.status_code == 303
        assert answer.headers["location"] == "/leads?grade=B"
        cookie = next(
            c for c in answer.headers.get_list("set-cookie") if c.startswith("leadrank_session=")
        )
        assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/" in cookie
        assert "Secure" not in cookie  # plain HTTP on this machine; set behind HTTPS
        token = cookie.split(";")[0].split("=", 1)[1]
        page = client.get("/leads")
        assert page.status_code == 200
        assert "writer@example.com" in page.text
        headers = page.headers
        assert "script-src 'self'" in headers["content-security-policy"]
        assert "unsafe-inline" not in headers["content-security-policy"]
        assert headers["cache-control"] == "no-store"
    with session_scope(workspace.engine) as session:
        stored = session.scalars(select(WebSession.token_hash)).all()
    assert stored and token not in stored  # only its hash is kept


def test_another_site_cannot_send_the_forms(site: Site) -> None:
    with site.client() as client:
        refused = client.post(
            "/login", data={"email": EMAILS["admin"], "password": PASSWORD, "csrf_token": "x"}
        )
        assert refused.status_code == 403
        assert "leadrank_session" not in refused.headers.get("set-cookie", "")
    with site.client("admin") as client:
        # Signed in, a change without the session's token is refused, and nothing changes.
        assert client.post("/logout").status_code == 403
        assert client.post("/logout", data={"csrf_token": "wrong"}).status_code == 403
        assert client.get("/leads").status_code == 200
        token = csrf_of(client.get("/leads").text)
        assert client.post("/logout", data={"csrf_token": token}).status_code == 303
        assert client.get("/leads").status_code == 303  # signed out: back to the form


def test_a_wrong_password_says_no_without_saying_which_part(site: Site) -> None:
    with site.client() as client:
        wrong_password = sign_in(client, EMAILS["admin"], "not the password at all")
        unknown_user = sign_in(client, "nobody@example.com")
    assert wrong_password.status_code == unknown_user.status_code == 401
    assert "do not match" in wrong_password.text
    assert wrong_password.text.count("do not match") == unknown_user.text.count("do not match")
    assert "leadrank_session" not in wrong_password.headers.get("set-cookie", "")


def test_repeated_failures_slow_the_next_attempt_down(site: Site) -> None:
    with site.client() as client:
        for _ in range(FREE_FAILURES):
            assert sign_in(client, EMAILS["reader"], "guess guess guess").status_code == 401
        slowed = sign_in(client, EMAILS["reader"])  # even the right password must wait
        assert slowed.status_code == 429
        assert int(slowed.headers["retry-after"]) >= 1
        assert "try again in" in slowed.text
    # Another email from the same address is slowed too: guessing across accounts costs alike.
    with site.client() as client:
        assert sign_in(client, EMAILS["writer"]).status_code == 429


def test_sessions_end_when_they_expire_or_their_user_is_disabled(
    site: Site, workspace: Workspace
) -> None:
    with site.client("reader") as client:
        assert client.get("/leads").status_code == 200
        with session_scope(workspace.engine) as session:
            session.execute(
                update(WebSession).values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
            )
        assert client.get("/leads").status_code == 303
    with site.client("writer") as client:
        assert client.get("/leads").status_code == 200
        with session_scope(workspace.engine) as session:
            disable_user(session, email=EMAILS["writer"], now=datetime.now(UTC))
        assert client.get("/leads").status_code == 303
        assert sign_in(client, EMAILS["writer"]).status_code == 401


def test_a_session_cookie_from_nowhere_signs_no_one_in(site: Site) -> None:
    with httpx.Client(base_url=site.url, cookies={"leadrank_session": "made-up"}) as client:
        assert client.get("/leads").status_code == 303


def test_the_assets_come_from_leadrank_itself(site: Site) -> None:
    with site.client() as client:
        htmx = client.get("/static/htmx.min.js")
        assert htmx.status_code == 200 and "htmx" in htmx.text[:2000]
        assert htmx.headers["content-type"].startswith("text/javascript")
        css = client.get("/static/app.css")
        assert css.status_code == 200 and ".grade-a" in css.text
        again = client.get("/static/app.css", headers={"If-None-Match": css.headers["etag"]})
        assert again.status_code == 304
        assert client.get("/static/../../etc/passwd").status_code == 404
        assert client.get("/static/other.js").status_code == 404


def test_cookies_are_secure_when_configured_or_over_https(
    start_server: Callable[..., Server], users: dict[str, str]
) -> None:
    server = start_server(web_secure_cookies=True)
    with httpx.Client(base_url=server.url) as client:
        form = client.get("/login")
        signin_cookie = form.headers["set-cookie"]
        assert "Secure" in signin_cookie and "HttpOnly" in signin_cookie
        # A browser sends Secure cookies over HTTPS only; this test is the proxy's HTTPS.
        value = signin_cookie.split(";")[0]
        answer = client.post(
            "/login",
            data={
                "email": EMAILS["reader"],
                "password": PASSWORD,
                "csrf_token": csrf_of(form.text),
            },
            headers={"Cookie": value},
        )
    assert answer.status_code == 303
    cookie = next(
        c for c in answer.headers.get_list("set-cookie") if c.startswith("leadrank_session=")
    )
    assert "Secure" in cookie and "HttpOnly" in cookie


def test_trusted_proxies_are_named_in_the_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    from leadrank.api.workers import _config
    from leadrank.config import get_settings

    assert _config("leadrank.app:create_app").proxy_headers is False
    monkeypatch.setenv("LEADRANK_API_FORWARDED_ALLOW_IPS", '["10.0.0.7"]')
    get_settings.cache_clear()
    behind = _config("leadrank.app:create_app")
    assert behind.proxy_headers is True
    assert behind.forwarded_allow_ips == "10.0.0.7"


def test_signing_in_again_or_a_new_password_ends_the_old_sessions(
    site: Site, workspace: Workspace
) -> None:
    with site.client("writer") as client:
        first = client.cookies["leadrank_session"]
        assert sign_in(client, EMAILS["writer"]).status_code == 303
        second = client.cookies["leadrank_session"]
        assert first != second
        assert client.get("/leads").status_code == 200
    with httpx.Client(base_url=site.url, cookies={"leadrank_session": first}) as old:
        assert old.get("/leads").status_code == 303  # the earlier session ended
    with httpx.Client(base_url=site.url, cookies={"leadrank_session": second}) as current:
        assert current.get("/leads").status_code == 200
        with session_scope(workspace.engine) as session:
            set_password(
                session,
                email=EMAILS["writer"],
                password="a brand new passphrase",
                now=datetime.now(UTC),
            )
        assert current.get("/leads").status_code == 303


def test_a_busy_session_stays_signed_in(site: Site, workspace: Workspace) -> None:
    with site.client("reader") as client:
        with session_scope(workspace.engine) as session:
            earlier = datetime.now(UTC) - timedelta(minutes=5)
            session.execute(update(WebSession).values(last_seen_at=earlier))
            before = session.scalar(select(WebSession.expires_at))
        assert client.get("/leads").status_code == 200  # a page that only reads
        with session_scope(workspace.engine) as session:
            seen, expires = session.execute(
                select(WebSession.last_seen_at, WebSession.expires_at)
            ).one()
        assert seen > earlier and before is not None and expires >= before


def test_another_spelling_of_the_email_counts_as_the_same() -> None:
    assert attempt_keys(email="Ann@ＡＣＭＥ.com", client=None) == attempt_keys(
        email="ann@acme.com", client=None
    )
    assert attempt_keys(email="not an email", client="10.1.1.1") == [
        "email:not an email",
        "ip:10.1.1.1",
    ]
