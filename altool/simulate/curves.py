"""Learning curves: where to score them, their area (AULC), where they reach a mark, and the
score itself. Plain functions over ``(labels, score)`` points."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

METRICS = ("accuracy", "macro-f1")
TABLE_CHECKPOINTS = (20, 50, 100, 200, 500, 1000)
THRESHOLDS = (0.9, 0.95, 0.98)
SAVING_THRESHOLD = 0.95
EXTEND_FACTOR = 10  # a strategy may run on up to 10x the budget to reach the thresholds
# past the budget: (up to this multiple of the budget, a checkpoint every this share of it)
EXTENSION_STEPS = ((2, 0.05), (5, 0.10), (EXTEND_FACTOR, 0.25))


def aulc(points: Sequence[Sequence[float]]) -> float:
    """Area under the score-vs-labels curve (trapezoids, first to last point) / label range."""
    pts = sorted((float(p[0]), float(p[1])) for p in points)
    if not pts:
        return float("nan")
    if len(pts) == 1 or pts[-1][0] == pts[0][0]:
        return pts[0][1]
    x = np.array([p[0] for p in pts])
    y = np.array([p[1] for p in pts])
    area = float(np.sum((x[1:] - x[:-1]) * (y[1:] + y[:-1]) / 2.0))
    return area / (x[-1] - x[0])


def labels_to_reach(points: Sequence[Sequence[float]], target: float) -> int | None:
    """The first label count whose (mean) score reaches ``target``; None if none does."""
    for p in sorted(points, key=lambda p: p[0]):
        if p[1] >= target - 1e-12:
            return int(p[0])
    return None


def checkpoint_grid(budget: int, batch_size: int, seed_size: int) -> list[int]:
    """Where to score: every batch up to 100 labels, every 50 up to 1000, every 250 after,
    plus the table's checkpoints and the budget itself."""
    grid = {seed_size, budget}
    n = seed_size
    while n < 100:
        n += batch_size
        grid.add(n)
    grid.update(range(150, 1001, 50))
    grid.update(range(1250, budget + 1, 250))
    grid.update(TABLE_CHECKPOINTS)
    return sorted(g for g in grid if 0 < g <= budget)


def extension_grid(budget: int, limit: int, batch_size: int = 1) -> list[int]:
    """Checkpoints beyond the budget, up to ``limit``: every 5% of the budget up to 2x, every
    10% up to 5x, every 25% up to 10x, so consecutive checkpoints are 5% apart or less (labels
    to a threshold read from them is within 5% of where the curve crosses it). Steps are
    rounded to whole batches (at least one), so a strategy past the budget keeps its batch
    size; that can make them a little coarser (budget 300, batch 10: every 20 labels)."""
    grid, n = [], budget
    for factor, share in EXTENSION_STEPS:
        step = batch_size * max(1, int(round(budget * share / batch_size)))
        while n + step <= min(budget * factor, limit):
            n += step
            grid.append(n)
    if budget < limit and (not grid or grid[-1] < limit):
        grid.append(limit)
    return grid


def score(metric: str, y_true: np.ndarray, y_pred: np.ndarray, n_labels: int) -> float:
    if metric == "accuracy":
        return float(np.mean(y_true == y_pred))
    from sklearn.metrics import f1_score

    return float(f1_score(y_true, y_pred, labels=list(range(n_labels)), average="macro",
                          zero_division=0))
