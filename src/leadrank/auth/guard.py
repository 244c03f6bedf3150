"""Who may call what: the key a request presents (`Authorization: Bearer KEY` or
`X-API-Key: KEY`), its role, and its rate limit.

Checked keys are remembered for a short while, so a busy client costs no database read per
request; a revoked key stops working within CACHE_SECONDS. Each worker process enforces its
share of a key's limit, so the workers together allow what the key was given.
"""

from __future__ import annotations

import hashlib
import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import Engine
from starlette.requests import Request

from leadrank.auth.keys import Principal, verify
from leadrank.db.engine import session_scope
from leadrank.errors import Forbidden, RateLimited, Unauthorized

CACHE_SECONDS = 30.0
CACHE_KEYS = 10_000  # real keys remembered at most; the least recently used go first
BURST_SECONDS = 10.0  # a key may spend this many seconds of its rate at once
LOCAL = Principal("local", "admin", 0)  # auth turned off on this machine: no limit


@dataclass
class _Bucket:
    tokens: float
    updated: float


@dataclass
class Guard:
    """Authentication, roles and rate limits for one worker process."""

    engine: Engine | None  # None: authentication is off
    workers: int = 1
    clock: Callable[[], float] = time.monotonic
    _known: OrderedDict[str, tuple[Principal, float]] = field(default_factory=OrderedDict)
    _buckets: dict[str, _Bucket] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

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
        if principal.role not in roles:
            raise Forbidden(
                f"a {principal.role} key may not do this; it needs {' or '.join(roles)}"
            )
        self._spend(principal)
        request.state.principal = principal
        return principal

    def _principal(self, key: str) -> Principal | None:
        """The key's principal: remembered for a while when it is a real key; an unknown key
        is looked up every time and never remembered, so junk keys cost no memory."""
        digest = hashlib.sha256(key.encode()).hexdigest()
        now = self.clock()
        with self._lock:
            known = self._known.get(digest)
            if known is not None and known[1] > now:
                self._known.move_to_end(digest)
                return known[0]
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

    def _spend(self, principal: Principal) -> None:
        rate = principal.requests_per_minute / 60 / max(self.workers, 1)
        capacity = max(1.0, rate * BURST_SECONDS)
        now = self.clock()
        with self._lock:
            bucket = self._buckets.setdefault(principal.prefix, _Bucket(capacity, now))
            bucket.tokens = min(capacity, bucket.tokens + (now - bucket.updated) * rate)
            bucket.updated = now
            if bucket.tokens < 1:
                wait = math.ceil((1 - bucket.tokens) / rate)
                raise RateLimited(
                    f"over this key's {principal.requests_per_minute:,} requests a minute",
                    retry_after=max(1, wait),
                )
            bucket.tokens -= 1


def _presented_key(request: Request) -> str | None:
    authorization = request.headers.get("authorization", "")
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    header = request.headers.get("x-api-key", "").strip()
    return header or None
