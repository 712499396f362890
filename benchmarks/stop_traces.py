"""The stop signal with sentence embeddings: record each run's trace once, compare criteria
offline on the same runs.

    nice python -m benchmarks.stop_traces --half tuning            # record (kept, reused)
    python -m benchmarks.stop_traces --evaluate --half tuning      # the criteria, compared
    python -m benchmarks.stop_traces --evaluate --half reporting --only CRITERION

The suite's pools and seeds (``benchmarks.suite``: GOLD 3,000 rows, TEST 2,000, budget 500,
3 runs) and the judged configuration (``embed`` + ``tcm``, choice view, seed 20, batch 10).
After every model update (every 10 labels) a run records the model's predictions on its stop
set (1,000 GOLD rows, drawn as ``altool simulate`` draws them) and its TEST accuracy. Any
criterion of :class:`altool.loop.stopping.StabilizingPredictions` then replays on the traces
exactly as the teach worker would have run it, so criteria are compared on identical runs.

Scored as the issue's target 5: a dataset counts when the signal fired in every run within
3 points of that run's best TEST accuracy within the budget; *early* when any run fired more
than 3 points below it. Choose on the tuning half only; report the reporting half.
"""

from __future__ import annotations

import argparse
import itertools
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks import suite

TRACES = suite.WORK / "stop-traces"
MODEL, STRATEGY = "embed", "tcm"
BUDGET, REPEATS, POINTS = 500, 3, 3.0


def record(name: str) -> Path | None:
    """Run the judged configuration on ``name``'s suite pools; save the traces (npz)."""
    out = TRACES / f"{name}.npz"
    if out.exists():
        return out
    from altool.loop.learner import Learner
    from altool.loop.stopping import STOP_SET_SIZE, predictions_from_probs
    from altool.loop.threads import one_thread
    from altool.models import make_model
    from altool.simulate.textcat import _Pool, _Run
    from altool.strategies.registry import get_strategy

    cfg = suite.Config(datasets=[name], models=[MODEL], strategies=[STRATEGY], peers=set(),
                       budget=BUDGET, repeats=REPEATS, pool=suite.FULL["pool"],
                       test=suite.FULL["test"], judged=(MODEL, STRATEGY))
    got = suite.pools(name, cfg)
    if got is None:
        return None
    gold, test, _info = got
    labels = sorted({str(eg["label"]) for eg in gold})
    index = {label: j for j, label in enumerate(labels)}
    X, X_test = suite.features(MODEL, labels, gold, test)
    y = np.array([index[str(eg["label"])] for eg in gold])
    y_test = np.array([index.get(str(eg["label"]), -1) for eg in test])
    pool = _Pool([eg["text"] for eg in gold], y, X)
    steps = list(range(suite.SEED_SIZE, BUDGET + 1, suite.BATCH))
    preds = np.zeros((REPEATS, len(steps), min(STOP_SET_SIZE, len(pool))), dtype=np.int16)
    acc = np.zeros((REPEATS, len(steps)))
    t0 = time.perf_counter()
    with one_thread():
        for r in range(REPEATS):
            seed = suite.RUN_SEED
            learner = Learner(make_model(MODEL, labels, exclusive=True), get_strategy(STRATEGY),
                              view="choice", seed=seed + r)
            learner.featurizer = pool.features_of
            run = _Run(learner, pool, seed + 10_007 * (r + 1))
            stop_rows = np.sort(np.random.default_rng(seed + 7_919 * (r + 1)).choice(
                len(pool), min(STOP_SET_SIZE, len(pool)), replace=False))
            for k, n in enumerate(steps):
                run.advance_to(n, suite.SEED_SIZE, suite.BATCH)
                model = learner.model
                preds[r, k] = predictions_from_probs(model.predict_proba(pool.X[stop_rows]))
                acc[r, k] = float((model.predict_proba(X_test).argmax(axis=1) == y_test).mean())
            print(f"{name} run {r + 1}/{REPEATS}: {time.perf_counter() - t0:.0f}s", flush=True)
    TRACES.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(out, steps=np.array(steps), preds=preds, acc=acc,
                        n_labels=len(labels))
    return out


