"""Uncertainty sampling: scorers over predicted probabilities, the strategies built from them,
expected gradient length, and the random baseline."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .base import (
    QueryContext,
    Strategy,
    declare,
    keeps_order,
    row_norms,
    scored_by,
    top,
    uses_context,
)


# -- scorers ---------------------------------------------------------------------------------
def margin_scores(probs: np.ndarray) -> np.ndarray:
    """1 minus the gap between the two most likely classes."""
    if probs.shape[1] == 1:
        return 1.0 - np.abs(2 * probs[:, 0] - 1)
    top2 = -np.partition(-probs, 1, axis=1)[:, :2]
    return 1.0 - (top2[:, 0] - top2[:, 1])


def entropy_scores(probs: np.ndarray) -> np.ndarray:
    p = np.clip(probs, 1e-12, 1.0)
    return -(p * np.log(p)).sum(axis=1)


def least_confidence_scores(probs: np.ndarray) -> np.ndarray:
    return 1.0 - probs.max(axis=1)


def _uncertainty(scorer: Callable[[np.ndarray], np.ndarray]) -> Strategy:
    def strategy(
        probs: np.ndarray, n: int, *, rng: np.random.Generator, features: Any = None
    ) -> np.ndarray:
        return top(scorer(probs), n, rng)

    strategy.__doc__ = f"The ``n`` rows with the highest {scorer.__name__}."
    return strategy


margin = _uncertainty(margin_scores)
entropy = _uncertainty(entropy_scores)
least_confidence = _uncertainty(least_confidence_scores)
for _strategy, _scorer in ((margin, margin_scores), (entropy, entropy_scores),
                           (least_confidence, least_confidence_scores)):
    declare(_strategy, pool_score=scored_by(_scorer))


# -- expected gradient length ----------------------------------------------------------------
def expected_gradient_lengths(
    probs: np.ndarray, features: Any = None, context: QueryContext | None = None
) -> np.ndarray:
    """Expected norm of the log-loss gradient if a candidate's answer were added, under the
    model's own predictive distribution (closed form for altool's models).

    altool's models are one binary logistic regression per label: ``p_j = sigmoid(w_j . x +
    b_j)``. An answer gives some labels a target ``t_j`` in {0, 1}, and label j's gradient
    is ``(p_j - t_j) [x, 1]``, so the whole model's gradient has norm
    ``||[x, 1]|| * sqrt(sum_j (p_j - t_j)^2)`` over the labels the answer decides. Hence:

    - choice view, exclusive labels (the answer y sets every label: ``t = onehot(y)``):
      ``EGL = ||[x, 1]|| * sum_y q_y ||p - onehot(y)||`` with ``q`` the normalised ``p``;
    - binary view, a question about label j (accepted with probability ``p_j``): an accept
      sets ``t = onehot(j)`` when labels are exclusive (``||p - onehot(j)||``), else only
      ``t_j = 1`` (``1 - p_j``); a reject sets ``t_j = 0`` (``p_j``). So
      ``EGL = ||[x, 1]|| * (p_j * accept_norm + (1 - p_j) * p_j)``;
    - choice view, multi-label (every label toggled independently): the exact expectation
      has ``2^k`` terms; ``||[x, 1]|| * sqrt(sum_j p_j (1 - p_j))`` (its Jensen upper bound,
      the root of the expected squared norm) is used instead.

    Class weights and the L2 penalty are left out (they scale gradients, not the answer
    distribution). The raw per-label ``p`` comes from ``context``; without one, ``probs``
    is taken as ``p`` with exclusive labels. Features here are L2-normalised, so ``||[x, 1]||``
    is the same for every row and EGL ranks by the probability term; the norm is kept for
    models whose features are not normalised."""
    norm = np.sqrt(row_norms(features) ** 2 + 1.0) if features is not None else 1.0
    if context is None or context.model is None:
        P, q, labels = probs, probs, None
        exclusive = True
    else:
        P = context.pool_probs[context.cand_rows]
        q = probs
        labels = context.cand_labels
        exclusive = bool(getattr(context.model, "exclusive", True))
    if labels is not None:  # binary view: one question per (row, label j)
        rows = np.arange(len(P))
        pj = P[rows, labels]
        if exclusive:
            onehot = np.zeros_like(P)
            onehot[rows, labels] = 1.0
            accept = np.linalg.norm(P - onehot, axis=1)
        else:
            accept = 1.0 - pj
        return norm * (pj * accept + (1.0 - pj) * pj)
    if not exclusive and P.shape[1] > 1:
        return norm * np.sqrt((P * (1.0 - P)).sum(axis=1))
    if P.shape[1] != q.shape[1]:  # single-label model, choice of [label, not label]
        P = np.column_stack([P[:, 0], 1.0 - P[:, 0]])
    # ||p - e_y||^2 = ||p||^2 - 2 p_y + 1
    sq = np.maximum((P * P).sum(axis=1, keepdims=True) - 2.0 * P + 1.0, 0.0)
    return norm * (q * np.sqrt(sq)).sum(axis=1)


@uses_context
def egl(
    probs: np.ndarray, n: int, *, rng: np.random.Generator, features: Any = None,
    context: QueryContext | None = None,
) -> np.ndarray:
    """Expected gradient length: the ``n`` candidates whose answer would change the model most
    (see :func:`expected_gradient_lengths`)."""
    if n <= 0 or len(probs) == 0:
        return np.empty(0, dtype=int)
    return top(expected_gradient_lengths(probs, features, context), n, rng)


declare(egl, pool_score=lambda context: expected_gradient_lengths)


# -- random ----------------------------------------------------------------------------------
@keeps_order
def random_order(
    probs: np.ndarray, n: int, *, rng: np.random.Generator, features: Any = None
) -> np.ndarray:
    """``n`` rows drawn uniformly at random (the baseline every strategy must beat)."""
    return rng.permutation(len(probs))[: min(n, len(probs))]


def random_start(features: Any, n: int, *, rng: np.random.Generator) -> np.ndarray:
    """Cold start in random order: the ``random`` baseline stays random before the model too."""
    m = features.shape[0]
    return rng.permutation(m)[: min(n, m)]


declare(random_order, cold_start=random_start)
