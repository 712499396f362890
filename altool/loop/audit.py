"""An unbiased check of the model in the loop: its accuracy on the randomly picked questions.

Questions chosen by a strategy are the model's hardest cases, so its hit rate on them says
little about the source as a whole. Questions picked uniformly at random on purpose
(``meta.pick == "random"``: ``--mix random=SHARE``, the ``random`` strategy) are a fair sample.
Questions served while the model starts or after it failed are ``"filler"``, not audit picks.
Each one is scored by the model *before* it learns from it (progressive validation), so the
accuracy is measured on unseen examples.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

Featurize = Callable[[Sequence[int], Sequence[str]], Any]  # (input hashes, texts) -> features


def is_random_pick(eg: dict[str, Any]) -> bool:
    return (eg.get("meta") or {}).get("pick") == "random"


class RandomAudit:
    """Running accuracy on random picks, each predicted before the model was fitted on it."""

    def __init__(self) -> None:
        self.correct = 0
        self.total = 0
        self._seen: set[int] = set()
        self._started = False

    @property
    def result(self) -> tuple[float | None, int]:
        """``(accuracy, random picks measured)``; accuracy None before the first one."""
        return (self.correct / self.total if self.total else None), self.total

    def update(self, model: Any, labels: Sequence[str], answers: Sequence[dict[str, Any]],
               featurize: Featurize) -> None:
        """Score the random picks in ``answers`` not seen before with ``model`` (call it
        before the model is fitted on them). Picks answered before a model was ready are
        skipped: there was nothing to check. So are the picks of the first call if the model
        is already trained then (a saved model resumed: it may have learned from them)."""
        new = [eg for eg in answers if is_random_pick(eg) and eg.get("_task_hash") not in
               self._seen and eg.get("answer") in ("accept", "reject")]
        self._seen.update(eg.get("_task_hash") for eg in new)
        first, self._started = not self._started, True
        if not new or not model.ready or first:
            return
        P = model.predict_proba(featurize([eg["_input_hash"] for eg in new],
                                          [eg["text"] for eg in new]))
        for eg, p in zip(new, P, strict=True):
            verdict = _is_right(eg, p, labels, model.exclusive)
            if verdict is not None:
                self.correct += verdict
                self.total += 1


def _is_right(eg: dict[str, Any], p: np.ndarray, labels: Sequence[str], exclusive: bool
              ) -> bool | None:
    """Whether the model's prediction ``p`` agrees with the answer; None if the answer does
    not say (a rejected choice question, a label the model does not know)."""
    index = {label: j for j, label in enumerate(labels)}
    if isinstance(eg.get("accept"), list):  # choice view
        if eg["answer"] != "accept":
            return None
        gold = {index[label] for label in eg["accept"] if label in index}
        if exclusive and len(labels) > 1:
            return int(np.argmax(p)) in gold
        return {j for j, q in enumerate(p) if q >= 0.5} == gold
    if eg.get("label") not in index:
        return None
    return bool(p[index[eg["label"]]] >= 0.5) == (eg["answer"] == "accept")
