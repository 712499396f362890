"""How many labels active learning saved: the loop's order against random order, measured on
the dataset's own answers (``altool progress``).

Only the audit picks (``meta.pick == "random"``: ``--mix random=SHARE``) are a random sample of
the source, so only they can show what random order would have bought. Both learning curves
are drawn with the same fresh model (the kind the loop used), scored on the same held-out
texts:

- **random order**: fitted on the first *m* audit picks, in the order they were answered;
- **the loop's order**: fitted on the first *n* answers of the dataset, whatever picked them.

The held-out texts are ``--eval DATASET`` when given, else each of ``folds`` parts of the
audit picks in turn (left out of both training sets). Random order's curve ends where the
audit picks do, at *m_max*; its last point is the **level** compared at. The estimate is the
number of answers the loop needed to reach that level, *n_level*: the ratio
*m_max / n_level* is measured. What it means at the current number of answers (random order
would need about *ratio × answers*) assumes the ratio holds above the level, and is said so.
Its uncertainty is the spread of the ratio over the held-out parts.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import AltoolError
from ..models.cache import featurizer_for
from ..models.registry import MODELS, make_model, split_model_name
from ..store import Store
from ..store.merge import MergedExample, MergeResult, merge_datasets
from ..store.report import duration
from .textcat import NoClassesError, score

MIN_PICKS = 30  # audit picks before anything is estimated
MIN_FIRST = 10  # the smallest training set on either curve
FOLDS = 5
GRID_POINTS = 8

Progress = Callable[[int, int], None]


@dataclass
class Curve:
    """A learning curve: the metric after ``sizes[i]`` labels, per held-out part."""

    sizes: list[int]
    values: list[list[float]]  # [part][size]; NaN where a part's model could not be fitted

    def mean(self) -> list[float]:
        return [float(np.nanmean(col)) if np.isfinite(col).any() else float("nan")
                for col in np.array(self.values, dtype=float).T]

    def smoothed(self, values: Sequence[float] | None = None) -> list[float]:
        """``values`` (default: the mean) made non-decreasing by isotonic regression: a
        learning curve rises in expectation, and on a few hundred held-out texts its noise
        would otherwise decide where it first crosses a level."""
        return monotone(self.sizes, self.mean() if values is None else values)


@dataclass
class SavingsEstimate:
    """What ``progress`` says about labels saved (``state`` ``estimated`` or ``unknown``)."""

    state: str
    reason: str = ""
    metric: str = "accuracy"
    model: str = ""
    held_out: str = ""
    answers: int = 0
    audit_picks: int = 0
    random_curve: Curve | None = None
    loop_curve: Curve | None = None
    level: float | None = None  # random order's (smoothed) score with all the audit picks
    random_labels: int | None = None  # labels random order took to the level
    loop_labels: float | None = None  # answers the loop needed for the level (None: never)
    ratio: float | None = None
    ratio_range: tuple[float, float] | None = None  # over the held-out parts
    current: float | None = None  # the loop-order model's score with every answer
    flat: bool = False  # random order's curve reached its level at its first point
    equal_labels: int | None = None  # the most labels both curves have
    loop_at_equal: float | None = None
    random_at_equal: float | None = None
    gap_range: tuple[float, float] | None = None  # loop minus random there, over the parts
    notes: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        def curve(c: Curve | None) -> list[dict[str, Any]] | None:
            if c is None:
                return None
            return [{"labels": n, "score": _round(v)} for n, v in zip(c.sizes, c.mean(),
                                                                         strict=True)]

        return {"state": self.state, "reason": self.reason, "metric": self.metric,
                "model": self.model, "held_out": self.held_out, "answers": self.answers,
                "audit_picks": self.audit_picks, "level": _round(self.level),
                "random_labels": self.random_labels,
                "loop_labels": _round(self.loop_labels, 1), "ratio": _round(self.ratio, 2),
                "ratio_range": None if self.ratio_range is None
                else [_round(x, 2) for x in self.ratio_range],
                "current": _round(self.current), "flat": self.flat,
                "equal_labels": self.equal_labels, "loop_at_equal": _round(self.loop_at_equal),
                "random_at_equal": _round(self.random_at_equal),
                "gap_range": None if self.gap_range is None
                else [_round(x) for x in self.gap_range],
                "random_curve": curve(self.random_curve),
                "loop_curve": curve(self.loop_curve), "notes": self.notes}


def monotone(sizes: Sequence[int], values: Sequence[float]) -> list[float]:
    """Isotonic (non-decreasing) fit of ``values`` over ``sizes``; NaN points stay NaN."""
    from sklearn.isotonic import IsotonicRegression

    v = np.asarray(values, dtype=float)
    ok = np.isfinite(v)
    out = np.full(len(v), np.nan)
    if ok.sum() >= 2:
        out[ok] = IsotonicRegression().fit_transform(np.asarray(sizes, float)[ok], v[ok])
    elif ok.any():
        out[ok] = v[ok]
    return out.tolist()


def _round(value: float | None, digits: int = 4) -> float | None:
    return None if value is None or not np.isfinite(value) else round(float(value), digits)


def loop_model_kind(store: Store, dataset: str) -> str:
    """The model kind the loop scored the latest questions with (``meta.pick_model``), if
    it can be built by name; else ``sklearn``."""
    kind = store.latest_meta(dataset, "pick_model")
    return kind if isinstance(kind, str) and kind in MODELS else "sklearn"


def grid(last: int, points: int = GRID_POINTS) -> list[int]:
    """Training sizes from ``MIN_FIRST`` to ``last``, spaced evenly on a log scale."""
    if last <= MIN_FIRST:
        return [last]
    return sorted({int(round(x)) for x in np.geomspace(MIN_FIRST, last, points)})


def reach(sizes: Sequence[int], values: Sequence[float], level: float) -> float | None:
    """The labels at which a curve first reaches ``level`` (linear between points); None if
    it never does."""
    prev = None
    for n, v in zip(sizes, values, strict=True):
        if np.isfinite(v) and v >= level - 1e-12:
            if prev is None or not np.isfinite(prev[1]) or prev[1] >= v:
                return float(n)
            (n0, v0) = prev
            return n0 + (level - v0) / (v - v0) * (n - n0)
        prev = (n, v)
    return None


def encoder_share(store: Store, dataset: str, model_name: str, merged: MergeResult, X: Any,
                  Y: np.ndarray, out: SavingsEstimate) -> float | None:
    """For the ``stack`` model: the encoder share both curves use at every point, the loop's
    latest (``meta.pick_encoder_share``), else weighed once on all the answers. A fresh stack
    model would weigh its share again at each point (ten fits: a minute at 1,000 answers
    with 77 labels), for every point of both curves and every held-out part. None for other
    models."""
    if split_model_name(model_name)[0] != "stack":  # stack, or stack:BASE
        return None
    share = store.latest_meta(dataset, "pick_encoder_share")
    if isinstance(share, int | float) and not isinstance(share, bool) and 0 <= share <= 1:
        how = "the loop's latest"
    else:
        model = make_model(model_name, merged.labels, exclusive=merged.exclusive)
        model.fit(X, Y)
        share, how = model.encoder_share, "weighed once on all the answers"
    out.notes.append(f"both curves use the stack model with the encoder's share at "
                     f"{float(share):g} ({how}), not weighed again at each point")
    return float(share)


class _Scorer:
    """Fits fresh models on rows of one feature matrix and scores them on held-out rows
    (each training set fitted once, however many parts it is scored on). With ``share``
    (the ``stack`` model) each is the blend at that encoder share, not weighed again."""

    def __init__(self, model_name: str, merged: MergeResult, X: Any, Y: np.ndarray,
                 eval_X: Any = None, eval_Y: np.ndarray | None = None, *,
                 share: float | None = None) -> None:
        self.model_name, self.merged, self.share = model_name, merged, share
        self.X, self.Y, self.eval_X, self.eval_Y = X, Y, eval_X, eval_Y
        self._fitted: dict[tuple[int, ...], Any] = {}

    def _new_model(self) -> Any:
        """A fresh model of the loop's kind; with ``share``, the blend at that share (a stack
        model's two halves, without its weighing)."""
        labels, exclusive = self.merged.labels, self.merged.exclusive
        if self.share is None:
            return make_model(self.model_name, labels, exclusive=exclusive)
        from ..models.blend import BlendModel

        return BlendModel(labels, exclusive, base=split_model_name(self.model_name)[1],
                          embed_weight=self.share)

    def metric(self, train: Sequence[int], held: Sequence[int], on_eval: bool) -> float:
        key = tuple(train)
        if key not in self._fitted:
            self._fitted[key] = self._fit(train)
        model = self._fitted[key]
        if model is None:
            return float("nan")
        X, Y = (self.eval_X, self.eval_Y) if on_eval else (self.X, self.Y)
        rows = np.asarray(held)
        scores = score(model.predict_proba(X[rows]), Y[rows], self.merged.labels,
                       self.merged.exclusive)
        return scores.accuracy if scores.accuracy is not None else scores.macro_f1

    def _fit(self, train: Sequence[int]) -> Any:
        rows = np.asarray(train)
        Y = self.Y[rows]
        if not ((Y == 1).any(axis=0) & (Y == 0).any(axis=0)).any():
            return None  # too few labels yet for any classifier
        model = self._new_model()
        try:
            model.fit(self.X[rows], Y)
        except NoClassesError:
            return None
        return model


