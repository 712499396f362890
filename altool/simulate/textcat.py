"""Simulated annotation: replay the ``textcat.teach`` loop with gold labels as the annotator.

Each run starts from zero answers and uses the very same :class:`~altool.loop.learner.Learner` the
teach worker uses (model, strategy, cold start, candidate building): the learner picks the next
questions from the GOLD pool, an oracle answers them from the gold labels, the learner refits on
all answers, and at checkpoints the model is scored on TEST. Curves are averaged over repeats
(different seeds, the same seeds for every strategy) and compared with a model trained on all of
GOLD (the *full-data score*).

No terminal needed: :func:`simulate` returns a :class:`SimulationResult`; the CLI prints it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import AltoolError
from ..io.hashing import hash_text
from ..loop.learner import VIEWS, Learner, Pick, make_task
from ..loop.stopping import (
    DEFAULT_THRESHOLD,
    DEFAULT_WINDOW,
    STOP_SET_SIZE,
    StabilizingPredictions,
    predictions_from_probs,
)
from ..models.base import TextModel, one_hot
from ..models.cache import feature_cache
from ..models.registry import make_model
from ..strategies import STRATEGIES, StrategyOptions, get_strategy, resolve_name
from ..strategies.options import StrategySettings
from .curves import (
    EXTEND_FACTOR,
    METRICS,
    SAVING_THRESHOLD,
    THRESHOLDS,
    aulc,
    checkpoint_grid,
    extension_grid,
    labels_to_reach,
    score,
)
from .data import read_labelled, unseen_test_labels

BASELINE = "random"
NOISE_TOWARDS = ("uniform", "confusable")  # where a noisy oracle's wrong answers go
COLD_SAMPLE = 2_000  # rows scored for the cold start, as the worker does (worker.COLD_SAMPLE)

# (what is running, labels just added, labels that run adds in all: None past the budget,
# where a strategy runs on until it reaches its mark and how far is not known in advance)
Progress = Callable[[str, int, int | None], None]
PAST_BUDGET = "past the budget"
FeatureProgress = Callable[[str, int, int], None]  # (GOLD or TEST, texts encoded, to encode)


# -- results ---------------------------------------------------------------------------------
@dataclass
class StrategyResult:
    name: str
    points: list[tuple[int, float, float]]  # (labels, mean, std) over repeats
    aulc: float  # within the budget
    aulc_std: float
    labels_to: dict[str, int | None]
    stop: StopResult | None = None
    skipped: float | None = None  # stream strategies: mean share of the stream skipped
    seed_sets: list[list[int]] = field(default_factory=list)  # GOLD rows of each first step


@dataclass
class StopResult:
    """Where the stabilizing-predictions criterion fired, over the repeats."""

    labels: float | None  # mean labels at which it fired (repeats that fired); None if none did
    fired: int  # repeats in which it fired within the budget
    gap: float | None  # mean (best score within the budget - score when it fired), in points
    gaps: list[float] = field(default_factory=list)  # that gap in each repeat that fired

    @classmethod
    def from_runs(cls, fired_at: list[tuple[int, float, float]]) -> StopResult:
        """From ``(labels, score at the stop, best score within the budget)`` per fired run."""
        if not fired_at:
            return cls(None, 0, None)
        gaps = [100.0 * (best - at) for _, at, best in fired_at]
        return cls(float(np.mean([n for n, _, _ in fired_at])), len(fired_at),
                   float(np.mean(gaps)), gaps)

    def short_of(self, points: float) -> int:
        """Repeats in which it fired more than ``points`` below the best score."""
        return sum(g > points + 1e-9 for g in self.gaps)

    def to_json(self) -> dict[str, Any]:
        return {"labels": self.labels, "fired": self.fired, "gap": self.gap, "gaps": self.gaps}


@dataclass
class SimulationResult:
    metric: str
    full_score: float
    budget: int
    labels: list[str]
    n_gold: int
    n_test: int
    repeats: int
    strategies: dict[str, StrategyResult] = field(default_factory=dict)
    model: str = ""  # the model in the loop (``auto`` resolved)
    noise: float = 0.0  # share of the oracle's answers given wrong (``--noise``)
    noise_towards: str = "uniform"

    def saving(self, name: str, threshold: float = SAVING_THRESHOLD) -> float | None:
        """1 - labels(strategy) / labels(random) to reach ``threshold`` x the full score."""
        key = _key(threshold)
        base = self.strategies.get(BASELINE)
        mine = self.strategies.get(name)
        if base is None or mine is None:
            return None
        a, b = mine.labels_to.get(key), base.labels_to.get(key)
        if a is None or b is None:
            return None
        return 1.0 - a / b

    def to_json(self) -> dict[str, Any]:
        return {
            "metric": self.metric,
            "model": self.model,
            "noise": {"rate": self.noise, "towards": self.noise_towards},
            "full_score": self.full_score,
            "strategies": {
                name: {
                    "points": [[n, m, s] for n, m, s in r.points],
                    "aulc": r.aulc,
                    "labels_to": dict(r.labels_to),
                    **({"stop": r.stop.to_json()} if r.stop is not None else {}),
                    **({"skipped": r.skipped} if r.skipped is not None else {}),
                }
                for name, r in self.strategies.items()
            },
        }


def _key(threshold: float) -> str:
    return f"{threshold:g}"


# -- the loop --------------------------------------------------------------------------------
class _Pool:
    """GOLD featurized once: texts, input hashes, label indices, features."""

    def __init__(self, texts: list[str], y: np.ndarray, X: Any) -> None:
        self.texts = texts
        self.hashes = [hash_text(t) for t in texts]
        self.row_of = {t: i for i, t in enumerate(texts)}
        self.y = y
        self.X = X

    def __len__(self) -> int:
        return len(self.texts)

    def features_of(self, texts: Sequence[str]) -> Any:
        """The pool's feature rows of ``texts`` (the learner refits on answered pool texts:
        no need to featurise them again)."""
        return self.X[[self.row_of[t] for t in texts]]


class _Run:
    """One simulated annotator session: the learner asks, the gold labels answer."""

    def __init__(self, learner: Learner, pool: _Pool, seed: int,
                 answers_y: np.ndarray | None = None) -> None:
        self.learner = learner
        self.pool = pool
        self.answers_y = pool.y if answers_y is None else answers_y  # what the oracle says
        self.rng = np.random.default_rng(seed)
        self.answers: list[dict[str, Any]] = []
        self.skip: set[int] = set()
        self.asked_rows: set[int] = set()
        self.seed_rows: list[int] = []  # the rows answered in the first (cold-start) step
        self.stopper: StabilizingPredictions | None = None
        self.stop_X: Any = None
        self.evaluate: Callable[[TextModel], float] | None = None
        self.stop_score: float | None = None
        self.stop_labels: int | None = None

    def watch_stop(self, stopper: StabilizingPredictions, X_stop: Any,
                   evaluate: Callable[[TextModel], float]) -> None:
        """Update ``stopper`` on the stop set ``X_stop`` after every fit; when it fires, keep
        the labels then (``stop_labels``) and ``evaluate(model)`` (``stop_score``)."""
        self.stopper, self.stop_X, self.evaluate = stopper, X_stop, evaluate

    @property
    def asked(self) -> int:
        return len(self.answers)

    def advance_to(self, target: int, seed_size: int, batch_size: int,
                   progress: Callable[[int], None] | None = None) -> None:
        while self.asked < target:
            n = seed_size if self.asked == 0 else batch_size
            picks, rows = self._choose(min(n, target - self.asked))
            if not picks:
                return  # pool exhausted
            first_step = self.asked == 0
            for pick in picks:
                self._answer(int(rows[pick.row]), pick)
            if first_step:
                self.seed_rows = sorted(self.asked_rows)
            self.learner.fit(self.answers)
            self._check_stop()
            if progress is not None:
                progress(len(picks))

    def _check_stop(self) -> None:
        stopper, model = self.stopper, self.learner.model
        if stopper is None or stopper.fired or not model.ready:
            return
        predictions = predictions_from_probs(model.predict_proba(self.stop_X))
        if stopper.update(predictions, at=self.asked):
            self.stop_labels = self.asked
            self.stop_score = self.evaluate(model) if self.evaluate is not None else None

    def _choose(self, n: int) -> tuple[list[Pick], np.ndarray]:
        learner, pool = self.learner, self.pool
        rows = np.arange(len(pool))
        if not learner.model.ready and len(pool) > COLD_SAMPLE:
            # the worker's cold start scores a random sample of the source, not all of it
            rows = np.sort(self.rng.choice(len(pool), COLD_SAMPLE, replace=False))
            X = pool.X[rows]
        else:
            X = pool.X
        picks = learner.choose(X, [pool.hashes[i] for i in rows], n, skip=self.skip)
        if not picks and len(rows) < len(pool):  # the sample was all asked: scan everything
            rows = np.arange(len(pool))
            picks = learner.choose(pool.X, pool.hashes, n, skip=self.skip)
        return picks, rows

    def _answer(self, row: int, pick: Pick) -> None:
        labels = self.learner.labels
        eg = {"text": self.pool.texts[row], "_input_hash": self.pool.hashes[row]}
        task = make_task(eg, labels, self.learner.view, pick)
        gold = labels[int(self.answers_y[row])]
        if self.learner.view == "binary":
            task["answer"] = "accept" if task["label"] == gold else "reject"
        else:
            task["accept"] = [gold]
            task["answer"] = "accept"
        self.skip.add(task["_task_hash"])
        self.asked_rows.add(row)
        self.answers.append(task)


def _predict(model: TextModel, X: Any) -> np.ndarray:
    return np.asarray(model.predict_proba(X)).argmax(axis=1)


def noisy_labels(y: np.ndarray, n_labels: int, rate: float, rng: np.random.Generator,
                 confusable: np.ndarray | None = None) -> np.ndarray:
    """The oracle's answers: ``y`` with a ``rate`` share of rows (each with that chance)
    given another label, uniformly among the others, or ``confusable[row]``."""
    if rate <= 0:
        return y
    flip = rng.random(len(y)) < rate
    other = confusable if confusable is not None else \
        (y + rng.integers(1, n_labels, len(y))) % n_labels
    out = y.copy()
    out[flip] = other[flip]
    return out


def most_confusable(probs: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Per row, the label other than its gold one that the model finds likeliest: where an
    annotator who errs would most likely err."""
    masked = np.array(probs, dtype=float, copy=True)
    masked[np.arange(len(y)), y] = -np.inf
    return masked.argmax(axis=1)


