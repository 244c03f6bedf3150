"""Slowing down guessed passwords: after a few failed sign-ins in a row for one email, or from
one client address, each further attempt must wait, twice as long after each failure.

Counted in the database, so every process and machine of the server sees the same count; a
good sign-in clears the email's count. A count an hour quiet starts again.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from leadrank.orm.auth import SignInFailures

FREE_FAILURES = 5  # a person mistyping a few times is not slowed down
FIRST_WAIT_SECONDS = 2.0
LONGEST_WAIT_SECONDS = 15 * 60.0
FORGOTTEN_AFTER = timedelta(hours=1)


def attempt_keys(*, email: str, client: str | None) -> list[str]:
    """What failures are counted under: the email, and the client's address when known."""
    keys = [f"email:{email.strip().lower()[:320]}"]
    if client:
        keys.append(f"ip:{client[:64]}")
    return keys


def seconds_to_wait(session: Session, *, keys: list[str], now: datetime) -> float:
    """How long until a sign-in under `keys` may be tried again (0: now)."""
    rows = session.scalars(select(SignInFailures).where(SignInFailures.key.in_(keys))).all()
    wait = 0.0
    for row in rows:
        if row.failures < FREE_FAILURES or now - row.last_failed_at > FORGOTTEN_AFTER:
            continue
        pause = min(FIRST_WAIT_SECONDS * 2 ** (row.failures - FREE_FAILURES), LONGEST_WAIT_SECONDS)
        wait = max(wait, pause - (now - row.last_failed_at).total_seconds())
    return max(wait, 0.0)


def record_failure(session: Session, *, keys: list[str], now: datetime) -> None:
    """Count one more failed sign-in under each key."""
    rows = {
        row.key: row
        for row in session.scalars(select(SignInFailures).where(SignInFailures.key.in_(keys)))
    }
    for key in keys:
        row = rows.get(key)
        if row is None:
            session.add(SignInFailures(key=key, failures=1, last_failed_at=now))
            continue
        quiet = now - row.last_failed_at > FORGOTTEN_AFTER
        row.failures = 1 if quiet else row.failures + 1
        row.last_failed_at = now
    session.flush()


def clear_failures(session: Session, *, keys: list[str]) -> None:
    """Forget the failures under `keys` (after a good sign-in)."""
    session.execute(delete(SignInFailures).where(SignInFailures.key.in_(keys)))
