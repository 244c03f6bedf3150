"""A trained model as one object: its feature plan, the learner (LightGBM trees or logistic
coefficients), its calibration and its metadata; saved as readable files, never as a pickle."""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

import lightgbm as lgb
import numpy as np
import numpy.typing as npt
import polars as pl

from leadrank.errors import BadInput
from leadrank.features.auto import FeaturePlan
from leadrank.training.design import LinearDesign
from leadrank.training.tree_paths import PathTable

Algorithm = Literal["lightgbm", "logistic"]
Matrix = npt.NDArray[np.float64]
MODEL_FILE = "model.json"
BOOSTER_FILE = "booster.txt"
METADATA_FILE = "metadata.json"
REPORT_FILE = "report.html"


def logit(p: Matrix) -> Matrix:
    """Log-odds of probabilities, kept finite."""
    clipped = np.clip(p, 1e-9, 1 - 1e-9)
    return np.asarray(np.log(clipped / (1 - clipped)), dtype=np.float64)


def sigmoid(z: Matrix) -> Matrix:
    """Probabilities of log-odds."""
    return np.asarray(1 / (1 + np.exp(-z)), dtype=np.float64)


@dataclass
class Calibration:
    """Platt scaling on the log-odds: p = sigmoid(slope * raw + shift). Monotone, so the
    ranking (and ROC-AUC) of the learner is kept while its probabilities become honest."""

    slope: float = 1.0
    shift: float = 0.0

    def apply(self, raw: Matrix) -> Matrix:
        """Calibrated probabilities of raw log-odds."""
        return sigmoid(self.slope * raw + self.shift)


@dataclass
class LinearModel:
    """Logistic regression over a stored design."""

    design: LinearDesign
    coef: list[float]
    intercept: float

    def raw(self, features: Matrix) -> Matrix:
        """Log-odds."""
        return self.raw_and_contributions(features)[0]

    def raw_and_contributions(self, features: Matrix) -> tuple[Matrix, Matrix]:
        """Log-odds and each feature's part of them (coefficient times the distance from the
        training mean), feature by feature: the wide one-hot design is never built (a
        category's part is its coefficient, looked up), and the number columns are done all
        at once, which keeps a one-row request cheap."""
        prepared = self._prepared
        out = np.empty((features.shape[0], len(self.design.columns)), order="F")
        numbers = features[:, prepared.numeric]
        missing = np.isnan(numbers)
        filled = np.where(missing, prepared.fill, np.clip(numbers, prepared.low, prepared.high))
        out[:, prepared.numeric] = (
            prepared.weight * (filled - prepared.mean) / prepared.scale
            + prepared.missing_weight * missing
            - prepared.numeric_centre
        )
        for index, codes, weights, centre in prepared.categories:
            values = features[:, index]
            if codes.size:
                slot = np.clip(np.searchsorted(codes, values), 0, codes.size - 1)
                out[:, index] = np.where(codes[slot] == values, weights[slot], 0.0) - centre
            else:
                out[:, index] = 0.0
        raw = out.sum(axis=1) + prepared.offset
        return np.asarray(raw, dtype=np.float64), out

    def row_contributions(self, row: list[float]) -> tuple[float, list[float]]:
        """`raw_and_contributions` of one row in plain Python: the same operations on the
        same numbers (only the final sum may differ in its last bit), without numpy's cost
        per call, which dominates a one-lead request."""
        prepared = self._prepared
        out = [0.0] * len(self.design.columns)
        for index, fill, low, high, mean, scale, weight, flag, centre in prepared.numeric_rows:
            value = row[index]
            missing = value != value  # NaN
            filled = fill if missing else min(max(value, low), high)
            out[index] = weight * (filled - mean) / scale + flag * missing - centre
        for index, weights, centre in prepared.category_maps:
            out[index] = weights.get(row[index], 0.0) - centre
        return sum(out) + prepared.offset, out

    @cached_property
    def _prepared(self) -> _PreparedLinear:
        coef = np.asarray(self.coef)
        means = np.asarray(self.design.means)
        numeric: list[int] = []
        rows: list[tuple[float, ...]] = []
        categories: list[tuple[int, Matrix, Matrix, float]] = []
        position = 0
        for index, column in enumerate(self.design.columns):
            width = len(column.names)
            weights = coef[position : position + width]
            centre = float(weights @ means[position : position + width])
            if column.categorical:
                categories.append((index, np.asarray(column.codes), weights, centre))
            else:
                numeric.append(index)
                flag = float(weights[1]) if column.flag_missing else 0.0
                settings = (column.fill, column.low, column.high, column.mean, column.scale)
                rows.append((*settings, float(weights[0]), flag, centre))
            position += width
        table = np.asarray(rows, dtype=np.float64).reshape(len(rows), 8).T
        return _PreparedLinear(
            np.asarray(numeric, dtype=np.intp),
            table[0],
            table[1],
            table[2],
            table[3],
            table[4],
            table[5],
            table[6],
            table[7],
            categories,
            self.intercept + float(coef @ means),
        )


