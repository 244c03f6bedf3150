"""Failed sign-ins slow the next attempt down, doubling, and are forgotten after a quiet hour."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from leadrank.auth.sign_in_limits import (
    FIRST_WAIT_SECONDS,
    FREE_FAILURES,
    LONGEST_WAIT_SECONDS,
    attempt_keys,
    clear_failures,
    record_failure,
    seconds_to_wait,
)
from leadrank.db.engine import session_scope
from tests.conftest import Workspace

START = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)


def test_waits_double_after_the_free_failures(workspace: Workspace) -> None:
    keys = attempt_keys(email="Ann@Example.com", client="10.0.0.1")
    assert keys == ["email:ann@example.com", "ip:10.0.0.1"]
    with session_scope(workspace.engine) as session:
        for _ in range(FREE_FAILURES - 1):
            record_failure(session, keys=keys, now=START)
            assert seconds_to_wait(session, keys=keys, now=START) == 0
        record_failure(session, keys=keys, now=START)
        assert seconds_to_wait(session, keys=keys, now=START) == FIRST_WAIT_SECONDS
        record_failure(session, keys=keys, now=START)
        assert seconds_to_wait(session, keys=keys, now=START) == 2 * FIRST_WAIT_SECONDS
        later = START + timedelta(seconds=1)
        assert seconds_to_wait(session, keys=keys, now=later) == 2 * FIRST_WAIT_SECONDS - 1
        for _ in range(40):
            record_failure(session, keys=keys, now=START)
        assert seconds_to_wait(session, keys=keys, now=START) == LONGEST_WAIT_SECONDS
        # Another email from the same address waits as long: the address counts too.
        other = attempt_keys(email="bob@example.com", client="10.0.0.1")
        assert seconds_to_wait(session, keys=other, now=START) == LONGEST_WAIT_SECONDS
        # A good sign-in clears the email's count, not the address's.
        clear_failures(session, keys=keys[:1])
        assert seconds_to_wait(session, keys=keys[:1], now=START) == 0
        assert seconds_to_wait(session, keys=keys, now=START) == LONGEST_WAIT_SECONDS


def test_a_quiet_hour_forgets_the_failures(workspace: Workspace) -> None:
    keys = attempt_keys(email="ann@example.com", client=None)
    with session_scope(workspace.engine) as session:
        for _ in range(FREE_FAILURES + 3):
            record_failure(session, keys=keys, now=START)
        quiet = START + timedelta(hours=1, seconds=1)
        assert seconds_to_wait(session, keys=keys, now=quiet) == 0
        record_failure(session, keys=keys, now=quiet)  # counting starts again at one
        assert seconds_to_wait(session, keys=keys, now=quiet) == 0
