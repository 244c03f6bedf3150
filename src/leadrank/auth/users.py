"""People who sign in to the web app: creating, listing and disabling them, setting and
checking a password.

Passwords are kept only as Argon2id hashes (argon2-cffi's defaults, which follow RFC 9106); a
hash made with older parameters is replaced at the next good sign-in. Users have the roles API
keys have, but for the one kept for scoring machines: admin, writer, reader.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Literal

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from email_validator import EmailNotValidError, validate_email
from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from leadrank.auth.sessions import end_sessions_of
from leadrank.errors import BadInput, Conflict, NotFound
from leadrank.orm.auth import User

UserRole = Literal["admin", "writer", "reader"]
USER_ROLES: tuple[UserRole, ...] = ("admin", "writer", "reader")
SHORTEST_PASSWORD = 12
LONGEST_PASSWORD = 1_024  # hashing is slow on purpose; a megabyte "password" should not be

_hasher = PasswordHasher()
# Checked against when the email is unknown, so a sign-in takes as long either way.
_STAND_IN = _hasher.hash("a password no user has, for timing only")


def user_email(text: str) -> str:
    """The email as a user is known by: checked, and in lower case."""
    try:
        found = validate_email(text.strip(), check_deliverability=False)
    except EmailNotValidError as error:
        raise BadInput(f"{text!r} is not an email address: {error}") from None
    return found.normalized.lower()


def _checked_password(password: str) -> str:
    if len(password) < SHORTEST_PASSWORD:
        raise BadInput(f"a password needs at least {SHORTEST_PASSWORD} characters")
    if len(password) > LONGEST_PASSWORD:
        raise BadInput(f"a password may have at most {LONGEST_PASSWORD:,} characters")
    return password


def create_user(session: Session, *, email: str, password: str, role: str, now: datetime) -> User:
    """A new user; the email must be free and the password long enough."""
    if role not in USER_ROLES:
        raise BadInput(f"unknown role {role!r}; use {', '.join(USER_ROLES)}")
    address = user_email(email)
    if session.scalar(select(User.id).where(User.email == address)) is not None:
        raise Conflict(f"there is a user {address} already")
    user = User(
        email=address,
        password_hash=_hasher.hash(_checked_password(password)),
        role=role,
        created_at=now,
    )
    session.add(user)
    session.flush()
    return user


def anyone_can_sign_in(session: Session) -> bool:
    """Whether at least one user is enabled (else the sign-in page says how to make one)."""
    return bool(session.scalar(select(exists().where(User.disabled_at.is_(None)))))


def list_users(session: Session) -> list[User]:
    """Every user, oldest first."""
    return list(session.scalars(select(User).order_by(User.id)).all())


def get_user(session: Session, user_id: int) -> User:
    """One user by id, or NotFound."""
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"no user {user_id}")
    return user


def disable_user(
    session: Session, *, email: str, now: datetime, by_user_id: int | None = None
) -> User:
    """Stop a user from signing in and end their sessions at once; `by_user_id`, the admin
    doing it, may not disable themselves (an admin never locks themselves out)."""
    address = user_email(email)
    user = session.scalar(select(User).where(User.email == address))
    if user is None:
        raise NotFound(f"no user {address}")
    if by_user_id is not None and user.id == by_user_id:
        raise BadInput("you cannot disable yourself: ask another admin to do it")
    if user.disabled_at is None:
        user.disabled_at = now
        session.flush()
    end_sessions_of(session, user_id=user.id, now=now)
    return user


def set_password(session: Session, *, email: str, password: str, now: datetime) -> User:
    """Give a user a new password (checked as a new one is); every session signed in with
    the old one ends, so a reset after a leak locks out whoever had it."""
    address = user_email(email)
    user = session.scalar(select(User).where(User.email == address))
    if user is None:
        raise NotFound(f"no user {address}")
    user.password_hash = _hasher.hash(_checked_password(password))
    end_sessions_of(session, user_id=user.id, now=now)
    session.flush()
    return user


def random_password() -> str:
    """A password no one chose: 20 random URL-safe characters (about 120 bits)."""
    return secrets.token_urlsafe(15)


def signed_in_user(session: Session, *, email: str, password: str, now: datetime) -> User | None:
    """The user whose email and password these are, unless disabled; None otherwise (the
    same answer, in the same time, whichever part was wrong)."""
    try:
        address = user_email(email)
    except BadInput:
        address = None
    user = session.scalar(select(User).where(User.email == address)) if address else None
    try:
        _hasher.verify(user.password_hash if user else _STAND_IN, password[:LONGEST_PASSWORD])
    except (VerificationError, InvalidHashError):
        return None
    if user is None or user.disabled_at is not None:
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    user.last_sign_in_at = now
    return user
