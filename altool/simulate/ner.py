"""``altool simulate --task ner``: replay ``ner.teach`` with gold spans as the annotator.

GOLD is a JSONL file in Prodigy's span format (``text``, ``tokens``, ``spans``). The learner
(:class:`~altool.loop.ner.NerLearner`, the same one ``ner.teach``'s worker runs) suggests one
entity at a time from a random sample of ``pool`` unanswered GOLD sentences; the simulated
annotator accepts a suggestion exactly when GOLD has that span with that label, else rejects
it; the model is updated after every ``batch_size`` answers. Strategies:

- ``default``: ``ner.teach``'s order, the most uncertain suggestion first;
- ``random``: the same model's suggestions, in random order;
- ``manual``: random sentences annotated completely (``ner.manual`` with a perfect annotator),
  the usual way to make NER data, for reference.

Every strategy starts from the same ``seed_size`` completely annotated random sentences (a
binary-only start from a blank model would suggest noise that is always rejected: in
``ner.teach`` patterns play this part).

At checkpoints (answers given, each answer being one sentence looked at) the model's greedy
entities on TEST are scored: micro entity F1 (exact span and label).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import AltoolError, InputError
from ..io.hashing import input_hash
from ..io.spans import SpanError, blank_nlp, tokenize
from ..loop.ner import NER_POOL, NerLearner, model_suggestions
from ..models.ner import NerModel

NER_STRATEGIES = ("default", "random", "manual")
Progress = Callable[[str, int], None]  # (what, answers just given)


def read_ner_gold(path: str, lang: str = "en") -> list[dict[str, Any]]:
    """Examples with ``text``, ``tokens`` and ``spans`` (checked; ``FILE:LINE`` errors)."""
    from ..io.loaders import iter_records

    nlp = blank_nlp(lang)
    out = []
    for record in iter_records(path, "jsonl"):
        eg = {k: v for k, v in record.example.items() if k in ("text", "tokens", "spans")}
        try:
            task = tokenize(nlp, eg)
        except SpanError as err:
            raise InputError(path, record.line, str(err)) from None
        task["_input_hash"] = input_hash(task)
        out.append(task)
    if not out:
        raise AltoolError(f"{path}: no examples")
    return out


def gold_spans(eg: dict[str, Any], labels: Sequence[str]) -> set[tuple[int, int, str]]:
    """(character start, end, label) of the example's spans with one of ``labels``."""
    return {(s["start"], s["end"], s["label"]) for s in eg.get("spans") or []
            if s["label"] in labels}


def entity_f1(model: NerModel, test: Sequence[dict[str, Any]], labels: Sequence[str]
              ) -> float:
    """Micro F1 of the model's entities (exact tokens and label) on tokenized ``test``."""
    predicted = model.predict(model.make_docs(test))
    tp = n_pred = n_gold = 0
    for eg, pred in zip(test, predicted, strict=True):
        gold = {(s["token_start"], s["token_end"] + 1, s["label"])
                for s in eg.get("spans") or [] if s["label"] in labels}
        pred_set = {p for p in pred if p[2] in labels}
        tp += len(gold & pred_set)
        n_pred += len(pred_set)
        n_gold += len(gold)
    return 2 * tp / (n_pred + n_gold) if n_pred + n_gold else 0.0


@dataclass
class NerCurve:
    strategy: str
    points: list[tuple[int, float, float]]  # (answers, mean F1, std) over repeats
    sentences: list[float]  # mean distinct sentences answered at each checkpoint
    accepted: float  # mean share of accepted answers
    last_fit_s: float = 0.0  # mean seconds of the last model update (at the budget)

    @property
    def aulc(self) -> float:
        return float(np.mean([p[1] for p in self.points])) if self.points else 0.0


@dataclass
class NerSimulation:
    labels: list[str]
    budget: int
    n_gold: int
    n_test: int
    repeats: int
    curves: dict[str, NerCurve] = field(default_factory=dict)
    models: dict[str, NerModel] = field(default_factory=dict)  # last repeat's final model
    answers: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # last repeat's,
    # in the order given (the benchmark replays the calibration on them)


