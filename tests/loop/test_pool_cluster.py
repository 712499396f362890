"""``textcat.teach --cluster``: a large pool featurised and scored on a Dask cluster (a
``LocalCluster`` of two worker processes the test starts) gives the picks of the same pool
scored here; a killed worker changes nothing; a cluster gone midway leaves the session on
its local pool, still asking. Skipped without ``distributed``."""

from __future__ import annotations

import os
import signal

import numpy as np
import pytest

from altool.io.hashing import hash_text
from altool.io.loaders import Record
from altool.loop.cluster import ClusterLost, connect
from altool.loop.cluster_pool import ClusterPool, merge_best
from altool.loop.learner import Learner
from altool.models import SklearnModel
from altool.store import SourceRow, Store

distributed = pytest.importorskip("distributed")

WORDS = ("refund late broken great thanks order box slow fast price love hate help "
         "support ticket reply damaged perfect cheap awful quick").split()
N = 2_400


def _texts(n: int = N, seed: int = 0) -> list[str]:
    rng = np.random.default_rng(seed)
    return [" ".join(rng.choice(WORDS, size=int(rng.integers(3, 9)))) + f" #{i}"
            for i in range(n)]


def _rows(texts: list[str]) -> list[SourceRow]:
    return [SourceRow(i + 1, hash_text(t), t) for i, t in enumerate(texts)]


def _answers(labels: list[str]) -> list[dict]:
    """A few answers in which every label has a yes and a no."""
    out = []
    for i, text in enumerate(_texts(60, seed=1)):
        out.append({"text": text, "_input_hash": hash_text(text), "label": labels[i % len(labels)],
                    "answer": "accept" if "refund" in text or i % 3 == 0 else "reject"})
    return out


def _learners(labels: list[str], strategy: str, view: str) -> tuple[Learner, Learner]:
    """Two learners (same seed) sharing one model fitted on :func:`_answers`."""
    model = SklearnModel(labels, True, n_features=2**16)
    here = Learner(model, strategy, view=view, seed=0)
    here.fit(_answers(labels))
    assert model.ready
    there = Learner(model, strategy, view=view, seed=0)
    there._train = here._train
    return here, there


@pytest.fixture(scope="module")
def cluster():
    from distributed import LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None, silence_logs=50) as local:
        yield local


@pytest.fixture
def client(cluster):
    client = connect(cluster.scheduler_address)
    yield client
    client.close()


def _pool(client, model, rows: list[SourceRow], chunk: int = 500) -> ClusterPool:
    pool = ClusterPool(client, model)
    for start in range(0, len(rows), chunk):
        pool.add(rows[start : start + chunk])
    pool.wait(timeout=60)
    return pool


CASES = [("margin", "choice", ["a", "b", "c"]), ("entropy", "choice", ["a", "b", "c"]),
         ("diverse", "binary", ["a", "b"]), ("least-confidence", "binary", ["a"]),
         ("egl", "binary", ["a", "b", "c"])]


@pytest.mark.parametrize(("strategy", "view", "labels"), CASES)
def test_the_cluster_picks_what_the_whole_pool_gives_here(client, strategy, view, labels):
    texts = _texts()
    rows = _rows(texts)
    here, there = _learners(labels, strategy, view)
    model = here.model
    want = here.choose(model.featurize(texts), [r.input_hash for r in rows], 30)
    score = there.pool_score()
    assert score is not None
    pool = _pool(client, model, rows)
    narrowed, X_small = pool.narrow(model, score, binary=view == "binary", keep=600)
    assert len(narrowed) <= 600 and X_small.shape[0] == len(narrowed)
    got = there.choose(X_small, [r.input_hash for r in narrowed], 30)
    assert len(got) == 30
    assert _picks(got, narrowed) == _picks(want, rows)


def _picks(picks, rows: list[SourceRow]) -> list[tuple]:
    """What a pick says, with its row's id for its position (the pools differ)."""
    return [(rows[p.row].id, p.label, p.kind, p.score, tuple(p.probs)) for p in picks]


def test_merge_best_takes_the_best_of_every_chunk():
    parts = [[(np.array([0, 2]), np.array([0.9, 0.5]))],
             [(np.array([1]), np.array([0.95]))]]
    assert merge_best(parts, [0, 10], 2).tolist() == [0, 11]


def test_strategies_that_need_the_whole_pool_are_not_narrowed():
    model = _learners(["a", "b"], "margin", "choice")[0].model
    for name in ("typiclust", "coreset", "badge", "random", "qbc", "bald", "stream", "ema"):
        assert Learner(model, name, view="choice").pool_score() is None, name
    tcm = Learner(model, "tcm", view="choice")
    tcm._train = (np.zeros((5, 1)), np.zeros((5, 2)))
    assert tcm.pool_score() is None  # typicality: needs a representative pool
    tcm._train = (np.zeros((6, 1)), np.zeros((6, 2)))
    assert tcm.pool_score() is not None  # past the switch: diverse margin sampling
    assert Learner(model, "margin", random_share=0.1).pool_score() is None
    assert Learner(SklearnModel(["a"]), "margin").pool_score() is None  # not ready


def test_a_killed_worker_gives_the_same_picks(client):
    texts = _texts()
    rows = _rows(texts)
    learner = _learners(["a", "b", "c"], "margin", "choice")[1]
    model = learner.model
    pool = _pool(client, model, rows)
    before = pool.narrow(model, learner.pool_score(), binary=False, keep=200)[0]
    pids = client.run(os.getpid)
    os.kill(next(iter(pids.values())), signal.SIGKILL)  # its chunks' features are lost
    after = pool.narrow(model, learner.pool_score(), binary=False, keep=200)[0]
    assert [r.id for r in after] == [r.id for r in before]


def test_a_closed_cluster_is_cluster_lost():
    from distributed import LocalCluster

    local = LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                         dashboard_address=None, silence_logs=50)
    client = connect(local.scheduler_address)
    try:
        learner = _learners(["a", "b"], "margin", "choice")[1]
        model = learner.model
        pool = _pool(client, model, _rows(_texts(600)), chunk=200)
        local.close()
        with pytest.raises(ClusterLost):
            pool.narrow(model, learner.pool_score(),
                        binary=False, keep=50, timeout=30)
    finally:
        client.close()
        local.close()


def _source(path, texts: list[str]):
    with Store(path) as store:
        store.add_source("src", [Record(i + 1, {"text": t}) for i, t in enumerate(texts)])
    return path
