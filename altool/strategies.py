"""Query strategies: small plain functions over predicted probabilities.

A *scorer* maps ``probs`` (n x k, rows sum to 1) to an uncertainty per row (higher = ask
sooner). A *strategy* has the signature ``strategy(probs, n, *, rng, features) -> indices`` and
returns up to ``n`` distinct row indices, most wanted first. ``features`` (a sparse or dense
matrix, one row per candidate, L2-normalised) is used by the diversity-aware strategies only.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

import numpy as np

from .errors import AltoolError


class Strategy(Protocol):
    def __call__(
        self, probs: np.ndarray, n: int, *, rng: np.random.Generator, features: Any = None
    ) -> np.ndarray: ...


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


def _top(scores: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """Indices of the ``n`` highest scores; ties broken at random (not by position)."""
    n = min(n, len(scores))
    if n <= 0:
        return np.empty(0, dtype=int)
    jitter = rng.random(len(scores)) * 1e-9
    keyed = scores + jitter
    if n < len(scores):
        part = np.argpartition(-keyed, n - 1)[:n]
    else:
        part = np.arange(len(scores))
    return part[np.argsort(-keyed[part], kind="stable")]


def _uncertainty(scorer: Callable[[np.ndarray], np.ndarray]) -> Strategy:
    def strategy(
        probs: np.ndarray, n: int, *, rng: np.random.Generator, features: Any = None
    ) -> np.ndarray:
        return _top(scorer(probs), n, rng)

    strategy.__doc__ = f"The ``n`` rows with the highest {scorer.__name__}."
    return strategy


margin = _uncertainty(margin_scores)
entropy = _uncertainty(entropy_scores)
least_confidence = _uncertainty(least_confidence_scores)


def random_order(
    probs: np.ndarray, n: int, *, rng: np.random.Generator, features: Any = None
) -> np.ndarray:
    """``n`` rows drawn uniformly at random (the baseline every strategy must beat)."""
    return rng.permutation(len(probs))[: min(n, len(probs))]


def random_start(features: Any, n: int, *, rng: np.random.Generator) -> np.ndarray:
    """Cold start in random order: the ``random`` baseline stays random before the model too."""
    m = features.shape[0]
    return rng.permutation(m)[: min(n, m)]


random_order.cold_start = random_start  # type: ignore[attr-defined]


EMA_ALPHA = 0.1


def ema_emitted(scores: np.ndarray, alpha: float = EMA_ALPHA) -> np.ndarray:
    """Stream positions that Prodigy's EMA sorter lets through, in order.

    Walks ``scores`` in order, keeping an exponential moving average of them (started at the
    first score); a row is emitted when its score is at least the average *before* it is
    folded in (so the first row is always emitted)."""
    emitted = []
    average: float | None = None
    for i, s in enumerate(np.asarray(scores, dtype=float)):
        if average is None or s >= average:
            emitted.append(i)
        average = s if average is None else alpha * s + (1.0 - alpha) * average
    return np.asarray(emitted, dtype=int)


def ema(
    probs: np.ndarray,
    n: int,
    *,
    rng: np.random.Generator,
    features: Any = None,
    alpha: float = EMA_ALPHA,
) -> np.ndarray:
    """Reference: Prodigy's streaming ``prefer_uncertain`` (its default ``ema`` sorter).

    Candidates are walked in pool order (source/sample order, as a stream would arrive), each
    scored by :func:`margin_scores` (``1 - |2p - 1|`` for a binary question); a candidate is
    emitted when its score is at least the running exponential moving average of the scores
    (``alpha`` = 0.1), and the first ``n`` emitted are returned. Like Prodigy, it drops the
    below-average rows (about half of an i.i.d. stream) and does not rank: an emitted row early
    in the pool beats a far more uncertain one later. Differences from a stream, needed for a
    pool: each refresh walks the remaining pool from the start again with the updated model
    (Prodigy's stream moves on), and when one pass emits fewer than ``n`` rows (only near the
    end of a small pool) the dropped rows fill the batch, most uncertain first, so that every
    strategy returns ``min(n, len(probs))`` rows. A reference to compare pool strategies
    against, not a recommendation."""
    n = min(n, len(probs))
    if n <= 0:
        return np.empty(0, dtype=int)
    scores = margin_scores(probs)
    emitted = ema_emitted(scores, alpha)[:n]
    if len(emitted) < n:
        dropped = np.setdiff1d(np.arange(len(scores)), emitted)
        fill = dropped[_top(scores[dropped], n - len(emitted), rng)]
        emitted = np.concatenate([emitted, fill])
    return emitted


def stream_start(features: Any, n: int, *, rng: np.random.Generator) -> np.ndarray:
    """Cold start in stream order: with an untrained model every row is equally uncertain, so
    Prodigy's sorter emits the stream as it comes."""
    return np.arange(min(n, features.shape[0]), dtype=int)


ema.cold_start = stream_start  # type: ignore[attr-defined]