@dataclass
class _PreparedLinear:
    """A linear model's numbers laid out for scoring: one array per setting of the number
    columns, and the category columns one by one."""

    numeric: npt.NDArray[np.intp]
    fill: Matrix
    low: Matrix
    high: Matrix
    mean: Matrix
    scale: Matrix
    weight: Matrix
    missing_weight: Matrix
    numeric_centre: Matrix
    categories: list[tuple[int, Matrix, Matrix, float]]
    offset: float

    @cached_property
    def numeric_rows(
        self,
    ) -> list[tuple[int, float, float, float, float, float, float, float, float]]:
        """The number columns' settings as plain floats, one tuple a column."""
        return [
            (int(i), *(float(v) for v in values))  # type: ignore[misc]
            for i, *values in zip(
                self.numeric,
                self.fill,
                self.low,
                self.high,
                self.mean,
                self.scale,
                self.weight,
                self.missing_weight,
                self.numeric_centre,
                strict=True,
            )
        ]

    @cached_property
    def category_maps(self) -> list[tuple[int, dict[float, float], float]]:
        """Each category column's code -> coefficient, and its centre."""
        return [
            (index, dict(zip(codes.tolist(), weights.tolist(), strict=True)), centre)
            for index, codes, weights, centre in self.categories
        ]


