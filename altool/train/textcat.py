"""Train and evaluate a final text classifier on merged answers (``altool train``,
``altool train-curve``).

The answers of the training datasets are merged per input (:mod:`altool.store.merge`), a fresh
model from the registry (:func:`altool.models.make_model`) is fitted on the training part and
scored on the evaluation part, and the model is saved with a README saying how it was made.

Evaluation set. Answers collected by active learning are a biased sample: the model chose
them because they were hard. ``--eval-split`` therefore draws the evaluation set only from
inputs annotated in random order (a task with ``meta["pick"] == "random"``) when there are
any, and says so; otherwise it splits all inputs at random, and warns that the scores are
biased when some of them were chosen by a model (imports and manual annotation were not).
``--eval DATASET`` uses another dataset (its inputs are left out of training).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from ..errors import AltoolError
from ..models.base import TextModel
from ..models.cache import featurizer_for
from ..models.classifier import SAFE_FILE, SAFE_INSTALL, TextClassifier, save_safe, skops_missing
from ..models.registry import make_model
from ..models.saving import MODEL_FILE, save_model
from ..store import Store
from ..store.merge import MergedExample, MergeResult, merge_datasets
from ..version import __version__

MIN_TRAIN = 2
MIN_EVAL = 30  # fewer evaluation inputs than this gets a warning


def n_inputs(n: int, what: str = "input") -> str:
    """``"1 input"``, ``"2 inputs"``, ``"1,000 evaluation inputs"``."""
    return f"{n:,} {what}{'' if n == 1 else 's'}"

StageProgress = Callable[[str, int, int], None]
"""``progress(stage, done, total)``: e.g. ``("featurizing", 800, 2400)``; ``total`` 0 when the
stage can't say how far it is (fitting)."""


def _no_progress(stage: str, done: int, total: int) -> None:
    return None


class NoClassesError(AltoolError):
    """The training inputs hold no label with both positive and negative examples."""


@dataclass
class LabelScore:
    label: str
    precision: float
    recall: float
    f1: float
    support: int  # evaluation inputs where the label applies
    predicted: int  # evaluation inputs the model gave the label (where known)


@dataclass
class Scores:
    """Per-label precision/recall/F1 and their macro averages over labels with support."""

    labels: list[LabelScore]
    n_eval: int
    accuracy: float | None  # exclusive labels only: share of inputs whose label was predicted

    @property
    def scored(self) -> list[LabelScore]:
        return [s for s in self.labels if s.support > 0]

    def macro(self, attr: str) -> float:
        scored = self.scored
        return float(np.mean([getattr(s, attr) for s in scored])) if scored else 0.0

    @property
    def macro_f1(self) -> float:
        return self.macro("f1")


@dataclass
class EvalSet:
    """Which inputs are scored, and how they were chosen."""

    train: list[Any]  # MergedExample (text classification) or NerItem
    eval: list[Any]
    description: str
    biased: bool  # drawn from examples the model chose (active learning)

    @property
    def warnings(self) -> list[str]:
        """Why the scores on this set may mislead: a biased sample, or too few inputs."""
        out = [BIAS_WARNING] if self.biased else []
        n = len(self.eval)
        if n < MIN_EVAL:
            out.append(
                f"only {n_inputs(n)} to evaluate on, so the scores are "
                f"very uncertain (for an accuracy near 50%, the 95% interval is "
                f"±{min(1.96 * 0.5 / n ** 0.5, 1):.0%}). For a usable score, evaluate on "
                f"{MIN_EVAL} or more: annotate more in random order (e.g. textcat.teach --mix "
                f"random=0.2), or pass a labelled dataset of {MIN_EVAL} or more with --eval")
        return out


@dataclass
class TrainResult:
    model: TextModel
    merged: MergeResult
    evalset: EvalSet
    scores: Scores
    datasets: list[str]
    model_name: str
    seed: int
    created: str = field(default_factory=lambda: time.strftime("%Y-%m-%d %H:%M:%S %Z"))


