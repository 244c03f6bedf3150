"""Large requests scored by two processes when the machine is otherwise idle.

One request is scored on one core: with a single client, the other worker and the second
core wait. So each worker of `leadrank serve` keeps a helper process with the same model;
when a request is large and no other worker is scoring at that moment, the helper scores the
second half while the worker scores the first, and the answer is put together in order. The
halves are the same leads scored the same way (the same `now`, per-lead features only), so
the answer is the one a single process gives. Under load every worker is busy and nothing
is split: the helper would only compete for the same cores.
"""

from __future__ import annotations

import gc
import multiprocessing
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any

import msgspec
import structlog

from leadrank.api.siblings import siblings
from leadrank.grades import GradeScale
from leadrank.scoring.online.model_scorer import ApiScorer
from leadrank.scoring.online.schemas import ApiLead, LeadScore, ScoreRequest, ScoreResponse, answer
from leadrank.scoring.online.served_model import ApiModel
from leadrank.training.bundle import ModelBundle

log = structlog.get_logger("leadrank.api")
SPLIT_FROM = 100  # below this many leads, sending half away costs more than it saves
READY_SECONDS = 60.0
HELPER_SECONDS = 10.0  # far longer than scoring 250 leads takes


def split_scorer(scorer: ApiScorer) -> SplitScorer | ApiScorer:
    """A `SplitScorer` in a worker of a several-worker server; else the scorer itself."""
    shared = siblings()
    if shared is None:
        return scorer
    busy, me = shared
    split = SplitScorer(scorer, busy=busy, me=me)
    # Started before the worker answers: a helper still loading would take the CPU from
    # the first requests.
    split.wait_ready(timeout=READY_SECONDS)
    return split


class _Half(msgspec.Struct, array_like=True):
    now: datetime
    leads: list[ApiLead]


_encode = msgspec.msgpack.Encoder().encode
_decode_half = msgspec.msgpack.Decoder(_Half).decode
_decode_scores = msgspec.msgpack.Decoder(list[LeadScore]).decode


class SplitScorer:
    """An `ApiScorer` that hands the second half of a large request to its helper process
    while no other worker is scoring. `busy` holds a flag per worker (shared memory), this
    worker's at `me`."""

    def __init__(self, scorer: ApiScorer, *, busy: Any, me: int) -> None:
        self.scorer, self.busy, self.me = scorer, busy, me
        self.others = [i for i in range(len(busy)) if i != me]
        self.model = scorer.model
        spawn = multiprocessing.get_context("spawn")
        ours, theirs = spawn.Pipe()
        self.connection: Connection | None = ours
        self.ready = False
        bundle = scorer.model.bundle.to_bytes()
        grades = scorer.model.grades.model_dump()
        self.helper: BaseProcess = spawn.Process(
            target=_helper, args=(theirs, bundle, scorer.model.version, grades), daemon=True
        )
        self.helper.start()
        theirs.close()

    def score(self, request: ScoreRequest, *, request_id: str) -> ScoreResponse:
        """Score every lead of a request, in its order."""
        started = time.perf_counter()
        self.busy[self.me] = 1
        try:
            now = datetime.now(UTC)
            leads = request.leads
            if len(leads) >= SPLIT_FROM and self._helper_free():
                results = self._split(leads, now)
            else:
                results = self.scorer.score_leads(leads, now=now)
        finally:
            self.busy[self.me] = 0
        return answer(request, request_id, now, started, self.model.version, results)

    def wait_ready(self, *, timeout: float) -> bool:
        """Wait until the helper has loaded the model; False when it did not in time."""
        if not self._heard_ready(timeout):
            log.warning("scoring helper not ready; large requests are not split for now")
        return self.ready

    def _heard_ready(self, timeout: float) -> bool:
        """Whether the helper has said it loaded the model (waiting up to `timeout`)."""
        connection = self.connection
        if connection is not None and not self.ready:
            try:
                if connection.poll(timeout):
                    self.ready = connection.recv_bytes() == b"ready"
            except (EOFError, OSError):
                self._lost()
        return self.ready

    def close(self) -> None:
        """Stop the helper."""
        if self.connection is not None:
            self.connection.close()
            self.connection = None
        self.helper.join(timeout=5)
        if self.helper.is_alive():
            self.helper.terminate()

    def _helper_free(self) -> bool:
        if any(self.busy[i] for i in self.others) or self.connection is None:
            return False
        return self._heard_ready(0)

    def _split(self, leads: Sequence[ApiLead], now: datetime) -> list[LeadScore]:
        half = len(leads) // 2
        connection = self.connection
        assert connection is not None
        try:
            connection.send_bytes(_encode(_Half(now, list(leads[half:]))))
        except OSError:
            self._lost()
            return self.scorer.score_leads(leads, now=now)
        first = self.scorer.score_leads(leads[:half], now=now)
        try:
            if not connection.poll(HELPER_SECONDS):  # a stuck helper must not hang the worker
                raise TimeoutError
            second = _decode_scores(connection.recv_bytes())
        except (EOFError, OSError, msgspec.DecodeError):
            self._lost()
            second = self.scorer.score_leads(leads[half:], now=now)
        return first + second

    def _lost(self) -> None:
        log.warning("scoring helper stopped; this worker scores alone from now on")
        if self.connection is not None:
            self.connection.close()
        self.connection, self.ready = None, False
        if self.helper.is_alive():
            self.helper.kill()


def _helper(connection: Connection, bundle: bytes, version: str, grades: dict[str, Any]) -> None:
    """The helper process: scores halves until its worker closes the pipe."""
    model = ApiModel(ModelBundle.from_bytes(bundle), version, GradeScale(**grades))
    scorer = ApiScorer(model)
    gc.freeze()  # as in the workers: what start-up built stays out of every collection
    connection.send_bytes(b"ready")
    while True:
        try:
            message = connection.recv_bytes()
        except (EOFError, OSError):
            return
        half = _decode_half(message)
        connection.send_bytes(_encode(scorer.score_leads(half.leads, now=half.now)))
