"""Query strategies: small plain functions over predicted probabilities (modAL style).

A *scorer* maps ``probs`` (n x k, rows sum to 1) to an uncertainty per row (higher = ask
sooner). A *strategy* has the signature ``strategy(probs, n, *, rng, features) -> indices`` and
returns up to ``n`` distinct row indices, most wanted first; strategies that need the model or
the labelled data (committees, core-set) or keep state (stream) also take ``context``, a
:class:`QueryContext` (see :mod:`.base`). A strategy may have a ``cold_start(features, n, *,
rng)`` for before the model is ready; the default is k-means++ seeding (:func:`cold_start`).

Modules: :mod:`.uncertainty` (margin, entropy, least-confidence, expected gradient length,
random), :mod:`.diversity` (spread, diverse, cold start, core-set, BADGE), :mod:`.committee` (qbc,
bald), :mod:`.stream` (ema, stream), :mod:`.mixing` (``--mix``, ``--like``).
"""

from __future__ import annotations

from ..errors import AltoolError
from .base import (
    QBC_MEASURES,
    QueryContext,
    Strategy,
    StrategyOptions,
    call_strategy,
    keeps_order,
    top,
    uses_context,
)
from .committee import bald, mean_kl, mutual_information, qbc, vote_entropy
from .diversity import badge, cold_start, coreset, diverse, low_dim, spread
from .mixing import (
    LIKE_SHARE,
    compose,
    like_first,
    parse_mix,
    read_like,
    similarities,
    with_random_share,
)
from .stream import EMA_ALPHA, ema, ema_emitted, stream, stream_start
from .uncertainty import (
    egl,
    entropy,
    entropy_scores,
    expected_gradient_lengths,
    least_confidence,
    least_confidence_scores,
    margin,
    margin_scores,
    random_order,
    random_start,
)

STRATEGIES: dict[str, Strategy] = {
    "margin": margin,
    "entropy": entropy,
    "least-confidence": least_confidence,
    "random": random_order,
    "diverse": diverse,
    "ema": ema,
    "qbc": qbc,
    "egl": egl,
    "bald": bald,
    "coreset": coreset,
    "badge": badge,
    "stream": stream,
    "spread": spread,
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


def strategy_name(strategy: Strategy) -> str:
    """The registered name of ``strategy`` (its function name if it is not registered)."""
    for name, fn in STRATEGIES.items():
        if fn is strategy:
            return name
    return getattr(strategy, "__name__", "strategy")


__all__ = [
    "DEFAULT_STRATEGY", "EMA_ALPHA", "LIKE_SHARE", "QBC_MEASURES", "STRATEGIES", "QueryContext",
    "Strategy", "StrategyOptions", "bald", "badge", "call_strategy", "cold_start", "compose",
    "coreset", "diverse", "egl", "ema", "ema_emitted", "entropy", "entropy_scores",
    "expected_gradient_lengths", "get_strategy", "keeps_order", "least_confidence",
    "least_confidence_scores", "like_first", "low_dim", "margin", "margin_scores", "mean_kl",
    "mutual_information", "parse_mix", "qbc", "random_order", "random_start", "read_like",
    "register_strategy", "similarities", "spread", "stream", "stream_start", "strategy_name",
    "top", "uses_context", "vote_entropy", "with_random_share",
]