@dataclass
class ModelBundle:
    """Everything needed to score a table the way the model was trained."""

    algorithm: Algorithm
    plan: FeaturePlan
    calibration: Calibration
    booster: lgb.Booster | None = None
    linear: LinearModel | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    _paths: PathTable | None = field(default=None, repr=False)
    _ranks: tuple[Any, Matrix, Matrix] | None = field(default=None, repr=False, compare=False)

    @property
    def feature_names(self) -> list[str]:
        """Features in matrix order: those the model was trained on, as its metadata lists
        them, so a later leadrank that derives more features from a column still feeds an
        older model exactly what it learnt from."""
        stored = self.metadata.get("features")
        return list(stored) if stored else self.plan.feature_names

    def matrix(self, frame: pl.DataFrame) -> Matrix:
        """The feature matrix of a table (missing columns are missing values)."""
        names = self.feature_names
        if not names:
            return np.zeros((frame.height, 0))
        features = self.plan.transform(frame).select(names)
        return features.to_numpy().astype(np.float64, copy=False)

    def raw(self, features: Matrix) -> Matrix:
        """Uncalibrated log-odds."""
        if self.booster is not None:
            return np.asarray(self.booster.predict(features, raw_score=True), dtype=np.float64)
        assert self.linear is not None
        return self.linear.raw(features)

    def probability(self, features: Matrix) -> Matrix:
        """Calibrated probability of the positive outcome."""
        return self.calibration.apply(self.raw(features))

    def score(self, probability: Matrix) -> Matrix:
        """Score 0-100, to tenths: the share of held-out leads this probability beats, so an
        A (90+) is a top-10% lead whatever the base rate; probability x 100 when no split was
        kept."""
        points = self.metadata.get("probability_percentiles") or []
        if len(points) < 2:
            return np.round(probability * 100, 1)
        if self._ranks is None or self._ranks[0] is not points:
            # Built once per list of percentiles: a one-lead request paid more for it than
            # for the interpolation.
            self._ranks = (points, np.asarray(points), np.linspace(0, 100, len(points)))
        _, percentiles, hundredths = self._ranks
        ranks = np.interp(probability, percentiles, hundredths)
        return np.asarray(np.round(ranks, 1), dtype=np.float64)

    def contributions(self, features: Matrix) -> Matrix:
        """Per row and feature, its push on the raw log-odds (path credits for trees)."""
        return self.raw_and_contributions(features)[1]

    def raw_and_contributions(self, features: Matrix) -> tuple[Matrix, Matrix]:
        """Raw log-odds and each feature's push on them, from one pass over the model."""
        if self.booster is not None:
            if self._paths is None:
                self._paths = PathTable.of(self.booster)
            credits = np.asarray(self._paths.contributions(self.booster, features))
            return credits.sum(axis=1) + self._paths.bias, credits
        assert self.linear is not None
        return self.linear.raw_and_contributions(features)

    # --- storage -----------------------------------------------------------------------
    def files(self) -> dict[str, str]:
        """The bundle as named text files."""
        body: dict[str, Any] = {
            "algorithm": self.algorithm,
            "plan": self.plan.to_dict(),
            "calibration": {"slope": self.calibration.slope, "shift": self.calibration.shift},
        }
        if self.linear is not None:
            body["linear"] = {
                "design": self.linear.design.to_dict(),
                "coef": self.linear.coef,
                "intercept": self.linear.intercept,
            }
        files = {
            MODEL_FILE: json.dumps(body, indent=1),
            METADATA_FILE: json.dumps(self.metadata, indent=1, default=str),
        }
        if self.booster is not None:
            files[BOOSTER_FILE] = self.booster.model_to_string()
        return files

    def save(self, directory: Path) -> Path:
        """Write the bundle's files into `directory`."""
        directory.mkdir(parents=True, exist_ok=True)
        for name, text in self.files().items():
            (directory / name).write_text(text, encoding="utf-8")
        return directory

    def to_bytes(self) -> bytes:
        """The bundle as one zip archive (stored in the registry)."""
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, text in self.files().items():
                archive.writestr(name, text)
        return buffer.getvalue()

    @classmethod
    def from_files(cls, files: dict[str, str]) -> ModelBundle:
        """A bundle from the files `files()` wrote."""
        if MODEL_FILE not in files:
            raise BadInput(f"not a leadrank model: {MODEL_FILE} is missing")
        body = json.loads(files[MODEL_FILE])
        linear = None
        if "linear" in body:
            linear = LinearModel(
                LinearDesign.from_dict(body["linear"]["design"]),
                list(body["linear"]["coef"]),
                float(body["linear"]["intercept"]),
            )
        booster = lgb.Booster(model_str=files[BOOSTER_FILE]) if BOOSTER_FILE in files else None
        return cls(
            algorithm=body["algorithm"],
            plan=FeaturePlan.from_dict(body["plan"]),
            calibration=Calibration(**body["calibration"]),
            booster=booster,
            linear=linear,
            metadata=json.loads(files.get(METADATA_FILE, "{}")),
        )

    @classmethod
    def load(cls, directory: Path) -> ModelBundle:
        """A bundle saved with `save`."""
        if not directory.is_dir():
            raise BadInput(f"no model directory at {directory}")
        names = (MODEL_FILE, BOOSTER_FILE, METADATA_FILE)
        return cls.from_files(
            {n: (directory / n).read_text("utf-8") for n in names if (directory / n).exists()}
        )

    @classmethod
    def from_bytes(cls, data: bytes) -> ModelBundle:
        """A bundle from `to_bytes`."""
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return cls.from_files({n: archive.read(n).decode("utf-8") for n in archive.namelist()})
