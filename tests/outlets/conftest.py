"""A fake receiver on 127.0.0.1, settings that let leadrank send to it, and a clock the
sender reads so retries need not be waited for."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from leadrank.config import Settings, get_settings
from leadrank.db.engine import session_scope
from leadrank.outlets.alert_sending import send_alerts
from leadrank.outlets.fake_receiver import FakeReceiver, serve_receiver
from leadrank.outlets.sender import SendReport, send_due
from tests.conftest import Workspace

SCHEDULE = [60.0, 300.0, 1800.0]  # seconds between attempts; dead after the fourth


@dataclass
class Clock:
    """A moment that moves only when told."""

    now: datetime

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def receiver() -> FakeReceiver:
    return FakeReceiver()


@pytest.fixture
def receiver_url(receiver: FakeReceiver) -> Iterator[str]:
    with serve_receiver(receiver) as url:
        yield url


@pytest.fixture
def settings(workspace: Workspace) -> Settings:
    """The workspace's settings, allowed to send to 127.0.0.1, with a short retry schedule."""
    return get_settings().model_copy(
        update={"webhook_allow_private_urls": True, "webhook_retry_schedule": SCHEDULE}
    )


@pytest.fixture
def clock() -> Clock:
    """Starts a minute ahead, so what a test writes is due at once by it."""
    return Clock(datetime.now(UTC) + timedelta(minutes=1))


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=5.0) as client:
        yield client


@dataclass
class Outlet:
    """What an outlets test works with: a workspace, settings that may send to the receiver,
    the receiver, an HTTP client and the sender's clock."""

    workspace: Workspace
    settings: Settings
    receiver: FakeReceiver
    url: str
    http: httpx.Client
    clock: Clock
    folder: Path

    def send(self) -> SendReport:
        """Attempt what is due by the clock."""
        return send_due(self.workspace.engine, self.settings, self.http, clock=self.clock)

    def tell(self, now: datetime | None = None) -> int:
        """Compose the alerts owed at `now` (default: now) and send them; the messages made."""
        with session_scope(self.workspace.engine) as session:
            report = send_alerts(session, self.settings, now=now)
        if now is not None:  # what was queued at `now` is due by the sender's clock
            self.clock.now = max(self.clock.now, now)
        self.send()
        return report.messages


@pytest.fixture
def outlet(
    workspace: Workspace,
    settings: Settings,
    receiver: FakeReceiver,
    receiver_url: str,
    http: httpx.Client,
    clock: Clock,
    tmp_path: Path,
) -> Outlet:
    return Outlet(workspace, settings, receiver, receiver_url, http, clock, tmp_path)
