"""Fast annotators never wait: the queue is sized by the answer rate and the worker's cycle, the
sampled pool is renewed a share at a time, and a longer list keeps the strategy's first picks."""

from __future__ import annotations

import numpy as np
import pytest

from altool.io.loaders import Record
from altool.loop.learner import Learner
from altool.loop.pace import MAX_QUESTIONS, RATE_WINDOW_S, Pace
from altool.loop.queue import TaskQueue
from altool.loop.worker import RESAMPLE_EVERY, Worker
from altool.models import SklearnModel
from altool.store import Store
from altool.strategies import STRATEGIES
from tests.helpers import teach_config


class Clock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def paced(rate: float, seconds: float, clock: Clock, pace: Pace, batch: int = 10) -> None:
    """Answers at ``rate`` per second for ``seconds``, reported a batch at a time."""
    for _ in range(int(rate * seconds / batch)):
        clock.t += batch / rate
        pace.answered(batch)


def test_rate_is_measured_over_the_recent_window():
    clock = Clock()
    pace = Pace(50, 10, clock=clock)
    paced(10, 20, clock, pace)
    assert pace.rate() == pytest.approx(10, rel=0.01)
    paced(2, 60, clock, pace)  # slower: the old pace leaves the window
    assert pace.rate() == pytest.approx(2, rel=0.01)
    clock.t += RATE_WINDOW_S + 1  # a break
    assert pace.rate() == 0


def test_target_covers_the_slowest_cycle_at_the_current_pace_twice_over():
    clock = Clock()
    pace = Pace(50, 10, clock=clock)
    assert pace.target() == 50  # nothing measured yet: the configured queue size
    paced(10, 30, clock, pace)
    for seconds in (1.0, 6.0, 2.0):
        pace.worked(seconds)
    assert pace.target() == 10 * 6 * 2 + 10  # 130 questions: 13 s at 10 answers/s
    paced(20, 30, clock, pace)
    assert pace.target() == 20 * 6 * 2 + 10  # twice the rate, twice the questions
    paced(1, 60, clock, pace)
    assert pace.target() == 50  # a slow annotator: never below the configured size
    paced(200, 30, clock, pace)
    assert pace.target() == MAX_QUESTIONS


def test_low_when_what_is_left_lasts_less_than_the_work_ahead():
    clock = Clock()
    pace = Pace(50, 10, clock=clock)
    paced(10, 30, clock, pace)
    assert pace.low(40, 2.0)  # 4 s of questions, 2 s of work: under twice over + a batch
    assert not pace.low(60, 2.0)
    assert pace.low(9, 0.0)  # less than a batch is always low


def test_left_counts_answers_since_the_length_was_known_but_at_most_a_batch():
    clock = Clock()
    pace = Pace(50, 10, clock=clock)
    paced(10, 30, clock, pace)
    known = clock.t
    clock.t += 0.5
    assert pace.left(40, known) == pytest.approx(35)
    clock.t += 5  # a pause: never taken for more than a batch answered
    assert pace.left(40, known) == 30
    assert pace.left(40) == 40  # a queue in this process: its length is exact


TEXTS = [f"text number {i} about sports, the match and the team" if i % 2 else
         f"note {i}: the market and oil prices" for i in range(600)]


@pytest.fixture
def big_source(store: Store) -> Store:
    store.add_source("src", [Record(i + 1, {"text": t}) for i, t in enumerate(TEXTS)])
    return store


def make_worker(store: Store, **kwargs) -> Worker:
    model = SklearnModel(["sports"], n_features=2**16)
    learner = Learner(model, STRATEGIES["margin"], view="binary", seed=0)
    return Worker(teach_config(store.path, batch_size=10, **kwargs), learner, TaskQueue())


def test_a_sampled_pool_is_renewed_a_share_at_each_refresh(big_source):
    worker = make_worker(big_source, pool_size=100)
    worker._featurize = lambda texts: worker.learner.model.featurize(texts)
    total = big_source.count_source("src")
    rows1, X1 = worker._pool_features(big_source, total, set())
    rows2, X2 = worker._pool_features(big_source, total, set())
    ids1, ids2 = [r.id for r in rows1], [r.id for r in rows2]
    share = len(rows1) // RESAMPLE_EVERY
    assert ids2[: len(rows1) - share] == ids1[share:]  # the oldest share went
    assert 0 < len(set(ids2) - set(ids1)) <= share  # new rows took its place
    assert len(set(ids2)) == len(ids2)  # no row twice
    assert X2.shape[0] == len(rows2)
    expected = worker.learner.model.featurize([r.text for r in rows2])
    assert (X2 != expected).nnz == 0  # every row's features are its own text's


def test_the_worker_publishes_what_the_annotator_answers_meanwhile(big_source):
    for text, answer in [(TEXTS[1], "accept"), (TEXTS[0], "reject")]:
        big_source.add_answer("ds", {"text": text, "label": "sports", "answer": answer})
    worker = make_worker(big_source)
    worker._fit(big_source)
    clock = Clock()
    worker.pace = Pace(50, 10, clock=clock)
    worker._refresh(big_source)
    assert len(worker.queue) == 50  # nothing measured: the configured size
    paced(10, 30, clock, worker.pace)
    worker.pace.worked(5.0)  # a slow refit + rescore
    worker._refresh(big_source)
    assert len(worker.queue) == 10 * 5 * 2 + 10


def fitted_learner(seed: int = 0) -> tuple[Learner, np.ndarray, list[int]]:
    model = SklearnModel(["sports", "market"], n_features=2**16)
    learner = Learner(model, STRATEGIES["diverse"], view="choice", seed=seed)
    answers = [{"text": t, "label": None, "options": [{"id": "sports"}, {"id": "market"}],
                "accept": ["sports" if "sports" in t else "market"], "answer": "accept",
                "_input_hash": i, "_task_hash": i} for i, t in enumerate(TEXTS[:10] + TEXTS[-10:])]
    learner.fit(answers)
    pool = TEXTS[20:-20]
    return learner, model.featurize(pool), list(range(1000, 1000 + len(pool)))


def test_a_longer_list_starts_with_the_same_questions():
    """Publishing more questions (a fast annotator) must not change which come first."""
    short_learner, X, hashes = fitted_learner()
    long_learner, _, _ = fitted_learner()
    short = [p.row for p in short_learner.choose(X, hashes, 50)]
    long = [p.row for p in long_learner.choose(X, hashes, 200)]
    assert len(long) == 200
    assert long[:50] == short
