"""Peer active-learning libraries on altool's features and classifier, for label_efficiency.py.

Each peer (modAL, small-text) runs its own query strategies and its own loop, but with:

- the SAME features: altool's ``SklearnModel.featurize`` output (HashedFeatures), computed once;
- the SAME classifier: :class:`AltoolLogReg`, a scikit-learn estimator around altool's
  ``SklearnModel`` (one liblinear ``LogisticRegression`` per label, C=10, balanced, one-vs-rest,
  probabilities normalised across labels and averaged with a ``ComplementNB``'s), so only the
  query strategy differs;
- the SAME seed set: in each repeat, the 20 pool rows altool's default strategy answered in its
  first (cold-start) step (:attr:`altool.simulate.StrategyResult.seed_sets`), or 20 random rows
  when none are given; then batches of 10, scored on the same TEST rows at the same
  checkpoints. Only the query strategy differs.

Needs the ``bench`` extra (``pip install -e '.[bench]'``); :func:`available` says what imports.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin

from altool.models import SklearnModel

SEED_SIZE = 20
BATCH = 10


class AltoolLogReg(ClassifierMixin, BaseEstimator):
    """altool's SklearnModel as a scikit-learn classifier over label indices ``0..n_classes-1``.

    Labels never seen in training get the model's prior, exactly as in altool."""

    def __init__(self, n_classes: int = 2, C: float = 10.0, class_weight: str | None = "balanced"):
        self.n_classes = n_classes
        self.C = C
        self.class_weight = class_weight

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> AltoolLogReg:
        y = np.asarray(y, dtype=int)
        labels = [str(j) for j in range(self.n_classes)]
        model = SklearnModel(labels, exclusive=True, C=self.C, class_weight=self.class_weight)
        Y = np.zeros((len(y), self.n_classes))
        Y[np.arange(len(y)), y] = 1.0
        model.fit(X, Y)
        self.model_ = model
        self.classes_ = np.arange(self.n_classes)
        return self

    def predict_proba(self, X: Any) -> np.ndarray:
        return self.model_.predict_proba(X)

    def predict(self, X: Any) -> np.ndarray:
        return self.predict_proba(X).argmax(axis=1)


def available() -> dict[str, str | None]:
    """``{peer: None}`` if it imports, else the import error text."""
    out: dict[str, str | None] = {}
    for peer, module in (("modAL", "modAL.models"), ("small-text", "small_text")):
        try:
            __import__(module)
            out[peer] = None
        except Exception as err:  # ImportError, or a broken dependency underneath
            out[peer] = f"{type(err).__name__}: {err}"
    return out


def modal_compat() -> str | None:
    """modAL 0.4.2.1 (the newest release) calls ``sklearn.utils.check_X_y(...,
    force_all_finite=...)`` in ``modAL/models/learners.py``; scikit-learn 1.6 renamed that
    argument to ``ensure_all_finite`` and 1.8 removed the old name, so every ``ActiveLearner``
    fails with a TypeError. Rename the argument in modAL's own reference to ``check_X_y``
    (nothing else changes). Returns a note when the shim was needed."""
    import inspect

    import modAL.models.learners as learners
    from sklearn.utils import check_X_y

    if "force_all_finite" in inspect.signature(check_X_y).parameters:
        return None
    if getattr(learners.check_X_y, "_altool_shim", False):
        return MODAL_SHIM_NOTE

    def shim(*args: Any, force_all_finite: Any = True, **kwargs: Any) -> Any:
        kwargs.setdefault("ensure_all_finite", force_all_finite)
        return check_X_y(*args, **kwargs)

    shim._altool_shim = True  # type: ignore[attr-defined]
    learners.check_X_y = shim
    return MODAL_SHIM_NOTE


MODAL_SHIM_NOTE = ("modAL 0.4.2.1 passes `force_all_finite` to scikit-learn's `check_X_y` "
                   "(removed in scikit-learn 1.8; renamed `ensure_all_finite`): "
                   "benchmarks/peers.py renames the argument at run time")


def modal_strategies() -> dict[str, Callable]:
    modal_compat()
    from modAL.batch import uncertainty_batch_sampling
    from modAL.uncertainty import entropy_sampling, margin_sampling, uncertainty_sampling

    return {"uncertainty": uncertainty_sampling, "margin": margin_sampling,
            "entropy": entropy_sampling, "uncertainty_batch": uncertainty_batch_sampling}


def small_text_strategies() -> dict[str, Callable[[], Any]]:
    from small_text import BreakingTies, LeastConfidence, PredictionEntropy

    return {"PredictionEntropy": PredictionEntropy, "BreakingTies": BreakingTies,
            "LeastConfidence": LeastConfidence}


