"""Query strategies and the cold start."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from altool.errors import AltoolError
from altool.strategies import (
    DEFAULT_STRATEGY,
    STRATEGIES,
    cold_start,
    diverse,
    entropy_scores,
    get_strategy,
    least_confidence_scores,
    margin,
    margin_scores,
    spec_of,
    spread,
)

# strategies that take a QueryContext are run with one in tests/strategies/test_strategies_family.py
PLAIN = sorted(n for n, fn in STRATEGIES.items() if not spec_of(fn).context)


def random_probs(n: int, k: int = 3, seed: int = 0) -> np.ndarray:
    p = np.random.default_rng(seed).random((n, k))
    return p / p.sum(axis=1, keepdims=True)


def normalised(x: np.ndarray) -> np.ndarray:
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def random_features(n: int, d: int = 16, seed: int = 0) -> np.ndarray:
    return normalised(np.random.default_rng(seed).normal(size=(n, d)))


@pytest.mark.parametrize("name", PLAIN)
@pytest.mark.parametrize("n", [1, 5, 40])
def test_distinct_indices_within_range(name, n):
    probs = random_probs(40)
    out = STRATEGIES[name](probs, n, rng=np.random.default_rng(0), features=random_features(40))
    assert len(out) == n
    assert len(set(out.tolist())) == len(out)
    assert all(0 <= i < 40 for i in out)


@pytest.mark.parametrize("name", PLAIN)
def test_n_is_capped_at_pool_size(name):
    probs = random_probs(7)
    out = STRATEGIES[name](probs, 50, rng=np.random.default_rng(0), features=random_features(7))
    assert sorted(out.tolist()) == list(range(7))


@pytest.mark.parametrize("name", PLAIN)
def test_empty_pool_and_zero_n(name):
    fn = STRATEGIES[name]
    rng = np.random.default_rng(0)
    assert len(fn(random_probs(5), 0, rng=rng, features=random_features(5))) == 0
    assert len(fn(np.empty((0, 3)), 5, rng=rng, features=np.empty((0, 16)))) == 0


@pytest.mark.parametrize("name", PLAIN)
def test_deterministic_under_same_seed(name):
    probs = random_probs(100)
    # ties everywhere, so only the rng decides the order
    flat = np.full((100, 2), 0.5)
    X = random_features(100)
    for p in (probs, flat):
        a = STRATEGIES[name](p, 10, rng=np.random.default_rng(42), features=X)
        b = STRATEGIES[name](p, 10, rng=np.random.default_rng(42), features=X)
        assert a.tolist() == b.tolist()


def test_ties_are_not_broken_by_position():
    flat = np.full((100, 2), 0.5)
    firsts = {int(margin(flat, 1, rng=np.random.default_rng(s))[0]) for s in range(20)}
    assert len(firsts) > 1


def test_margin_picks_the_most_uncertain_rows():
    probs = np.array([
        [0.99, 0.01],
        [0.52, 0.48],  # most uncertain
        [0.80, 0.20],
        [0.45, 0.55],  # second
        [0.05, 0.95],
        [0.65, 0.35],  # third
    ])
    out = STRATEGIES["margin"](probs, 3, rng=np.random.default_rng(0))
    assert out.tolist() == [1, 3, 5]


def test_margin_uses_the_top_two_classes():
    probs = np.array([
        [0.40, 0.40, 0.20],  # top two tie: most uncertain
        [0.70, 0.20, 0.10],
        [0.50, 0.30, 0.20],
    ])
    assert STRATEGIES["margin"](probs, 3, rng=np.random.default_rng(0)).tolist() == [0, 2, 1]
    np.testing.assert_allclose(margin_scores(probs), [1.0, 0.5, 0.8])


def test_other_scorers_rank_uniform_highest():
    probs = np.array([[0.9, 0.05, 0.05], [1 / 3, 1 / 3, 1 / 3], [0.6, 0.3, 0.1]])
    for name in ("entropy", "least-confidence"):
        assert STRATEGIES[name](probs, 3, rng=np.random.default_rng(0)).tolist() == [1, 2, 0]
    assert entropy_scores(probs)[1] == pytest.approx(np.log(3))
    np.testing.assert_allclose(least_confidence_scores(probs), [0.1, 2 / 3, 0.4])


def test_single_column_margin():
    probs = np.array([[0.9], [0.5], [0.2]])
    np.testing.assert_allclose(margin_scores(probs), [0.2, 1.0, 0.4])


def test_diverse_skips_a_near_duplicate_of_a_picked_row():
    probs = np.array([
        [0.50, 0.50],  # most uncertain
        [0.51, 0.49],  # second, but a near-duplicate of row 0
        [0.60, 0.40],  # third
        [0.90, 0.10],
    ])
    X = normalised(np.array([
        [1.0, 0.0, 0.0],
        [0.99, 0.01, 0.0],
        [0.0, 1.0, 0.0],
        [0.0, 0.0, 1.0],
    ]))
    out = diverse(probs, 2, rng=np.random.default_rng(0), features=X)
    assert out.tolist() == [0, 2]
    assert margin(probs, 2, rng=np.random.default_rng(0)).tolist() == [0, 1]


def test_diverse_works_with_sparse_features():
    probs = np.array([[0.5, 0.5], [0.51, 0.49], [0.6, 0.4]])
    X = sp.csr_matrix(normalised(np.array([[1.0, 0.0], [1.0, 0.01], [0.0, 1.0]])))
    out = diverse(probs, 2, rng=np.random.default_rng(0), features=X)
    assert out.tolist() == [0, 2]


def test_diverse_fills_up_with_duplicates_when_needed():
    probs = np.array([[0.5, 0.5], [0.52, 0.48], [0.55, 0.45]])
    X = normalised(np.ones((3, 4)))
    out = diverse(probs, 3, rng=np.random.default_rng(0), features=X)
    assert out.tolist() == [0, 1, 2]


def test_diverse_without_features_is_margin():
    probs = random_probs(30, 2)
    a = diverse(probs, 5, rng=np.random.default_rng(3))
    b = margin(probs, 5, rng=np.random.default_rng(3))
    assert a.tolist() == b.tolist()


def three_clusters(per: int = 20, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    centres = np.eye(3, 8) * 10
    X = np.vstack([c + rng.normal(scale=0.05, size=(per, 8)) for c in centres])
    return normalised(X), np.repeat(np.arange(3), per)


@pytest.mark.parametrize("seed", range(10))
def test_spread_covers_the_uncertain_clusters_that_margin_piles_into_one(seed):
    # 60 rows in 3 tight clusters; the 10 most uncertain rows all lie in cluster 0, the next
    # 20 are split over clusters 1 and 2, the rest are confident
    X, cluster = three_clusters()
    margin_gap = np.concatenate([np.linspace(0.00, 0.05, 20), np.linspace(0.06, 0.2, 20),
                                 np.linspace(0.07, 0.21, 20)])
    margin_gap[10:20] = 0.9  # cluster 0's other rows are confident
    probs = np.column_stack([(1 + margin_gap) / 2, (1 - margin_gap) / 2])
    rng = np.random.default_rng(seed)
    picked = spread(probs, 3, rng=rng, features=X)
    assert len(set(picked.tolist())) == 3
    assert sorted(cluster[picked].tolist()) == [0, 1, 2]
    assert set(picked.tolist()) <= set(np.argsort(margin_scores(probs))[::-1][:30].tolist())
    assert cluster[margin(probs, 3, rng=np.random.default_rng(seed))].tolist() == [0, 0, 0]


def test_sparse_rows_keep_their_dot_products_in_the_compact_columns():
    from altool.strategies.diversity import _used_columns

    rng = np.random.default_rng(0)
    X = sp.random(40, 2**21, density=2e-5, format="csr", random_state=1, dtype=np.float32)
    small = _used_columns(X)
    assert small.shape[0] == 40 and small.shape[1] <= X.nnz
    np.testing.assert_allclose((small @ small.T).toarray(), (X @ X.T).toarray(), rtol=1e-6)
    dense = rng.normal(size=(5, 3))
    assert _used_columns(dense) is dense
    # the same picks as on the full-width rows
    Xn = sp.csr_matrix(normalised(X.toarray()[:, np.unique(X.indices)]))
    for seed in range(5):
        assert cold_start(X.multiply(1 / np.maximum(sp.linalg.norm(X, axis=1), 1e-9)[:, None])
                          .tocsr(), 5, rng=np.random.default_rng(seed)).tolist() == \
            cold_start(Xn, 5, rng=np.random.default_rng(seed)).tolist()


def test_spread_never_repeats_a_text_while_others_are_left():
    # the binary view asks one question per (text, label): copies of a row share its features
    X = normalised(np.repeat(np.eye(4, 6), 3, axis=0))  # 4 texts x 3 labels
    probs = random_probs(12, 2, seed=5)
    for seed in range(20):
        picked = spread(probs, 4, rng=np.random.default_rng(seed), features=X)
        assert len({int(i) // 3 for i in picked}) == 4


def test_spread_is_margin_without_features_or_for_one_pick():
    probs = random_probs(30, 3)
    a = spread(probs, 5, rng=np.random.default_rng(3))
    b = margin(probs, 5, rng=np.random.default_rng(3))
    assert a.tolist() == b.tolist()
    X = normalised(np.random.default_rng(0).normal(size=(30, 4)))
    one = spread(probs, 1, rng=np.random.default_rng(3), features=X)
    assert one.tolist() == margin(probs, 1, rng=np.random.default_rng(3)).tolist()
    # fewer candidates than asked for: all of them, most uncertain first
    few = spread(probs[:4], 10, rng=np.random.default_rng(3), features=X[:4])
    assert sorted(few.tolist()) == [0, 1, 2, 3]


@pytest.mark.parametrize("seed", range(10))
def test_cold_start_spreads_over_clusters(seed):
    X, cluster = three_clusters()
    out = cold_start(X, 3, rng=np.random.default_rng(seed))
    assert sorted(cluster[out].tolist()) == [0, 1, 2]


def test_cold_start_sparse_features():
    X, cluster = three_clusters()
    out = cold_start(sp.csr_matrix(X), 3, rng=np.random.default_rng(1))
    assert sorted(cluster[out].tolist()) == [0, 1, 2]


def test_cold_start_is_deterministic_and_capped():
    X, _ = three_clusters()
    a = cold_start(X, 10, rng=np.random.default_rng(5))
    b = cold_start(X, 10, rng=np.random.default_rng(5))
    assert a.tolist() == b.tolist()
    assert sorted(cold_start(X, 500, rng=np.random.default_rng(5)).tolist()) == list(range(60))
    assert len(cold_start(X, 0, rng=np.random.default_rng(5))) == 0


@pytest.mark.parametrize("seed", range(30))
def test_cold_start_never_repeats_a_row_even_for_near_identical_rows(seed):
    # float32 rounding leaves a row's distance to itself slightly above 0
    rng = np.random.default_rng(seed)
    X = (np.ones((50, 7)) + rng.random((50, 7)) * 1e-4).astype(np.float32)
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    out = cold_start(X, 10, rng=np.random.default_rng(seed))
    assert len(out) == 10
    assert len(set(out.tolist())) == 10


def test_cold_start_identical_rows():
    X = normalised(np.ones((6, 3)))
    out = cold_start(X, 6, rng=np.random.default_rng(0))
    assert sorted(out.tolist()) == list(range(6))


def test_get_strategy():
    assert get_strategy("margin") is STRATEGIES["margin"]
    assert get_strategy("default") is STRATEGIES[DEFAULT_STRATEGY]


def test_get_strategy_unknown_lists_names():
    with pytest.raises(AltoolError) as info:
        get_strategy("cleverest")
    message = str(info.value)
    assert "cleverest" in message
    for name in STRATEGIES:
        assert name in message


def test_with_random_share_mixes_random_picks_into_the_batch() -> None:
    from altool.strategies import margin, with_random_share

    rng_probs = np.random.default_rng(0)
    p = rng_probs.random(200)
    probs = np.column_stack([p, 1 - p])
    mixed = with_random_share(margin, 0.3)
    picks = mixed(probs, 10, rng=np.random.default_rng(1))
    assert len(picks) == 10 and len(set(picks.tolist())) == 10
    top7 = set(margin(probs, 7, rng=np.random.default_rng(1)).tolist())
    assert top7 <= set(picks.tolist())  # the base strategy keeps 70% of the batch
    again = mixed(probs, 10, rng=np.random.default_rng(1))
    assert picks.tolist() == again.tolist()  # deterministic under a seed
    assert len(mixed(probs[:4], 10, rng=np.random.default_rng(1))) == 4
    with pytest.raises(AltoolError):
        with_random_share(margin, 1.0)
