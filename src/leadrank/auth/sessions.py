"""Web app sessions: a signed-in browser holds a random token in a cookie; only its SHA-256 is
stored, beside the token every form of that session must carry (CSRF).

A session ends at sign-out, after `idle` without a request, `longest` after sign-in however
busy, or as soon as its user is disabled. Seen sessions are touched at most once a minute, so
reading pages does not write to the database on every request.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from leadrank.auth.keys import Principal
from leadrank.orm.auth import User, WebSession

TOUCH_EVERY = timedelta(minutes=1)


@dataclass(frozen=True)
class SessionLife:
    """How long a session lasts: `idle` without a request, `longest` in all."""

    idle: timedelta
    longest: timedelta


@dataclass(frozen=True)
class SignedIn:
    """The user behind a request's session, and the token its forms must carry."""

    user_id: int
    email: str
    role: str
    csrf_token: str
    session_id: int
    touch_due: bool = False  # unseen for TOUCH_EVERY: its idle time should start again

    @property
    def principal(self) -> Principal:
        """The user as the permission check sees callers (API keys are principals too)."""
        return Principal(f"user:{self.user_id}", self.role, 0)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(session: Session, *, user: User, now: datetime, life: SessionLife) -> str:
    """A new session for `user`; returns the token for the cookie (seen only here)."""
    token = secrets.token_urlsafe(32)
    session.add(
        WebSession(
            token_hash=_digest(token),
            csrf_token=secrets.token_urlsafe(32),
            user_id=user.id,
            created_at=now,
            last_seen_at=now,
            expires_at=now + min(life.idle, life.longest),
        )
    )
    # Sessions long over are forgotten here rather than by a schedule: sign-ins are rare.
    session.execute(delete(WebSession).where(WebSession.expires_at < now - timedelta(days=1)))
    session.flush()
    return token


def find_session(
    session: Session, *, token: str, now: datetime, life: SessionLife
) -> SignedIn | None:
    """Who `token` signs in, if its session is live and its user enabled. Reads only:
    `touch_due` says when `touch_session` should start its idle time again."""
    found = session.execute(
        select(WebSession, User)
        .join(User, User.id == WebSession.user_id)
        .where(WebSession.token_hash == _digest(token))
    ).first()
    if found is None:
        return None
    record, user = found
    if record.ended_at is not None or record.expires_at <= now or user.disabled_at is not None:
        return None
    due = now - record.last_seen_at >= TOUCH_EVERY
    return SignedIn(user.id, user.email, user.role, record.csrf_token, record.id, due)


def touch_session(session: Session, *, session_id: int, now: datetime, life: SessionLife) -> None:
    """Start a session's idle time again (never past its longest life)."""
    record = session.get(WebSession, session_id)
    if record is None or record.ended_at is not None:
        return
    record.last_seen_at = now
    record.expires_at = min(now + life.idle, record.created_at + life.longest)
    session.flush()


def end_session(session: Session, *, token: str, now: datetime) -> None:
    """Sign the browser holding `token` out (nothing happens for an unknown token)."""
    session.execute(
        update(WebSession)
        .where(WebSession.token_hash == _digest(token), WebSession.ended_at.is_(None))
        .values(ended_at=now)
    )


def end_sessions_of(session: Session, *, user_id: int, now: datetime) -> None:
    """End every session of a user (disabled, or signed out everywhere)."""
    session.execute(
        update(WebSession)
        .where(WebSession.user_id == user_id, WebSession.ended_at.is_(None))
        .values(ended_at=now)
    )