def check_noise(rate: float, towards: str, task: str = "textcat") -> None:
    """A clear error for a noise share or kind ``simulate`` can't use (``--task ner``: none)."""
    if rate and task != "textcat":
        raise AltoolError("--noise is for --task textcat")
    if not 0.0 <= rate < 1.0:
        raise AltoolError(f"--noise must be a share in [0, 1), got {rate!r}")
    if towards not in NOISE_TOWARDS:
        raise AltoolError(f"--noise-towards must be one of {', '.join(NOISE_TOWARDS)}, got "
                          f"{towards!r}")


def resolve_strategies(names: Sequence[str], model: str | None = None) -> list[str]:
    """Strategy names with ``default`` resolved (for ``model``), unknown names rejected,
    duplicates dropped."""
    from ..models.registry import model_capabilities

    capabilities = None if model is None else model_capabilities(model)
    out: list[str] = []
    for name in names:
        name = resolve_name(name.strip(), capabilities) if name.strip() else ""
        if not name:
            continue
        if name not in out:
            out.append(name)
    if not out:
        raise AltoolError(f"--strategy needs at least one of: default, {', '.join(STRATEGIES)}")
    return out


def resolve_extend(extend: Sequence[str], names: Sequence[str], model: str | None = None
                   ) -> set[str]:
    """Which of ``names`` run on past the budget: the strategies ``extend`` lists (``default``
    resolved for ``model``), every one for ``all``, none for ``none`` or nothing."""
    wanted = [e.strip() for e in extend if e.strip()]
    if "all" in wanted:
        return set(names)
    if not wanted or wanted == ["none"]:
        return set()
    return set(resolve_strategies(wanted, model)) & set(names)


