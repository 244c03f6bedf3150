"""The waterfall: order, stopping at a sure answer, retries with backoff and Retry-After,
permanent failures, the cache, the budget and the breaker, each try recorded."""

from __future__ import annotations

import pytest

from leadrank.enrichment.cache import AnswerCache
from leadrank.enrichment.gate import ProviderGate
from leadrank.enrichment.providers.base import EnrichmentQuery, PermanentError, RetriableError
from leadrank.enrichment.providers.builtin import BuiltinProvider
from leadrank.enrichment.providers.fake import FakeProvider
from leadrank.enrichment.waterfall import Waterfall
from tests.conftest import Workspace

ANN = EnrichmentQuery(email="ann@acme.com", job_title="Head of Sales")
DIRECTORY = {
    "ann@acme.com": {
        "person": {"job_title": "VP Sales", "seniority": "vp", "city": "Berlin"},
        "company": {"company_name": "Acme GmbH", "employees": 120},
    }
}


def _waterfall(
    workspace: Workspace, *providers: FakeProvider, budget: float = 100.0, **options: object
) -> tuple[Waterfall, list[float]]:
    slept: list[float] = []
    gate = ProviderGate(
        workspace.engine, budget_of=lambda _: budget, sleep=slept.append, failures_to_open=3
    )
    every = {"builtin": BuiltinProvider(), **{p.name: p for p in providers}}
    order = ["builtin", *(p.name for p in providers)]
    waterfall = Waterfall(
        every,
        {"person": order, "company": order, "email": order},
        gate=gate,
        cache=AnswerCache(workspace.engine),
        sleep=slept.append,
        **options,  # type: ignore[arg-type]
    )
    return waterfall, slept


def test_stops_at_the_first_sure_answer(workspace: Workspace) -> None:
    first = FakeProvider("first", directory=DIRECTORY, confidence=0.9)
    second = FakeProvider("second", directory=DIRECTORY)
    waterfall, _ = _waterfall(workspace, first, second)
    answer = waterfall.run(ANN, "person")
    # The offline guess (not sure enough) did not stop it; the first vendor did.
    assert [a.provider for a in answer.attempts] == ["builtin", "first"]
    assert [name for name, _ in answer.answers] == ["builtin", "first"]
    assert second.calls == []


def test_a_doubtful_answer_goes_on_to_the_next(workspace: Workspace) -> None:
    doubtful = FakeProvider("doubtful", directory=DIRECTORY, confidence=0.3)
    sure = FakeProvider("sure", directory=DIRECTORY, confidence=0.95)
    waterfall, _ = _waterfall(workspace, doubtful, sure)
    answer = waterfall.run(ANN, "company")
    assert [a.status for a in answer.attempts] == ["found", "found", "found"]
    assert len(sure.calls) == 1


def test_retriable_failures_are_retried_with_backoff_and_retry_after(workspace: Workspace) -> None:
    flaky = FakeProvider("flaky", directory=DIRECTORY)
    flaky.fail_next(
        RetriableError("503", status=503), RetriableError("429", status=429, retry_after=2)
    )
    waterfall, slept = _waterfall(workspace, flaky, backoff_seconds=0.5)
    answer = waterfall.run(ANN, "person")
    attempt = answer.attempts[-1]
    assert (attempt.provider, attempt.status, attempt.tries) == ("flaky", "found", 3)
    # Backoff with jitter, then the vendor's own word, waited out once by the shared gate.
    assert len(slept) == 2 and 0.25 <= slept[0] <= 0.5
    assert slept[1] == pytest.approx(2, abs=0.2)


def test_gives_up_after_max_tries_and_goes_on(workspace: Workspace) -> None:
    down = FakeProvider("down", directory=DIRECTORY)
    down.fail_next(*[RetriableError("boom ann@acme.com", status=500)] * 3)
    backup = FakeProvider("backup", directory=DIRECTORY)
    waterfall, _ = _waterfall(workspace, down, backup, backoff_seconds=0.01)
    answer = waterfall.run(ANN, "person")
    failed = answer.attempts[1]
    assert (failed.status, failed.tries) == ("retriable", 3)
    assert "ann@acme.com" not in (failed.error or "") and "a***@acme.com" in (failed.error or "")
    assert answer.attempts[2].status == "found" and answer.unfinished


def test_a_permanent_failure_is_not_retried(workspace: Workspace) -> None:
    refused = FakeProvider("refused", directory=DIRECTORY)
    refused.fail_next(PermanentError("key refused", status=401))
    waterfall, slept = _waterfall(workspace, refused)
    answer = waterfall.run(ANN, "person")
    assert (answer.attempts[1].status, answer.attempts[1].tries) == ("permanent", 1)
    assert len(refused.calls) == 1 and slept == []


def test_a_cached_answer_costs_no_call(workspace: Workspace) -> None:
    vendor = FakeProvider("vendor", directory=DIRECTORY)
    waterfall, _ = _waterfall(workspace, vendor)
    waterfall.run(ANN, "person")
    again = waterfall.run(ANN, "person")
    assert len(vendor.calls) == 1
    assert again.attempts[1].status == "cached" and again.attempts[1].cost == 0
    assert dict(again.answers)["vendor"].fields["city"] == "Berlin"
    # A miss is remembered too.
    nobody = EnrichmentQuery(email="nobody@acme.com")
    waterfall.run(nobody, "person")
    waterfall.run(nobody, "person")
    assert len(vendor.calls) == 2


def test_the_budget_and_the_breaker_skip_a_provider(workspace: Workspace) -> None:
    vendor = FakeProvider("vendor", directory=DIRECTORY, cost_per_call=1.0)
    waterfall, _ = _waterfall(workspace, vendor, budget=1.0)
    waterfall.run(ANN, "person")
    spent = waterfall.run(EnrichmentQuery(email="bob@acme.com"), "person")
    assert spent.attempts[-1].status == "over_budget" and len(vendor.calls) == 1

    broken = FakeProvider("broken", directory=DIRECTORY, cost_per_call=0.0)
    broken.fail_next(*[RetriableError("down", status=503)] * 10)
    waterfall, _ = _waterfall(workspace, broken, max_tries=1)
    statuses = [
        waterfall.run(EnrichmentQuery(email=f"p{i}@x.com"), "person").attempts[-1].status
        for i in range(5)
    ]
    assert statuses == ["retriable"] * 3 + ["breaker_open"] * 2
    assert len(broken.calls) == 3


def test_an_adapter_defect_is_recorded_and_the_waterfall_goes_on(workspace: Workspace) -> None:
    broken = FakeProvider("broken", directory=DIRECTORY)
    broken.fail_next(KeyError("data"))  # type: ignore[arg-type]
    backup = FakeProvider("backup", directory=DIRECTORY)
    waterfall, _ = _waterfall(workspace, broken, backup)
    answer = waterfall.run(ANN, "person")
    assert [(a.provider, a.status) for a in answer.attempts[1:]] == [
        ("broken", "error"),
        ("backup", "found"),
    ]
    assert answer.unfinished


def test_a_refused_query_leaves_the_vendor_open_for_others(workspace: Workspace) -> None:
    picky = FakeProvider("picky", directory=DIRECTORY, cost_per_call=0.0)
    picky.fail_next(*[PermanentError("invalid domain", status=422)] * 5)
    waterfall, _ = _waterfall(workspace, picky)
    statuses = [
        waterfall.run(EnrichmentQuery(email=f"p{i}@x.com"), "person").attempts[-1].status
        for i in range(6)
    ]
    assert statuses == ["permanent"] * 5 + ["not_found"]