def predictions(P: np.ndarray, exclusive: bool) -> np.ndarray:
    """Predicted labels as a boolean matrix: the top label (exclusive) or p >= 0.5."""
    if exclusive:
        out = np.zeros(P.shape, dtype=bool)
        out[np.arange(len(P)), P.argmax(axis=1)] = True
        return out
    return P >= 0.5


def label_score(label: str, tp: int, fp: int, fn: int) -> LabelScore:
    """Precision, recall and F1 from counts (0 where undefined)."""
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return LabelScore(label, precision, recall, f1, support=tp + fn, predicted=tp + fp)


def score(P: np.ndarray, Y: np.ndarray, labels: Sequence[str], exclusive: bool) -> Scores:
    """Precision/recall/F1 per label from probabilities ``P`` and targets ``Y`` (1, 0, NaN).

    Each label is scored on the inputs whose status for it is known."""
    pred = predictions(P, exclusive)
    out = []
    for j, label in enumerate(labels):
        known = ~np.isnan(Y[:, j])
        truth = Y[known, j] == 1
        guess = pred[known, j]
        out.append(label_score(label, tp=int((truth & guess).sum()),
                               fp=int((~truth & guess).sum()), fn=int((truth & ~guess).sum())))
    accuracy = None
    if exclusive:
        has_label = (Y == 1).any(axis=1)
        if has_label.any():
            hits = (pred & (Y == 1)).any(axis=1)
            accuracy = float(hits[has_label].mean())
    return Scores(out, len(Y), accuracy)


class Splittable(Protocol):
    """What splitting needs from a merged input (text classification or NER)."""

    input_hash: int
    random_pick: bool
    model_pick: bool


def split_eval(
    items: Sequence[Splittable], eval_split: float, seed: int,
    eval_items: Sequence[Splittable] | None = None, eval_name: str | None = None,
) -> EvalSet:
    """The evaluation set: another dataset's inputs (``eval_items``), or a share of the
    randomly picked ones (or, if there are none, of all inputs, flagged as biased when a model
    chose some of them)."""
    if eval_items is not None:
        held = {eg.input_hash for eg in eval_items}
        train = [eg for eg in items if eg.input_hash not in held]
        dropped = len(items) - len(train)
        note = f"; {dropped:,} of them also in the training data, left out of it" \
            if dropped else ""
        return EvalSet(train, list(eval_items),
                       f"dataset {eval_name} ({len(eval_items):,} inputs{note})", False)
    if not 0 < eval_split < 1:
        raise AltoolError(f"--eval-split must be between 0 and 1 (a share), got {eval_split}")
    if len(items) < MIN_TRAIN + 1:
        raise AltoolError(f"only {len(items)} labelled inputs in the training datasets; "
                          "annotate more before training")
    rng = np.random.default_rng(seed)
    randoms = [i for i, eg in enumerate(items) if eg.random_pick]
    pool = randoms or list(range(len(items)))
    n_eval = max(1, min(round(len(items) * eval_split), len(pool), len(items) - MIN_TRAIN))
    chosen = set(rng.choice(pool, size=n_eval, replace=False).tolist())
    train = [eg for i, eg in enumerate(items) if i not in chosen]
    evals = [eg for i, eg in enumerate(items) if i in chosen]
    if randoms:
        what = (f"{n_inputs(n_eval)} drawn from the {len(randoms):,} annotated in random order "
                f"(meta.pick = random)")
        return EvalSet(train, evals, what, False)
    chosen = sum(eg.model_pick for eg in items)
    if not chosen:
        what = (f"{n_inputs(n_eval)} ({eval_split:.0%}) drawn at random from all answers "
                "(none was chosen by a model)")
        return EvalSet(train, evals, what, False)
    what = (f"{n_inputs(n_eval)} ({eval_split:.0%}) drawn at random from all answers; "
            f"{chosen:,} of the {len(items):,} inputs were chosen by a model and none was "
            "annotated in random order")
    return EvalSet(train, evals, what, True)


DataCallback = Callable[[MergeResult, EvalSet], None]