def simulate(
    gold: Sequence[dict[str, Any]],
    test: Sequence[dict[str, Any]],
    strategies: Sequence[str] = ("default", BASELINE),
    *,
    model: str = "sklearn",
    view: str = "choice",
    seed_size: int = 20,
    batch_size: int = 10,
    budget: int = 1000,
    repeats: int = 5,
    metric: str = "accuracy",
    seed: int = 0,
    extend: Sequence[str] = (BASELINE,),
    progress: Progress | None = None,
    on_featurize: FeatureProgress | None = None,
    stop_threshold: float = DEFAULT_THRESHOLD,
    stop_window: int = DEFAULT_WINDOW,
    options: StrategyOptions | None = None,
    random_share: float = 0.0,
    like: Sequence[str] = (),
    noise: float = 0.0,
    noise_towards: str = "uniform",
) -> SimulationResult:
    """Learning curves of ``strategies`` on ``gold`` (the pool) scored on ``test``.

    ``gold`` and ``test`` are ``{"text", "label"}`` dicts. Labels are the distinct gold labels.
    Each strategy named in ``extend`` (``"all"``: every one; default: ``random``) that has not
    reached the full-data score's thresholds within ``budget`` keeps going (up to 10x; random
    to 98%, the others to 95%), so labels-to and savings are measured instead of left open.
    Checkpoints and AULC stay within the budget.

    Each run also tracks the stabilizing-predictions stopping criterion (``stop_threshold``,
    ``stop_window``; see :mod:`altool.loop.stopping`) on a stop set of up to 1,000 random GOLD rows,
    and reports where it fired and how far the score then was from the run's best.

    ``options``, ``random_share`` (``--mix random=SHARE``) and ``like`` (``--like``) go to
    every run's :class:`~altool.loop.learner.Learner`, as in ``textcat.teach``.

    ``noise``: the oracle errs on that share of the pool (drawn per repeat, the same rows for
    every strategy): another label, ``uniform``ly among the rest or the ``confusable`` one
    (the likeliest wrong label for the full-data model). TEST and the full-data score keep
    the true labels."""
    from ..loop.threads import one_thread

    if view not in VIEWS:
        raise AltoolError(f"--view must be one of {', '.join(VIEWS)}, got {view!r}")
    if metric not in METRICS:
        raise AltoolError(f"--metric must be one of {', '.join(METRICS)}, got {metric!r}")
    for name, value in (("seed-size", seed_size), ("batch-size", batch_size),
                        ("budget", budget), ("repeats", repeats)):
        if value < 1:
            raise AltoolError(f"--{name} must be at least 1")
    check_noise(noise, noise_towards)
    names = resolve_strategies(strategies, model)
    run_on = resolve_extend(extend, names, model)
    labels = sorted({str(eg["label"]) for eg in gold})
    if len(labels) < 2:
        raise AltoolError(f"GOLD has {len(labels)} distinct label(s); a simulation needs two or "
                          "more")
    if not test:
        raise AltoolError("TEST has no examples")
    index = {label: j for j, label in enumerate(labels)}

    # one copy of each input (the learner never asks about the same text twice)
    seen: set[str] = set()
    texts, y = [], []
    for eg in gold:
        if eg["text"] not in seen:
            seen.add(eg["text"])
            texts.append(eg["text"])
            y.append(index[str(eg["label"])])
    y_test = np.array([index.get(str(eg["label"]), -1) for eg in test])

    with one_thread():
        featurizer = make_model(model, labels, exclusive=True)
        # a slow (embedding) model's vectors are cached by text hash: repeated runs are fast
        with feature_cache(featurizer) as featurize:
            pool = _Pool(texts, np.array(y), featurize(texts, _phase(on_featurize, "GOLD")))
            X_test = featurize([eg["text"] for eg in test], _phase(on_featurize, "TEST"))
            X_like = featurize(list(like)) if like else None

        full = make_model(model, labels, exclusive=True)
        full.fit(pool.X, one_hot(pool.y, len(labels)))
        full_score = score(metric, y_test, _predict(full, X_test), len(labels))
        confusable = (most_confusable(full.predict_proba(pool.X), pool.y)
                      if noise and noise_towards == "confusable" else None)

        budget_eff = min(budget, len(pool))
        grid = checkpoint_grid(budget_eff, batch_size, min(seed_size, budget_eff))
        result = SimulationResult(metric, full_score, budget_eff, labels, len(pool),
                                  len(test), repeats, model=model, noise=noise,
                                  noise_towards=noise_towards)
        oracle = [noisy_labels(pool.y, len(labels), noise,
                               np.random.default_rng(seed + 104_729 * (r + 1)), confusable)
                  for r in range(repeats)]  # repeat r errs on the same rows for every strategy
        for name in names:
            runs = []
            curves = np.zeros((repeats, len(grid)))
            for r in range(repeats):
                learner = Learner(make_model(model, labels, exclusive=True),
                                  get_strategy(name), view=view, seed=seed + r,
                                  options=options, random_share=random_share, like=like)
                learner.like_features = X_like
                learner.featurizer = pool.features_of
                run = _Run(learner, pool, seed + 10_007 * (r + 1), oracle[r])
                stop_rows = np.sort(np.random.default_rng(seed + 7_919 * (r + 1)).choice(
                    len(pool), min(STOP_SET_SIZE, len(pool)), replace=False))
                run.watch_stop(
                    StabilizingPredictions(stop_threshold, stop_window), pool.X[stop_rows],
                    lambda m: score(metric, y_test, _predict(m, X_test), len(labels)),
                )
                tick = _ticker(progress, f"{name} {r + 1}/{repeats}", budget_eff)
                for k, n in enumerate(grid):
                    run.advance_to(n, seed_size, batch_size, tick)
                    curves[r, k] = score(metric, y_test, _predict(learner.model, X_test),
                                         len(labels))
                run.stopper = None  # within the budget only (the baseline may run on)
                runs.append(run)
            fired = [(int(run.stop_labels), float(run.stop_score),
                      max(float(curves[r].max()), float(run.stop_score)))
                     for r, run in enumerate(runs) if run.stop_labels is not None]
            points = [(n, float(curves[:, k].mean()), float(curves[:, k].std()))
                      for k, n in enumerate(grid)]
            per_run = [aulc(list(zip(grid, curves[r], strict=True))) for r in range(repeats)]
            if name in run_on:
                points += _extend(name, runs, pool, points, full_score, budget_eff,
                                  seed_size, batch_size, metric, y_test, X_test, len(labels),
                                  progress)
            result.strategies[name] = StrategyResult(
                name=name,
                points=points,
                aulc=float(np.mean(per_run)),
                aulc_std=float(np.std(per_run)),
                labels_to={_key(t): labels_to_reach([(n, m) for n, m, _ in points],
                                                    t * full_score) for t in THRESHOLDS},
                stop=StopResult.from_runs(fired),
                skipped=_skipped_share(runs),
                seed_sets=[run.seed_rows for run in runs],
            )
    return result


