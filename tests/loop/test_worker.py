"""The background worker: cold start, learning from answers, never re-asking, saving."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from altool.io.loaders import Record
from altool.loop.learner import Learner
from altool.loop.queue import END, WAIT, Question, TaskQueue
from altool.loop.worker import Worker
from altool.models import SklearnModel, load_model
from altool.store import Store
from altool.strategies import STRATEGIES
from tests.helpers import teach_config

SPAM = [f"WIN a FREE cash prize {i}, call now to claim your reward" for i in range(10)]
HAM = [f"see you at lunch tomorrow {i}, I will bring the report" for i in range(10)]
TEXTS = SPAM + HAM


def wait_for(condition: Callable[[], object], timeout: float = 20.0, what: str = "") -> object:
    """Poll ``condition`` until it is truthy; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what or condition}")
        time.sleep(0.02)


@pytest.fixture
def source_store(store: Store, home) -> Store:
    store.add_source("src", [Record(i + 1, {"text": t}) for i, t in enumerate(TEXTS)])
    return store


@pytest.fixture
def start_worker(source_store: Store, tmp_path):
    workers: list[Worker] = []

    def start(labels=("spam",), view="binary", batch_size=4, model=None, **kwargs) -> Worker:
        model = model or SklearnModel(list(labels), n_features=2**16)
        learner = Learner(model, STRATEGIES["margin"], view=view, seed=0)
        worker = Worker(teach_config(source_store.path, labels=labels, view=view,
                                     batch_size=batch_size, **kwargs), learner, TaskQueue())
        worker.start()
        workers.append(worker)
        return worker

    yield start
    for worker in workers:
        worker.stop()


def poll_question(queue: TaskQueue) -> Question:
    return wait_for(lambda: (q if isinstance(q := queue.poll(), Question) else None),
                    what="a question")


def test_cold_start_fills_the_queue_without_a_model(start_worker):
    worker = start_worker()
    wait_for(lambda: len(worker.queue) > 0, what="the cold-start queue")
    assert worker.status.model_version == 0
    assert worker.status.state == "warming up"
    assert not worker.learner.model.ready
    q = worker.queue.poll()
    assert isinstance(q, Question)
    assert q.predicted is None and q.model_version == 0
    assert q.task["text"] in TEXTS and q.task["label"] == "spam"


def test_fits_after_a_batch_and_refreshes(start_worker, source_store):
    worker = start_worker(batch_size=4)
    wait_for(lambda: len(worker.queue) > 0, what="the cold-start queue")
    for text in SPAM[:4]:
        source_store.add_answer("ds", {"text": text, "label": "spam", "answer": "accept"})
    for text in HAM[:4]:
        source_store.add_answer("ds", {"text": text, "label": "spam", "answer": "reject"})
    worker.notify(8)
    wait_for(lambda: worker.status.model_version >= 1, what="a fit")
    assert worker.status.fits >= 1
    assert worker.status.trained_on == 8
    assert worker.learner.model.ready
    # the queue is refreshed with the model's ranking (a few cold-start ones may come first)
    q = wait_for(lambda: (q if isinstance(q := worker.queue.poll(), Question)
                          and q.model_version >= 1 else None), what="a ranked question")
    assert worker.status.state == "ready"
    assert q.predicted is not None
    assert "score" in q.task["meta"]
    assert q.task["text"] not in SPAM[:4] + HAM[:4]


def test_notify_below_batch_size_does_not_fit(start_worker, source_store):
    worker = start_worker(batch_size=50)
    wait_for(lambda: len(worker.queue) > 0, what="the cold-start queue")
    for text, answer in [(SPAM[0], "accept"), (HAM[0], "reject")]:
        source_store.add_answer("ds", {"text": text, "label": "spam", "answer": answer})
    worker.notify(2)
    q = poll_question(worker.queue)  # the worker is still serving questions
    assert q.predicted is None
    assert worker.status.fits == 0


def test_catches_up_on_existing_answers_at_start(start_worker, source_store):
    for text in SPAM[:3]:
        source_store.add_answer("ds", {"text": text, "label": "spam", "answer": "accept"})
    for text in HAM[:3]:
        source_store.add_answer("ds", {"text": text, "label": "spam", "answer": "reject"})
    worker = start_worker()
    wait_for(lambda: worker.status.model_version >= 1, what="the catch-up fit")
    assert worker.status.trained_on == 6


