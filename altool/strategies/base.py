"""What every query strategy shares: the call signature, the query context and ranking.

A *scorer* maps ``probs`` (n x k, rows sum to 1) to an uncertainty per row (higher = ask
sooner). A *strategy* has the signature ``strategy(probs, n, *, rng, features) -> indices`` and
returns up to ``n`` distinct row indices, most wanted first. ``features`` (a sparse or dense
matrix, one row per candidate, L2-normalised) is used by the diversity-aware strategies only.

Everything else a strategy needs or wants is declared in one place, its
:class:`StrategySpec` (set with :func:`declare`, read with :func:`spec_of`): the model
capabilities it needs (``needs``: feature vectors, a refittable model), whether it takes
``context`` (a :class:`QueryContext`: the model, the labelled data, state kept between calls),
whether its one order must not be split per label (``keeps_order``: random, stream), whether it
walks the source in order (``in_source_order``), its own cold start, and the per-candidate
score its picks are drawn from the top of (``pool_score``), by which a large pool can be
narrowed first (on a cluster, :mod:`altool.loop.cluster_pool`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

import numpy as np

from .options import StrategyOptions


class Strategy(Protocol):
    def __call__(
        self, probs: np.ndarray, n: int, *, rng: np.random.Generator, features: Any = None
    ) -> np.ndarray: ...


@dataclass
class QueryContext:
    """What a context-aware strategy may use besides ``probs`` and ``features``.

    Candidates are questions: in the binary view one per (pool row, label), in the choice view
    one per pool row. ``to_candidates`` turns per-label probabilities of the pool rows (as
    ``model.predict_proba(pool_features)`` returns them) into the candidates' ``probs``."""

    model: Any  # the fitted TextModel
    pool_features: Any  # one row per pool example
    cand_rows: np.ndarray  # the pool row of each candidate
    to_candidates: Callable[[np.ndarray], np.ndarray]
    pool_probs: np.ndarray | None = None  # the model's per-label probabilities of the pool
    cand_labels: np.ndarray | None = None  # binary view: the label each candidate asks about
    train_X: Any = None  # features of the labelled inputs the model was fitted on
    train_Y: np.ndarray | None = None  # their targets (1, 0, NaN per label)
    keys: Sequence[int] | None = None  # a stable key per candidate (its task hash)
    state: dict[str, Any] = field(default_factory=dict)  # the learner's, kept between calls
    options: StrategyOptions = field(default_factory=StrategyOptions)
    kinds: dict[int, str] = field(default_factory=dict)  # candidate -> pick kind, if special


ColdStart = Callable[..., np.ndarray]  # cold_start(features, n, *, rng) -> indices
# pool_score(probs, features, context) -> one score per candidate (higher: asked sooner)
PoolScore = Callable[[np.ndarray, Any, "QueryContext"], np.ndarray]


class ByProbs:
    """A :data:`PoolScore` from a scorer of the candidates' probabilities alone (a plain
    class, so it pickles to a cluster's workers by reference)."""

    def __init__(self, scorer: Callable[[np.ndarray], np.ndarray]) -> None:
        self.scorer = scorer

    def __call__(self, probs: np.ndarray, features: Any = None,
                 context: QueryContext | None = None) -> np.ndarray:
        return self.scorer(probs)


def scored_by(scorer: Callable[[np.ndarray], np.ndarray]
              ) -> Callable[[QueryContext], PoolScore]:
    """A ``pool_score`` rule for a strategy whose picks are always among the highest of
    ``scorer(probs)`` (margin, entropy, least confidence, diverse)."""
    score = ByProbs(scorer)
    return lambda context: score


@dataclass(frozen=True)
class StrategySpec:
    """What a strategy needs and how the learner treats it."""

    needs: frozenset[str] = frozenset()  # model capabilities (altool.models.base.CAPABILITIES)
    context: bool = False  # takes ``context=`` (a QueryContext)
    keeps_order: bool = False  # its one order is the point: not split per label
    in_source_order: bool = False  # walks the pool in source order (a stream)
    cold_start: ColdStart | None = None  # before the model is ready; None: k-means++ seeding
    # context -> the PoolScore whose highest candidates hold every pick the strategy would make
    # with this context (the model, the labelled data), or None when its picks depend on the
    # whole pool's structure (clusters, coverage, randomness): then no pool can be narrowed
    pool_score: Callable[[QueryContext], PoolScore | None] | None = None


_SPECS: dict[Callable[..., Any], StrategySpec] = {}


def spec_of(fn: Callable[..., Any]) -> StrategySpec:
    """The spec declared for ``fn`` (a plain function: needs nothing, no context)."""
    return _SPECS.get(fn, StrategySpec())


def declare(fn: Callable[..., Any] | None = None, *, needs: Iterable[str] = (),
            **fields: Any) -> Any:
    """Declare ``fn``'s :class:`StrategySpec` fields (added to what was declared before). Use
    as ``declare(fn, needs={"vectors"})`` or as a decorator ``@declare(context=True)``."""

    def apply(f: Callable[..., Any]) -> Callable[..., Any]:
        spec = spec_of(f)
        _SPECS[f] = replace(spec, needs=spec.needs | frozenset(needs), **fields)
        return f

    return apply if fn is None else apply(fn)


def uses_context(fn: Callable[..., np.ndarray]) -> Callable[..., np.ndarray]:
    """Mark ``fn`` as wanting the ``context`` keyword (a :class:`QueryContext`)."""
    return declare(fn, context=True)


def keeps_order(fn: Callable[..., np.ndarray]) -> Callable[..., np.ndarray]:
    """Mark ``fn`` as an order that must not be split per label. In the binary view with
    several exclusive labels the learner ranks each label's questions separately and gives
    every label a share of the batch (:meth:`altool.loop.learner.Learner.choose`); random
    order and the stream strategies keep their one order over all candidates instead."""
    return declare(fn, keeps_order=True)


def call_strategy(
    strategy: Strategy, probs: np.ndarray, n: int, *, rng: np.random.Generator,
    features: Any = None, context: QueryContext | None = None,
) -> np.ndarray:
    """Call ``strategy``, passing ``context`` only to a strategy that takes it (so strategies
    written for the plain signature keep working)."""
    if spec_of(strategy).context:
        return strategy(probs, n, rng=rng, features=features, context=context)
    return strategy(probs, n, rng=rng, features=features)


def top(scores: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
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


def column(x: Any) -> np.ndarray:
    """A sparse or dense one-column/one-row result as a flat float array."""
    if hasattr(x, "toarray"):
        x = x.toarray()
    return np.asarray(x, dtype=float).ravel()


def row_norms(features: Any) -> np.ndarray:
    """The L2 norm of each row of a sparse or dense matrix."""
    if hasattr(features, "multiply"):
        return np.sqrt(column(features.multiply(features).sum(axis=1)))
    return np.linalg.norm(np.asarray(features, dtype=float), axis=1)
