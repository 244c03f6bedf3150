"""API keys' rate limits held across every process: each key has one token bucket in the
shared store (`buckets.py`), holding BURST_SECONDS of its rate and refilling at its rate.

Asking the store for every request would cost a database write per request, too much for a
key scoring thousands of leads a second. So a process leases tokens: it takes a batch from
the key's bucket and spends it in memory. Leased tokens count as spent the moment they are
taken, so the processes together never let through more than the bucket gave out: from a full
bucket, at most the burst at once and the rate after it. A lease starts at one token and
doubles each time the process uses it up, to at most LEASE_SECONDS of the rate; one it did not
use up within LEASE_LIFETIME is dropped, its tokens lost, and the next is the size of what was
used. A low limit (120 a minute) leases one token a request; a busy high one about ten leases
a second per process (0.1% of requests at 10,000 a second, `benchmarks/rate_limits.py`); a key
used at a trickle by many processes wastes little of its rate.

Because a leased token may be spent up to LEASE_LIFETIME after it was taken, a window that
starts while leases are out can see up to LEASE_LIFETIME of the rate more than one bucket
would let through in it; over a minute, a key gets its rate and its burst, as before.

When the store does not answer (Redis down, the database gone, or SQLite's write lock held by
a long import beyond BUSY_SECONDS), a request is not failed for it: the process limits each
key by itself, to its share (1/`workers`) of the rate, for ALONE_SECONDS before it asks the
store again, and logs one warning until the store answers.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import structlog

from leadrank.auth.buckets import Grant, MemoryBuckets, SharedBuckets, StoreUnavailable
from leadrank.auth.keys import Principal
from leadrank.errors import RateLimited

BURST_SECONDS = 10.0  # a key may spend this many seconds of its rate at once
LEASE_SECONDS = 0.1  # a lease holds at most this long of the key's rate (at least 1 token)
LEASE_LIFETIME = 0.25  # seconds a leased token may wait to be spent
ALONE_SECONDS = 5.0  # after the store failed, how long a process limits keys by itself

log = structlog.get_logger("leadrank.auth")


@dataclass
class _Lease:
    """The tokens this process holds of one key's bucket."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    tokens: int = 0  # left to spend
    size: int = 0  # tokens the last lease brought; 0: none yet
    expires: float = 0.0
    refused_until: float = 0.0  # the bucket has no room for the next lease before then

    def next_size(self, most: int) -> int:
        """How many tokens to ask for: twice the last lease when it was used up, what was
        used of it when it went stale."""
        if self.size == 0:
            return 1
        if self.tokens == 0:
            return min(most, self.size * 2)
        return min(most, max(1, self.size - self.tokens))


@dataclass
class RateLimiter:
    """Every key's limit in one process, counted in `shared` with leases."""

    shared: SharedBuckets
    workers: int = 1  # processes of this server: each takes its share while alone
    clock: Callable[[], float] = time.time  # the store compares moments from every process
    _leases: dict[str, _Lease] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _alone: MemoryBuckets = field(default_factory=MemoryBuckets)
    _alone_until: float = float("-inf")
    _store_down: bool = False

    def spend(self, principal: Principal) -> None:
        """Count one request against the key's limit; RateLimited, with the seconds to wait,
        when the key has none left."""
        lease = self._leases.get(principal.prefix) or self._new_lease(principal.prefix)
        with lease.lock:
            now = self.clock()
            if lease.tokens and now < lease.expires:
                lease.tokens -= 1
                return
            if now < lease.refused_until:
                raise _over(principal, lease.refused_until - now)
            rate = principal.requests_per_minute / 60
            want = lease.next_size(most=max(1, int(rate * LEASE_SECONDS)))
            grant = self._take(principal.prefix, rate=rate, want=want, now=now)
            if not grant.tokens:
                lease.tokens = 0  # whatever was left had gone stale
                # Nobody gets `want` before then, so asking sooner would only cost the store.
                lease.refused_until = now + grant.wait
                raise _over(principal, grant.wait)
            lease.size, lease.tokens = grant.tokens, grant.tokens - 1
            lease.expires = now + LEASE_LIFETIME

    def spend_leased(self, principal: Principal) -> bool:
        """Count one request against a token this process holds already: True when it did,
        False when a lease is needed (`spend` takes one); RateLimited while refused."""
        lease = self._leases.get(principal.prefix)
        if lease is None:
            return False
        with lease.lock:
            now = self.clock()
            if lease.tokens and now < lease.expires:
                lease.tokens -= 1
                return True
            if now < lease.refused_until:
                raise _over(principal, lease.refused_until - now)
        return False

    def close(self) -> None:
        """Let go of the shared store's connections; leased tokens are lost."""
        self.shared.close()

    def _new_lease(self, prefix: str) -> _Lease:
        with self._lock:
            return self._leases.setdefault(prefix, _Lease())

    def _take(self, prefix: str, *, rate: float, want: int, now: float) -> Grant:
        capacity = max(1.0, rate * BURST_SECONDS)
        if now >= self._alone_until:
            try:
                grant = self.shared.take(prefix, rate=rate, capacity=capacity, want=want, now=now)
            except StoreUnavailable as exc:
                self._went_alone(now, str(exc))
            else:
                if self._store_down:
                    self._store_down = False
                    log.info("API key rate limits are shared again")
                return grant
        share = max(self.workers, 1)
        return self._alone.take(
            prefix, rate=rate / share, capacity=max(1.0, capacity / share), want=want, now=now
        )

    def _went_alone(self, now: float, store: str) -> None:
        with self._lock:
            self._alone_until = now + ALONE_SECONDS
            if self._store_down:
                return
            self._store_down = True
        log.warning(
            "API key rate limits are per process until their store answers",
            store=store,
            share=f"1/{max(self.workers, 1)} of each key's rate",
            retry_seconds=ALONE_SECONDS,
        )


def _over(principal: Principal, wait: float) -> RateLimited:
    return RateLimited(
        f"over this key's {principal.requests_per_minute:,} requests a minute",
        retry_after=max(1, math.ceil(wait)),
    )
