"""What every query strategy shares: the call signature, the query context and ranking.

A *scorer* maps ``probs`` (n x k, rows sum to 1) to an uncertainty per row (higher = ask
sooner). A *strategy* has the signature ``strategy(probs, n, *, rng, features) -> indices`` and
returns up to ``n`` distinct row indices, most wanted first. ``features`` (a sparse or dense
matrix, one row per candidate, L2-normalised) is used by the diversity-aware strategies only.

Strategies that need more than probabilities (a committee needs the labelled data, core-set
the labelled features, stream-based selection its own state) are marked with
:func:`uses_context`; the learner then also passes ``context``, a :class:`QueryContext`.
Strategies whose order is the point (random, stream) are marked with :func:`keeps_order`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from ..errors import AltoolError

QBC_MEASURES = ("vote", "kl")


class Strategy(Protocol):
    def __call__(
        self, probs: np.ndarray, n: int, *, rng: np.random.Generator, features: Any = None
    ) -> np.ndarray: ...


@dataclass(frozen=True)
class StrategyOptions:
    """User options of the strategies (``--committee-size``, ``--qbc-measure``)."""

    committee_size: int = 5
    qbc_measure: str = "vote"

    def __post_init__(self) -> None:
        if self.committee_size < 2:
            raise AltoolError(f"--committee-size must be at least 2, got {self.committee_size}")
        if self.qbc_measure not in QBC_MEASURES:
            raise AltoolError(f"--qbc-measure must be one of {', '.join(QBC_MEASURES)}, "
                              f"got {self.qbc_measure!r}")


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


def uses_context(fn: Callable[..., np.ndarray]) -> Callable[..., np.ndarray]:
    """Mark ``fn`` as wanting the ``context`` keyword (a :class:`QueryContext`)."""
    fn.uses_context = True  # type: ignore[attr-defined]
    return fn


def keeps_order(fn: Callable[..., np.ndarray]) -> Callable[..., np.ndarray]:
    """Mark ``fn`` as an order that must not be split per label. In the binary view with
    several exclusive labels the learner ranks each label's questions separately and gives
    every label a share of the batch (:meth:`altool.loop.learner.Learner.choose`); random order and
    the stream strategies keep their one order over all candidates instead."""
    fn.keeps_order = True  # type: ignore[attr-defined]
    return fn


def call_strategy(
    strategy: Strategy, probs: np.ndarray, n: int, *, rng: np.random.Generator,
    features: Any = None, context: QueryContext | None = None,
) -> np.ndarray:
    """Call ``strategy``, passing ``context`` only to a strategy that takes it (so strategies
    written for the plain signature keep working)."""
    if getattr(strategy, "uses_context", False):
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
