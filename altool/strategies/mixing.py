"""What goes into a batch besides the strategy's own picks: a share of random picks
(``--mix random=0.1``) and examples like given texts first (``--like``).

Random picks are an unbiased sample of the source: tasks picked at random carry
``meta.pick = "random"`` (see :class:`altool.loop.learner.Pick`), so they can serve as an audit
or evaluation set.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .base import QueryContext, Strategy, call_strategy, column, declare, spec_of, top
from .options import check_share

LIKE_SHARE = 0.5  # of each batch, for the candidates most like the --like texts


def similarities(features: Any, targets: Any) -> np.ndarray:
    """Each row's highest cosine similarity to a row of ``targets`` (rows L2-normalised)."""
    sims = features @ targets.T
    if hasattr(sims, "toarray"):
        sims = sims.toarray()
    return column(np.asarray(sims).max(axis=1))


def compose(
    base: np.ndarray, n: int, m: int, *, rng: np.random.Generator,
    random_share: float = 0.0, like: Sequence[int] = (),
) -> tuple[np.ndarray, dict[int, str]]:
    """A batch of up to ``n`` of ``m`` candidates: the ``like`` candidates first, then the
    ``base`` strategy's picks, with ``round(n * random_share)`` uniformly random picks (from
    the candidates not already in the batch) spread through it (every k-th position, so a
    short session gets some too). Returns the batch and the kind of each special pick
    (``"like"`` or ``"random"``)."""
    n = min(n, m)
    n_random = int(round(n * random_share))
    chosen: list[int] = []
    kinds: dict[int, str] = {}
    for i in list(like)[: n - n_random]:
        chosen.append(int(i))
        kinds[int(i)] = "like"
    taken = set(chosen)
    for i in base:
        if len(chosen) >= n - n_random:
            break
        if int(i) not in taken:
            chosen.append(int(i))
            taken.add(int(i))
    if n_random:
        rest = np.setdiff1d(np.arange(m), chosen)
        extra = [int(i) for i in rng.permutation(rest)[:n_random]]
        step = max(1, n // n_random)
        for k, idx in enumerate(extra):
            chosen.insert(min(len(chosen), (k + 1) * step - 1), idx)
            kinds[idx] = "random"
    return np.asarray(chosen[:n], dtype=int), kinds


def like_first(features: Any, targets: Any, n: int, rng: np.random.Generator,
               share: float = LIKE_SHARE) -> np.ndarray:
    """The ``ceil(n * share)`` candidates most similar to ``targets``, most similar first."""
    if targets is None or features is None or n <= 0:
        return np.empty(0, dtype=int)
    return top(similarities(features, targets), int(np.ceil(n * share)), rng)


def with_random_share(base: Strategy, share: float) -> Strategy:
    """``base`` with a share of each batch drawn uniformly at random instead (see
    :func:`compose`). The random picks hedge against uncertainty sampling's known failure
    (sampling bias on noisy tasks) and are an unbiased audit sample; with a ``context`` they
    are marked ``"random"`` in ``context.kinds``."""
    check_share(share)

    def strategy(
        probs: np.ndarray, n: int, *, rng: np.random.Generator, features: Any = None,
        context: QueryContext | None = None,
    ) -> np.ndarray:
        n = min(n, len(probs))
        n_random = int(round(n * share))
        chosen = call_strategy(base, probs, n - n_random, rng=rng, features=features,
                               context=context)
        out, kinds = compose(chosen, n, len(probs), rng=rng, random_share=share)
        if context is not None:
            context.kinds.update(kinds)
        return out

    strategy.__doc__ = f"{base.__name__} with {share:.0%} of each batch at random."
    spec = spec_of(base)  # the base's needs, order and cold start; the context for the kinds
    return declare(strategy, needs=spec.needs, context=True, keeps_order=spec.keeps_order,
                   in_source_order=spec.in_source_order, cold_start=spec.cold_start)
    # no pool_score: its random share must be drawn from the whole pool, not a narrowed one
