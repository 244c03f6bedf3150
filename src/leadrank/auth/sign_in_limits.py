"""Slowing down guessed passwords: after a few failed sign-ins in a row for one email, or from
one client address, each further attempt must wait, twice as long after each failure.

Counted in the database, so every process and machine of the server sees the same count; a
good sign-in clears the email's count. A count an hour quiet starts again.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import case, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from leadrank.auth.users import user_email
from leadrank.errors import BadInput
from leadrank.orm.auth import SignInFailures

FREE_FAILURES = 5  # a person mistyping a few times is not slowed down
FIRST_WAIT_SECONDS = 2.0
LONGEST_WAIT_SECONDS = 15 * 60.0
FORGOTTEN_AFTER = timedelta(hours=1)


def attempt_keys(*, email: str, client: str | None) -> list[str]:
    """What failures are counted under: the email as accounts are found by it (so another
    spelling of the same address counts alike), and the client's address when known."""
    try:
        address = user_email(email)
    except BadInput:
        address = email.strip().lower()
    keys = [f"email:{address[:320]}"]
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
    """Count one more failed sign-in under each key, in one statement per key, so attempts
    at the same moment in several processes all count."""
    table = SignInFailures.__table__
    quiet = table.c.last_failed_at < now - FORGOTTEN_AFTER
    insert = _insert_of(session)
    for key in keys:
        statement = insert(table).values(key=key, failures=1, last_failed_at=now)
        session.execute(
            statement.on_conflict_do_update(
                index_elements=[table.c["key"]],
                set_={
                    "failures": case((quiet, 1), else_=table.c.failures + 1),
                    "last_failed_at": now,
                },
            )
        )


def _insert_of(session: Session) -> Any:
    """The INSERT of the session's database that knows ON CONFLICT."""
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert
    return sqlite.insert


def clear_failures(session: Session, *, keys: list[str]) -> None:
    """Forget the failures under `keys` (after a good sign-in)."""
    session.execute(delete(SignInFailures).where(SignInFailures.key.in_(keys)))
