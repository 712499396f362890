"""Diversity-aware strategies: near-duplicate-free margin sampling (``diverse``, the default),
margin sampling spread over the batch by k-means++ (``spread``), the k-means++ cold start,
core-set (k-center greedy) and BADGE (k-means++ on gradient embeddings).

Core-set and BADGE measure distances in a low-dimensional space: dense features of at most
:data:`PROJECTION_DIM` * 4 columns (sentence embeddings) are used as they are; hashed n-gram
features (millions of sparse columns) go through a fixed sparse random projection to
:data:`PROJECTION_DIM` dimensions (Johnson-Lindenstrauss: distances are kept within a few
tens of percent), then rows are L2-normalised.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..models.base import VECTORS
from .base import QueryContext, column, declare, scored_by, top
from .uncertainty import margin_scores

PROJECTION_DIM = 128
_projections: dict[int, Any] = {}


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
    ranked = top(scorer(probs), n * prefilter, rng)
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


def spread(
    probs: np.ndarray,
    n: int,
    *,
    rng: np.random.Generator,
    features: Any = None,
    prefilter: int = 10,
    scorer: Callable[[np.ndarray], np.ndarray] = margin_scores,
) -> np.ndarray:
    """Margin sampling spread over the batch: k-means++ seeding among the most uncertain rows.

    Takes the ``n * prefilter`` most uncertain rows and picks ``n`` of them with k-means++
    seeding (:func:`cold_start`: each pick drawn with probability proportional to its squared
    distance from the picks so far), so one batch covers several uncertain regions instead of
    ten near-copies of one; a row identical to a picked one is never drawn while others are
    left. Zhdanov (2019) and Citovsky et al. (2021) do the same with full clustering."""
    ranked = top(scorer(probs), n * prefilter, rng)
    if features is None or n <= 1 or len(ranked) <= n:
        return ranked[:n]
    return ranked[cold_start(features[ranked], n, rng=rng)]


# their picks are among the n * prefilter highest margins (spread's draw among them is random,
# so its picks are the same only in distribution); core-set and BADGE have none (coverage)
declare(diverse, pool_score=scored_by(margin_scores))
declare(spread, pool_score=scored_by(margin_scores))


def _used_columns(features: Any) -> Any:
    """Sparse rows restricted to the columns they use: the same dot products, but a product
    with one row no longer costs a pass over the ~2 million hashed columns (a 100-row batch
    of n-gram features: 23 ms -> well under 1 ms per pick). Dense rows are returned as is."""
    import scipy.sparse as sp

    if not sp.issparse(features):
        return features
    csr = features.tocsr()
    used, remapped = np.unique(csr.indices, return_inverse=True)
    return sp.csr_matrix((csr.data, remapped.ravel(), csr.indptr),
                         shape=(csr.shape[0], len(used)))


def cold_start(features: Any, n: int, *, rng: np.random.Generator) -> np.ndarray:
    """Diversity-first order for when no model is ready: k-means++ seeding over ``features``.

    The first pick is random; each next pick is drawn with probability proportional to its
    squared distance from the picks so far, so the batch spreads over the data's clusters
    instead of following file order."""
    m = features.shape[0]
    n = min(n, m)
    if n <= 0:
        return np.empty(0, dtype=int)
    features = _used_columns(features)
    first = int(rng.integers(m))
    chosen = [first]
    # For L2-normalised rows: squared distance = 2 - 2 * cosine similarity.
    closest = np.maximum(2.0 - 2.0 * column(features @ features[first].T), 0.0)
    closest[first] = 0.0  # float noise must not let the first pick be drawn again
    while len(chosen) < n:
        total = closest.sum()
        if total <= 1e-12:
            rest = np.setdiff1d(np.arange(m), chosen)
            chosen += [int(i) for i in rng.permutation(rest)[: n - len(chosen)]]
            break
        pick = int(rng.choice(m, p=closest / total))
        chosen.append(pick)
        dist = np.maximum(2.0 - 2.0 * column(features @ features[pick].T), 0.0)
        np.minimum(closest, dist, out=closest)
        closest[pick] = 0.0
    return np.asarray(chosen, dtype=int)


# -- low-dimensional space -------------------------------------------------------------------
def low_dim(features: Any) -> np.ndarray:
    """Dense, L2-normalised rows of at most a few hundred dimensions (see the module docs).
    The projection is fixed per input width, so pool and labelled rows land in one space."""
    import scipy.sparse as sp

    width = features.shape[1]
    if sp.issparse(features) or width > 4 * PROJECTION_DIM:
        proj = _projections.get(width)
        if proj is None:
            from sklearn.random_projection import SparseRandomProjection

            proj = SparseRandomProjection(PROJECTION_DIM, dense_output=True, random_state=0)
            proj.fit(sp.csr_matrix((1, width)))
            proj.components_ = proj.components_.astype(np.float32)  # features are float32
            _projections[width] = proj
        Z = np.asarray(proj.transform(features.astype(np.float32)), dtype=np.float32)
    else:
        Z = np.asarray(features, dtype=np.float32)
    norms = np.linalg.norm(Z, axis=1, keepdims=True)
    return Z / np.where(norms > 0, norms, 1.0)


def _min_sq_dist(Z: np.ndarray, L: np.ndarray, chunk: int = 512) -> np.ndarray:
    """For unit rows: each row of ``Z``'s squared distance to its nearest row of ``L``."""
    best = np.full(len(Z), np.inf, dtype=np.float32)
    for start in range(0, len(L), chunk):
        sims = Z @ L[start : start + chunk].T
        np.minimum(best, 2.0 - 2.0 * sims.max(axis=1), out=best)
    return np.maximum(best, 0.0)


