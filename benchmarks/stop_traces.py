"""The stop signal: record each run's trace once, compare criteria offline on the same runs.

    nice python -m benchmarks.stop_traces --half tuning            # record (kept, reused)
    python -m benchmarks.stop_traces --evaluate --half tuning      # the criteria, compared
    python -m benchmarks.stop_traces --evaluate --half reporting --only CRITERION
    python -m benchmarks.stop_traces --evaluate --gain             # the expected-gain one
    python -m benchmarks.stop_traces --config sklearn:diverse ...  # another configuration

The suite's pools and seeds (``benchmarks.suite``: GOLD 3,000 rows, TEST 2,000, budget 500,
3 runs) and its judged configuration (``stack`` + ``tcm``; choice view, seed 20, batch 10).
After every model update (every 10 labels) a run records the model's probabilities on its
stop set (1,000 GOLD rows, drawn as ``altool simulate`` draws them) and its TEST accuracy;
also each answer's probabilities from the model before it learned it, and (stack) the
temperature that fits its latest out-of-fold probabilities. Any criterion of
:class:`altool.loop.stopping.StabilizingPredictions` then replays on the traces exactly as the
teach worker would have run it, so criteria are compared on identical runs; so does the
expected accuracy gain (``--gain``) with each way of calibrating it.

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

CONFIG = "stack:tcm"  # the suite's judged configuration (--config: another)


def traces(config: str) -> Path:
    """Where the traces of ``MODEL:STRATEGY`` are kept (the first replay's, embed:tcm, at the
    top)."""
    return suite.WORK / "stop-traces" / ("" if config == "embed:tcm" else config.replace(":", "-"))


BUDGET, REPEATS, POINTS = 500, 3, 3.0


def record(name: str, config: str = CONFIG) -> Path | None:
    """Run the judged configuration on ``name``'s suite pools; save the traces (npz)."""
    out = traces(config) / f"{name}.npz"
    model_name, strategy = config.split(":")
    if out.exists():
        return out
    from altool.loop.learner import Learner
    from altool.loop.stopping import STOP_SET_SIZE
    from altool.loop.threads import one_thread
    from altool.models import blend, make_model
    from altool.simulate.textcat import _Pool, _Run
    from altool.strategies.registry import get_strategy

    cfg = suite.Config(datasets=[name], models=[model_name], strategies=[strategy],
                       peers=set(), budget=BUDGET, repeats=REPEATS, pool=suite.FULL["pool"],
                       test=suite.FULL["test"], judged=(model_name, strategy))
    got = suite.pools(name, cfg)
    if got is None:
        return None
    gold, test, _info = got
    labels = sorted({str(eg["label"]) for eg in gold})
    index = {label: j for j, label in enumerate(labels)}
    X, X_test = suite.features(model_name, labels, gold, test)
    y = np.array([index[str(eg["label"])] for eg in gold])
    y_test = np.array([index.get(str(eg["label"]), -1) for eg in test])
    pool = _Pool([eg["text"] for eg in gold], y, X)
    steps = list(range(suite.SEED_SIZE, BUDGET + 1, suite.BATCH))
    n_stop = min(STOP_SET_SIZE, len(pool))
    # the stop set's probabilities (float32: in float16 about 0.05% of rows tie their top two
    # labels, which simulate's float64 does not, and a tie can move where a criterion fires)
    probs = np.zeros((REPEATS, len(steps), n_stop, len(labels)), dtype=np.float32)
    acc = np.zeros((REPEATS, len(steps)))
    share = np.full((REPEATS, len(steps)), np.nan)  # the stack model's encoder share
    # each answer's probabilities from the model before it learned it (NaN: cold start), and
    # its label: what a criterion can calibrate the model's probabilities on
    before = np.full((REPEATS, BUDGET, len(labels)), np.nan, dtype=np.float16)
    answer_y = np.full((REPEATS, BUDGET), -1, dtype=np.int16)
    stop_y = np.zeros((REPEATS, n_stop), dtype=np.int16)
    # the temperature that fits the stack model's out-of-fold probabilities at its latest
    # weighing (NaN before the first): another way to calibrate
    oof_T = np.full((REPEATS, len(steps)), np.nan)
    weighed: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    real_out_of_fold = blend.out_of_fold

    def out_of_fold(*args: Any, **kwargs: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        got = real_out_of_fold(*args, **kwargs)
        weighed.append(got)
        return got

    blend.out_of_fold = out_of_fold
    t0 = time.perf_counter()
    try:
        with one_thread():
            for r in range(REPEATS):
                seed = suite.RUN_SEED
                learner = Learner(make_model(model_name, labels, exclusive=True),
                                  get_strategy(strategy), view="choice", seed=seed + r)
                learner.featurizer = pool.features_of
                run = _Run(learner, pool, seed + 10_007 * (r + 1))
                stop_rows = np.sort(np.random.default_rng(seed + 7_919 * (r + 1)).choice(
                    len(pool), min(STOP_SET_SIZE, len(pool)), replace=False))
                stop_y[r] = y[stop_rows]  # for checks only: no criterion may read it
                for k, n in enumerate(steps):
                    model, asked = learner.model, set(run.asked_rows)
                    pool_probs = model.predict_proba(pool.X) if model.ready else None
                    run.advance_to(n, suite.SEED_SIZE, suite.BATCH)
                    new = sorted(run.asked_rows - asked)
                    answer_y[r, len(asked):len(asked) + len(new)] = y[new]
                    if pool_probs is not None:
                        before[r, len(asked):len(asked) + len(new)] = pool_probs[new]
                    model = learner.model
                    probs[r, k] = model.predict_proba(pool.X[stop_rows])
                    share[r, k] = getattr(model, "embed_weight", np.nan)
                    if weighed:
                        P_ngram, P_embed, Y = weighed[-1]
                        w = share[r, k]
                        oof_T[r, k] = temperature(w * P_embed + (1 - w) * P_ngram,
                                                  np.nan_to_num(Y).argmax(axis=1))
                    acc[r, k] = float((model.predict_proba(X_test).argmax(axis=1) == y_test).mean())
                weighed.clear()
                print(f"{name} run {r + 1}/{REPEATS}: {time.perf_counter() - t0:.0f}s", flush=True)
    finally:
        blend.out_of_fold = real_out_of_fold
    out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(out, steps=np.array(steps), probs=probs, acc=acc, share=share,
                        oof_T=oof_T, before=before, answer_y=answer_y, stop_y=stop_y,
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


def predictions(data: Any) -> np.ndarray:
    """[run, update, stop row] predicted labels of a trace (older traces kept only these)."""
    return data["preds"] if "preds" in data.files else data["probs"].argmax(axis=-1)


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


def judge(c: Criterion, names: list[str], folder: Path) -> dict[str, Any]:
    """Target 5 for ``c`` on the recorded datasets."""
    rows = {}
    for name in names:
        data = np.load(folder / f"{name}.npz")
        steps, preds, acc = data["steps"], predictions(data), data["acc"]
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
    # the first replay (embed:tcm) varied kappa, run and change at today's look-back; the
    # second (stack:tcm) also a shorter look-back and no minimum share of the checks
    for t, w, h, lb, mc in itertools.product((0.99, 0.98, 0.97, 0.95, 0.9), (3, 5),
                                             (0.0, DEFAULT_HORIZON), (50, DEFAULT_LOOKBACK),
                                             (0.025, 0.05, 0.075, 0.1, 1.0)):
        c = Criterion(t, w, h, lb, mc)
        if c != today:
            out.append(c)
    return out


# -- the expected accuracy gain (second replay) -------------------------------------------
TEMPERATURES = np.exp(np.linspace(np.log(0.01), np.log(3.0), 60))
CALIBRATIONS = ("raw", "answers", "out-of-fold", "stop-set labels")
CALIBRATION_WINDOW = 200  # "answers": the latest answers the temperature is fitted on


def temperature(probs: Any, y: Any) -> float:
    """The temperature ``T`` whose rescaled probabilities (a softmax of ``log p / T``) fit
    the labels ``y`` best (least log loss over :data:`TEMPERATURES`); below 1 the model was
    underconfident."""
    logp = np.log(np.clip(np.asarray(probs, dtype=float), 1e-12, 1.0))
    rows, y = np.arange(len(logp)), np.asarray(y)
    losses = [-float(np.mean(np.log(rescaled(logp, t)[rows, y] + 1e-12))) for t in TEMPERATURES]
    return float(TEMPERATURES[int(np.argmin(losses))])


def rescaled(logp: np.ndarray, t: float) -> np.ndarray:
    """Probabilities from log-probabilities at temperature ``t``."""
    z = np.exp(logp / t - (logp / t).max(axis=-1, keepdims=True))
    return z / z.sum(axis=-1, keepdims=True)


def expected_gains(data: Any, how: str, max_lag: int = 10) -> np.ndarray:
    """[run, update, lag]: the model's own estimate of how much more accurate its stop-set
    predictions are than those of ``lag`` updates before (mean over the stop set of its
    probability for its own prediction minus that for the old one), its probabilities first
    rescaled by a temperature fitted as ``how`` says: ``raw`` (none), ``answers`` (each
    answer's probabilities from the model before it learned it, the latest
    :data:`CALIBRATION_WINDOW`), ``out-of-fold`` (the stack model's latest weighing) or
    ``stop-set labels`` (the true labels of the stop set: an oracle no session has, to see
    what calibration could give at best)."""
    P, steps = data["probs"].astype(float), data["steps"]
    runs, updates = P.shape[:2]
    gains = np.full((runs, updates, max_lag + 1), np.nan)
    for r in range(runs):
        preds, rows = P[r].argmax(axis=-1), np.arange(P.shape[2])
        for k in range(updates):
            n = int(steps[k])
            if how == "raw":
                t = 1.0
            elif how == "out-of-fold":
                t = float(data["oof_T"][r, k])
            elif how == "stop-set labels":
                t = temperature(P[r, k], data["stop_y"][r])
            else:
                lo = max(0, n - CALIBRATION_WINDOW)
                before = data["before"][r, lo:n].astype(float)
                known = ~np.isnan(before[:, 0])
                t = (temperature(before[known], data["answer_y"][r, lo:n][known])
                     if known.sum() >= suite.SEED_SIZE else np.nan)
            if np.isnan(t):
                continue
            Q = rescaled(np.log(np.clip(P[r, k], 1e-12, 1.0)), t)
            top = Q.max(axis=1)
            for lag in range(1, min(k, max_lag) + 1):
                gains[r, k, lag] = float(np.mean(top - Q[rows, preds[k - lag]]))
    return gains


def gain_fires(steps: np.ndarray, gains: np.ndarray, lookback: int, most: float,
               window: int) -> int | None:
    """The update at which "expected gain over ``lookback`` labels <= ``most`` for ``window``
    updates in a row" fires in one run (None: never)."""
    lag, streak = lookback // suite.BATCH, 0
    for k in range(lag, len(steps)):
        streak = streak + 1 if gains[k, lag] <= most else 0  # NaN: not yet
        if streak >= window:
            return k
    return None


def evaluate_gain(names: list[str], folder: Path) -> None:
    """The expected-gain criterion, each calibration over a grid: the best settings."""
    loaded = {n: np.load(folder / f"{n}.npz") for n in names}
    loaded = {n: d for n, d in loaded.items() if "before" in d.files}
    for how in CALIBRATIONS:
        gains = {n: expected_gains(d, how) for n, d in loaded.items()}
        scored = []
        for lookback, most, window in itertools.product((50, 100), (0.005, 0.01, 0.015, 0.02,
                                                                     0.025, 0.03, 0.04),
                                                        (1, 3, 5)):
            within = early = 0
            cells = []
            for n, d in loaded.items():
                gaps, at = [], []
                for r in range(d["acc"].shape[0]):
                    k = gain_fires(d["steps"], gains[n][r], lookback, most, window)
                    if k is not None:
                        gaps.append((d["acc"][r].max() - d["acc"][r, k]) * 100)
                        at.append(int(d["steps"][k]))
                every = len(gaps) == d["acc"].shape[0]
                within += every and max(gaps) <= POINTS
                early += bool(gaps) and max(gaps) > POINTS
                cells.append(f"{n} {len(gaps)}/{d['acc'].shape[0]}"
                             + (f" at {np.mean(at):.0f}, gap <={max(gaps):.1f}" if gaps else ""))
            scored.append((within, -early, f"{how}: gain<={most} over {lookback} x{window}",
                           cells))
        scored.sort(key=lambda s: (s[0], s[1]), reverse=True)
        for within, neg_early, name, cells in scored[:2]:
            print(f"{name}: within 3 points in every run on {within}/{len(loaded)}, early on "
                  f"{-neg_early}\n    " + "; ".join(cells))


def evaluate(names: list[str], only: str | None, folder: Path) -> None:
    criteria = [c for c in grid() if only is None or str(c) == only]
    if not criteria:
        sys.exit(f"no criterion {only!r}; they are named as printed by --evaluate")
    scored = []
    for c in criteria:
        rows = judge(c, names, folder)
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
    ap.add_argument("--config", default=CONFIG, help=f"MODEL:STRATEGY (default {CONFIG})")
    ap.add_argument("--gain", action="store_true", help="evaluate the expected-gain "
                    "criterion instead (stack traces only)")
    args = ap.parse_args()
    names = [n for h, members in suite.SUITE.items() if args.half in (h, "all")
             for n in members]
    os.environ.setdefault("ALTOOL_HOME", str(suite.HOME))
    folder = traces(args.config)
    recorded = [n for n in names if (folder / f"{n}.npz").exists()]
    if args.evaluate and args.gain:
        evaluate_gain(recorded, folder)
    elif args.evaluate:
        evaluate(recorded, args.only, folder)
    else:
        for name in names:
            record(name, args.config)


if __name__ == "__main__":
    main()