BIAS_WARNING = (
    "the evaluation set comes from answers the model may have chosen (active learning picks "
    "hard, unusual examples), so these scores are biased estimates. For an honest score, "
    "annotate some examples in random order (e.g. textcat.teach --strategy random, or a "
    "random share with --mix random=0.2) or pass --eval DATASET"
)


def fit_and_score(
    model_name: str, merged: MergeResult, train: Sequence[MergedExample],
    evals: Sequence[MergedExample], *, store: Store | None = None,
    progress: StageProgress = _no_progress,
) -> tuple[TextModel, Scores]:
    """A fresh ``model_name`` model fitted on ``train`` and scored on ``evals``. With a
    ``store``, cacheable features (embeddings) come from and go to its cache."""
    model = make_model(model_name, merged.labels, exclusive=merged.exclusive)
    Y = merged.targets(train)
    known = (Y == 1).any(axis=0) & (Y == 0).any(axis=0)
    if not known.any():
        raise NoClassesError("the training answers never both accept and reject any label; "
                          "a classifier needs examples of both")
    featurize = featurizer_for(model, store)

    def features(stage: str, examples: Sequence[MergedExample]) -> Any:
        progress(stage, 0, len(examples))
        X = featurize([eg.text for eg in examples],
                      lambda done, total: progress(stage, done, total))
        progress(stage, len(examples), len(examples))
        return X

    X = features("featurizing", train)
    progress("fitting", 0, 0)
    model.fit(X, Y)
    P = model.predict_proba(features("scoring", evals))
    return model, score(P, merged.targets(evals), merged.labels, merged.exclusive)


def train(
    store: Store, datasets: Sequence[str], *, model_name: str = "sklearn",
    eval_dataset: str | None = None, eval_split: float = 0.2, seed: int = 0,
    exclusive: bool | None = None, on_data: DataCallback | None = None,
    progress: StageProgress = _no_progress,
) -> TrainResult:
    """Merge ``datasets``, split off the evaluation set, fit and score a fresh model.

    ``on_data(merged, evalset)`` is called before the (slow) fit, e.g. to report conflicts;
    ``progress`` during it."""
    merged, evalset = _merge_and_split(store, datasets, exclusive, eval_dataset, eval_split,
                                       seed, on_data)
    model, scores = fit_and_score(model_name, merged, evalset.train, evalset.eval,
                                  store=store, progress=progress)
    return TrainResult(model, merged, evalset, scores, list(datasets), model_name, seed)


def _merge_and_split(
    store: Store, datasets: Sequence[str], exclusive: bool | None, eval_dataset: str | None,
    eval_split: float, seed: int, on_data: DataCallback | None,
) -> tuple[MergeResult, EvalSet]:
    """Merge ``datasets``, choose the evaluation set and report both to ``on_data``."""
    merged = merge_datasets(store, datasets, exclusive)
    evalset = choose_eval(store, merged, eval_dataset, eval_split, seed)
    if on_data is not None:
        on_data(merged, evalset)
    return merged, evalset


def choose_eval(
    store: Store, merged: MergeResult, eval_dataset: str | None, eval_split: float, seed: int
) -> EvalSet:
    """:func:`split_eval` with ``eval_dataset`` merged under the training data's labels."""
    if eval_dataset is None:
        return split_eval(merged.examples, eval_split, seed)
    held = merge_datasets(store, [eval_dataset], merged.exclusive)
    unknown = [label for label in held.labels if label not in merged.labels]
    if unknown:
        raise AltoolError(f"--eval {eval_dataset} has labels the training data lacks: "
                          f"{', '.join(unknown)}")
    return split_eval(merged.examples, eval_split, seed, held.examples, eval_dataset)


# -- saving --------------------------------------------------------------------------------------
def prepare_output(output_dir: Path) -> None:
    """Create ``output_dir`` (before a long training, so a bad path fails at once)."""
    try:
        output_dir.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise AltoolError(f"{output_dir}: can't create the output folder "
                          f"({err.strerror or err})") from None
    if not os.access(output_dir, os.W_OK):
        raise AltoolError(f"{output_dir}: the output folder is not writable")


