"""Typicality: ask about the most typical example of each region the labels don't cover yet.

With few labels, a model's uncertainty points at outliers and at the boundary of the few
classes it has seen, and on strong representations (sentence embeddings) uncertainty sampling
loses to random order at small budgets. Picking typical, representative examples instead
wins there (TypiClust, Hacohen, Dekel & Weinshall 2022); as the labels grow, uncertainty
takes over again (TCM, Doucet et al. 2023).

- :func:`typiclust`: cluster the pool and the labelled rows together into ``labelled + n``
  clusters (k-means); take the ``n`` largest clusters that hold no labelled row (then the
  least covered ones) and ask about each one's most typical row: the one whose ``TYPICAL_K``
  nearest neighbours in its cluster are closest (highest inverse mean distance).
- :func:`typiclust_start`: the same before any label (a cold start).
- :func:`tcm`: typicality until the labels reach ``switch_per_label`` per label of the task,
  then the default, near-duplicate-free margin sampling (:func:`~.diversity.diverse`).

Distances are cosine distances in :func:`~.diversity.low_dim`'s space, so hashed n-grams and
sentence embeddings are handled alike.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..models.base import VECTORS
from .base import PoolScore, QueryContext, declare, scored_by
from .diversity import diverse, low_dim
from .uncertainty import margin_scores

TYPICAL_K = 20  # neighbours that define typicality (the paper's choice)
MAX_CLUSTERS = 500  # k-means beyond this costs more than it helps (the paper caps it too)
SWITCH_PER_LABEL = 3  # tcm: typical rows until this many labels per label of the task


def typicality_scores(Z: np.ndarray, k: int = TYPICAL_K) -> np.ndarray:
    """Each row's inverse mean distance to its ``k`` nearest other rows (unit rows)."""
    m = len(Z)
    if m <= 1:
        return np.ones(m)
    k = min(k, m - 1)
    dist = np.sqrt(np.maximum(2.0 - 2.0 * (Z @ Z.T), 0.0))
    np.fill_diagonal(dist, np.inf)
    nearest = np.partition(dist, k - 1, axis=1)[:, :k]
    return 1.0 / (nearest.mean(axis=1) + 1e-9)


def _clusters(Z: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    """k-means cluster of each row (MiniBatchKMeans past a few thousand rows)."""
    from sklearn.cluster import KMeans, MiniBatchKMeans

    k = max(1, min(k, len(Z), MAX_CLUSTERS))
    seed = int(rng.integers(2**31))
    if len(Z) > 5_000:
        km = MiniBatchKMeans(n_clusters=k, random_state=seed, n_init=1, batch_size=2048)
    else:
        km = KMeans(n_clusters=k, random_state=seed, n_init=1, max_iter=100)
    return km.fit_predict(Z)


def typical_picks(Z: np.ndarray, labelled: np.ndarray | None, n: int,
                  rng: np.random.Generator) -> np.ndarray:
    """``n`` rows of ``Z`` (candidates), each the most typical of a cluster the ``labelled``
    rows cover least (largest clusters first among equally covered ones)."""
    m = len(Z)
    n = min(n, m)
    if n <= 0:
        return np.empty(0, dtype=int)
    n_labelled = 0 if labelled is None else len(labelled)
    allZ = Z if not n_labelled else np.vstack([Z, labelled])
    assign = _clusters(allZ, n_labelled + n, rng)
    cand, lab = assign[:m], assign[m:]
    sizes = np.bincount(cand, minlength=assign.max() + 1)
    covered = np.bincount(lab, minlength=assign.max() + 1) if n_labelled else \
        np.zeros_like(sizes)
    order = sorted((c for c in range(len(sizes)) if sizes[c]),
                   key=lambda c: (covered[c], -sizes[c], rng.random()))
    chosen: list[int] = []
    for c in order:
        if len(chosen) >= n:
            break
        members = np.flatnonzero(cand == c)
        chosen.append(int(members[np.argmax(typicality_scores(Z[members]))]))
    if len(chosen) < n:  # fewer non-empty clusters than picks: the most typical of the rest
        rest = np.setdiff1d(np.arange(m), chosen)
        more = rest[np.argsort(-typicality_scores(Z[rest]))][: n - len(chosen)]
        chosen += [int(i) for i in more]
    return np.asarray(chosen, dtype=int)


def typiclust_start(features: Any, n: int, *, rng: np.random.Generator) -> np.ndarray:
    """Cold start by typicality: the most typical row of each of ``n`` clusters."""
    if features is None or n <= 0:
        return np.empty(0, dtype=int)
    return typical_picks(low_dim(features), None, n, rng)


@declare(needs={VECTORS}, context=True, cold_start=typiclust_start)
def typiclust(
    probs: np.ndarray, n: int, *, rng: np.random.Generator, features: Any = None,
    context: QueryContext | None = None,
) -> np.ndarray:
    """TypiClust: the most typical candidate of each of the ``n`` least covered clusters of
    the candidates and the labelled rows (ignores the model's probabilities)."""
    if features is None:
        return rng.permutation(len(probs))[: min(n, len(probs))]
    train = None if context is None else context.train_X
    labelled = low_dim(train) if train is not None and train.shape[0] else None
    return typical_picks(low_dim(features), labelled, n, rng)


def _labelled_enough(context: QueryContext | None, switch_per_label: int) -> bool:
    """Whether tcm is past its typicality phase (``switch_per_label`` labels per label)."""
    labelled = 0 if context is None or context.train_X is None else context.train_X.shape[0]
    n_labels = 2 if context is None else max(2, len(getattr(context.model, "labels", [])))
    return labelled >= switch_per_label * n_labels


def _tcm_pool_score(context: QueryContext) -> PoolScore | None:
    """Margin once tcm is diverse margin sampling; None in its typicality phase, which
    needs a representative pool (the most uncertain rows are the atypical ones)."""
    return scored_by(margin_scores)(context) if _labelled_enough(context, SWITCH_PER_LABEL) \
        else None


@declare(needs={VECTORS}, context=True, cold_start=typiclust_start, pool_score=_tcm_pool_score)
def tcm(
    probs: np.ndarray, n: int, *, rng: np.random.Generator, features: Any = None,
    context: QueryContext | None = None, switch_per_label: int = SWITCH_PER_LABEL,
) -> np.ndarray:
    """TypiClust, then margin: typical rows while the labels are fewer than
    ``switch_per_label`` per label of the task, near-duplicate-free margin sampling after."""
    if not _labelled_enough(context, switch_per_label):
        return typiclust(probs, n, rng=rng, features=features, context=context)
    return diverse(probs, n, rng=rng, features=features)
