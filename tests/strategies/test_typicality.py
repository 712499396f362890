"""Typicality strategies: TypiClust asks about the most typical example of each region the
labels don't cover; tcm switches to margin sampling once the labels reach a few per label."""

from __future__ import annotations

import numpy as np

from altool.strategies import (
    QueryContext,
    get_strategy,
    spec_of,
    tcm,
    typical_picks,
    typicality_scores,
    typiclust,
    typiclust_start,
)


def blobs(n_per: int = 60, centres: int = 4, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Unit rows around ``centres`` directions, plus a few outliers far from all of them."""
    rng = np.random.default_rng(seed)
    dirs = rng.normal(size=(centres, 16))
    rows = np.vstack([d + 0.15 * rng.normal(size=(n_per, 16)) for d in dirs])
    out = rng.normal(size=(5, 16)) * 3
    X = np.vstack([rows, out])
    return X / np.linalg.norm(X, axis=1, keepdims=True), np.repeat(np.arange(centres), n_per)


def test_typical_rows_are_dense_not_outliers():
    X, _ = blobs()
    scores = typicality_scores(X)
    assert scores[-5:].max() < np.median(scores[:-5])  # the outliers are the least typical


def test_a_cold_start_covers_every_cluster_with_a_typical_row():
    X, cluster = blobs()
    picks = typiclust_start(X, 4, rng=np.random.default_rng(1))
    assert len(set(picks)) == 4 and max(picks) < len(cluster)  # no outlier
    assert sorted(cluster[picks]) == [0, 1, 2, 3]  # one per cluster


def test_typiclust_goes_where_the_labels_are_not():
    X, cluster = blobs()
    X = X[: len(cluster)]  # without the outliers
    zero = np.flatnonzero(cluster == 0)
    labelled = X[zero[::2]]  # half of cluster 0 is labelled: it is covered
    rest = np.setdiff1d(np.arange(len(X)), zero[::2])
    for seed in range(5):
        picks = typical_picks(X[rest], labelled, 6, np.random.default_rng(seed))
        assert 0 not in cluster[rest][picks]  # every pick from an uncovered cluster


def test_the_strategies_are_registered_and_declared():
    assert get_strategy("typiclust") is typiclust and get_strategy("tcm") is tcm
    for fn in (typiclust, tcm):
        spec = spec_of(fn)
        assert spec.needs == {"vectors"} and spec.context and spec.cold_start is typiclust_start


def test_tcm_switches_to_margin_after_a_few_labels_per_label():
    X, _ = blobs()
    probs = np.full((len(X), 2), 0.5)
    probs[7] = [0.51, 0.49]  # the most uncertain row by far... is not typical
    probs[:7] = [[0.99, 0.01]] * 7

    class Model:
        labels = ["a", "b"]

    def context(n_labelled: int) -> QueryContext:
        return QueryContext(model=Model(), pool_features=X, cand_rows=np.arange(len(X)),
                            to_candidates=lambda Q: Q, train_X=X[:n_labelled])

    rng = np.random.default_rng(3)
    early = tcm(probs, 4, rng=rng, features=X, context=context(2))
    late = tcm(probs, 4, rng=rng, features=X, context=context(6))  # 3 per label: margin
    assert list(early) == list(typiclust(probs, 4, rng=np.random.default_rng(3), features=X,
                                         context=context(2)))
    assert all(probs[i, 0] < 0.99 for i in late)  # margin never picks the sure rows
