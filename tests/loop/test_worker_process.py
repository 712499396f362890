"""The worker in its own process: questions arrive over the pipe, it learns, saves, and the
UI side survives its death."""

from __future__ import annotations

import os
import signal

from altool.io.loaders import Record
from altool.loop.process import WorkerProcess
from altool.loop.queue import WAIT, TaskQueue
from altool.models import load_model, resume_model
from altool.store import Store
from tests.helpers import teach_config
from tests.loop.test_worker import HAM, SPAM, TEXTS, wait_for


def make_worker(store: Store, **kwargs) -> tuple[WorkerProcess, TaskQueue]:
    store.add_source("src", [Record(i + 1, {"text": t}) for i, t in enumerate(TEXTS)])
    config = teach_config(store.path, batch_size=4, save_model=True, seed=0, **kwargs)
    queue = TaskQueue()
    return WorkerProcess(config, queue), queue


def answer_next(store: Store, queue: TaskQueue) -> None:
    question = wait_for(lambda: (lambda q: q if q is not WAIT else None)(queue.poll()),
                        what="a question")
    eg = dict(question.task)
    eg["answer"] = "accept" if eg["text"] in SPAM else "reject"
    store.add_answer("ds", eg)


def test_first_questions_at_once_then_the_child_learns_saves_and_resumes(store, home) -> None:
    worker, queue = make_worker(store)
    worker.start()
    try:
        assert len(queue) > 0  # seeded from a random sample before the child is up
        for _ in range(8):
            answer_next(store, queue)
        worker.notify(8)
        wait_for(lambda: worker.status.model_version >= 1, 60, "the child to fit")
        assert worker.status.state == "ready"
        assert worker.status.trained_on == 8
    finally:
        worker.stop()
    saved = load_model(store.model_state_path("ds"))
    assert saved.ready and saved.labels == ["spam"]
    texts_asked = [eg["text"] for eg in store.iter_answers("ds")]
    assert len(set(texts_asked)) == 8  # nothing asked twice
    # the next session resumes the saved state only if it fits the labels
    path = store.model_state_path("ds")
    resumed = resume_model(path, "sklearn", ["spam"], exclusive=True)
    assert resumed.ready and resumed.version >= 1
    assert not resume_model(path, "sklearn", ["ham", "spam"], exclusive=True).ready
    assert not resume_model(path, "sklearn-lr", ["spam"], exclusive=True).ready  # other model
    path.write_bytes(b"not a model")
    assert not resume_model(path, "sklearn", ["spam"], exclusive=True).ready


def test_ui_side_keeps_serving_when_the_child_dies(store, home) -> None:
    worker, queue = make_worker(store)
    worker.start()
    try:
        wait_for(lambda: worker.status.state in ("warming up", "ready"), 60, "the child")
        os.kill(worker._proc.pid, signal.SIGKILL)
        wait_for(lambda: worker.status.state == "failed", 20, "the UI side to notice")
        assert "worker stopped" in (worker.status.warning or "")
        asked = set()
        for _ in range(len(HAM)):
            question = queue.poll()
            assert question is not WAIT
            assert question.task_hash not in asked
            asked.add(question.task_hash)
    finally:
        worker.stop()


def test_the_child_runs_at_a_lower_cpu_priority_than_the_ui(store, home) -> None:
    from altool.loop.process import WORKER_NICENESS

    worker, _queue = make_worker(store)
    worker.start()
    try:
        wait_for(lambda: worker.status.state in ("warming up", "ready"), 60, "the child")
        ui_nice = os.getpriority(os.PRIO_PROCESS, 0)
        child_nice = os.getpriority(os.PRIO_PROCESS, worker._proc.pid)
        assert child_nice == min(ui_nice + WORKER_NICENESS, 19)
    finally:
        worker.stop()


def test_the_child_drops_messages_once_the_ui_is_gone() -> None:
    """A killed UI closes the pipe: sending must not crash the worker before it saves."""
    import multiprocessing as mp
    import threading

    from altool.loop.process import _PipeQueue

    child_end, ui_end = mp.Pipe()
    ui_end.close()
    sink = _PipeQueue(child_end, threading.Lock())
    sink.replace([])
    sink.finish()
    sink.send(("status", {}))
