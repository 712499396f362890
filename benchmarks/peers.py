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

``suite.py`` also runs them on any other altool model by name (:class:`AltoolModel`, e.g. the
sentence-embedding model ``embed`` on its cached vectors) and, on dense features, adds
small-text's embedding-based strategies (:func:`small_text_embedding_strategies`), whose
classifier's ``embed()`` returns those features (:func:`embedding_factory`).

Needs the ``bench`` extra (``pip install -e '.[bench]'``); :func:`available` says what imports.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, ClassifierMixin

from altool.models import SklearnModel
from altool.models.base import one_hot

SEED_SIZE = 20
BATCH = 10


class _AltoolClassifier(ClassifierMixin, BaseEstimator):
    """An altool model as a scikit-learn classifier over label indices ``0..n_classes-1``,
    fitted on precomputed features; subclasses say which model (``_build``)."""

    n_classes: int

    def _build(self, labels: list[str]) -> Any:
        raise NotImplementedError

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> _AltoolClassifier:
        model = self._build([str(j) for j in range(self.n_classes)])
        model.fit(X, one_hot(y, self.n_classes))
        self.model_ = model
        self.classes_ = np.arange(self.n_classes)
        return self

    def predict_proba(self, X: Any) -> np.ndarray:
        return self.model_.predict_proba(X)

    def predict(self, X: Any) -> np.ndarray:
        return self.predict_proba(X).argmax(axis=1)


class AltoolLogReg(_AltoolClassifier):
    """altool's SklearnModel as a scikit-learn classifier over label indices ``0..n_classes-1``.

    Labels never seen in training get the model's prior, exactly as in altool."""

    def __init__(self, n_classes: int = 2, C: float = 10.0, class_weight: str | None = "balanced"):
        self.n_classes = n_classes
        self.C = C
        self.class_weight = class_weight

    def _build(self, labels: list[str]) -> Any:
        return SklearnModel(labels, exclusive=True, C=self.C, class_weight=self.class_weight)


class AltoolModel(_AltoolClassifier):
    """Any registered altool model (``make_model(model, labels)``, its own settings: for
    ``embed`` one logistic regression per label with EmbedModel's C) as a scikit-learn
    classifier over label indices ``0..n_classes-1``, fitted on precomputed features."""

    def __init__(self, n_classes: int = 2, model: str = "sklearn", split: int | None = None
                 ) -> None:
        self.n_classes = n_classes
        self.model = model
        self.split = split  # two-part features (blend, stack): n-gram columns, then vectors

    def _build(self, labels: list[str]) -> Any:
        from altool.models import make_model

        return make_model(self.model, labels, exclusive=True)

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> AltoolModel:
        return super().fit(self._features(X), y, sample_weight)

    def predict_proba(self, X: Any) -> np.ndarray:
        return super().predict_proba(self._features(X))

    def _features(self, X: Any) -> Any:
        """The model's own features: a two-part model's from its one-matrix form
        (:func:`one_matrix`)."""
        if self.split is None:
            return X
        from altool.models.blend import BlendFeatures

        X = sp.csr_matrix(X)
        return BlendFeatures(X[:, : self.split], X[:, self.split :].toarray().astype(np.float32))


def one_matrix(features: Any) -> tuple[Any, int | None]:
    """Features modAL and small-text can index: a two-part model's (``BlendFeatures``: n-gram
    rows and sentence vectors) side by side in one sparse matrix, with the n-gram columns'
    count (:class:`AltoolModel`'s ``split``); any other features as they are."""
    from altool.models.blend import BlendFeatures

    if not isinstance(features, BlendFeatures):
        return features, None
    return (sp.hstack([sp.csr_matrix(features.ngrams), sp.csr_matrix(features.vectors)],
                      format="csr"), features.ngrams.shape[1])


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