def simulate_files(
    gold: str, test: str, strategies: Sequence[str], *, label_field: str = "label",
    model: str = "auto", settings: StrategySettings | None = None,
    warn: Callable[[str], None] | None = None, note: Callable[[str], None] | None = None,
    **run: Any,
) -> SimulationResult:
    """``altool simulate`` on files: resolve the model (``note`` is told what ``auto``
    chose when it is not the encoder) and the strategies and check each against the model,
    read GOLD and TEST (``warn`` is told when TEST has labels GOLD never has), then
    :func:`simulate` with the ``run`` settings (budget, repeats, progress...)."""
    from ..loop.config import check_support
    from ..models.registry import resolve_model

    model, model_note = resolve_model(model)
    if model_note and note is not None:
        note(model_note)
    settings = settings or StrategySettings()
    names = resolve_strategies(strategies, model)
    for name in names:
        check_support(name, model, bool(settings.like))
    gold_rows = read_labelled(gold, label_field)
    test_rows = read_labelled(test, label_field)
    unseen = unseen_test_labels(gold_rows, test_rows)
    if unseen and warn is not None:
        warn(unseen)
    return simulate(gold_rows, test_rows, names, model=model, options=settings.options,
                    random_share=settings.random_share, like=settings.like, **run)


def _extend(name: str, runs: list[_Run], pool: _Pool, points: list, full_score: float,
            budget: int, seed_size: int, batch_size: int, metric: str, y_test: np.ndarray,
            X_test: Any, n_labels: int, progress: Progress | None
            ) -> list[tuple[int, float, float]]:
    """Run strategy ``name`` past the budget, in lockstep over repeats, until its mean curve
    reaches its mark (or 10x the budget, or the end of the pool).

    Random picks do not depend on the model, so for ``random`` each step asks the whole gap
    to the next checkpoint as one batch and refits once: the same questions, far fewer fits;
    it goes on to the highest threshold. Every other strategy goes on in batches of
    ``batch_size``, as within the budget, and only to the saving's threshold (95%): each of
    its steps is a model update."""
    mark = max(THRESHOLDS) if name == BASELINE else SAVING_THRESHOLD
    target = mark * full_score
    if labels_to_reach([(n, m) for n, m, _ in points], target) is not None:
        return []
    out = []
    tick = _ticker(progress, f"{name} {PAST_BUDGET}", None)
    for n in extension_grid(budget, min(len(pool), EXTEND_FACTOR * budget), batch_size):
        scores = []
        for run in runs:
            step = max(1, n - run.asked) if name == BASELINE else batch_size
            run.advance_to(n, seed_size, step, tick)
            scores.append(score(metric, y_test, _predict(run.learner.model, X_test), n_labels))
        out.append((n, float(np.mean(scores)), float(np.std(scores))))
        if out[-1][1] >= target:
            break
    return out


def _skipped_share(runs: list[_Run]) -> float | None:
    """Mean share of the candidates a stream strategy skipped (None for pool strategies)."""
    counts = [run.learner.skipped for run in runs]
    shares = [skipped / seen for skipped, seen in (c for c in counts if c) if seen]
    return float(np.mean(shares)) if shares else None


def _phase(on_featurize: FeatureProgress | None, what: str
           ) -> Callable[[int, int], None] | None:
    if on_featurize is None:
        return None
    return lambda done, total: on_featurize(what, done, total)


def _ticker(progress: Progress | None, what: str, total: int | None
            ) -> Callable[[int], None] | None:
    if progress is None:
        return None
    return lambda n: progress(what, n, total)