@declare(needs={VECTORS}, context=True)
def coreset(
    probs: np.ndarray, n: int, *, rng: np.random.Generator, features: Any = None,
    context: QueryContext | None = None,
) -> np.ndarray:
    """Core-set by k-center greedy: each pick is the candidate farthest from everything
    labelled so far and from the earlier picks of the batch (ignores the probabilities).

    Labelled rows come from ``context.train_X``; without them the first pick is random.
    Without features there is no space to cover, and the order is random."""
    m = len(probs)
    n = min(n, m)
    if n <= 0:
        return np.empty(0, dtype=int)
    if features is None:
        return rng.permutation(m)[:n]
    Z = low_dim(features)
    train = None if context is None else context.train_X
    if train is not None and train.shape[0] > 0:
        dist = _min_sq_dist(Z, low_dim(train))
    else:
        dist = np.full(m, 4.0, dtype=np.float32)  # the farthest two unit rows can be
        dist[int(rng.integers(m))] = 5.0
    jitter = rng.random(m) * 1e-6  # ties (e.g. a row asked about under several labels)
    chosen: list[int] = []
    for _ in range(n):
        pick = int(np.argmax(dist + jitter))
        chosen.append(pick)
        np.minimum(dist, np.maximum(2.0 - 2.0 * (Z @ Z[pick]), 0.0), out=dist)
        dist[pick] = -1.0  # never again
    return np.asarray(chosen, dtype=int)


@declare(needs={VECTORS}, context=True)
def badge(
    probs: np.ndarray, n: int, *, rng: np.random.Generator, features: Any = None,
    context: QueryContext | None = None,
) -> np.ndarray:
    """BADGE: k-means++ seeding over gradient embeddings ``g = (p - onehot(argmax p)) x z``.

    ``g`` is the gradient of the log loss at the model's own guess with respect to a linear
    last layer (``z`` = the low-dimensional features): long for uncertain rows, pointing
    different ways for different regions. So the batch is uncertain and diverse. ``g`` is
    never built: for outer products ``<a_i x z_i, a_j x z_j> = (a_i . a_j)(z_i . z_j)``,
    which gives every distance k-means++ needs. The first pick is the longest gradient."""
    m = len(probs)
    n = min(n, m)
    if n <= 0:
        return np.empty(0, dtype=int)
    A = np.asarray(probs, dtype=float).copy()
    A[np.arange(m), A.argmax(axis=1)] -= 1.0
    Z = low_dim(features) if features is not None else np.ones((m, 1), dtype=np.float32)
    a2 = (A * A).sum(axis=1)
    z2 = (Z * Z).sum(axis=1).astype(float)
    norms = a2 * z2

    def sq_dist(j: int) -> np.ndarray:
        return np.maximum(norms + norms[j] - 2.0 * (A @ A[j]) * (Z @ Z[j]), 0.0)

    first = int(top(norms, 1, rng)[0])
    chosen = [first]
    closest = sq_dist(first)
    closest[first] = 0.0
    while len(chosen) < n:
        total = closest.sum()
        if total <= 1e-12:  # the rest are copies of picks: by gradient length
            rest = np.setdiff1d(np.arange(m), chosen)
            chosen += [int(rest[i]) for i in top(norms[rest], n - len(chosen), rng)]
            break
        pick = int(rng.choice(m, p=closest / total))
        chosen.append(pick)
        np.minimum(closest, sq_dist(pick), out=closest)
        closest[pick] = 0.0
    return np.asarray(chosen, dtype=int)
