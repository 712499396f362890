"""``--model spacy``: the spaCy text classifier in the loop."""

from __future__ import annotations

import numpy as np
import pytest

from altool.errors import AltoolError
from altool.loop.learner import Learner
from altool.models import load_model, make_model, resume_model, targets_from_answers
from altool.models.base import capabilities_of
from altool.models.spacy_textcat import SpacyTextcat, TextFeatures
from altool.strategies import get_strategy
from altool.strategies.registry import resolve_name

SPORT = ["the team won the match", "a great goal in the final", "the coach praised the players",
         "fans cheered the striker", "the league title race", "a late penalty won the game"]
FOOD = ["the soup was too salty", "fresh bread and butter", "a recipe for apple pie",
        "the chef grilled the fish", "spicy noodles for dinner", "sweet cake with cream"]


def _answers(labels_of: dict[str, str]) -> list[dict]:
    return [{"text": t, "_input_hash": i, "label": lab, "answer": "accept"}
            for i, (t, lab) in enumerate(labels_of.items())]


def _fit(model: SpacyTextcat, answers: list[dict]) -> None:
    _, texts, Y = targets_from_answers(answers, model.labels, model.exclusive)
    model.fit(model.featurize(texts), Y)


@pytest.fixture
def trained() -> SpacyTextcat:
    model = make_model("spacy", ["sport", "food"])
    model.epochs = 15
    _fit(model, _answers({**dict.fromkeys(SPORT, "sport"), **dict.fromkeys(FOOD, "food")}))
    return model


def test_learns_and_probabilities_sum_to_one(trained):
    assert isinstance(trained, SpacyTextcat) and trained.ready and trained.version == 1
    P = trained.predict_proba(trained.featurize(["the team scored a goal", "salty fish soup"]))
    assert P.shape == (2, 2)
    np.testing.assert_allclose(P.sum(axis=1), 1.0, atol=1e-6)
    assert P[0, 0] > 0.5 > P[1, 0]


def test_untrained_model_is_not_ready():
    model = make_model("spacy", ["a", "b"])
    assert not model.ready
    _fit(model, _answers({"x y": "a"}))  # only one class seen: not ready yet
    assert not model.ready


def test_save_and_load_roundtrip(trained, tmp_path):
    path = tmp_path / "m.joblib"
    trained.save(path)
    loaded = load_model(path)
    X = ["the coach and the players", "apple cake"]
    np.testing.assert_allclose(loaded.predict_proba(loaded.featurize(X)),
                               trained.predict_proba(trained.featurize(X)), atol=1e-6)
    assert (loaded.version, loaded.labels, loaded.kind) == (1, ["sport", "food"], "spacy")
    _fit(loaded, _answers({"more football news": "sport"}))  # keeps learning after loading
    assert loaded.version == 2
    assert resume_model(path, "spacy", ["sport", "food"], exclusive=True).version == 1
    assert resume_model(path, "spacy", ["food", "sport"], exclusive=True).version == 0


def test_unknown_labels_are_masked_in_multilabel_updates():
    """A reject of one label changes that label's probability, not the others'."""
    model = SpacyTextcat(["a", "b", "c"], exclusive=False, epochs=20, learn_rate=0.05)
    X = model.featurize(["some words here"])
    before = model.predict_proba(X)[0]
    Y = np.array([[0.0, np.nan, np.nan]])
    model.fit(X, Y)
    after = model.predict_proba(X)[0]
    assert after[0] < before[0] - 0.1
    np.testing.assert_allclose(after[1:], before[1:], atol=1e-6)


def test_exclusive_reject_only_pushes_that_label_down():
    model = SpacyTextcat(["a", "b", "c"], exclusive=True, epochs=20, learn_rate=0.05)
    X = model.featurize(["some words here"])
    before = model.predict_proba(X)[0]
    model.fit(X, np.array([[0.0, np.nan, np.nan]]))
    after = model.predict_proba(X)[0]
    assert after[0] < before[0] and after[1] > before[1] and after[2] > before[2]


