"""Likely label errors: stored answers that a model trained without them strongly disagrees
with (``altool suspects``).

Confident learning (Northcutt, Jiang & Chuang 2021, the method behind cleanlab), in the few
lines it takes: every input's final label comes from merging its answers (the rules of
``altool train``); each input gets out-of-fold probabilities from a model trained on the
other folds (stratified, ``folds`` of them); a label's threshold is the mean probability the
model gives that label on the inputs labelled with it. Among the labels that reach their
threshold on an input, the confident joint counts it under that one, or with several under
the likeliest label of all; an input counted under another label than its own, which the
model does not find likeliest either, is a suspect (cleanlab's
``filter_by="confident_learning"``).
Suspects are ranked by the given label's probability, lowest first (cleanlab's
``self_confidence`` order).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import AltoolError
from ..models import make_model
from ..models.base import one_hot
from ..models.cache import featurizer_for
from ..store import Store
from ..store.merge import MergedExample, MergeResult, merge_datasets

Progress = Callable[[str, int, int], None]  # (stage, done, total)


@dataclass(frozen=True)
class Suspect:
    """An input whose final label the cross-validated model doubts."""

    input_hash: int
    text: str
    given: str  # the final label of its answers
    suggested: str  # the label the model prefers (above its own threshold)
    p_given: float  # the model's out-of-fold probability of the given label
    p_suggested: float
    datasets: tuple[str, ...]
    meta: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        """A JSONL row (``--format jsonl``): the input with its label and the model's doubt."""
        return {"text": self.text, "label": self.given, "meta": self.meta,
                "suggested": self.suggested, "p_given": round(self.p_given, 4),
                "p_suggested": round(self.p_suggested, 4), "_input_hash": self.input_hash,
                "_datasets": list(self.datasets)}


def out_of_fold(X: Any, y: np.ndarray, labels: Sequence[str], model: str, folds: int,
                seed: int, progress: Progress | None = None) -> np.ndarray:
    """Each row's probabilities from a ``model`` fitted on the folds it is not in."""
    from sklearn.model_selection import StratifiedKFold

    counts = np.bincount(y, minlength=len(labels))
    k = int(min(folds, counts[counts > 0].min()))
    if k < 2:
        rarest = int(np.argmin(np.where(counts > 0, counts, 1 << 30)))
        raise AltoolError("every label needs at least 2 inputs for cross-validation; "
                          f"{labels[rarest]!r} has {int(counts[rarest])}")
    P = np.zeros((len(y), len(labels)))
    splits = StratifiedKFold(n_splits=k, shuffle=True, random_state=seed).split(
        np.zeros(len(y)), y)
    for i, (train, held) in enumerate(splits):
        if progress is not None:
            progress("cross-validating", i, k)
        fold = make_model(model, list(labels), exclusive=True)
        fold.fit(X[train], one_hot(y[train], len(labels)))
        P[held] = fold.predict_proba(X[held])
    if progress is not None:
        progress("cross-validating", k, k)
    return P


def confident_suspects(P: np.ndarray, y: np.ndarray) -> list[tuple[int, int]]:
    """(row, suggested label) of each suspect: the rows the confident joint counts under
    another label than their own, lowest probability of the given label first."""
    n_labels = P.shape[1]
    thresholds = np.array([max(P[y == j, j].mean(), 2e-6) if (y == j).any() else np.inf
                           for j in range(n_labels)])  # cleanlab floors them at 2e-6
    confident = P >= thresholds[None, :] - 1e-6
    n_confident = confident.sum(axis=1)
    tilted = P.copy()
    tilted[np.arange(len(y)), y] += 1e-6  # a tie goes to the given label, as in cleanlab
    likeliest = tilted.argmax(axis=1)
    # one label confident: it; several: the likeliest of all (cleanlab's confident joint)
    counted = np.where(n_confident > 1, likeliest, confident.argmax(axis=1))
    issue = (n_confident > 0) & (counted != y) & (likeliest != y)
    out = [(int(i), int(counted[i])) for i in np.flatnonzero(issue)]
    out.sort(key=lambda pair: (P[pair[0], y[pair[0]]], pair[0]))
    return out


def find_suspects(store: Store, datasets: Sequence[str], *, model: str = "sklearn",
                  folds: int = 5, seed: int = 0, progress: Progress | None = None
                  ) -> tuple[list[Suspect], MergeResult, int]:
    """The suspects among ``datasets``' merged answers, the merge, and how many inputs were
    checked (those with exactly one final label)."""
    merged = merge_datasets(store, datasets)
    if len(merged.labels) < 2:
        raise AltoolError("suspects needs accepted answers of at least two labels (a text's "
                          "label is compared with the others')")
    if not merged.exclusive:
        raise AltoolError("suspects needs exclusive labels (one label per text); these "
                          "datasets are multi-label")
    index = {label: j for j, label in enumerate(merged.labels)}
    checked: list[MergedExample] = [eg for eg in merged.examples
                                    if len(eg.accepted(merged.labels)) == 1]
    if len({eg.accepted(merged.labels)[0] for eg in checked}) < 2:
        raise AltoolError("suspects needs accepted answers of at least two labels (a text's "
                          "label is compared with the others')")
    y = np.array([index[eg.accepted(merged.labels)[0]] for eg in checked])
    featurize = featurizer_for(make_model(model, merged.labels, exclusive=True), store)
    if progress is not None:
        progress("featurizing", 0, len(checked))
    X = featurize([eg.text for eg in checked])
    P = out_of_fold(X, y, merged.labels, model, folds, seed, progress)
    suspects = [Suspect(eg.input_hash, eg.text, merged.labels[y[i]], merged.labels[j],
                        float(P[i, y[i]]), float(P[i, j]),
                        tuple(sorted({v.dataset for v in eg.votes})), eg.meta)
                for i, j in confident_suspects(P, y) for eg in [checked[i]]]
    return suspects, merged, len(checked)


def suspect_tasks(suspects: Sequence[Suspect], labels: Sequence[str]) -> list[dict[str, Any]]:
    """``review --suspects``: one review task per suspect, most doubtful first, with two
    versions to choose from: the stored label and the model's suggestion (with its
    probability). The resolved answer is a choice answer over ``labels``."""
    from ..io.hashing import set_hashes
    from ..store.review import review_task

    options = [{"id": label, "text": label} for label in labels]
    tasks = []
    for s in suspects:
        task_hash = set_hashes({"text": s.text, "options": options})["_task_hash"]

        def version(label: str, source: dict[str, str], task_hash: int = task_hash
                    ) -> dict[str, Any]:
            return {"options": options, "accept": [label], "answer": "accept",
                    "_task_hash": task_hash, "_view_id": "choice", "sources": [source]}

        tasks.append(review_task(
            {"text": s.text, "meta": s.meta, "_input_hash": s.input_hash},
            [version(s.given, {"dataset": ",".join(s.datasets), "session": "stored label"}),
             version(s.suggested, {"dataset": "model",
                                   "session": f"suggests it, p={s.p_suggested:.2f} "
                                              f"(stored label p={s.p_given:.2f})"})]))
    return tasks
