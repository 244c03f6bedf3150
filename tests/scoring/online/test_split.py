"""Large requests split between a worker and its helper process give the answer one process
gives, only when the other workers are idle, and carry on alone when the helper is gone."""

from __future__ import annotations

import multiprocessing
from collections.abc import Iterator

import msgspec
import pytest

from leadrank.sample.api_leads import sample_api_leads
from leadrank.scoring.online.call import score_body
from leadrank.scoring.online.model_scorer import ApiScorer
from leadrank.scoring.online.schemas import ScoreRequest, ScoreResponse
from leadrank.scoring.online.served_model import demo_model
from leadrank.scoring.online.split import SPLIT_FROM, SplitScorer

_request = msgspec.json.Decoder(ScoreRequest)


@pytest.fixture
def split() -> Iterator[SplitScorer]:
    busy = multiprocessing.get_context("spawn").RawArray("b", 2)
    scorer = SplitScorer(ApiScorer(demo_model()), busy=busy, me=0)
    assert scorer.wait_ready(timeout=60), "the helper did not start"
    yield scorer
    scorer.close()


def _scores(response: ScoreResponse) -> list[object]:
    # Everything but the per-lead timing, which no two runs share.
    return [msgspec.structs.replace(s, prediction_time_ms=0.0) for s in response.scores]


def test_a_split_request_gives_what_one_process_gives(split: SplitScorer) -> None:
    leads, _ = sample_api_leads(rows=SPLIT_FROM * 3 + 1, seed=7)
    generated = [msgspec.structs.replace(lead, id=f"lead-{i}") for i, lead in enumerate(leads)]
    request = _request.decode(msgspec.json.encode({"leads": generated}))
    alone = ApiScorer(demo_model()).score(request, request_id="r")
    helped = split.score(request, request_id="r")
    assert _scores(helped) == _scores(alone)
    assert [s.id for s in helped.scores] == [f"lead-{i}" for i in range(len(generated))]
    assert helped.total_leads == len(generated) and split.busy[0] == 0
    # The same through the whole endpoint call.
    body = msgspec.json.encode({"leads": generated[:SPLIT_FROM]})
    assert msgspec.json.decode(score_body(split, body, "r"))["total_leads"] == SPLIT_FROM


def test_nothing_is_split_while_another_worker_scores(split: SplitScorer) -> None:
    split.busy[1] = 1
    assert not split._helper_free()
    split.busy[1] = 0
    assert split._helper_free()


def test_a_lost_helper_leaves_the_worker_scoring_alone(split: SplitScorer) -> None:
    generated, _ = sample_api_leads(rows=SPLIT_FROM * 2, seed=8)
    request = _request.decode(msgspec.json.encode({"leads": generated}))
    expected = _scores(ApiScorer(demo_model()).score(request, request_id="r"))
    split.helper.kill()
    split.helper.join(timeout=10)
    assert _scores(split.score(request, request_id="r")) == expected
    assert split.connection is None and not split._helper_free()
    assert _scores(split.score(request, request_id="r")) == expected
