"""API keys: only a hash of each key is stored, with its role and its rate limit; the shared
token bucket each key's rate limit is counted in; and the people who sign in to the web app."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Float, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from leadrank.orm.base import Base, BigId, UtcDateTime


class ApiKey(Base):
    """One key: found by its public prefix, checked against the SHA-256 of the whole key."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    prefix: Mapped[str] = mapped_column(String(16), unique=True)  # shown in lists and logs
    key_hash: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(16))  # admin | writer | reader | scorer
    name: Mapped[str] = mapped_column(String(200))
    requests_per_minute: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class RateBucket(Base):
    """A key's token bucket, shared by every API process on the database: `tokens` were there
    at `updated_at`, and it refills at the key's rate up to its burst."""

    __tablename__ = "rate_buckets"

    prefix: Mapped[str] = mapped_column(String(16), primary_key=True)  # the key's prefix
    tokens: Mapped[float] = mapped_column(Float)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class User(Base):
    """A person who signs in: their email, an Argon2 hash of their password, and a role."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)  # lower case
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))  # admin | writer | reader
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    disabled_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_sign_in_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class WebSession(Base):
    """A signed-in browser: the SHA-256 of the random token its cookie holds (the token itself
    is never stored), the token its forms must carry, and how long it lasts."""

    __tablename__ = "web_sessions"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    last_seen_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class SignInFailures(Base):
    """Failed sign-ins in a row for one email or one client address: what slows the next
    attempt down, in every process on the database."""

    __tablename__ = "sign_in_failures"

    key: Mapped[str] = mapped_column(String(400), primary_key=True)  # "email:..." | "ip:..."
    failures: Mapped[int] = mapped_column(Integer)
    last_failed_at: Mapped[datetime] = mapped_column(UtcDateTime)
