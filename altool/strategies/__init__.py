"""Query strategies: small plain functions over predicted probabilities (modAL style).

A *scorer* maps ``probs`` (n x k, rows sum to 1) to an uncertainty per row (higher = ask
sooner). A *strategy* has the signature ``strategy(probs, n, *, rng, features) -> indices`` and
returns up to ``n`` distinct row indices, most wanted first. What else a strategy needs (model
capabilities, the ``context``), how the learner must treat its order and its own cold start
are declared in its :class:`~.base.StrategySpec` (:func:`~.base.declare`, :func:`~.base.spec_of`).
Before the model is ready, the cold start is k-means++ seeding (:func:`cold_start`).

Modules: :mod:`.base` (signature, spec, context, ranking), :mod:`.uncertainty` (margin,
entropy, least-confidence, expected gradient length, random), :mod:`.diversity` (spread,
diverse, cold start, core-set, BADGE), :mod:`.committee` (qbc, bald), :mod:`.streaming` (ema,
stream), :mod:`.typicality` (typiclust, tcm), :mod:`.mixing` (``--mix``, ``--like``),
:mod:`.options` (the user's settings) and :mod:`.registry` (names). The registry and the
settings import no NumPy; every other name here is imported on first use.
"""

from __future__ import annotations

from .._lazy import lazy_exports
from .options import (
    QBC_MEASURES,
    StrategyOptions,
    StrategySettings,
    check_share,
    parse_mix,
    read_like,
    strategy_settings,
)
from .registry import (
    DEFAULT_STRATEGY,
    STRATEGIES,
    get_strategy,
    register_strategy,
    resolve_name,
    strategy_name,
    strategy_names,
)

_WHERE = {
    **dict.fromkeys(("QueryContext", "Strategy", "StrategySpec", "call_strategy", "declare",
                     "keeps_order", "spec_of", "top", "uses_context"), "strategies.base"),
    **dict.fromkeys(("bald", "mean_kl", "mutual_information", "qbc", "vote_entropy"),
                    "strategies.committee"),
    **dict.fromkeys(("badge", "cold_start", "coreset", "diverse", "low_dim", "spread"),
                    "strategies.diversity"),
    **dict.fromkeys(("LIKE_SHARE", "compose", "like_first", "similarities",
                     "with_random_share"), "strategies.mixing"),
    **dict.fromkeys(("EMA_ALPHA", "ema", "ema_emitted", "stream", "stream_start"),
                    "strategies.streaming"),
    **dict.fromkeys(("tcm", "typiclust", "typiclust_start", "typicality_scores", "typical_picks"),
                    "strategies.typicality"),
    **dict.fromkeys(("egl", "entropy", "entropy_scores", "expected_gradient_lengths",
                     "least_confidence", "least_confidence_scores", "margin", "margin_scores",
                     "random_order", "random_start"), "strategies.uncertainty"),
}
__getattr__, __dir__ = lazy_exports(__name__, _WHERE)

__all__ = [
    "DEFAULT_STRATEGY", "QBC_MEASURES", "STRATEGIES", "StrategyOptions", "StrategySettings",
    "check_share", "get_strategy", "parse_mix", "read_like", "register_strategy",
    "resolve_name", "strategy_name", "strategy_names", "strategy_settings", *_WHERE,
]