def small_text_embedding_strategies() -> dict[str, Callable[[], Any]]:
    """small-text's strategies that work on precomputed dense features (they call
    ``clf.embed()``, or, for DAL, train their own discriminator on the features). SEALS and
    AnchorSubsampling need hnswlib and a base strategy; BALD needs a dropout model."""
    import warnings

    from sklearn.linear_model import LogisticRegression
    from small_text import (
        ContrastiveActiveLearning,
        DiscriminativeActiveLearning,
        EmbeddingKMeans,
        GreedyCoreset,
        LightweightCoreset,
        SklearnClassifierFactory,
    )

    def dal() -> Any:  # the discriminator: labelled vs unlabelled, on the same features
        factory = SklearnClassifierFactory(LogisticRegression(max_iter=1000), 2)
        return DiscriminativeActiveLearning(factory, num_iterations=5, pbar=None)

    def greedy_coreset() -> Any:  # euclidean on normalised vectors (small-text's default;
        # its cosine distance takes arccos of products a rounding error puts above 1: NaN)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "the default metric changed in v1.2.0"
            return GreedyCoreset(distance_metric="euclidean")

    return {"EmbeddingKMeans": EmbeddingKMeans,
            "ContrastiveActiveLearning": lambda: ContrastiveActiveLearning(pbar=None),
            "GreedyCoreset": greedy_coreset,
            "LightweightCoreset": LightweightCoreset,
            "DiscriminativeActiveLearning": dal}


def embedding_factory(estimator: Any, n_classes: int) -> Any:
    """A small-text classifier factory whose classifiers' ``embed(dataset)`` returns the
    dataset's own (precomputed, dense) features, with the class probabilities when asked."""
    from small_text import SklearnClassifier, SklearnClassifierFactory

    class FeatureEmbeddingClassifier(SklearnClassifier):
        def embed(self, data_set: Any, return_proba: bool = False, pbar: Any = None,
                  **kwargs: Any) -> Any:
            X = data_set.x
            split = getattr(self.model, "split", None)
            vectors = X[:, split:].toarray() if split is not None else np.asarray(X)
            return (vectors, self.model.predict_proba(X)) if return_proba else vectors

    class Factory(SklearnClassifierFactory):
        def new(self) -> Any:
            from sklearn.base import clone

            return FeatureEmbeddingClassifier(clone(self.base_estimator), self.num_classes)

    return Factory(estimator, n_classes)


def seed_rows(n_pool: int, repeat: int, seed: int = 0) -> np.ndarray:
    """The random seed set of one repeat (shared by every peer strategy)."""
    rng = np.random.default_rng(seed + 7_919 * (repeat + 1))
    return np.sort(rng.choice(n_pool, min(SEED_SIZE, n_pool), replace=False))


def _accuracy(proba: np.ndarray, y_test: np.ndarray) -> float:
    return float(np.mean(np.asarray(proba).argmax(axis=1) == y_test))


def run_modal(strategy: Callable, X: Any, y: np.ndarray, X_test: Any, y_test: np.ndarray,
              n_classes: int, grid: list[int], init: np.ndarray,
              estimator: Any = None) -> list[float]:
    """One modAL run; accuracy at each checkpoint of ``grid`` (``estimator``: default
    :class:`AltoolLogReg`)."""
    from modAL.models import ActiveLearner
    from sklearn.base import clone

    estimator = AltoolLogReg(n_classes) if estimator is None else clone(estimator)
    learner = ActiveLearner(estimator=estimator, query_strategy=strategy,
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
                   init: np.ndarray, estimator: Any = None,
                   embeddings: bool = False) -> list[float]:
    """One small-text run (PoolBasedActiveLearner, SklearnClassifierFactory; ``estimator``:
    default :class:`AltoolLogReg`; ``embeddings``: classifiers with ``embed()``, for the
    embedding-based strategies)."""
    from small_text import PoolBasedActiveLearner, SklearnClassifierFactory, SklearnDataset

    estimator = AltoolLogReg(n_classes) if estimator is None else estimator
    dataset = SklearnDataset(X, y, target_labels=np.arange(n_classes))
    factory = (embedding_factory(estimator, n_classes) if embeddings
               else SklearnClassifierFactory(estimator, n_classes))
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


