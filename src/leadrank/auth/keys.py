"""Creating, listing, revoking and checking API keys.

A key is "lr_" + an 8-character public prefix + "_" + 32 random bytes. Only its SHA-256 is
stored: a key is random enough that a slow password hash adds nothing, and SHA-256 keeps the
check cheap on every request. The prefix finds the row; the hash is compared in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from leadrank.errors import BadInput, Forbidden, NotFound
from leadrank.orm.auth import ApiKey

Role = Literal["admin", "writer", "reader", "scorer"]
ROLES: tuple[Role, ...] = ("admin", "writer", "reader", "scorer")
DEFAULT_REQUESTS_PER_MINUTE = 6_000
_PREFIX_CHARS = 8


@dataclass(frozen=True)
class Principal:
    """Who a request comes from."""

    prefix: str
    role: str
    requests_per_minute: int


def permit(principal: Principal, roles: tuple[str, ...]) -> Principal:
    """`principal` if its role is one of `roles`, else Forbidden: the one check of what a
    caller may do, for API keys and signed-in users alike."""
    if principal.role not in roles:
        raise Forbidden(f"a {principal.role} may not do this; it needs {' or '.join(roles)}")
    return principal


@dataclass(frozen=True)
class NewKey:
    """A key just made: the only time its secret is seen."""

    key: str
    record: ApiKey


def create_key(
    session: Session,
    *,
    role: str,
    name: str = "",
    requests_per_minute: int = DEFAULT_REQUESTS_PER_MINUTE,
) -> NewKey:
    """A new key with a role and a rate limit."""
    if role not in ROLES:
        raise BadInput(f"role {role!r} is not one of {', '.join(ROLES)}")
    if requests_per_minute < 1:
        raise BadInput("the rate limit must be at least 1 request a minute")
    prefix = secrets.token_hex(_PREFIX_CHARS // 2)
    key = f"lr_{prefix}_{secrets.token_urlsafe(32)}"
    record = ApiKey(
        prefix=prefix,
        key_hash=_digest(key),
        role=role,
        name=name.strip() or role,
        requests_per_minute=requests_per_minute,
        created_at=datetime.now(UTC),
    )
    session.add(record)
    session.flush()
    return NewKey(key, record)


def list_keys(session: Session) -> list[ApiKey]:
    """Every key, newest first (secrets are not stored, so none is shown)."""
    return list(session.scalars(select(ApiKey).order_by(ApiKey.id.desc())))


def revoke_key(session: Session, *, prefix: str) -> ApiKey:
    """Stop a key from working."""
    record = session.scalar(select(ApiKey).where(ApiKey.prefix == prefix))
    if record is None:
        raise NotFound(f"no API key {prefix!r}")
    if record.revoked_at is None:
        record.revoked_at = datetime.now(UTC)
        session.flush()
    return record


def any_keys(session: Session) -> bool:
    """Whether any key that works exists."""
    return session.scalar(select(ApiKey.id).where(ApiKey.revoked_at.is_(None)).limit(1)) is not None


def verify(session: Session, key: str) -> Principal | None:
    """The principal of a presented key, or None when it is unknown, wrong or revoked."""
    parts = key.split("_")
    if len(parts) < 3 or parts[0] != "lr" or len(parts[1]) != _PREFIX_CHARS:
        return None
    record = session.scalar(select(ApiKey).where(ApiKey.prefix == parts[1]))
    if record is None or record.revoked_at is not None:
        return None
    if not hmac.compare_digest(record.key_hash, _digest(key)):
        return None
    return Principal(record.prefix, record.role, record.requests_per_minute)


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()
