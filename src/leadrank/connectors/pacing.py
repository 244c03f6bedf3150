"""How a vendor client keeps to the vendor's rate limits: before each call it waits its turn
in a lane (HubSpot has one for most calls and a stricter one for search), and when the vendor
answers 429 with a Retry-After, the whole lane holds for that long.

`Pace` is what a client is given. `LocalPace` keeps the lanes in this process (tests, one-off
commands); `connectors.shared_pace.SharedPace` keeps them where every worker sees them, so two
workers syncing at once still stay under the vendor's limit together.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Lane:
    """At most `calls` calls in any `seconds`, for the calls named `name`."""

    name: str
    calls: int
    seconds: float


class Pace(Protocol):
    """Waits for a lane's turn, and holds a lane when the vendor asks."""

    def wait_turn(self, lane: Lane) -> float:
        """Block until a call in `lane` may go (it is counted); the seconds waited."""
        ...

    def hold(self, lane: Lane, seconds: float) -> None:
        """The vendor asked for `seconds` of quiet in `lane` (429 Retry-After): every caller's
        next turn in it comes after that."""
        ...


class LocalPace:
    """Sliding logs of call moments per lane, in this process only."""

    def __init__(
        self,
        *,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._sleep, self._clock = sleep, clock
        self._calls: dict[str, deque[float]] = {}
        self._held_until: dict[str, float] = {}
        self._lock = threading.Lock()

    def wait_turn(self, lane: Lane) -> float:
        waited = 0.0
        while (wait := self._take(lane)) > 0:
            self._sleep(wait)
            waited += wait
        return waited

    def hold(self, lane: Lane, seconds: float) -> None:
        with self._lock:
            until = self._clock() + seconds
            self._held_until[lane.name] = max(self._held_until.get(lane.name, 0.0), until)

    def _take(self, lane: Lane) -> float:
        """0 when a call may go now (it is counted), else the seconds to wait first."""
        with self._lock:
            now = self._clock()
            held = self._held_until.get(lane.name, 0.0) - now
            if held > 0:
                return held
            log = self._calls.setdefault(lane.name, deque())
            while log and log[0] <= now - lane.seconds:
                log.popleft()
            if len(log) < lane.calls:
                log.append(now)
                return 0.0
            return max(0.001, log[0] + lane.seconds - now)


class NoPace:
    """No limit at all: a client given this calls as fast as it can (benchmarks of the fake)."""

    def wait_turn(self, lane: Lane) -> float:
        return 0.0

    def hold(self, lane: Lane, seconds: float) -> None:
        return None
