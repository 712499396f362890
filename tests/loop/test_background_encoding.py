"""A slow encoder never blocks the session: n-grams serve from the first second while the pool
is encoded in the background, then the encoder model takes over, its features from the cache."""

from __future__ import annotations

import threading
import time

import numpy as np

from altool.io.loaders import Record
from altool.loop.learner import Learner
from altool.loop.queue import WAIT, TaskQueue
from altool.loop.worker import Worker
from altool.models import SklearnModel
from altool.models.base import CACHEABLE, REFIT, VECTORS
from altool.models.linear import PerLabelLogistic
from altool.store import Store
from tests.helpers import teach_config
from tests.loop.test_worker import HAM, SPAM, wait_for

TEXTS = [f"{t} {i}" for i in range(10) for t in SPAM[:5] + HAM[:5]]  # 100 texts


class SlowEncoder(PerLabelLogistic):
    """A cacheable model whose encoder is slow and can be held back by the test."""

    kind = "slow"
    capabilities = frozenset({VECTORS, REFIT, CACHEABLE})
    cache_key = "slow-encoder"

    def __init__(self, labels, exclusive=True) -> None:
        super().__init__(labels, exclusive, C=1.0)
        self.gate = threading.Event()
        self.encoded = 0

    def encode(self, texts):
        self.gate.wait(30)
        time.sleep(0.01 * len(texts) / 10)
        self.encoded += len(texts)
        out = np.array([[("WIN" in t) * 1.0, ("lunch" in t) * 1.0, 0.1] for t in texts],
                       dtype=np.float32).reshape(len(texts), 3)
        return out / np.linalg.norm(out, axis=1, keepdims=True)

    def from_encoded(self, texts, vectors):
        return vectors

    def featurize(self, texts):
        return self.encode(texts)


def test_ngrams_serve_until_the_pool_is_encoded_then_the_encoder_takes_over(store, home):
    store.add_source("src", [Record(i + 1, {"text": t}) for i, t in enumerate(TEXTS)])
    target = SlowEncoder(["spam"])
    config = teach_config(store.path, batch_size=4, pool_size=1_000)
    worker = Worker(config, Learner(target, "margin", view="binary", seed=0), TaskQueue(),
                    fast=Learner(SklearnModel(["spam"], n_features=2**14), "margin",
                                 view="binary", seed=0))
    statuses: list[str | None] = []
    worker.on_status = lambda s: statuses.append(s.progress)
    worker.start()
    try:
        # the encoder is held back: questions come anyway, picked with n-grams
        first = wait_for(lambda: (q := worker.queue.poll()) is not WAIT and q, 10, "a question")
        assert worker.learner is worker.fast
        answers = [first] + [wait_for(lambda: (q := worker.queue.poll()) is not WAIT and q, 10)
                             for _ in range(7)]
        store.add_answers("ds", [{**q.task, "answer": "accept" if "WIN" in q.task["text"]
                                  else "reject"} for q in answers])
        worker.notify(8)
        wait_for(lambda: worker.fast.model.version >= 1, 20, "an n-gram fit")
        assert target.encoded == 0
        assert worker.status.progress == "encoding: loading the encoder · n-grams meanwhile"
        target.gate.set()  # the encoder runs
        wait_for(lambda: worker.learner is worker.target, 30, "the switch")
        wait_for(lambda: target.version >= 1, 20, "the encoder model's fit")
        assert target.ready and target.encoded >= len(TEXTS)
        # each question says which model asked it: the n-grams before, the encoder's now
        assert first.task["meta"]["pick_strategy"] == "margin"
        assert first.task["meta"].get("pick_model") in (None, "sklearn")

        def by_encoder():
            q = worker.queue.poll()
            return q is not WAIT and q is not None and q.task["meta"].get("pick_model") == "slow" \
                and q

        q = wait_for(by_encoder, 20, "a question the encoder model scored")
        assert q.task["meta"]["pick_guess"] == q.predicted  # stored for altool progress
        assert any(p and p.startswith("encoding") and "n-grams meanwhile" in p
                   for p in statuses)
        assert worker.status.progress is None
        with Store(store.path) as check:  # every pool text is in the cache
            cached = check.get_embeddings("slow-encoder", [
                r.input_hash for chunk in check.iter_source("src") for r in chunk])
        assert len(cached) == len(TEXTS)
    finally:
        worker.stop()


def _worker_with_gated_encoder(store, tmp_path, target):
    store.add_source("src", [Record(i + 1, {"text": t}) for i, t in enumerate(TEXTS)])
    config = teach_config(store.path, batch_size=4, pool_size=1_000,
                          model_path=tmp_path / "model.joblib")
    worker = Worker(config, Learner(target, "margin", view="binary", seed=0), TaskQueue(),
                    fast=Learner(SklearnModel(["spam"], n_features=2**14), "margin",
                                 view="binary", seed=0))
    worker.start()
    answers = [wait_for(lambda: (q := worker.queue.poll()) is not WAIT and q, 10)
               for _ in range(8)]
    store.add_answers("ds", [{**q.task, "answer": "accept" if "WIN" in q.task["text"]
                              else "reject"} for q in answers])
    worker.notify(8)
    wait_for(lambda: worker.fast.model.version >= 1, 20, "an n-gram fit")
    return worker, config.model_path


def test_quitting_before_the_encoder_took_over_saves_the_ngram_model(store, home, tmp_path):
    from altool.models import load_model

    worker, path = _worker_with_gated_encoder(store, tmp_path, SlowEncoder(["spam"]))
    worker.stop()  # the encoder never ran: the n-gram model is the one there is
    assert load_model(path).kind == "sklearn"


def test_quitting_before_the_switch_keeps_a_resumed_encoder_model(store, home, tmp_path):
    target = SlowEncoder(["spam"])
    target.fit(np.array([[1.0, 0, 0.1], [0, 1.0, 0.1]], dtype=np.float32),
               np.array([[1.0], [0.0]]))  # as if resumed from the file, ready
    path = tmp_path / "model.joblib"
    path.write_bytes(b"the saved encoder model")
    worker, _ = _worker_with_gated_encoder(store, tmp_path, target)
    worker.stop()
    assert path.read_bytes() == b"the saved encoder model"  # not replaced by n-grams


def test_texts_answered_while_the_pool_is_encoded_are_encoded_too(store, home):
    """The switch fits the encoder model on every answer: the answers given during the
    encoding must be in the cache by then, not encoded at the switch (the annotator waited)."""
    from altool.loop.encoding import BackgroundEncoding

    model = SlowEncoder(["spam"])
    model.gate.set()
    answered: list[str] = []
    calls = []

    def texts(_store: Store) -> list[str]:
        calls.append(len(answered))
        if len(calls) == 1:  # the annotator answers while the first list is encoded
            answered.extend(f"answered meanwhile {i}" for i in range(30))
            return TEXTS
        return [*TEXTS, *answered[: 10 * len(calls)]]

    encoding = BackgroundEncoding(store.path, model, texts, chunk=20)
    encoding.start()
    assert encoding.done.wait(30) and encoding.error is None
    assert calls == [0, 30, 30, 30]  # read again until nothing new: 20, 10, then none
    with Store(store.path) as check:
        from altool.io.hashing import hash_text

        cached = check.get_embeddings("slow-encoder", [hash_text(t) for t in TEXTS + answered])
    assert len(cached) == len(TEXTS) + 30
    assert encoding.total == encoding.encoded == len(TEXTS) + 30
