"""The scorer one `leadrank serve` process answers with, built once at its start."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine

from leadrank.config import Settings
from leadrank.db.engine import session_scope
from leadrank.scoring.icp_store import scoring_profile
from leadrank.scoring.online.call import Scorer
from leadrank.scoring.online.model_scorer import ApiScorer
from leadrank.scoring.online.rules_scorer import RulesScorer
from leadrank.scoring.online.served_model import ApiModel, load_api_model
from leadrank.scoring.online.split import SplitScorer, split_scorer


@dataclass(frozen=True)
class OnlineScoring:
    """What the scoring API serves: the model (None: the ICP rules) and its scorer."""

    model: ApiModel | None
    scorer: Scorer

    def close(self) -> None:
        """Stop what the scorer started (a split scorer's helper process)."""
        if isinstance(self.scorer, SplitScorer):
            self.scorer.close()


def build_online_scoring(engine: Engine, settings: Settings) -> OnlineScoring:
    """The active model of `settings.api_model` (else the demo model) with its scorer, or the
    active ICP profile's rules when no model serves. Reads in a transaction of its own, closed
    before a split scorer's helper starts."""
    with session_scope(engine) as session:
        model = load_api_model(session, settings)
        rules = (
            RulesScorer(
                scoring_profile(session),
                blend=settings.score_blend,
                grades=settings.grade_thresholds,
            )
            if model is None
            else None
        )
    if rules is not None:
        return OnlineScoring(None, rules)
    assert model is not None
    return OnlineScoring(model, split_scorer(ApiScorer(model)))
