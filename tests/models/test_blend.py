"""The blend model: n-gram and embedding halves on the same answers, probabilities averaged;
its cached part is the encoder's, so a cache hit costs no encoding."""

from __future__ import annotations

import copy

import numpy as np
import pytest

import altool.models.blend as blend_module
from altool.models.blend import BlendFeatures, BlendModel
from altool.models.cache import CachedFeaturizer

TEXTS = ["win a free prize now", "free cash call now", "lunch at noon?", "see you at the gym",
         "claim your free reward", "meeting moved to friday"]
Y = np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0], [0.0, 1.0], [1.0, 0.0], [0.0, 1.0]])


@pytest.fixture
def model(monkeypatch):
    """A blend whose encoder is a fixed hash embedding (no torch needed in this test)."""
    calls = []

    def fake_encode(texts, *args):
        calls.append(len(texts))
        rows = [np.random.default_rng(abs(hash(t)) % 2**32).normal(size=8) for t in texts]
        out = np.asarray(rows, dtype=np.float32).reshape(len(texts), 8)
        return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-9)

    monkeypatch.setattr(blend_module, "encode", fake_encode)
    monkeypatch.setattr(blend_module, "require_embed", lambda *a: None)
    monkeypatch.setattr("altool.models.encoder.require_embed", lambda *a: None)
    m = BlendModel(["spam", "ham"])
    m.calls = calls
    return m


def test_it_learns_and_averages_its_halves(model):
    X = model.featurize(TEXTS)
    assert isinstance(X, BlendFeatures) and X.shape == (6, 8)
    model.fit(X, Y)
    P = model.predict_proba(X)
    assert model.ready and np.allclose(P.sum(axis=1), 1.0)
    expected = 0.5 * model.ngram.predict_proba(X.ngrams) + 0.5 * model.embed.predict_proba(
        X.vectors)
    assert np.allclose(P, expected)


def test_strategies_see_the_embedding_matrix(model):
    X = model.featurize(TEXTS)
    assert np.asarray(X).shape == (6, 8) and (X @ X.T).shape == (6, 6)
    assert X[[0, 2]].shape == (2, 8)
    both = BlendFeatures.stack_rows([X[[0]], X[[1, 2]]])
    assert both.shape == (3, 8) and both.ngrams.shape[0] == 3


def test_a_copy_refits_on_its_own(model):
    X = model.featurize(TEXTS)
    model.fit(X, Y)
    twin = copy.copy(model)
    twin.fit(X[[0, 2]], Y[[0, 2]])
    assert model.embed.n_examples == 6 and twin.embed.n_examples == 2


def test_only_the_encoder_is_cached(model, store):
    cached = CachedFeaturizer(model, store)
    first = cached(TEXTS)
    again = cached(TEXTS)
    assert sum(model.calls) == len(TEXTS)  # the second call read the cache
    assert np.allclose(first.vectors, again.vectors) and again.ngrams.shape[0] == 6
