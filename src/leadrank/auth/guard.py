"""Who may call what: the key a request presents (`Authorization: Bearer KEY` or
`X-API-Key: KEY`), its role, and its rate limit.

Checked keys are remembered for a short while, so a busy client costs no database read per
request; a revoked key stops working within CACHE_SECONDS. A key's rate limit holds across
every process and machine on the database (or Redis): see `limits.py`.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import Engine
from starlette.requests import Request

from leadrank.auth.buckets import DatabaseBuckets, MemoryBuckets, SharedBuckets, shared_buckets
from leadrank.auth.keys import Principal, permit, verify
from leadrank.auth.limits import RateLimiter
from leadrank.config import Settings
from leadrank.db.engine import session_scope
from leadrank.errors import Unauthorized

CACHE_SECONDS = 30.0
CACHE_KEYS = 10_000  # real keys remembered at most; the least recently used go first
LOCAL = Principal("local", "admin", 0)  # auth turned off on this machine: no limit


@dataclass
class Guard:
    """Authentication, roles and rate limits for one worker process."""

    engine: Engine | None  # None: authentication is off
    workers: int = 1  # processes of this server, sharing a key's rate while its store is down
    clock: Callable[[], float] = time.time  # wall time: shared buckets compare processes' moments
    buckets: SharedBuckets | None = None  # None: the database behind `engine`
    limiter: RateLimiter = field(init=False)
    _known: OrderedDict[str, tuple[Principal, float]] = field(default_factory=OrderedDict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        if self.buckets is None:
            self.buckets = DatabaseBuckets(self.engine) if self.engine else MemoryBuckets()
        self.limiter = RateLimiter(self.buckets, workers=self.workers, clock=self.clock)

    @property
    def enabled(self) -> bool:
        """Whether requests must present a key."""
        return self.engine is not None

    def check(self, request: Request, roles: tuple[str, ...]) -> Principal:
        """The request's principal, if its key works, its role is one of `roles` and it is
        within its rate; else Unauthorized, Forbidden or RateLimited."""
        if self.engine is None:
            return LOCAL
        key = _presented_key(request)
        if key is None:
            raise Unauthorized(
                "send an API key as 'Authorization: Bearer KEY' or 'X-API-Key: KEY' "
                "(`leadrank keys create` makes one)"
            )
        principal = self._principal(key)
        if principal is None:
            raise Unauthorized("this API key is unknown or revoked")
        permit(principal, roles)
        self.limiter.spend(principal)
        request.state.principal = principal
        return principal

    def check_in_memory(self, request: Request, roles: tuple[str, ...]) -> Principal | None:
        """`check` as far as this process's memory answers it: the principal, or an error,
        when the key is remembered and a leased token is at hand; None when the key must be
        looked up or a lease taken (`check` does it, in a thread off the event loop)."""
        if self.engine is None:
            return LOCAL
        key = _presented_key(request)
        if key is None:
            return None  # `check` says what is missing
        principal = self._remembered(hashlib.sha256(key.encode()).hexdigest(), self.clock())
        if principal is None:
            return None
        if principal.role not in roles or not self.limiter.spend_leased(principal):
            return None
        request.state.principal = principal
        return principal

    def _remembered(self, digest: str, now: float) -> Principal | None:
        with self._lock:
            known = self._known.get(digest)
            if known is not None and known[1] > now:
                self._known.move_to_end(digest)
                return known[0]
        return None

    def _principal(self, key: str) -> Principal | None:
        """The key's principal: remembered for a while when it is a real key; an unknown key
        is looked up every time and never remembered, so junk keys cost no memory."""
        digest = hashlib.sha256(key.encode()).hexdigest()
        now = self.clock()
        remembered = self._remembered(digest, now)
        if remembered is not None:
            return remembered
        assert self.engine is not None
        with session_scope(self.engine) as session:
            principal = verify(session, key)
        with self._lock:
            if principal is None:
                self._known.pop(digest, None)  # revoked since it was remembered
            else:
                self._known[digest] = (principal, now + CACHE_SECONDS)
                self._known.move_to_end(digest)
                while len(self._known) > CACHE_KEYS:
                    self._known.popitem(last=False)
        return principal

    def close(self) -> None:
        """Let go of the rate store's connections."""
        self.limiter.close()


def build_guard(engine: Engine, settings: Settings, *, auth: bool) -> Guard:
    """The process's guard: keys checked in `engine`'s database, their limits counted in
    Redis when `settings.redis_url` is set, else in that database; no checks without `auth`."""
    if not auth:
        return Guard(None)
    buckets = shared_buckets(engine, settings.redis_url)
    return Guard(engine, workers=settings.api_workers, buckets=buckets)


def _presented_key(request: Request) -> str | None:
    authorization = request.headers.get("authorization", "")
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    header = request.headers.get("x-api-key", "").strip()
    return header or None
