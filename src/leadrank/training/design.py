"""The design matrix of the linear model: numbers clipped, filled and standardised with a flag
for missing values, category codes one-hot. Stored as plain numbers so a saved model needs no
pickle to be read back."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

Matrix = npt.NDArray[np.float64]


@dataclass
class DesignColumn:
    """How one feature becomes one or more columns of the linear model."""

    feature: str
    categorical: bool
    low: float = 0.0
    high: float = 0.0
    fill: float = 0.0
    mean: float = 0.0
    scale: float = 1.0
    flag_missing: bool = False
    codes: list[float] = field(default_factory=list)

    @property
    def names(self) -> list[str]:
        """The design columns this feature yields."""
        if self.categorical:
            return [f"{self.feature}={code:g}" for code in self.codes]
        return [self.feature] + ([f"{self.feature}__missing"] if self.flag_missing else [])


@dataclass
class LinearDesign:
    """The learnt transformation from features to the linear model's inputs."""

    columns: list[DesignColumn]
    means: list[float] = field(default_factory=list)  # of each design column, for contributions

    @classmethod
    def fit(cls, features: Matrix, names: list[str], categorical: set[str]) -> LinearDesign:
        """Learn clipping, filling and scaling from training features."""
        columns: list[DesignColumn] = []
        for index, name in enumerate(names):
            values = features[:, index]
            known = values[~np.isnan(values)]
            if name in categorical:
                codes = sorted({float(v) for v in np.unique(known)}) if known.size else []
                columns.append(DesignColumn(name, True, codes=codes))
                continue
            if not known.size:
                columns.append(DesignColumn(name, False))
                continue
            low, high = (float(v) for v in np.quantile(known, [0.01, 0.99]))
            clipped = np.clip(known, low, high)
            fill = float(np.median(clipped))
            scale = float(clipped.std()) or 1.0
            columns.append(
                DesignColumn(
                    name,
                    False,
                    low=low,
                    high=high,
                    fill=fill,
                    mean=float(clipped.mean()),
                    scale=scale,
                    flag_missing=bool(known.size < len(values)),
                )
            )
        design = cls(columns)
        design.means = design.transform(features).mean(axis=0).tolist()
        return design

    @property
    def names(self) -> list[str]:
        """Every design column, in matrix order."""
        return [name for column in self.columns for name in column.names]

    def transform(self, features: Matrix) -> Matrix:
        """The design matrix of `features` (same feature order as at fit time)."""
        # Column-major both ways: each step reads and writes one contiguous column.
        features = np.asfortranarray(features)
        out = np.empty((features.shape[0], sum(len(c.names) for c in self.columns)), order="F")
        position = 0
        for index, column in enumerate(self.columns):
            values = features[:, index]
            if column.categorical:
                width = len(column.codes)
                out[:, position : position + width] = values[:, None] == np.asarray(column.codes)
                position += width
                continue
            missing = np.isnan(values)
            filled = np.where(missing, column.fill, np.clip(values, column.low, column.high))
            out[:, position] = (filled - column.mean) / column.scale
            position += 1
            if column.flag_missing:
                out[:, position] = missing
                position += 1
        return out

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"columns": [asdict(c) for c in self.columns], "means": self.means}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LinearDesign:
        """The design that `to_dict` wrote."""
        return cls([DesignColumn(**c) for c in data["columns"]], list(data["means"]))