@pytest.mark.parametrize("view, labels", [("binary", ("spam", "ham")), ("choice", ("spam", "ham"))])
def test_never_asks_an_answered_question(start_worker, source_store, view, labels):
    pre_answered = set()
    for text in TEXTS[::3]:
        task = {"text": text, "answer": "accept"}
        if view == "binary":
            task["label"] = "spam"
        else:
            task["options"] = [{"id": label, "text": label} for label in labels]
            task["accept"] = ["spam"]
        source_store.add_answer("ds", task)
        pre_answered.add(task["_task_hash"])
    worker = start_worker(labels=labels, view=view, batch_size=3)
    seen: list[int] = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        item = worker.queue.poll()
        if item is END:
            break
        if item is WAIT:
            time.sleep(0.02)
            continue
        assert item.task_hash not in pre_answered
        assert item.task_hash not in seen
        seen.append(item.task_hash)
        task = {**item.task, "answer": "reject"}
        if view == "choice":
            task["accept"] = []
        source_store.add_answer("ds", task)
        worker.notify(1)
    else:
        pytest.fail("the worker never finished the source")
    per_text = len(labels) if view == "binary" else 1
    assert len(seen) + len(pre_answered) == len(TEXTS) * per_text
    assert set(seen) | pre_answered == source_store.task_hashes(["ds"])


def test_excluded_datasets_are_not_asked(start_worker, source_store):
    excluded = set()
    for text in TEXTS[:15]:
        task = {"text": text, "label": "spam", "answer": "accept"}
        source_store.add_answer("old", task)
        excluded.add(task["_task_hash"])
    worker = start_worker(exclude=["old"])
    wait_for(lambda: len(worker.queue) > 0, what="the cold-start queue")
    texts = []
    while isinstance(item := worker.queue.poll(), Question):
        assert item.task_hash not in excluded
        texts.append(item.task["text"])
    assert set(texts) <= set(TEXTS[15:])


def test_stop_saves_the_model(start_worker, source_store, tmp_path):
    for text in SPAM[:3]:
        source_store.add_answer("ds", {"text": text, "label": "spam", "answer": "accept"})
    for text in HAM[:3]:
        source_store.add_answer("ds", {"text": text, "label": "spam", "answer": "reject"})
    path = tmp_path / "models" / "ds.joblib"
    worker = start_worker(model_path=path)
    wait_for(lambda: worker.status.model_version >= 1, what="the catch-up fit")
    worker.stop()
    assert not worker.is_alive()
    assert path.exists()
    model = load_model(path)
    assert model.labels == ["spam"] and model.ready


def test_stop_without_a_ready_model_saves_nothing(start_worker, tmp_path):
    path = tmp_path / "models" / "ds.joblib"
    worker = start_worker(model_path=path)
    wait_for(lambda: len(worker.queue) > 0, what="the cold-start queue")
    worker.stop()
    assert not worker.is_alive()
    assert not path.exists()


class BrokenModel(SklearnModel):
    def fit(self, features, targets):
        raise RuntimeError("boom")


def test_model_failure_is_reported_and_questions_keep_coming(start_worker, source_store, home):
    worker = start_worker(model=BrokenModel(["spam"], n_features=2**12), batch_size=2)
    for text, answer in [(SPAM[0], "accept"), (HAM[0], "reject")]:
        source_store.add_answer("ds", {"text": text, "label": "spam", "answer": answer})
    generation = worker.queue.generation
    worker.notify(2)
    wait_for(lambda: worker.status.warning, what="the failure warning")
    assert "RuntimeError: boom" in worker.status.warning
    # later queue refreshes must not hide the failure ("failed", not "warming up")
    wait_for(lambda: worker.queue.generation >= generation + 2, what="refreshes after the fit")
    assert worker.status.state == "failed"
    log = home / "logs" / "worker.log"
    assert log.exists() and "boom" in log.read_text()
    answered = source_store.task_hashes(["ds"])
    q = poll_question(worker.queue)
    assert q.task_hash not in answered


def test_stop_interrupts_featurising_a_pool_and_keeps_the_worker_healthy(
    source_store, tmp_path, monkeypatch
):
    """Quitting mid-refresh drops the half-featurised pool (it can take seconds) instead of
    finishing it; that is not a model failure."""
    import altool.loop.worker as worker_module

    monkeypatch.setattr(worker_module, "CHUNK", 5)  # 20 texts: 4 chunks
    learner = Learner(SklearnModel(["spam"], n_features=2**16), STRATEGIES["margin"], seed=0)
    worker = Worker(teach_config(source_store.path, batch_size=4), learner, TaskQueue())
    featurized: list[int] = []

    def featurize(texts):
        featurized.append(len(texts))
        worker._stopping.set()  # the user quits while the first chunk is being featurised
        return learner.model.featurize(texts)

    worker._featurize = featurize
    rows = list(source_store.iter_source("src", 100))[0]
    worker._guard(lambda store: worker._features(store, rows, set()), source_store)
    assert featurized == [5]  # the other three chunks were never featurised
    assert worker.status.state != "failed" and worker.status.warning is None