def test_learner_chooses_with_text_features(trained):
    """The default strategy for a model without vectors, and the cold start, work on
    TextFeatures."""
    pool = SPORT + FOOD + ["a match report", "cheese and wine"]
    X = trained.featurize(pool)
    assert isinstance(X, TextFeatures) and X.shape[0] == len(pool)
    hashes = list(range(100, 100 + len(pool)))
    default_for_spacy = resolve_name("default", capabilities_of(trained))
    assert default_for_spacy == "diverse"
    strategy = get_strategy(default_for_spacy)
    picks = Learner(trained, strategy, view="choice", seed=0).choose(X, hashes, 4)
    assert len({p.row for p in picks}) == 4
    cold = Learner(make_model("spacy", ["sport", "food"]), strategy, view="choice", seed=0)
    assert len(cold.choose(X, hashes, 3)) == 3
    learner = Learner(trained, strategy, view="choice", seed=0)
    assert learner.fit(_answers({"a match report": "sport", "cheese and wine": "food"})) == 2


def test_spacy_base_pipeline(tmp_path, trained):
    """spacy:PATH starts from a pipeline folder and reuses its textcat; blank:LANG works."""
    trained.nlp.to_disk(tmp_path / "pipe")
    model = make_model(f"spacy:{tmp_path / 'pipe'}", ["sport", "food"])
    X = model.featurize(["the team won", "fish soup"])
    np.testing.assert_allclose(model.predict_proba(X), trained.predict_proba(
        trained.featurize(["the team won", "fish soup"])), atol=1e-6)
    with pytest.raises(AltoolError, match="no label"):
        make_model(f"spacy:{tmp_path / 'pipe'}", ["sport", "music"])
    assert make_model("spacy:blank:de", ["a", "b"]).nlp.lang == "de"
    with pytest.raises(AltoolError, match="no installed spaCy pipeline"):
        make_model("spacy:/no/such/pipeline", ["a"])


def test_simulate_with_spacy_model():
    from altool.simulate import simulate

    gold = [{"text": t, "label": "sport"} for t in SPORT] + \
        [{"text": t, "label": "food"} for t in FOOD]
    result = simulate(gold * 3, gold, ["default"], model="spacy", seed_size=4, batch_size=4,
                      budget=12, repeats=1, extend=())
    (curve,) = result.strategies.values()
    assert curve.points[-1][0] == 12


def test_teach_cli_checks_model_options(cli, tmp_path):
    src = tmp_path / "s.jsonl"
    src.write_text('{"text": "hello"}\n')
    r = cli("textcat.teach", "ds", src, "--label", "a", "--lang", "de")
    assert r.returncode == 1 and "--lang only applies to --model spacy" in r.stderr
    r = cli("textcat.teach", "ds", src, "--label", "a", "--model", "spacy:no_such_pipeline")
    assert r.returncode == 1 and "no installed spaCy pipeline" in r.stderr
    r = cli("textcat.teach", "ds", src, "--label", "a", "--model", "spacy", "--lang", "zz")
    assert r.returncode == 1 and "no such language" in r.stderr


def test_model_names_and_stacking():
    import scipy.sparse as sp

    from altool.models import split_model_name, stack_rows

    assert split_model_name("spacy:./my/pipe") == ("spacy", "./my/pipe")
    assert split_model_name("spacy:blank:de") == ("spacy", "blank:de")
    assert split_model_name("spacy") == ("spacy", None)
    assert split_model_name("C:/models/m.joblib") == ("C:/models/m.joblib", None)  # a path
    assert stack_rows([sp.csr_matrix(np.eye(2)), sp.csr_matrix(np.ones((1, 2)))]).shape == (3, 2)
    assert stack_rows([np.eye(2), np.ones((1, 2))]).shape == (3, 2)
    model = SpacyTextcat(["a", "b"])
    parts = [model.featurize(["one", "two"]), model.featurize(["three"])]
    both = stack_rows(parts)
    assert isinstance(both, TextFeatures) and [d.text for d in both.docs] == ["one", "two",
                                                                              "three"]
