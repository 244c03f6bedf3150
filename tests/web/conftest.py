"""The web app under test: a real server on 127.0.0.1 over the test's workspace, users of each
role, a client signed in as one of them, and (where the machine has Chromium) a real browser
driven by Playwright, which saves a screenshot of each test's last page."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from leadrank.auth.users import create_user
from leadrank.db.engine import session_scope
from tests.conftest import Workspace
from tests.server import Server

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-output" / "screenshots"
PASSWORD = "correct horse battery staple"
EMAILS = {role: f"{role}@example.com" for role in ("admin", "writer", "reader")}


@pytest.fixture
def users(workspace: Workspace) -> dict[str, str]:
    """One user of each role, all with PASSWORD; their emails by role."""
    with session_scope(workspace.engine) as session:
        for role, email in EMAILS.items():
            create_user(session, email=email, password=PASSWORD, role=role, now=datetime.now(UTC))
    return dict(EMAILS)


def csrf_of(html: str) -> str:
    """The CSRF token a page's forms carry."""
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "the page has no form token"
    return found.group(1)


def sign_in(client: httpx.Client, email: str, password: str = PASSWORD) -> httpx.Response:
    """Sign `client` in through the form, as a browser does; the answer to the POST."""
    form = client.get("/login")
    return client.post(
        "/login",
        data={"email": email, "password": password, "csrf_token": csrf_of(form.text)},
    )


@dataclass
class Site:
    """A running server, and a way to get a client signed in as a role."""

    server: Server

    @property
    def url(self) -> str:
        return self.server.url

    @contextmanager
    def client(self, role: str | None = None) -> Iterator[httpx.Client]:
        """A new client (its own cookies), signed in as the user of `role` when given."""
        with httpx.Client(base_url=self.url, timeout=30) as client:
            if role is not None:
                answer = sign_in(client, EMAILS[role])
                assert answer.status_code == 303, answer.text
            yield client


@pytest.fixture
def site(start_server: Callable[..., Server], users: dict[str, str]) -> Iterator[Site]:
    """The web app on a real server over the test's workspace, with its users."""
    yield Site(start_server())


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """The machine's Chromium, headless, driven by Playwright."""
    if not CHROMIUM.exists() and shutil.which("chromium") is None:
        pytest.skip("browser tests need Chromium at /usr/bin/chromium (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM if CHROMIUM.exists() else shutil.which("chromium")),
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield launched
        launched.close()


@pytest.fixture
def page(browser: object, request: pytest.FixtureRequest) -> Iterator[object]:
    """A fresh browser tab at 1280 px; its last page is saved as a screenshot, and any
    script error or CSP refusal on the page fails the test."""
    from playwright.sync_api import Browser

    assert isinstance(browser, Browser)
    context = browser.new_context(viewport={"width": 1280, "height": 860}, accept_downloads=True)
    tab = context.new_page()
    tab.set_default_timeout(15_000)
    problems: list[str] = []
    tab.on("pageerror", lambda error: problems.append(f"script error: {error}"))
    tab.on(
        "console",
        lambda message: (
            problems.append(f"console {message.type}: {message.text}")
            if message.type == "error" and "status of 4" not in message.text
            else None
        ),
    )
    yield tab
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)
    try:
        tab.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
    finally:
        context.close()
    assert not problems, problems


def browser_sign_in(page: object, site: Site, role: str = "admin") -> None:
    """Sign the browser tab in as the user of `role`, through the sign-in form."""
    from playwright.sync_api import Page

    assert isinstance(page, Page)
    page.goto(f"{site.url}/login")
    page.fill("input[name=email]", EMAILS[role])
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r".*/leads.*"))