def save_trained(result: TrainResult, output_dir: Path) -> None:
    """Write ``model.joblib`` (a :class:`~altool.models.classifier.TextClassifier`: scikit-
    learn's API on texts), ``model.skops`` (the same, safe to share; with skops installed, and
    not for spaCy models, which are written as a ``spacy.load``-able pipeline in the same
    folder instead), ``scores.json`` and ``README.md``. An old ``model.skops`` is removed
    when none is written (it would be another model's)."""
    prepare_output(output_dir)
    classifier = TextClassifier(result.model)
    save_model(classifier, output_dir / MODEL_FILE)
    nlp = getattr(result.model, "nlp", None)
    if nlp is not None:  # spaCy models: spacy.load(OUTPUT_DIR) works too
        nlp.to_disk(output_dir)
    if nlp is None and not skops_missing():
        save_safe(classifier, output_dir / SAFE_FILE)
    else:
        (output_dir / SAFE_FILE).unlink(missing_ok=True)
    (output_dir / "scores.json").write_text(
        json.dumps(summary(result), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    (output_dir / "README.md").write_text(readme_text(result, output_dir), encoding="utf-8")


def summary(result: TrainResult) -> dict[str, Any]:
    """How the model was made, as JSON (``scores.json``)."""
    merged, scores = result.merged, result.scores
    return {
        "altool_version": __version__,
        "created": result.created,
        "model": result.model_name,
        "seed": result.seed,
        "datasets": result.datasets,
        "labels": merged.labels,
        "exclusive": merged.exclusive,
        "answers": merged.n_answers,
        "ignored": merged.n_ignored,
        "inputs": len(merged.examples),
        "conflicts": len(merged.conflicts),
        "train": len(result.evalset.train),
        "eval": {"n": len(result.evalset.eval), "how": result.evalset.description,
                 "biased": result.evalset.biased, "warnings": result.evalset.warnings},
        "macro_precision": scores.macro("precision"),
        "macro_recall": scores.macro("recall"),
        "macro_f1": scores.macro_f1,
        "accuracy": scores.accuracy,
        "per_label": [asdict(s) for s in scores.labels],
    }


def warnings_markdown(evalset: EvalSet) -> str:
    """The evaluation set's warnings as Markdown block quotes for a model's README."""
    return "".join(f"\n> **Warning:** {w}.\n" for w in evalset.warnings)


def score_cells(s: LabelScore) -> list[str]:
    """A label's row: label, precision, recall, F1, support ("-" where undefined: never
    predicted, or not in the evaluation set)."""
    return [s.label, f"{s.precision:.3f}" if s.predicted else "-",
            f"{s.recall:.3f}" if s.support else "-", f"{s.f1:.3f}" if s.support else "-",
            str(s.support)]


def scores_markdown(scores: Scores) -> str:
    """The per-label scores and their macro average as a Markdown table."""
    rows = [f"| {' | '.join(score_cells(s))} |" for s in scores.labels]
    return "\n".join([
        "| label | precision | recall | F1 | support |", "|---|---:|---:|---:|---:|", *rows,
        f"| **macro average** | {scores.macro('precision'):.3f} | "
        f"{scores.macro('recall'):.3f} | {scores.macro_f1:.3f} | "
        f"{sum(s.support for s in scores.labels)} |",
    ])


def readme_text(result: TrainResult, output_dir: Path) -> str:
    merged, scores, evalset = result.merged, result.scores, result.evalset
    kind = "exclusive: one label per text" if merged.exclusive else "multi-label"
    spacy = getattr(result.model, "nlp", None) is not None
    spacy_line = (f"- spaCy: `spacy.load(\"{output_dir}\")` (the pipeline's `textcat` sets "
                  "`doc.cats`)\n" if spacy else "")
    if spacy:
        share = "- To share it, share the spaCy pipeline (the folder without model.joblib)\n"
    elif (output_dir / SAFE_FILE).is_file():
        share = (f"- Safe to share: `{SAFE_FILE}` loads no code: "
                 f"`altool.load_classifier(\"{output_dir / SAFE_FILE}\")`\n")
    else:
        share = f"- A copy safe to share (`{SAFE_FILE}`) needs skops: {SAFE_INSTALL}\n"
    warnings = warnings_markdown(evalset)
    return f"""# Text classifier trained with altool {__version__}

Made on {result.created} by `altool train` from dataset(s) {', '.join(result.datasets)}
with the `{result.model_name}` model (seed {result.seed}).

- Labels ({kind}): {', '.join(merged.labels)}
- Answers: {merged.n_answers:,} ({merged.n_ignored:,} ignored), merged into \
{len(merged.examples):,} inputs; {len(merged.conflicts):,} inputs had conflicting answers \
(the latest answer won)
- Trained on {len(evalset.train):,} inputs; evaluated on {evalset.description}
{warnings}
## Scores on the evaluation set

{scores_markdown(scores)}
{f"{chr(10)}Accuracy: {scores.accuracy:.3f}{chr(10)}" if scores.accuracy is not None else ""}
## Use it

- Python: `model = joblib.load("{output_dir / MODEL_FILE}")` (a pickle: only files you
  trust), then `model.predict(texts)`, `model.predict_proba(texts)` (one column per label in
  the order of `model.classes_`), as a scikit-learn classifier
{share}{spacy_line}- Keep annotating with it in the loop:
  `altool textcat.teach DATASET SOURCE --label {','.join(merged.labels)} --model {output_dir}`
- Check its predictions: `altool textcat.correct DATASET SOURCE --model {output_dir}`
"""


# -- learning curve -----------------------------------------------------------------------------
@dataclass
class CurvePoint:
    n_train: int
    share: float
    scores: Scores | None  # None: this share lacked examples of both classes for every label

    @property
    def macro_f1(self) -> float:
        return self.scores.macro_f1 if self.scores is not None else 0.0


def train_curve(
    store: Store, datasets: Sequence[str], *, model_name: str = "sklearn",
    eval_dataset: str | None = None, eval_split: float = 0.2, seed: int = 0,
    n_samples: int = 4, exclusive: bool | None = None, on_data: DataCallback | None = None,
    progress: StageProgress = _no_progress,
) -> list[CurvePoint]:
    """Scores of models trained on 1/n, 2/n, ... n/n of the training part (same evaluation
    set, one shuffled order so each step adds to the previous one). ``progress`` stages are
    prefixed with the step: ``"2/4 fitting"``."""
    if n_samples < 2:
        raise AltoolError("--n-samples must be at least 2 to draw a curve")
    merged, evalset = _merge_and_split(store, datasets, exclusive, eval_dataset, eval_split,
                                       seed, on_data)
    order = np.random.default_rng(seed).permutation(len(evalset.train))
    points = []
    for k in range(1, n_samples + 1):
        n = max(MIN_TRAIN, round(len(order) * k / n_samples))
        part = [evalset.train[i] for i in order[:n]]

        def step(stage: str, done: int, total: int, k: int = k) -> None:
            progress(f"{k}/{n_samples} {stage}", done, total)

        try:
            scores: Scores | None = fit_and_score(model_name, merged, part, evalset.eval,
                                                  store=store, progress=step)[1]
        except NoClassesError:  # a small share may hold only one class
            scores = None
        points.append(CurvePoint(n, k / n_samples, scores))
    return points


def curve_verdict(points: Sequence[CurvePoint]) -> str:
    """Whether more annotation still helps, from the last step's gain in macro-F1 points."""
    before, last = points[-2], points[-1]
    gain = (last.macro_f1 - before.macro_f1) * 100
    step = f"{gain:+.1f} points from {before.share:.0%} to {last.share:.0%} of the training data"
    if gain >= 1.0:
        return f"{step}: more labels likely help"
    if gain > 0.2:
        return f"{step}: the curve is flattening; more labels help a little"
    return f"{step}: more labels of the same kind are unlikely to help much"
