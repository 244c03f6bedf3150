"""What the local fakes of vendors (`<vendor>/fake.py`) keep the same way: a record of each
request they received, for tests to check what a client sent, and the faults a test switches
on for the next requests, counted down as requests use them.

Which faults a fake knows, which of its requests a fault applies to and how it answers one stay
with each fake. Nothing here locks: a fake calls these under its own lock, with the rest of
its state."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from starlette.requests import Request


@dataclass
class RecordedRequest:
    """One request a fake received: `at` is when it arrived (the fake's clock), `status` what
    it answered (0 until it has, or when the fake does not note it)."""

    method: str
    path: str
    query: dict[str, str]
    body: Any
    authorization: str | None
    at: float
    status: int = 0

    @classmethod
    def of(
        cls, request: Request, body: Any, *, at: float, path: str | None = None
    ) -> RecordedRequest:
        """The record of `request` with its parsed `body`, under `path` when the fake names
        its paths otherwise than the URL does."""
        return cls(
            request.method,
            request.url.path if path is None else path,
            dict(request.query_params),
            body,
            request.headers.get("authorization"),
            at,
        )


@dataclass
class Fault:
    """A fault switched on: the next `times` requests it applies to (those to `path`, or any)
    are answered with `kind`; a "429" carries `retry_after` when it is set."""

    kind: str
    times: int
    path: str | None
    retry_after: str | None


FaultT = TypeVar("FaultT", bound=Fault)


class PendingFaults(Generic[FaultT]):
    """The faults still to come, in the order they were switched on, among `kinds`."""

    def __init__(self, kinds: tuple[str, ...]) -> None:
        self.kinds = kinds
        self._pending: list[FaultT] = []

    def add(self, fault: FaultT) -> None:
        """Switch a fault on; a ValueError for a kind the fake does not know."""
        if fault.kind not in self.kinds:
            raise ValueError(f"unknown fault {fault.kind!r}; use one of {', '.join(self.kinds)}")
        self._pending.append(fault)

    def take(self, applies: Callable[[FaultT], bool]) -> FaultT | None:
        """The first pending fault that `applies` to a request, counted down for it (and
        forgotten once used up); None when none applies."""
        fault = next((f for f in self._pending if applies(f)), None)
        if fault is not None:
            fault.times -= 1
            if fault.times <= 0:
                self._pending.remove(fault)
        return fault