def _row_sims(features: Any, i: int, chosen: list[int]) -> np.ndarray:
    row = features[i]
    other = features[chosen]
    sims = other @ row.T
    if hasattr(sims, "toarray"):
        sims = sims.toarray()
    return np.asarray(sims).ravel()


def diverse(
    probs: np.ndarray,
    n: int,
    *,
    rng: np.random.Generator,
    features: Any = None,
    prefilter: int = 10,
    max_similarity: float = 0.7,
    scorer: Callable[[np.ndarray], np.ndarray] = margin_scores,
) -> np.ndarray:
    """Margin sampling that avoids near-duplicates within one batch.

    Takes the ``n * prefilter`` most uncertain rows and walks them in order, skipping any row
    whose cosine similarity to an already-picked row exceeds ``max_similarity``. If too few
    rows survive, the skipped ones fill the batch in uncertainty order."""
    ranked = _top(scorer(probs), n * prefilter, rng)
    if features is None or n <= 1:
        return ranked[:n]
    chosen: list[int] = []
    skipped: list[int] = []
    for i in ranked:
        if len(chosen) >= n:
            break
        if chosen and _row_sims(features, int(i), chosen).max() > max_similarity:
            skipped.append(int(i))
            continue
        chosen.append(int(i))
    chosen += skipped[: n - len(chosen)]
    return np.asarray(chosen, dtype=int)


def cold_start(features: Any, n: int, *, rng: np.random.Generator) -> np.ndarray:
    """Diversity-first order for when no model is ready: k-means++ seeding over ``features``.

    The first pick is random; each next pick is drawn with probability proportional to its
    squared distance from the picks so far, so the batch spreads over the data's clusters
    instead of following file order."""
    m = features.shape[0]
    n = min(n, m)
    if n <= 0:
        return np.empty(0, dtype=int)
    first = int(rng.integers(m))
    chosen = [first]
    # For L2-normalised rows: squared distance = 2 - 2 * cosine similarity.
    closest = np.maximum(2.0 - 2.0 * _column(features @ features[first].T), 0.0)
    closest[first] = 0.0  # float noise must not let the first pick be drawn again
    while len(chosen) < n:
        total = closest.sum()
        if total <= 1e-12:
            rest = np.setdiff1d(np.arange(m), chosen)
            chosen += [int(i) for i in rng.permutation(rest)[: n - len(chosen)]]
            break
        pick = int(rng.choice(m, p=closest / total))
        chosen.append(pick)
        dist = np.maximum(2.0 - 2.0 * _column(features @ features[pick].T), 0.0)
        np.minimum(closest, dist, out=closest)
        closest[pick] = 0.0
    return np.asarray(chosen, dtype=int)


def _column(x: Any) -> np.ndarray:
    if hasattr(x, "toarray"):
        x = x.toarray()
    return np.asarray(x, dtype=float).ravel()


def with_random_share(base: Strategy, share: float) -> Strategy:
    """``base`` with a share of each batch drawn uniformly at random instead.

    The random picks hedge against uncertainty sampling's known failure (sampling bias on
    noisy tasks) and are an unbiased audit sample. They are spread through the batch (every
    k-th position) so a short session gets some too."""
    if not 0.0 <= share < 1.0:
        raise AltoolError(f"the random share must be in [0, 1), got {share}")

    def strategy(
        probs: np.ndarray, n: int, *, rng: np.random.Generator, features: Any = None
    ) -> np.ndarray:
        n = min(n, len(probs))
        n_random = int(round(n * share))
        chosen = list(base(probs, n - n_random, rng=rng, features=features))
        if n_random:
            rest = np.setdiff1d(np.arange(len(probs)), chosen)
            extra = list(rng.permutation(rest)[:n_random])
            step = max(1, n // max(n_random, 1))
            for k, idx in enumerate(extra):
                chosen.insert(min(len(chosen), (k + 1) * step - 1), int(idx))
        return np.asarray(chosen[:n], dtype=int)

    strategy.__doc__ = f"{base.__name__} with {share:.0%} of each batch at random."
    if hasattr(base, "cold_start"):
        strategy.cold_start = base.cold_start  # type: ignore[attr-defined]
    return strategy


STRATEGIES: dict[str, Strategy] = {
    "margin": margin,
    "entropy": entropy,
    "least-confidence": least_confidence,
    "random": random_order,
    "diverse": diverse,
    "ema": ema,
}

DEFAULT_STRATEGY = "diverse"


def register_strategy(name: str, fn: Strategy) -> Strategy:
    """Make ``fn`` available as ``--strategy name``."""
    STRATEGIES[name] = fn
    return fn


def get_strategy(name: str) -> Strategy:
    if name == "default":
        name = DEFAULT_STRATEGY
    try:
        return STRATEGIES[name]
    except KeyError:
        raise AltoolError(
            f"unknown strategy {name!r}; choose one of: {', '.join(STRATEGIES)}"
        ) from None