def estimate_savings(
    store: Store, dataset: str, *, model_name: str | None = None,
    eval_dataset: str | None = None, folds: int = FOLDS, seed: int = 0,
    progress: Progress | None = None,
) -> SavingsEstimate:
    """Labels saved against random order, from ``dataset``'s audit picks (module docstring)."""
    if store.dataset_meta(dataset).get("view") in ("ner", "ner_manual"):
        return SavingsEstimate("unknown", reason="the labels-saved estimate is made for text "
                               "classification datasets; this one holds NER answers")
    merged = merge_datasets(store, [dataset])
    held = _held_out(store, merged, eval_dataset)
    held_out = {eg.input_hash for eg in held[1]} if held is not None else set()
    # with --eval, its texts are never trained on
    examples = [eg for eg in merged.examples if eg.status and eg.input_hash not in held_out]
    picks = [i for i, eg in enumerate(examples) if eg.random_pick]
    model_name = model_name or loop_model_kind(store, dataset)
    out = SavingsEstimate("unknown", model=model_name, answers=len(examples),
                          audit_picks=len(picks),
                          metric="accuracy" if merged.exclusive else "macro F1")
    need = MIN_PICKS if held is None else MIN_FIRST * 2
    if held is not None and len(held[1]) < MIN_FIRST * 2:
        out.reason = (f"too few texts to score on in --eval {eval_dataset}: {len(held[1])}, "
                      f"it takes {MIN_FIRST * 2}")
        return out
    if len(picks) < need:
        dropped = sum(eg.random_pick for eg in merged.examples if eg.input_hash in held_out)
        also = (f" ({dropped} more are in --eval {eval_dataset}, so not trained on)"
                if dropped else "")
        out.reason = (f"not enough evidence: {len(picks)} audit picks{also}, it takes {need}; "
                      "label with --mix random=0.1 (a tenth of the questions picked at random) "
                      "so random order can be measured against the loop")
        return out
    featurize = featurizer_for(make_model(model_name, merged.labels, merged.exclusive), store)
    X = featurize([eg.text for eg in examples])
    Y = merged.targets(examples)
    share = encoder_share(store, dataset, model_name, merged, X, Y, out)
    if held is None:
        scorer = _Scorer(model_name, merged, X, Y, share=share)
        parts = _folds(picks, folds, seed)
        out.held_out = f"{len(parts)} parts of the {len(picks)} audit picks, each in turn"
    else:
        held_merged, held_examples = held
        eval_X = featurize([eg.text for eg in held_examples])
        scorer = _Scorer(model_name, merged, X, Y, eval_X, held_merged.targets(held_examples),
                         share=share)
        parts = _folds(list(range(len(held_examples))), folds, seed)
        out.held_out = (f"dataset {eval_dataset} ({len(held_examples):,} texts, in "
                        f"{len(parts)} parts)")
    _draw_curves(out, scorer, parts, picks, len(examples), held is not None, progress)
    _compare(out)
    return out


