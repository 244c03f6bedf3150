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

# Page tests run on PostgreSQL too where the queries behind the page are tested nowhere else
# (sessions, sign-in limits, the worklist, saved searches, every page's guard, a lead's page,
# accounts, the review queue); the other pages show what domain services give, and those
# services' own tests run on both databases. Keeps the suite's time in bounds.
POSTGRES_PAGE_TESTS = {
    "test_sign_in.py",
    "test_worklist.py",
    "test_every_page.py",
    "test_lead_detail.py",
    "test_accounts.py",
    "test_duplicates.py",
}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Leave out the PostgreSQL runs of page tests that add nothing on PostgreSQL."""
    kept, left = [], []
    here = Path(__file__).parent
    for item in items:
        path = Path(str(item.path))
        on_postgres = "[postgresql" in item.nodeid
        if on_postgres and path.parent == here and path.name not in POSTGRES_PAGE_TESTS:
            left.append(item)
        else:
            kept.append(item)
    if left:
        config.hook.pytest_deselected(items=left)
        items[:] = kept


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


def load_scored(workspace: Workspace, path: Path, *, source: str) -> Workspace:
    """Ingest the lead file at `path` into the workspace and score it whole."""
    from leadrank.ingest.service import ingest_file
    from leadrank.scoring.score_run import score_workspace

    with session_scope(workspace.engine) as session:
        ingest_file(session, path=path, source=source)
    with session_scope(workspace.engine) as session:
        score_workspace(session)
    return workspace


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
            if message.type == "error" and not _expected_noise(message.text)
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


# What a page logs that is no fault of it: an answer of 4xx the test asked for, and a polling
# request the browser dropped because the test moved on to another page.
_NOISE = ("status of 4", "htmx:sendAbort", "htmx:afterRequest")


def _expected_noise(text: str) -> bool:
    return any(noise in text for noise in _NOISE)


def browser_sign_in(page: object, site: Site, role: str = "admin") -> None:
    """Sign the browser tab in as the user of `role`, through the sign-in form."""
    from playwright.sync_api import Page

    assert isinstance(page, Page)
    page.goto(f"{site.url}/login")
    page.fill("input[name=email]", EMAILS[role])
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r".*/leads.*"))
