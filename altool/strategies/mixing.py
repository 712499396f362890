"""What goes into a batch besides the strategy's own picks: a share of random picks
(``--mix random=0.1``) and examples like given texts first (``--like``).

Random picks are an unbiased sample of the source: tasks picked at random carry
``meta.pick = "random"`` (see :class:`altool.loop.learner.Pick`), so they can serve as an audit
or evaluation set.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import AltoolError
from .base import (
    QueryContext,
    Strategy,
    call_strategy,
    column,
    keeps_order,
    top,
    uses_context,
)

LIKE_SHARE = 0.5  # of each batch, for the candidates most like the --like texts


def check_share(share: float) -> float:
    if not 0.0 <= share < 1.0:
        raise AltoolError(f"the random share must be in [0, 1), got {share}")
    return share


def parse_mix(value: str | None) -> float:
    """The random share of ``--mix random=0.1`` (0 for None or an empty value)."""
    if not value:
        return 0.0
    name, sep, share = value.partition("=")
    if name.strip() != "random" or not sep:
        raise AltoolError(f"--mix takes random=SHARE, e.g. --mix random=0.1 (got {value!r})")
    try:
        value = float(share)
    except ValueError:
        value = -1.0
    if not 0.0 <= value < 1.0:
        raise AltoolError(f"--mix random=SHARE needs a share in [0, 1), got {share!r}")
    return value


def read_like(value: str | None) -> list[str]:
    """The texts of ``--like``: a JSONL/CSV/TXT file's texts if ``value`` is a file, else
    ``value`` itself."""
    if not value:
        return []
    if Path(value).is_file():
        from ..io.loaders import iter_records

        texts = [r.example["text"] for r in iter_records(value, None)]
        if not texts:
            raise AltoolError(f"{value}: no texts for --like")
        return texts
    return [value]


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

    @uses_context
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
    if hasattr(base, "cold_start"):
        strategy.cold_start = base.cold_start  # type: ignore[attr-defined]
    if getattr(base, "keeps_order", False):
        keeps_order(strategy)
    return strategy