def _held_out(store: Store, merged: MergeResult, eval_dataset: str | None
              ) -> tuple[MergeResult, list[MergedExample]] | None:
    if eval_dataset is None:
        return None
    held = merge_datasets(store, [eval_dataset], merged.exclusive)
    unknown = [label for label in held.labels if label not in merged.labels]
    if unknown:
        raise AltoolError(f"--eval {eval_dataset} has labels the dataset lacks: "
                          f"{', '.join(unknown)}")
    held.labels = list(merged.labels)
    examples = [eg for eg in held.examples if eg.status]
    if not examples:
        raise AltoolError(f"--eval {eval_dataset} has no accepted or rejected answers to score "
                          "on")
    return held, examples


def _folds(rows: list[int], folds: int, seed: int) -> list[list[int]]:
    """``rows`` split at random into up to ``folds`` parts of at least ``MIN_FIRST``."""
    k = max(1, min(folds, len(rows) // MIN_FIRST))
    order = np.random.default_rng(seed).permutation(len(rows))
    return [sorted(rows[i] for i in part) for part in np.array_split(order, k)]


def _draw_curves(out: SavingsEstimate, scorer: _Scorer, parts: list[list[int]],
                 picks: list[int], n_rows: int, on_eval: bool,
                 progress: Progress | None) -> None:
    """Both learning curves, each part held out in turn (or the eval set's parts)."""
    def training(rows: list[int], part: list[int]) -> list[int]:
        if on_eval:
            return rows
        held = set(part)
        return [r for r in rows if r not in held]

    rand_last = min(len(training(picks, p)) for p in parts)
    loop_last = min(len(training(list(range(n_rows)), p)) for p in parts)
    # one grid for both (random order's ends at the audit picks), so curves drawn from the
    # same answers are the same curve
    sizes = sorted(set(grid(rand_last)) | set(grid(loop_last, GRID_POINTS + 2)))
    rand_sizes = [n for n in sizes if n <= rand_last]
    loop_sizes = [n for n in sizes if n <= loop_last]
    rand_vals, loop_vals = [], []
    total, done = len(parts) * (len(rand_sizes) + len(loop_sizes)), 0
    for part in parts:
        rand_rows, loop_rows = training(picks, part), training(list(range(n_rows)), part)
        row_r, row_l = [], []
        for size in rand_sizes:
            row_r.append(scorer.metric(rand_rows[:size], part, on_eval))
            done += 1
            if progress is not None:
                progress(done, total)
        for size in loop_sizes:
            row_l.append(scorer.metric(loop_rows[:size], part, on_eval))
            done += 1
            if progress is not None:
                progress(done, total)
        rand_vals.append(row_r)
        loop_vals.append(row_l)
    out.random_curve = Curve(rand_sizes, rand_vals)
    out.loop_curve = Curve(loop_sizes, loop_vals)


def _compare(out: SavingsEstimate) -> None:
    """The level (random order's last point), the loop's labels to it, and their ratio, on
    the smoothed curves (per held-out part for the spread)."""
    rand, loop = out.random_curve, out.loop_curve
    assert rand is not None and loop is not None
    rand_mean = rand.smoothed()
    out.level, out.current = rand_mean[-1], loop.smoothed()[-1]
    if not np.isfinite(out.level):
        out.reason = "random order's model could not be fitted on the audit picks"
        return
    out.state = "estimated"
    # where each curve first reaches the level (a smoothed curve ends on a plateau: random
    # order "got there" where its plateau starts, and so did the loop)
    out.random_labels = int(round(reach(rand.sizes, rand_mean, out.level) or rand.sizes[-1]))
    out.loop_labels = _loop_reach(loop, loop.mean(), rand.sizes[-1], out.level)
    out.ratio = out.random_labels / (out.loop_labels if out.loop_labels is not None
                                     else loop.sizes[-1])
    out.flat = out.random_labels <= rand.sizes[0]
    head = len(rand.sizes)  # the loop's curve at random order's sizes
    out.equal_labels = rand.sizes[-1]
    out.random_at_equal = out.level
    out.loop_at_equal = monotone(loop.sizes[:head], loop.mean()[:head])[-1]  # NaN: unfitted
    ratios, gaps = [], []
    for r_row, l_row in zip(rand.values, loop.values, strict=True):
        smooth = rand.smoothed(r_row)
        if not np.isfinite(smooth[-1]):
            continue
        gap = monotone(loop.sizes[:head], l_row[:head])[-1] - smooth[-1]
        if np.isfinite(gap):
            gaps.append(gap)
        took = reach(rand.sizes, smooth, smooth[-1]) or rand.sizes[-1]
        needed = _loop_reach(loop, l_row, rand.sizes[-1], smooth[-1])
        # a part where the loop never got there: at most what the loop had, as a bound
        ratios.append(took / (needed if needed is not None else loop.sizes[-1]))
    out.ratio_range = (min(ratios), max(ratios)) if ratios else None
    out.gap_range = (min(gaps), max(gaps)) if gaps else None


def _loop_reach(loop: Curve, values: Sequence[float], upto: int, level: float
                ) -> float | None:
    """Where the loop's curve reaches ``level``: first on its part up to ``upto`` labels
    (smoothed alone, as random order's curve is: the same answers give the same curve),
    else on the whole curve."""
    head = sum(1 for n in loop.sizes if n <= upto)
    found = reach(loop.sizes[:head], monotone(loop.sizes[:head], values[:head]), level)
    if found is not None:
        return found
    return reach(loop.sizes, monotone(loop.sizes, values), level)


def describe(est: SavingsEstimate, per_hour: float | None = None) -> list[tuple[str, str]]:
    """The estimate as (what, sentence) rows, with how it was made and how sure it is;
    ``per_hour`` (the measured pace) turns labels into time."""
    if est.state != "estimated":
        return [("estimate", est.reason)]
    lo, hi = est.gap_range or (0.0, 0.0)
    if est.loop_at_equal is not None and np.isfinite(est.loop_at_equal):
        gap = (est.loop_at_equal - est.random_at_equal) * 100
        rows = [("at equal labels", f"with {est.equal_labels} labels the loop's order scores "
                 f"{est.loop_at_equal:.0%} {est.metric}, random order "
                 f"{est.random_at_equal:.0%} ({gap:+.0f} points; {lo * 100:+.0f} to "
                 f"{hi * 100:+.0f} over the held-out parts)")]
    else:
        rows = [("at equal labels", f"with {est.equal_labels} labels random order scores "
                 f"{est.random_at_equal:.0%} {est.metric}; no model could be fitted yet on the "
                 f"loop's first {est.equal_labels} answers (they hold one class)")]
    rows.append(("saved so far", _saved_sentence(est)))
    if lo <= 0 <= hi:
        rows.append(("how sure", "not enough evidence to tell the loop from random order "
                     "yet: more audit picks (--mix random=0.2) or --eval DATASET narrow it"))
    if not est.flat and est.loop_labels is not None and est.ratio > 1:
        saved = est.answers * (est.ratio - 1)
        time = f", {duration(saved / per_hour * 3600)} at your pace" if per_hour else ""
        rows.append(("at today's level", f"if the ratio holds at {est.current:.0%} with "
                     f"{est.answers:,} answers, random order would need about "
                     f"{est.answers * est.ratio:,.0f} labels: {saved:,.0f} saved{time} "
                     f"(an assumption: measured only up to {est.equal_labels} labels)"))
    rows.append(("held-out score", f"{est.current:.0%} {est.metric}: a fresh {est.model} "
                 f"model fitted on all {est.answers:,} answers, scored on {est.held_out}"))
    rows.append(("how", f"learning curves of a fresh {est.model} model fitted on the first n "
                 f"audit picks (random order) and on the first n answers (the loop's order), "
                 "both scored on the same held-out texts, smoothed to rise"))
    return rows


def _saved_sentence(est: SavingsEstimate) -> str:
    pct = f"{est.level:.0%} {est.metric}"
    if est.flat:
        return (f"not measurable yet: random order's curve is flat over the audit picks (at "
                f"{pct} from its first {est.random_labels} labels on), so there is no level "
                "both curves climb to; more audit picks show where it rises")
    if est.loop_labels is None:
        return (f"none: random order reached {pct} with {est.random_labels} labels, the "
                f"loop's answers never did (up to {est.answers:,})")
    lo, hi = est.ratio_range or (est.ratio, est.ratio)
    verdict = "" if est.ratio >= 1 else "; random order got there with fewer labels"
    return (f"random order needed {est.ratio:.1f}x as many labels to reach {pct}: "
            f"{est.random_labels} labels, the loop {est.loop_labels:,.0f} answers{verdict} "
            f"(the held-out parts alone give {lo:.1f}-{hi:.1f}x)")
