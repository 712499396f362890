"""The active-learning loop of ``ner.teach``, shared by the recipe's worker and ``simulate``.

:class:`NerLearner` turns answers into model updates (:class:`~altool.models.ner.NerModel`) and
a pool of tokenized examples into questions: one suggested entity per task (the ``ner`` view),
the model's most uncertain first (calibrated p(entity) closest to 0.5; at most one per
sentence per batch). The beam's raw p(entity) is Platt-scaled (:mod:`altool.models.calibration`) on
the annotator's own answers to earlier suggestions, refitted at every model update. Pattern
matches (``--patterns``) are mixed in, a ``pattern_share`` of each batch and all of it while
the model has seen no entity yet, which solves the cold start. Each pattern's answers are
counted (:class:`PatternStats`, from the stored answers, so it survives restarts); a pattern
whose suggestions were mostly rejected stops being shown.

:class:`NerWorker` runs the learner in the background process, with the teach worker's loop
(batching, saving the model, surviving a model failure); :func:`make_worker` builds it from the
session's :class:`~altool.loop.config.TeachConfig` in the child process
(:mod:`altool.loop.process`).
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from ..io.hashing import task_hash
from ..io.ner import BINARY_VIEW, is_binary, merge_ner_answers
from ..io.spans import span_dict, tokenize
from ..models.calibration import PlattScaling
from ..models.ner import NerModel, resume_ner_model
from .config import TeachConfig
from .queue import Question
from .worker import QuestionSink, Worker

if TYPE_CHECKING:
    from ..models.patterns import PatternMatcher
    from ..store import Store

MIN_PATTERN_ANSWERS = 5  # answers before a pattern can be switched off
MIN_PATTERN_ACCEPT = 0.2  # a pattern accepted less often than this stops being shown
NER_POOL = 300  # sentences scored per refresh (beam search: ~100-200 sentences/s)
CALIBRATION_WINDOW = 500  # latest answers the calibration is fitted on (the model changes)
RAW_SCORE = "raw_score"  # meta key of the beam's own p(entity); meta.score is calibrated


@dataclass
class PatternStats:
    """Accepts and rejects per pattern id (``meta.pattern`` of a pattern's suggestions)."""

    accepted: dict[str, int] = field(default_factory=dict)
    rejected: dict[str, int] = field(default_factory=dict)

    @classmethod
    def from_answers(cls, answers: Iterable[dict[str, Any]]) -> PatternStats:
        stats = cls()
        for eg in answers:
            pid = (eg.get("meta") or {}).get("pattern")
            if pid is None or eg.get("answer") not in ("accept", "reject"):
                continue
            counts = stats.accepted if eg["answer"] == "accept" else stats.rejected
            counts[pid] = counts.get(pid, 0) + 1
        return stats

    def accept_rate(self, pid: str) -> float | None:
        a, r = self.accepted.get(pid, 0), self.rejected.get(pid, 0)
        return a / (a + r) if a + r else None

    def active(self, pid: str) -> bool:
        """Still shown: too few answers to judge, or accepted often enough."""
        a, r = self.accepted.get(pid, 0), self.rejected.get(pid, 0)
        return a + r < MIN_PATTERN_ANSWERS or a / (a + r) >= MIN_PATTERN_ACCEPT


def ner_task(eg: dict[str, Any], start: int, end: int, label: str,
             meta: dict[str, Any]) -> dict[str, Any]:
    """The binary ``ner`` task suggesting tokens ``start``..``end - 1`` as ``label``."""
    task = {k: v for k, v in eg.items() if k not in ("answer", "spans", "_task_hash")}
    task["spans"] = [span_dict(eg["tokens"], start, end - 1, label)]
    task["meta"] = {**(eg.get("meta") or {}), **meta}
    task["_view_id"] = BINARY_VIEW
    task["_task_hash"] = task_hash(task, eg["_input_hash"])
    return task


class NerLearner:
    """A :class:`NerModel`, optional patterns, and the rules that pick the next questions."""

    def __init__(self, model: NerModel, matcher: PatternMatcher | None = None, *,
                 pattern_share: float = 0.25, seed: int | None = None) -> None:
        self.model = model
        self.labels = list(model.labels)
        self.matcher = matcher
        self.pattern_share = pattern_share
        self.patterns = PatternStats()
        self.rng = np.random.default_rng(seed)

    def fit(self, answers: Sequence[dict[str, Any]]) -> int:
        """Update the model on the answers' merged annotations; returns the inputs with NER
        evidence. Also refreshes the pattern statistics."""
        self.patterns = PatternStats.from_answers(answers)
        annotations = merge_ner_answers(answers)
        self.model.fit(annotations)
        self.model.calibration = PlattScaling.fit(*calibration_answers(answers))
        return len(annotations)

    def tokenized(self, examples: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
        return [tokenize(self.model.nlp, eg) for eg in examples]

    def choose(self, examples: Sequence[dict[str, Any]], n: int,
               skip: set[int] | frozenset[int] = frozenset()) -> list[dict[str, Any]]:
        """Up to ``n`` tasks from tokenized ``examples`` (each with ``_input_hash``), none
        whose task hash is in ``skip``: pattern matches first while the model is not ready,
        then a ``pattern_share`` of them spread through the model's suggestions."""
        matches = pattern_tasks(examples, self.matcher, self.labels, self.patterns, skip,
                                self.rng)
        suggested = self._model_tasks(examples, skip)
        if not self.model.ready:
            return _unique(matches + suggested)[:n]
        k = min(len(matches), round(n * self.pattern_share))
        every = max(2, round(1 / self.pattern_share)) if self.pattern_share > 0 else n + 1
        mixed = _interleave(suggested[: n - k], matches[:k], every)
        return _unique(mixed + matches[k:] + suggested[n - k:])[:n]

    def _model_tasks(self, examples: Sequence[dict[str, Any]], skip: set[int] | frozenset[int]
                     ) -> list[dict[str, Any]]:
        """The model's suggestions, most uncertain first, the best one per sentence first."""
        firsts, rest = [], []
        for suggestions in model_suggestions(self.model, examples, self.labels, skip):
            per_sentence = sorted(((abs(p - 0.5), task) for p, task in suggestions),
                                  key=lambda x: x[0])
            firsts += per_sentence[:1]
            rest += per_sentence[1:]
        firsts.sort(key=lambda x: x[0])
        rest.sort(key=lambda x: x[0])
        return [t for _, t in firsts + rest]


def model_suggestions(model: NerModel, examples: Sequence[dict[str, Any]],
                      labels: Sequence[str], skip: set[int] | frozenset[int]
                      ) -> list[list[tuple[float, dict[str, Any]]]]:
    """Per tokenized example, every entity in the model's beam with one of ``labels`` as a
    task (none whose task hash is in ``skip``), with its calibrated p(entity) (``meta.score``;
    the beam's own probability in ``meta.raw_score``)."""
    out = []
    for eg, scored in zip(examples, model.score(model.make_docs(examples)), strict=True):
        scored = [s for s in scored if s.label in labels]
        calibrated = model.calibration([s.score for s in scored])
        tasks = [(float(p), ner_task(eg, s.start, s.end, s.label,
                                     {"score": round(float(p), 4),
                                      RAW_SCORE: round(s.score, 4)}))
                 for s, p in zip(scored, calibrated, strict=True)]
        out.append([(p, task) for p, task in tasks if task["_task_hash"] not in skip])
    return out


def calibration_answers(answers: Sequence[dict[str, Any]], window: int = CALIBRATION_WINDOW
                        ) -> tuple[list[float], list[float]]:
    """The raw p(entity) of the model suggestions among the latest ``window`` binary answers,
    and whether each was accepted (1) or rejected (0): what the calibration is fitted on.
    Each score was computed before its answer was trained on, so it is a held-out score."""
    ps, ys = [], []
    for eg in answers[-window:]:
        raw = (eg.get("meta") or {}).get(RAW_SCORE)
        if is_binary(eg) and eg.get("answer") in ("accept", "reject") and \
                isinstance(raw, int | float):
            ps.append(float(raw))
            ys.append(float(eg["answer"] == "accept"))
    return ps, ys


def pattern_tasks(examples: Sequence[dict[str, Any]], matcher: PatternMatcher | None,
                  labels: Sequence[str], stats: PatternStats, skip: set[int] | frozenset[int],
                  rng: np.random.Generator) -> list[dict[str, Any]]:
    """Tasks for the matches of still-active patterns with one of ``labels``, shuffled."""
    if matcher is None:
        return []
    tasks = []
    for eg in examples:
        for m in matcher.matches(eg):
            if m.pattern.label not in labels or not stats.active(m.pattern.id):
                continue
            s = m.span
            task = ner_task(eg, s["token_start"], s["token_end"] + 1, s["label"],
                            {"pattern": m.pattern.id})
            if task["_task_hash"] not in skip:
                tasks.append(task)
    return [tasks[i] for i in rng.permutation(len(tasks))]


def _interleave(main: list[Any], extra: list[Any], every: int) -> list[Any]:
    """``main`` with one item of ``extra`` at every ``every``-th position (the rest at the
    end)."""
    out: list[Any] = []
    extra = list(extra)
    for item in main:
        if extra and len(out) % every == every - 1:
            out.append(extra.pop(0))
        out.append(item)
    return out + extra


def _unique(tasks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    seen: set[int] = set()
    out = []
    for t in tasks:
        if t["_task_hash"] not in seen:
            seen.add(t["_task_hash"])
            out.append(t)
    return out


def make_learner(config: TeachConfig) -> NerLearner:
    """The dataset's saved NER model (or a blank one) and the patterns of ``config``."""
    from ..models.patterns import PatternMatcher

    model = resume_ner_model(config.model_file(), config.labels, config.lang,
                             seed=config.seed or 0)
    matcher = PatternMatcher.from_file(model.nlp, config.patterns) if config.patterns else None
    return NerLearner(model, matcher, seed=config.seed)


def make_worker(config: TeachConfig, sink: QuestionSink) -> NerWorker:
    """``ner.teach``'s worker, built in the worker process (:mod:`altool.loop.process`)."""
    return NerWorker(config, make_learner(config), sink)


def initial_questions(config: TeachConfig, store: Store, skip: set[int], n: int
                      ) -> list[Question]:
    """Pattern matches on a random sample (no model yet); none without patterns."""
    if not config.patterns:
        return []
    from ..io.spans import blank_nlp
    from ..models.patterns import PatternMatcher

    nlp = blank_nlp(config.lang)
    matcher = PatternMatcher.from_file(nlp, config.patterns)
    examples = [tokenize(nlp, eg) for eg in _pool_examples(store, config.source,
                                                            max(4 * n, 50))]
    stats = PatternStats.from_answers(store.iter_answers(config.dataset)) \
        if store.has_dataset(config.dataset) else PatternStats()
    tasks = pattern_tasks(examples, matcher, list(config.labels), stats, skip,
                          np.random.default_rng(config.seed))
    return [Question(t) for t in tasks[:n]]


def _pool_examples(store: Store, source: str, n: int) -> list[dict[str, Any]]:
    rows = store.sample_source(source, n)
    examples = store.get_examples([r.id for r in rows])
    return [examples[r.id] for r in rows]


class NerWorker(Worker):
    """The teach worker's loop (batches, saving, failure handling) with NER fit and refresh."""

    learner: NerLearner  # type: ignore[assignment]

    def _after_fit(self, store: Store) -> None:
        """No audit or stop criterion for NER yet (they compare text classifier outputs)."""

    def _refresh(self, store: Store) -> None:
        t0 = time.perf_counter()
        if not self._failed:
            self.status.state = "ready" if self.learner.model.ready else "warming up"
        skip = self._asked(store)
        pool = min(self.config.pool_size, NER_POOL)
        self._want = self.pace.target()
        tasks = self.learner.choose(
            self.learner.tokenized(_pool_examples(store, self.config.source, pool)),
            self._want, skip)
        version = self.learner.model.version
        self.queue.replace([Question(t, None, version) for t in tasks])
        self._drained = len(tasks) < self._want
        self._finished = not tasks
        if not tasks:
            self.queue.finish()
        self.status.last_refresh_s = time.perf_counter() - t0

    def _fallback(self, store: Store) -> None:
        """The model failed: pattern matches only (nothing, without patterns)."""
        skip = self._asked(store)
        learner = self.learner
        examples = learner.tokenized(_pool_examples(store, self.config.source, NER_POOL))
        tasks = pattern_tasks(examples, learner.matcher, learner.labels, learner.patterns, skip,
                              learner.rng)
        self.queue.replace([Question(t) for t in tasks[: self.config.queue_size]])