def peer_jobs(X: Any, y: np.ndarray, X_test: Any, y_test: np.ndarray, n_classes: int,
              grid: list[int], status: dict[str, str | None], estimator: Any = None,
              embeddings: bool = False) -> list[tuple[str, Callable]]:
    """``(key, job(init) -> curve)`` of every available peer strategy; with ``embeddings``,
    small-text's embedding-based strategies too (``X`` must be dense)."""
    jobs: list[tuple[str, Callable]] = []
    if status["modAL"] is None:
        for name, fn in modal_strategies().items():
            jobs.append((f"modAL:{name}", lambda init, fn=fn: run_modal(
                fn, X, y, X_test, y_test, n_classes, grid, init, estimator)))
    if status["small-text"] is None:
        makers = [(name, make, False) for name, make in small_text_strategies().items()]
        if embeddings:
            makers += [(name, make, True)
                       for name, make in small_text_embedding_strategies().items()]
        for name, make, emb in makers:
            jobs.append((f"small-text:{name}", lambda init, make=make, emb=emb: run_small_text(
                make, X, y, X_test, y_test, n_classes, grid, init, estimator, emb)))
    return jobs


def run_peers(X: Any, y: np.ndarray, X_test: Any, y_test: np.ndarray, n_classes: int,
              grid: list[int], repeats: int, seed: int = 0,
              only: set[str] | None = None,
              log: Callable[[str], None] = print,
              inits: list[list[int]] | None = None, *, model: str | None = None,
              embeddings: bool = False, split: int | None = None,
              reseed: bool = False) -> tuple[dict[str, dict], dict[str, str]]:
    """Curves of every available peer strategy: ``{"modAL:margin": {"curves": [[...]]}}``,
    and ``{name: error}`` for those that failed (reported, never faked). ``inits[r]`` is the
    seed set of repeat ``r`` (default: :func:`seed_rows`). ``model``: the classifier is that
    altool model (:class:`AltoolModel`; default :class:`AltoolLogReg`); ``embeddings``: add
    small-text's embedding-based strategies; ``reseed``: seed numpy's global generator before
    each run (k-means, DAL's subsample and liblinear draw from it); ``split``: ``X`` is a
    two-part model's features in one matrix (:func:`one_matrix`)."""
    import time

    from altool.loop.threads import one_thread

    status = available()
    estimator = None if model is None else AltoolModel(n_classes, model, split)
    jobs = peer_jobs(X, y, X_test, y_test, n_classes, grid, status, estimator, embeddings)
    if only:
        jobs = [(k, f) for k, f in jobs if k in only or k.split(":")[0] in only]
    out: dict[str, dict] = {}
    failed: dict[str, str] = {f"{p}:*": e for p, e in status.items() if e is not None}

    def one(job: Callable, r: int) -> list[float]:
        if reseed:
            np.random.seed(seed + 7_919 * (r + 1))
        return job(np.asarray(inits[r]) if inits else seed_rows(X.shape[0], r, seed))

    with one_thread():
        for key, job in jobs:
            t0 = time.time()
            try:
                curves = [one(job, r) for r in range(repeats)]
            except Exception as err:  # a peer's own bug or incompatibility: report it
                failed[key] = f"{type(err).__name__}: {err}"
                log(f"  {key}: FAILED ({failed[key]})")
                continue
            out[key] = {"curves": curves, "seconds": round(time.time() - t0, 1)}
            log(f"  {key}: {out[key]['seconds']}s")
    return out, failed


def summarize(raw: dict[str, dict], grid: list[int]) -> dict[str, dict]:
    """Each peer's mean curve ``points`` (labels, mean, std), its AULC over the runs (mean and
    std) and its seconds, from :func:`run_peers`'s curves."""
    from altool.simulate import aulc

    out = {}
    for key, r in raw.items():
        curves = np.array(r["curves"])
        mean, std = curves.mean(axis=0), curves.std(axis=0)
        per_run = [aulc(list(zip(grid, c, strict=True))) for c in curves]
        out[key] = {"points": [[int(n), float(m), float(s)]
                               for n, m, s in zip(grid, mean, std, strict=True)],
                    "aulc": float(np.mean(per_run)), "aulc_std": float(np.std(per_run)),
                    "seconds": r["seconds"]}
    return out