def seed_rows(n_pool: int, repeat: int, seed: int = 0) -> np.ndarray:
    """The random seed set of one repeat (shared by every peer strategy)."""
    rng = np.random.default_rng(seed + 7_919 * (repeat + 1))
    return np.sort(rng.choice(n_pool, min(SEED_SIZE, n_pool), replace=False))


def _accuracy(proba: np.ndarray, y_test: np.ndarray) -> float:
    return float(np.mean(np.asarray(proba).argmax(axis=1) == y_test))


def run_modal(strategy: Callable, X: Any, y: np.ndarray, X_test: Any, y_test: np.ndarray,
              n_classes: int, grid: list[int], init: np.ndarray) -> list[float]:
    """One modAL run; accuracy at each checkpoint of ``grid``."""
    from modAL.models import ActiveLearner

    learner = ActiveLearner(estimator=AltoolLogReg(n_classes), query_strategy=strategy,
                            X_training=X[init], y_training=y[init])
    unlabelled = np.setdiff1d(np.arange(X.shape[0]), init)
    asked = len(init)
    scores = []
    for target in grid:
        while asked < target and len(unlabelled):
            n = min(BATCH, target - asked, len(unlabelled))
            idx = learner.query(X[unlabelled], n_instances=n)
            idx = np.asarray(idx[0] if isinstance(idx, tuple) else idx).ravel()[:n]
            rows = unlabelled[idx]
            learner.teach(X[rows], y[rows])
            unlabelled = np.delete(unlabelled, idx)
            asked += len(rows)
        scores.append(_accuracy(learner.estimator.predict_proba(X_test), y_test))
    return scores


def run_small_text(make_strategy: Callable[[], Any], X: Any, y: np.ndarray, X_test: Any,
                   y_test: np.ndarray, n_classes: int, grid: list[int],
                   init: np.ndarray) -> list[float]:
    """One small-text run (PoolBasedActiveLearner, SklearnClassifierFactory)."""
    from small_text import PoolBasedActiveLearner, SklearnClassifierFactory, SklearnDataset

    dataset = SklearnDataset(X, y, target_labels=np.arange(n_classes))
    factory = SklearnClassifierFactory(AltoolLogReg(n_classes), n_classes)
    learner = PoolBasedActiveLearner(factory, make_strategy(), dataset)
    learner.initialize_data(init, y[init])
    asked = len(init)
    scores = []
    for target in grid:
        while asked < target and asked < X.shape[0]:
            n = min(BATCH, target - asked, X.shape[0] - asked)
            queried = learner.query(num_samples=n)
            learner.update(y[queried])
            asked += len(queried)
        scores.append(_accuracy(learner.classifier.model.predict_proba(X_test), y_test))
    return scores


def run_peers(X: Any, y: np.ndarray, X_test: Any, y_test: np.ndarray, n_classes: int,
              grid: list[int], repeats: int, seed: int = 0,
              only: set[str] | None = None,
              log: Callable[[str], None] = print,
              inits: list[list[int]] | None = None) -> tuple[dict[str, dict], dict[str, str]]:
    """Curves of every available peer strategy: ``{"modAL:margin": {"curves": [[...]]}}``,
    and ``{name: error}`` for those that failed (reported, never faked). ``inits[r]`` is the
    seed set of repeat ``r`` (default: :func:`seed_rows`)."""
    import time

    from altool.loop.threads import one_thread

    status = available()
    jobs: list[tuple[str, Callable]] = []
    if status["modAL"] is None:
        for name, fn in modal_strategies().items():
            jobs.append((f"modAL:{name}", lambda init, fn=fn: run_modal(
                fn, X, y, X_test, y_test, n_classes, grid, init)))
    if status["small-text"] is None:
        for name, make in small_text_strategies().items():
            jobs.append((f"small-text:{name}", lambda init, make=make: run_small_text(
                make, X, y, X_test, y_test, n_classes, grid, init)))
    if only:
        jobs = [(k, f) for k, f in jobs if k in only or k.split(":")[0] in only]
    out: dict[str, dict] = {}
    failed: dict[str, str] = {f"{p}:*": e for p, e in status.items() if e is not None}
    with one_thread():
        for key, job in jobs:
            t0 = time.time()
            try:
                curves = [job(np.asarray(inits[r]) if inits else seed_rows(X.shape[0], r, seed))
                          for r in range(repeats)]
            except Exception as err:  # a peer's own bug or incompatibility: report it
                failed[key] = f"{type(err).__name__}: {err}"
                log(f"  {key}: FAILED ({failed[key]})")
                continue
            out[key] = {"curves": curves, "seconds": round(time.time() - t0, 1)}
            log(f"  {key}: {out[key]['seconds']}s")
    return out, failed
