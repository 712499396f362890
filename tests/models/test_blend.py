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


# -- the stack model: the encoder's share chosen by cross-validation on the answers --------

def _stack(monkeypatch, vectors_for):
    """A stack model whose encoder is ``vectors_for`` (texts -> float32 rows)."""
    monkeypatch.setattr(blend_module, "encode", lambda texts, *a: vectors_for(list(texts)))
    monkeypatch.setattr(blend_module, "require_embed", lambda *a: None)
    monkeypatch.setattr("altool.models.encoder.require_embed", lambda *a: None)
    return blend_module.StackModel(["pos", "neg"])


def _word_task(n: int, seed: int):
    """Texts whose label is one exact word among noise words; targets one-hot."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 2, n)
    noise = [f"w{i}" for i in range(40)]
    texts = [" ".join([("good" if y == 0 else "bad"), *rng.choice(noise, 6)]) for y in labels]
    return texts, np.eye(2)[labels]


def test_stack_keeps_the_encoder_alone_until_it_has_answers_enough(monkeypatch):
    model = _stack(monkeypatch, lambda t: np.random.default_rng(1).normal(
        size=(len(t), 8)).astype(np.float32))
    texts, Y = _word_task(blend_module.MIN_WEIGH_EXAMPLES - 1, seed=0)
    model.fit(model.featurize(texts), Y)
    assert model.embed_weight == blend_module.STACK_PRIOR and model.share_scores == {}


def test_stack_turns_to_ngrams_when_the_encoder_carries_no_signal(monkeypatch):
    # vectors of pure noise: only the n-gram half can see the label word
    model = _stack(monkeypatch, lambda t: np.random.default_rng(len(t)).normal(
        size=(len(t), 16)).astype(np.float32))
    texts, Y = _word_task(120, seed=1)
    X = model.featurize(texts)
    model.fit(X, Y)
    assert set(model.share_scores) == set(blend_module.ENCODER_SHARES)
    assert model.embed_weight < 1.0 and model.weighed_at == 120
    assert max(model.share_scores.values()) == model.share_scores[model.embed_weight]
    assert model.share_scores[model.embed_weight] > model.share_scores[1.0]
    w = model.embed_weight
    assert np.allclose(model.predict_proba(X), w * model.embed.predict_proba(X.vectors)
                       + (1 - w) * model.ngram.predict_proba(X.ngrams))


def test_stack_keeps_the_encoder_when_only_the_vectors_carry_the_label(monkeypatch):
    rng = np.random.default_rng(2)
    labels = rng.integers(0, 2, 120)
    texts = [f"t{i} {' '.join(rng.choice([f'w{j}' for j in range(40)], 6))}"
             for i in range(120)]  # words unrelated to the label
    by_text = {t: np.r_[2.0 * y - 1.0, rng.normal(size=7) * 0.1].astype(np.float32)
               for t, y in zip(texts, labels, strict=True)}
    model = _stack(monkeypatch, lambda t: np.vstack([by_text[x] for x in t]))
    model.fit(model.featurize(texts), np.eye(2)[labels])
    assert model.embed_weight == 1.0


def test_stack_weighs_again_only_as_the_answers_grow(monkeypatch):
    model = _stack(monkeypatch, lambda t: np.random.default_rng(len(t)).normal(
        size=(len(t), 16)).astype(np.float32))
    texts, Y = _word_task(100, seed=3)
    X = model.featurize(texts)
    model.fit(X[np.arange(40)], Y[:40])
    assert model.weighed_at == 40
    model.fit(X[np.arange(45)], Y[:45])  # 45 < 40 x 1.25: the share stands
    assert model.weighed_at == 40
    model.fit(X[np.arange(50)], Y[:50])
    assert model.weighed_at == 50
    assert copy.copy(model).__class__ is blend_module.StackModel


def test_hits_score_choices_by_argmax_and_single_entries_by_half():
    P = np.array([[0.4, 0.35, 0.25], [0.2, 0.5, 0.3], [0.7, 0.2, 0.1], [0.3, 0.3, 0.4]])
    Y = np.array([[1.0, 0.0, 0.0],          # a choice, right (0.4 is the highest)
                  [1.0, np.nan, np.nan],    # an accept of label 0: right only by argmax: wrong
                  [np.nan, 0.0, np.nan],    # a reject of label 1 (p 0.2 < 0.5): right
                  [np.nan, np.nan, 0.0]])   # a reject of label 2 (p 0.4 < 0.5): right
    assert blend_module.hits(P, Y, exclusive=True).mean() == pytest.approx(3 / 4)
    # multi-label: every known entry on its own, at 0.5 (row 0's 0.4 and row 1's 0.2 miss)
    assert blend_module.hits(P, Y, exclusive=False).mean() == pytest.approx(4 / 6)


def test_a_stack_models_question_says_the_encoders_share(monkeypatch):
    from altool.loop.learner import Pick, make_task

    model = _stack(monkeypatch, lambda t: np.random.default_rng(len(t)).normal(
        size=(len(t), 16)).astype(np.float32))
    texts, Y = _word_task(60, seed=4)
    model.fit(model.featurize(texts), Y)
    pick = Pick(row=0, label=None, probs=np.array([0.3, 0.7]), score=0.7, kind="tcm")
    task = make_task({"text": "x", "_input_hash": 1}, ["pos", "neg"], "choice", pick,
                     strategy="tcm", model=model)
    assert task["meta"]["pick_model"] == "stack"
    assert task["meta"]["pick_encoder_share"] == model.embed_weight
    embed_task = make_task({"text": "x", "_input_hash": 1}, ["pos", "neg"], "choice", pick,
                           strategy="tcm", model=model.embed)
    assert "pick_encoder_share" not in embed_task["meta"]


def test_a_share_must_beat_the_encoder_by_more_than_chance():
    rng = np.random.default_rng(5)
    encoder = rng.integers(0, 2, 200).astype(float)
    slightly = encoder.copy()
    slightly[np.flatnonzero(encoder == 0)[:3]] = 1.0  # 3 right, 2 wrong: within one SE
    slightly[np.flatnonzero(encoder == 1)[:2]] = 0.0
    clearly = encoder.copy()
    clearly[np.flatnonzero(encoder == 0)[:40]] = 1.0
    base = {w: encoder for w in blend_module.ENCODER_SHARES}
    assert blend_module.pick_share({**base, 0.5: slightly}) == blend_module.STACK_PRIOR
    assert blend_module.pick_share({**base, 0.5: clearly}) == 0.5


def test_past_a_thousand_answers_it_weighs_again_only_when_they_doubled(monkeypatch):
    model = _stack(monkeypatch, lambda t: np.random.default_rng(len(t)).normal(
        size=(len(t), 4)).astype(np.float32))
    weighed = []
    monkeypatch.setattr(blend_module, "weigh_halves", lambda m, X, Y, seed: weighed.append(
        len(Y)) or {w: np.ones(len(Y)) for w in blend_module.ENCODER_SHARES})
    texts, Y = _word_task(2100, seed=6)
    X = model.featurize(texts)
    for n in (900, 1200, 1500, 1900, 2100):
        model.fit(X[np.arange(n)], Y[:n])
    assert weighed == [900, 1900]  # below 1,000 a quarter more would do; then 900 x 2
