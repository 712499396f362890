"""Stream-based selection: walk candidates in source order and ask only about some.

``ema`` reproduces Prodigy's sorter; ``stream`` is selective sampling with an adaptive
threshold for sources too large to rank as a pool.
"""

from __future__ import annotations

from collections import deque
from typing import Any

import numpy as np

from .base import QueryContext, declare, keeps_order, top, uses_context
from .uncertainty import margin_scores

EMA_ALPHA = 0.1
STREAM_RATE = 0.2  # ask about roughly this share of the stream
STREAM_WINDOW = 500  # recent scores the threshold is the quantile of
STREAM_WARMUP = 20  # scores seen before anything is asked


def ema_emitted(scores: np.ndarray, alpha: float = EMA_ALPHA) -> np.ndarray:
    """Stream positions that Prodigy's EMA sorter lets through, in order.

    Walks ``scores`` in order, keeping an exponential moving average of them (started at the
    first score); a row is emitted when its score is at least the average *before* it is
    folded in (so the first row is always emitted)."""
    emitted = []
    average: float | None = None
    for i, s in enumerate(np.asarray(scores, dtype=float)):
        if average is None or s >= average:
            emitted.append(i)
        average = s if average is None else alpha * s + (1.0 - alpha) * average
    return np.asarray(emitted, dtype=int)


def _fill(scores: np.ndarray, emitted: list[int], n: int, rng: np.random.Generator
          ) -> np.ndarray:
    """``emitted`` topped up to ``n`` rows with the rest, most uncertain first."""
    out = np.asarray(emitted[:n], dtype=int)
    if len(out) < n:
        rest = np.setdiff1d(np.arange(len(scores)), out)
        out = np.concatenate([out, rest[top(scores[rest], n - len(out), rng)]])
    return out


@keeps_order
def ema(
    probs: np.ndarray,
    n: int,
    *,
    rng: np.random.Generator,
    features: Any = None,
    alpha: float = EMA_ALPHA,
) -> np.ndarray:
    """Reference: Prodigy's streaming ``prefer_uncertain`` (its default ``ema`` sorter).

    Candidates are walked in pool order (source/sample order, as a stream would arrive), each
    scored by :func:`margin_scores` (``1 - |2p - 1|`` for a binary question); a candidate is
    emitted when its score is at least the running exponential moving average of the scores
    (``alpha`` = 0.1), and the first ``n`` emitted are returned. Like Prodigy, it drops the
    below-average rows (about half of an i.i.d. stream) and does not rank: an emitted row early
    in the pool beats a far more uncertain one later. Differences from a stream, needed for a
    pool: each refresh walks the remaining pool from the start again with the updated model
    (Prodigy's stream moves on), and when one pass emits fewer than ``n`` rows (only near the
    end of a small pool) the dropped rows fill the batch, most uncertain first, so that every
    strategy returns ``min(n, len(probs))`` rows. A reference to compare pool strategies
    against, not a recommendation."""
    n = min(n, len(probs))
    if n <= 0:
        return np.empty(0, dtype=int)
    scores = margin_scores(probs)
    return _fill(scores, list(ema_emitted(scores, alpha)[:n]), n, rng)


def stream_start(features: Any, n: int, *, rng: np.random.Generator) -> np.ndarray:
    """Cold start in stream order: with an untrained model every row is equally uncertain, so
    Prodigy's sorter emits the stream as it comes."""
    return np.arange(min(n, features.shape[0]), dtype=int)


declare(ema, cold_start=stream_start)


@keeps_order
@uses_context
def stream(
    probs: np.ndarray, n: int, *, rng: np.random.Generator, features: Any = None,
    context: QueryContext | None = None, rate: float = STREAM_RATE,
) -> np.ndarray:
    """Stream-based selective sampling with an adaptive threshold.

    Candidates arrive in pool (source) order. Each is scored by :func:`margin_scores` and asked
    about only if its score reaches the ``1 - rate`` quantile of the last
    :data:`STREAM_WINDOW` scores seen (so about ``rate`` of the stream is asked, whatever the
    model's current confidence); otherwise it is skipped for good, as a stream moves on. The
    first :data:`STREAM_WARMUP` scores only calibrate the threshold. With a ``context`` the
    skipped candidates (by ``context.keys``), the score window and the counts ``seen`` and
    ``skipped`` live in ``context.state`` across calls; without one, each call is a fresh
    stream. Only when the stream runs out (``state["stream_ran_out"]``) are skipped candidates
    used, most uncertain first, so the batch still has ``min(n, len(probs))`` rows. The
    strategy is ``in_source_order``: on a source larger than its pool the teach worker feeds it
    the source window by window, moving on when it runs out."""
    n = min(n, len(probs))
    if n <= 0:
        return np.empty(0, dtype=int)
    state = context.state if context is not None else {}
    keys = context.keys if context is not None and context.keys is not None else None
    window: deque[float] = state.setdefault("stream_window", deque(maxlen=STREAM_WINDOW))
    passed: set[int] = state.setdefault("stream_passed", set())
    scores = margin_scores(probs)
    emitted: list[int] = []
    threshold = np.quantile(window, 1.0 - rate) if len(window) >= STREAM_WARMUP else None
    for i, s in enumerate(scores):
        if len(emitted) >= n:
            break
        key = int(keys[i]) if keys is not None else i
        if key in passed:
            continue
        state["seen"] = state.get("seen", 0) + 1
        if threshold is not None and s >= threshold:
            emitted.append(i)
        else:
            passed.add(key)
            state["skipped"] = state.get("skipped", 0) + 1
        window.append(float(s))
        if len(window) >= STREAM_WARMUP:
            threshold = np.quantile(window, 1.0 - rate)
    state["stream_ran_out"] = len(emitted) < n
    return _fill(scores, emitted, n, rng)


declare(stream, in_source_order=True)
