"""Platt scaling of a model's probabilities, fitted on the annotator's own answers.

``ner.teach`` asks about entities the NER model's beam search found, each with a raw
p(entity) that is often far from the share of such suggestions that are right. The answers
to those suggestions (accept = 1, reject = 0) calibrate it: ``p' = sigmoid(a * logit(p) + b)``
with ``a > 0`` (monotone: the order of candidates never flips), fitted by maximum a
posteriori with a Gaussian prior centred on the identity (``a = 1, b = 0``) whose weight is
``prior`` pseudo-answers, so a few answers move it a little and many answers a lot.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

EPS = 1e-4  # raw probabilities are clipped to [EPS, 1 - EPS] before the logit
MIN_SLOPE = 0.01  # keeps the map strictly increasing
PRIOR = 10.0  # weight of the identity prior, in answers


def logit(p: np.ndarray | Sequence[float]) -> np.ndarray:
    q = np.clip(np.asarray(p, dtype=float), EPS, 1 - EPS)
    return np.log(q) - np.log1p(-q)


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 0.5 * (1 + np.tanh(0.5 * z))


@dataclass(frozen=True)
class PlattScaling:
    """``p -> sigmoid(slope * logit(p) + bias)``; the default is the identity (up to the
    clipping of p to [EPS, 1 - EPS])."""

    slope: float = 1.0
    bias: float = 0.0
    n: int = 0  # answers it was fitted on

    @classmethod
    def fit(cls, p: Sequence[float], y: Sequence[float], prior: float = PRIOR) -> PlattScaling:
        """The MAP fit on raw probabilities ``p`` and outcomes ``y`` (1 = right, 0 = wrong)."""
        from scipy.optimize import minimize

        x, t = logit(p), np.asarray(y, dtype=float)
        if len(x) != len(t):
            raise ValueError("p and y differ in length")
        if len(x) == 0:
            return cls()

        def loss(w: np.ndarray) -> tuple[float, np.ndarray]:
            z = w[0] * x + w[1]
            # log(1 + e^z) - t z, summed; stable for large |z|
            nll = float(np.sum(np.logaddexp(0.0, z) - t * z))
            d = _sigmoid(z) - t
            pen = 0.5 * prior * ((w[0] - 1.0) ** 2 + w[1] ** 2)
            grad = np.array([d @ x + prior * (w[0] - 1.0), d.sum() + prior * w[1]])
            return nll + pen, grad

        res = minimize(loss, np.array([1.0, 0.0]), jac=True, method="L-BFGS-B",
                       bounds=[(MIN_SLOPE, None), (None, None)])
        return cls(float(res.x[0]), float(res.x[1]), len(x))

    def __call__(self, p: np.ndarray | Sequence[float]) -> np.ndarray:
        return _sigmoid(self.slope * logit(p) + self.bias)


def expected_calibration_error(p: Sequence[float], y: Sequence[float], bins: int = 10
                               ) -> float:
    """ECE: over ``bins`` equal-width probability bins, the candidate-weighted mean of
    |mean p - share right|."""
    p, y = np.asarray(p, dtype=float), np.asarray(y, dtype=float)
    if len(p) == 0:
        return 0.0
    which = np.minimum((p * bins).astype(int), bins - 1)
    total = 0.0
    for b in np.unique(which):
        inside = which == b
        total += inside.sum() * abs(p[inside].mean() - y[inside].mean())
    return float(total / len(p))


def brier(p: Sequence[float], y: Sequence[float]) -> float:
    p, y = np.asarray(p, dtype=float), np.asarray(y, dtype=float)
    return float(np.mean((p - y) ** 2)) if len(p) else 0.0