@dataclass(frozen=True)
class Criterion:
    threshold: float
    window: int
    horizon: float
    lookback: int
    max_change: float

    def __str__(self) -> str:
        return (f"kappa>={self.threshold} x{self.window} h{self.horizon} "
                f"change<={self.max_change} over {self.lookback}")


def replay(c: Criterion, steps: np.ndarray, preds: np.ndarray, n_labels: int
           ) -> int | None:
    """The index of the update at which ``c`` fires on one run's predictions (None: never)."""
    from altool.loop.stopping import StabilizingPredictions, measure_for

    sp = StabilizingPredictions(c.threshold, c.window, measure=measure_for(n_labels),
                                horizon=c.horizon, lookback=c.lookback,
                                max_change=c.max_change)
    for k, n in enumerate(steps):
        if sp.update(preds[k], at=int(n)):
            return k
    return None


def judge(c: Criterion, names: list[str]) -> dict[str, Any]:
    """Target 5 for ``c`` on the recorded datasets."""
    rows = {}
    for name in names:
        data = np.load(TRACES / f"{name}.npz")
        steps, preds, acc = data["steps"], data["preds"], data["acc"]
        gaps, fired_at = [], []
        for r in range(preds.shape[0]):
            k = replay(c, steps, preds[r], int(data["n_labels"]))
            if k is not None:
                gaps.append((acc[r].max() - acc[r, k]) * 100)
                fired_at.append(int(steps[k]))
        every = len(gaps) == preds.shape[0]
        rows[name] = dict(fired=len(gaps), runs=preds.shape[0], gaps=gaps, at=fired_at,
                          within=every and max(gaps) <= POINTS,
                          early=bool(gaps) and max(gaps) > POINTS)
    return rows


def grid() -> list[Criterion]:
    from altool.loop.stopping import (
        DEFAULT_HORIZON,
        DEFAULT_LOOKBACK,
        DEFAULT_MAX_CHANGE,
        DEFAULT_THRESHOLD,
        DEFAULT_WINDOW,
    )

    today = Criterion(DEFAULT_THRESHOLD, DEFAULT_WINDOW, DEFAULT_HORIZON, DEFAULT_LOOKBACK,
                      DEFAULT_MAX_CHANGE)
    out = [today]
    for t, w, mc in itertools.product((0.99, 0.98, 0.97, 0.95), (3, 5),
                                      (0.025, 0.05, 0.1, 1.0)):
        c = Criterion(t, w, DEFAULT_HORIZON, DEFAULT_LOOKBACK, mc)
        if c != today:
            out.append(c)
    return out


def evaluate(names: list[str], only: str | None) -> None:
    criteria = [c for c in grid() if only is None or str(c) == only]
    if not criteria:
        sys.exit(f"no criterion {only!r}; they are named as printed by --evaluate")
    scored = []
    for c in criteria:
        rows = judge(c, names)
        within = sum(r["within"] for r in rows.values())
        early = sum(r["early"] for r in rows.values())
        scored.append((within, -early, c, rows))
    scored.sort(key=lambda s: (s[0], s[1]), reverse=True)
    for within, neg_early, c, rows in scored[: 12 if only is None else 1]:
        print(f"{c}: within 3 points in every run on {within}/{len(rows)}, early on "
              f"{-neg_early}")
        for name, r in rows.items():
            gaps = ", ".join(f"{g:.1f}" for g in r["gaps"]) or "-"
            at = ", ".join(map(str, r["at"])) or "-"
            print(f"    {name}: fired {r['fired']}/{r['runs']} at {at}; gaps {gaps}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--half", choices=("tuning", "reporting", "all"), default="tuning")
    ap.add_argument("--evaluate", action="store_true")
    ap.add_argument("--only", help="evaluate this criterion only (as printed)")
    args = ap.parse_args()
    names = [n for h, members in suite.SUITE.items() if args.half in (h, "all")
             for n in members]
    os.environ.setdefault("ALTOOL_HOME", str(suite.HOME))
    if args.evaluate:
        evaluate([n for n in names if (TRACES / f"{n}.npz").exists()], args.only)
        return
    for name in names:
        record(name)


if __name__ == "__main__":
    main()
