"""ner.teach's loop: suggestions from patterns and the model, pattern accept rates, the worker."""

from __future__ import annotations

import time

import numpy as np
import pytest

from altool.io.hashing import task_hash
from altool.io.spans import blank_nlp, tokenize
from altool.loop.ner import (
    NerLearner,
    PatternStats,
    _interleave,
    calibration_answers,
    initial_questions,
    make_worker,
    model_suggestions,
)
from altool.loop.queue import TaskQueue
from altool.models.ner import NerModel, resume_ner_model
from altool.models.patterns import Pattern, PatternMatcher
from altool.store.ingest import ensure_source
from tests.helpers import teach_config

TEXTS = [f"{name} visited {city} on Monday" for name, city in
         [("Anna", "Paris"), ("Boris", "Oslo"), ("Chen", "Lima"), ("Dana", "Rome"),
          ("Emil", "Bern"), ("Hana", "Riga")]]


def _examples(nlp) -> list[dict]:
    return [tokenize(nlp, {"text": t, "_input_hash": i}) for i, t in enumerate(TEXTS)]


def _matcher(nlp) -> PatternMatcher:
    return PatternMatcher(nlp, [
        Pattern("PER", [{"text": {"IN": ["Anna", "Boris", "Chen"]}}], "names", 1),
        Pattern("PER", [{"lower": "monday"}], "days", 2),
        Pattern("ORG", "Paris", "other-label", 3),
    ])


def test_cold_start_asks_pattern_matches_as_binary_ner_tasks():
    nlp = blank_nlp("en")
    learner = NerLearner(NerModel(["PER"]), _matcher(nlp), seed=0)
    tasks = learner.choose(_examples(nlp), 4)
    assert len(tasks) == 4
    for t in tasks:
        assert t["_view_id"] == "ner" and len(t["spans"]) == 1
        span = t["spans"][0]
        assert t["text"][span["start"]:span["end"]] == t["tokens"][span["token_start"]]["text"]
        assert span["label"] == "PER"  # a pattern for a label not asked about is not used
        assert t["meta"]["pattern"] in ("names", "days")
        assert t["_task_hash"] == task_hash(t, t["_input_hash"])
    skip = {t["_task_hash"] for t in tasks}
    again = learner.choose(_examples(nlp), 20, skip)
    assert not skip & {t["_task_hash"] for t in again}


def test_mostly_rejected_pattern_stops_being_shown():
    answers = [{"meta": {"pattern": "days"}, "answer": "reject"}] * 5 + \
        [{"meta": {"pattern": "names"}, "answer": "accept"}] * 4 + \
        [{"meta": {"pattern": "names"}, "answer": "reject"}]
    stats = PatternStats.from_answers(answers)
    assert stats.accept_rate("days") == 0.0 and not stats.active("days")
    assert stats.accept_rate("names") == 0.8 and stats.active("names")
    assert PatternStats.from_answers(answers[:4]).active("days")  # too few answers to judge
    nlp = blank_nlp("en")
    learner = NerLearner(NerModel(["PER"]), _matcher(nlp), seed=0)
    learner.patterns = stats
    tasks = learner.choose(_examples(nlp), 10)
    assert {t["meta"].get("pattern") for t in tasks} == {"names", None}


def test_learning_from_answers_then_model_suggestions_mixed_with_patterns():
    nlp = blank_nlp("en")
    model = NerModel(["PER"], epochs=4, seed=0)
    learner = NerLearner(model, _matcher(nlp), seed=0, pattern_share=0.25)
    examples = _examples(nlp)
    answers = []
    for t in learner.choose(examples, 6):
        ok = t["meta"]["pattern"] == "names"
        answers.append({**t, "answer": "accept" if ok else "reject"})
    assert learner.fit(answers) == len({a["_input_hash"] for a in answers})
    assert model.ready and model.version == 1
    skip = {a["_task_hash"] for a in answers}
    tasks = learner.choose(examples, 8, skip)
    assert len(tasks) == 8
    scored = [t for t in tasks if "score" in t["meta"]]
    assert scored and all(0.0 <= t["meta"]["score"] <= 1.0 for t in scored)
    # 25% of 8 are pattern matches; more only when the model has too few suggestions left
    available = sum(len(s) for s in model_suggestions(model, examples, ["PER"], skip))
    n_patterns = len([t for t in tasks if "pattern" in t["meta"]])
    assert n_patterns == max(2, 8 - available)


def test_interleave():
    assert _interleave([1, 2, 3, 4, 5], ["a", "b"], 3) == [1, 2, "a", 3, 4, "b", 5]
    assert _interleave([1], ["a", "b"], 4) == [1, "a", "b"]


def test_worker_learns_in_the_background_and_saves(store, home, tmp_path):
    src = tmp_path / "texts.txt"
    src.write_text("\n".join(TEXTS * 3) + "\n")
    patterns = tmp_path / "p.jsonl"
    patterns.write_text('{"label": "PER", "pattern": [{"text": {"IN": ["Anna", "Boris"]}}]}\n')
    name = ensure_source(store, str(src))
    store.ensure_dataset("ds")
    model_path = tmp_path / "ner.joblib"
    config = teach_config(store.path, source=name, labels=["PER"], view="ner", task="ner",
                          multilabel=True, batch_size=2, seed=0, model_path=model_path,
                          patterns=str(patterns))
    first = initial_questions(config, store, set(), 5)
    assert first and all(q.task["meta"]["pattern"] for q in first)
    queue = TaskQueue()
    worker = make_worker(config, queue)
    worker.start()
    try:
        deadline = time.monotonic() + 60
        while len(queue) == 0 and time.monotonic() < deadline:
            time.sleep(0.1)
        taken = [queue.poll() for _ in range(2)]
        store.add_answers("ds", [{**q.task, "answer": "accept"} for q in taken])
        worker.notify(2)
        while worker.status.fits == 0 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert worker.status.fits >= 1 and worker.status.state == "ready"
    finally:
        worker.stop(timeout=30)
    saved = resume_ner_model(model_path, ["PER"])
    assert saved.version >= 1 and saved.ready
    assert np.isfinite([s.score for s in saved.score(saved.make_docs([{"text": TEXTS[0]}]))[0]]
                       ).all()


def test_calibration_is_fitted_on_answers_to_model_suggestions_and_shown():
    nlp = blank_nlp("en")
    model = NerModel(["PER"], epochs=2, seed=0)
    learner = NerLearner(model, _matcher(nlp), seed=0)
    examples = _examples(nlp)
    suggestion = {"_view_id": "ner", "meta": {"score": 0.9, "raw_score": 0.9}}
    answers = [{**examples[i], **suggestion, "answer": "reject",
                "spans": [{"start": 0, "end": 4, "label": "PER"}]} for i in range(4)]
    answers.append({**examples[4], "_view_id": "ner", "meta": {"pattern": "names"},
                    "answer": "accept", "spans": [{"start": 0, "end": 4, "label": "PER"}]})
    answers.append({**examples[5], "answer": "accept", "spans": []})  # manual: not a suggestion
    assert calibration_answers(answers) == ([0.9] * 4, [0.0] * 4)
    learner.fit(answers)
    assert model.calibration.n == 4 and model.calibration(np.array([0.9]))[0] < 0.8
    shown = [t for t in learner.choose(examples, 20) if "raw_score" in t["meta"]]
    assert shown
    for t in shown:  # meta.score is the calibrated p of the beam's raw_score
        expected = model.calibration(np.array([t["meta"]["raw_score"]]))[0]
        assert t["meta"]["score"] == pytest.approx(expected, abs=1e-3)
