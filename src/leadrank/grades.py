"""From scores to a combined score and a grade: A ≥ 90, B ≥ 75, C ≥ 50, D ≥ 25, else E by
default; thresholds and weights are configurable.

Both are typed settings (`Settings.grade_thresholds`, `Settings.score_blend`), parsed once when
the settings are read, so they live below the domains that apply them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from leadrank.errors import BadInput

if TYPE_CHECKING:
    import polars as pl


class GradeScale(BaseModel):
    """Lowest combined score for each grade, best first; anything below the last is E."""

    model_config = ConfigDict(extra="forbid")

    a: float = 90
    b: float = 75
    c: float = 50
    d: float = 25

    @model_validator(mode="after")
    def _descending(self) -> GradeScale:
        if not 100 >= self.a > self.b > self.c > self.d >= 0:
            raise ValueError("grade thresholds must fall from A to D within 0-100")
        return self

    @classmethod
    def parse(cls, text: str) -> GradeScale:
        """ "90,75,50,25": the lowest score of A, B, C and D."""
        parts = [p.strip() for p in text.split(",")]
        try:
            numbers = [float(p) for p in parts]
        except ValueError:
            numbers = []
        if len(numbers) != 4:
            raise BadInput(
                f"grade thresholds {text!r}: write the lowest score of A, B, C and D, "
                "e.g. 90,75,50,25"
            )
        try:
            return cls(a=numbers[0], b=numbers[1], c=numbers[2], d=numbers[3])
        except ValidationError as exc:
            raise BadInput(f"grade thresholds {text!r}: {_first_error(exc)}") from exc

    def described(self) -> str:
        """ "A ≥ 90, B ≥ 75, C ≥ 50, D ≥ 25, else E"."""
        return f"A ≥ {self.a:g}, B ≥ {self.b:g}, C ≥ {self.c:g}, D ≥ {self.d:g}, else E"

    def grades(self, scores: list[float]) -> list[str]:
        """The grade letter of each score, for a few scores at a time."""
        return [
            "A"
            if s >= self.a
            else "B"
            if s >= self.b
            else "C"
            if s >= self.c
            else "D"
            if s >= self.d
            else "E"
            for s in scores
        ]

    def grade(self, score: pl.Expr) -> pl.Expr:
        """The grade letter of each score (null stays null)."""
        import polars as pl  # settings are read by every command; polars only where grading

        return (
            pl.when(score >= self.a)
            .then(pl.lit("A"))
            .when(score >= self.b)
            .then(pl.lit("B"))
            .when(score >= self.c)
            .then(pl.lit("C"))
            .when(score >= self.d)
            .then(pl.lit("D"))
            .when(score.is_not_null())
            .then(pl.lit("E"))
        )


class Blend(BaseModel):
    """How fit, engagement and (when a model is active) probability make one score 0-100."""

    model_config = ConfigDict(extra="forbid")

    fit: float = Field(default=0.5, ge=0)
    engagement: float = Field(default=0.5, ge=0)
    # With a model, its score carries this share and the rules the rest. By default the model
    # alone decides: it already learnt how much fit and activity matter, and its score is a
    # held-out percentile, so an A stays a top-10% lead; fit and engagement are kept beside it.
    model_share: float = Field(default=1.0, ge=0, le=1)

    @classmethod
    def parse(cls, text: str) -> Blend:
        """ "model=0.7,fit=0.6,engagement=0.4": the model's share of the combined score, and the
        weights of fit and engagement in the rest (and in the whole when no model is active)."""
        names = {"model": "model_share", "fit": "fit", "engagement": "engagement"}
        values: dict[str, float] = {}
        for part in filter(None, (p.strip() for p in text.split(","))):
            key, _, number = part.partition("=")
            try:
                values[names[key.strip().lower()]] = float(number)
            except (KeyError, ValueError):
                raise BadInput(
                    f"blend {text!r}: write NAME=NUMBER for model, fit and engagement, "
                    "e.g. model=0.7,fit=0.5,engagement=0.5"
                ) from None
        try:
            return cls(**values)
        except ValidationError as exc:
            raise BadInput(f"blend {text!r}: {_first_error(exc)}") from exc

    def combined(self, fit: pl.Expr, engagement: pl.Expr, model: pl.Expr | None) -> pl.Expr:
        """The combined score 0-100 from fit, engagement and the model's score 0-100 (its
        probability ranked against held-out leads); a disqualified lead's fit of 0 pulls it
        down like any."""
        total = self.fit + self.engagement
        rules = (fit.fill_null(0) * self.fit + engagement.fill_null(0) * self.engagement) / (
            total if total > 0 else 1.0
        )
        if model is None:
            return rules.clip(0, 100).round(1)
        blended = model * self.model_share + rules * (1 - self.model_share)
        return blended.clip(0, 100).round(1)


def _first_error(exc: ValidationError) -> str:
    error = exc.errors()[0]
    where = ".".join(str(p) for p in error["loc"])
    return f"{where}: {error['msg']}" if where else str(error["msg"])