class _NerRun:
    """One simulated ``ner.teach`` (or manual) session."""

    def __init__(self, strategy: str, gold: list[dict[str, Any]], labels: list[str],
                 seed: int, pool: int, lang: str, seed_size: int) -> None:
        self.strategy = strategy
        self.seed_size = seed_size
        self.gold = gold
        self.labels = labels
        self.pool = pool
        self.rng = np.random.default_rng(seed)
        self.learner = NerLearner(NerModel(labels, lang, seed=seed), None, seed=seed)
        self.answers: list[dict[str, Any]] = []
        self.asked: set[int] = set()  # task hashes
        self.answered_rows: set[int] = set()
        self.accepted = 0
        self.last_fit_s = 0.0

    def advance_to(self, target: int, batch_size: int,
                   progress: Progress | None = None) -> None:
        while len(self.answers) < target:
            n = min(batch_size, target - len(self.answers))
            tasks = self._next(n)
            if not tasks:
                return
            for row, task in tasks:
                self._answer(row, task)
            t0 = time.perf_counter()
            self.learner.fit(self.answers)
            self.last_fit_s = time.perf_counter() - t0
            if progress is not None:
                progress(self.strategy, len(tasks))

    def _next(self, n: int) -> list[tuple[int, dict[str, Any]]]:
        if self.strategy == "manual" or len(self.answers) < self.seed_size:
            n = n if self.strategy == "manual" else min(n, self.seed_size - len(self.answers))
            rest = [i for i in range(len(self.gold)) if i not in self.answered_rows]
            rows = self.rng.permutation(rest)[:n] if rest else []
            return [(int(r), dict(self.gold[int(r)])) for r in rows]
        rows = self.rng.choice(len(self.gold), min(self.pool, len(self.gold)), replace=False)
        examples = [self.gold[int(r)] for r in rows]
        row_of = {self.gold[int(r)]["_input_hash"]: int(r) for r in rows}
        if self.strategy == "default":
            tasks = self.learner.choose(examples, n, self.asked)
        else:
            tasks = self._random_tasks(examples, n)
        return [(row_of[t["_input_hash"]], t) for t in tasks]

    def _random_tasks(self, examples: list[dict[str, Any]], n: int) -> list[dict[str, Any]]:
        """The model's suggestions (every beam candidate) in random order."""
        tasks = [task for suggestions in model_suggestions(self.learner.model, examples,
                                                           self.labels, self.asked)
                 for _, task in suggestions]
        return [tasks[i] for i in self.rng.permutation(len(tasks))[:n]]

    def _answer(self, row: int, task: dict[str, Any]) -> None:
        gold = self.gold[row]
        self.answered_rows.add(row)
        if "_view_id" not in task:  # a manual answer: the complete annotation
            spans = [s for s in gold.get("spans") or [] if s["label"] in self.labels]
            answer = {**task, "spans": spans, "answer": "accept"}
            self.accepted += 1
        else:
            s = task["spans"][0]
            ok = (s["start"], s["end"], s["label"]) in gold_spans(gold, self.labels)
            answer = {**task, "answer": "accept" if ok else "reject"}
            self.accepted += ok
        self.asked.add(task.get("_task_hash", 0))
        self.answers.append(answer)


def checkpoints(budget: int, batch_size: int, n: int = 6) -> list[int]:
    """About ``n`` evenly spaced answer counts up to ``budget``, on batch boundaries."""
    step = max(batch_size, round(budget / n / batch_size) * batch_size)
    points = list(range(step, budget + 1, step))
    return points if points and points[-1] == budget else [*points, budget]


def simulate_ner(
    gold: list[dict[str, Any]],
    test: list[dict[str, Any]],
    strategies: Sequence[str] = ("default", "random"),
    *,
    labels: Sequence[str] | None = None,
    budget: int = 300,
    batch_size: int = 10,
    seed_size: int = 20,
    repeats: int = 1,
    seed: int = 0,
    pool: int = NER_POOL,
    lang: str = "en",
    progress: Progress | None = None,
) -> NerSimulation:
    """Entity F1 on ``test`` against answers given, per strategy (mean over repeats). The
    first ``seed_size`` answers of every strategy are random sentences annotated completely
    (the cold start, as a user would with ``ner.manual`` or patterns)."""
    unknown = [s for s in strategies if s not in NER_STRATEGIES]
    if unknown:
        raise AltoolError(f"unknown NER strategy {', '.join(unknown)}; use "
                          f"{', '.join(NER_STRATEGIES)}")
    labels = list(labels) if labels else sorted({s["label"] for eg in gold
                                                 for s in eg.get("spans") or []})
    if not labels:
        raise AltoolError("GOLD has no spans: give entity spans to simulate NER")
    cps = checkpoints(budget, batch_size)
    result = NerSimulation(labels, budget, len(gold), len(test), repeats)
    for strategy in strategies:
        scores = np.zeros((repeats, len(cps)))
        sentences = np.zeros((repeats, len(cps)))
        accepted, fit_s = [], []
        for r in range(repeats):
            run = _NerRun(strategy, gold, labels, seed + r, pool, lang, seed_size)
            for k, c in enumerate(cps):
                run.advance_to(c, batch_size, progress)
                scores[r, k] = entity_f1(run.learner.model, test, labels)
                sentences[r, k] = len(run.answered_rows)
            accepted.append(run.accepted / max(len(run.answers), 1))
            fit_s.append(run.last_fit_s)
            result.models[strategy] = run.learner.model
            result.answers[strategy] = run.answers
        result.curves[strategy] = NerCurve(
            strategy,
            [(c, float(scores[:, k].mean()), float(scores[:, k].std())) for k, c in
             enumerate(cps)],
            [float(sentences[:, k].mean()) for k in range(len(cps))],
            float(np.mean(accepted)),
            float(np.mean(fit_s)),
        )
    return result
