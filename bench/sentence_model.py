"""A logistic model of how likely a candidate sentence holds the answer, for
bench/fit_sentence_model.py: over the scorer's features (assistant.scoring.FEATURES: term and
bigram coverage, heading, echo, search rank, asked shape, length, position, the neighbours'
match) and E5 similarity, fitted by Newton's method with an L2 penalty (numpy only).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

MODEL_FILE = Path(__file__).parent / "data" / "sentence_model.json"


@dataclass(frozen=True)
class Logistic:
    """Standardized features → logit → probability."""

    names: tuple[str, ...]
    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: float

    def probability(self, x: np.ndarray) -> np.ndarray:
        """P(answer) for each row of `x` (columns in `names` order)."""
        if x.size == 0:
            return np.zeros(0)
        z = ((x - self.mean) / self.scale) @ self.coef + self.intercept
        p: np.ndarray = 1.0 / (1.0 + np.exp(-np.clip(z, -30.0, 30.0)))
        return p

    def to_json(self) -> dict[str, object]:
        return {
            "names": list(self.names),
            "mean": self.mean.round(6).tolist(),
            "scale": self.scale.round(6).tolist(),
            "coef": self.coef.round(6).tolist(),
            "intercept": round(float(self.intercept), 6),
        }

    @classmethod
    def from_json(cls, d: dict[str, object]) -> Logistic:
        return cls(
            tuple(d["names"]),  # type: ignore[arg-type]
            np.asarray(d["mean"], dtype=float),
            np.asarray(d["scale"], dtype=float),
            np.asarray(d["coef"], dtype=float),
            float(d["intercept"]),  # type: ignore[arg-type]
        )


@dataclass(frozen=True)
class SentenceModel:
    full: Logistic
    """Over `scoring.FEATURES` + `scoring.DENSE_FEATURES`, for the candidates compared by meaning."""


def fit(x: np.ndarray, y: np.ndarray, names: tuple[str, ...], l2: float = 1.0, steps: int = 3000) -> Logistic:
    """L2-regularized logistic regression by Newton's method (a few hundred features at most)."""
    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale[scale < 1e-9] = 1.0
    z = (x - mean) / scale
    a = np.hstack([z, np.ones((len(z), 1))])
    w = np.zeros(a.shape[1])
    reg = np.full(a.shape[1], l2)
    reg[-1] = 0.0  # the intercept is not shrunk
    for _ in range(min(steps, 100)):
        p = 1.0 / (1.0 + np.exp(-np.clip(a @ w, -30.0, 30.0)))
        grad = a.T @ (p - y) + reg * w
        hess = (a * (p * (1 - p))[:, None]).T @ a + np.diag(reg + 1e-9)
        step = np.linalg.solve(hess, grad)
        w -= step
        if float(np.abs(step).max()) < 1e-8:
            break
    return Logistic(names, mean, scale, w[:-1], float(w[-1]))
