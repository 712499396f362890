"""``altool train``'s model with scikit-learn's API on texts, its skops file, and model files
saved before it (a bare altool model) still loading."""

from __future__ import annotations

from pathlib import Path

import joblib
import numpy as np
import pytest

from altool.errors import AltoolError
from altool.models import SklearnModel, load_model, make_model, save_model
from altool.models.classifier import TextClassifier, as_texts, load_classifier, save_safe
from altool.train.textcat import save_trained, train
from tests.train.test_training import toy_answers

TEXTS = ["great lovely superb", "awful poor sad"]


@pytest.fixture
def trained(store, tmp_path: Path) -> Path:
    store.add_answers("toy", toy_answers(80))
    save_trained(train(store, ["toy"], eval_split=0.25, seed=3), tmp_path / "out")
    return tmp_path / "out"


def test_joblib_load_gives_scikit_learns_api_on_texts(trained):
    model = joblib.load(trained / "model.joblib")
    assert model.classes_.tolist() == ["POS", "NEG"]
    assert model.predict(TEXTS).tolist() == ["POS", "NEG"]
    P = model.predict_proba(TEXTS)
    assert P.shape == (2, 2) and np.allclose(P.sum(axis=1), 1.0) and P[0, 0] > 0.5
    # the API the README showed before still works, with the same numbers
    assert np.allclose(model.predict_proba(model.featurize(TEXTS)), P)
    # other sequences of texts scikit-learn users pass
    assert model.predict(np.array(TEXTS, dtype=object)).tolist() == ["POS", "NEG"]
    assert model.predict(tuple(TEXTS)).tolist() == ["POS", "NEG"]
    assert model.predict_proba([]).shape == (0, 2)
    assert model.score(TEXTS, ["POS", "NEG"]) == 1.0


def test_it_is_a_scikit_learn_classifier(trained):
    from sklearn.base import clone, is_classifier
    from sklearn.model_selection import cross_val_score

    model = joblib.load(trained / "model.joblib")
    assert is_classifier(model)
    texts = ["good fine", "bad awful", "lovely great", "poor sad"] * 5
    y = ["POS", "NEG", "POS", "NEG"] * 5
    assert cross_val_score(model, texts, y, cv=2).mean() == 1.0
    fresh = clone(model).fit(["bad awful", "good fine"], ["POS", "NEG"])  # swapped on purpose
    assert fresh.predict(["bad awful"]).tolist() == ["POS"]
    assert model.predict(["bad awful"]).tolist() == ["NEG"]  # clone copied, left it alone


def test_multi_label_predict_gives_an_indicator_matrix():
    model = SklearnModel(["a", "b"], exclusive=False, n_features=2**12)
    texts = ["apple", "banana", "apple banana", "cherry"]
    model.fit(model.featurize(texts), np.array([[1, 0], [0, 1], [1, 1], [0, 0]], dtype=float))
    clf = TextClassifier(model)
    out = clf.predict(texts)
    assert out.shape == (4, 2) and set(np.unique(out)) <= {0, 1}
    assert out[2].tolist() == [1, 1] and out[3].tolist() == [0, 0]


def test_one_string_or_non_strings_are_clear_errors():
    with pytest.raises(AltoolError, match=r"list of texts.*\[text\]"):
        as_texts("one text")
    with pytest.raises(AltoolError, match="must be a string, got int"):
        as_texts(["a", 3])
    assert as_texts(np.zeros((2, 3))) is None  # a feature matrix


def test_a_model_saved_before_the_wrapper_still_loads(tmp_path):
    """model.joblib as older altool versions wrote it: the bare altool model."""
    model = SklearnModel(["POS", "NEG"], n_features=2**12)
    model.fit(model.featurize(TEXTS), np.array([[1.0, 0.0], [0.0, 1.0]]))
    old = tmp_path / "old"
    save_model(model, old / "model.joblib")
    loop_model = load_model(old)  # textcat.correct, textcat.teach --model OLD_DIR
    assert isinstance(loop_model, SklearnModel) and loop_model.ready
    assert make_model(str(old), ["POS", "NEG"]).ready
    clf = load_classifier(old)  # and with scikit-learn's API
    assert isinstance(clf, TextClassifier) and clf.predict(TEXTS).tolist() == ["POS", "NEG"]


def test_the_loop_gets_the_altool_model_out_of_the_wrapper(trained):
    model = load_model(trained)
    assert not isinstance(model, TextClassifier) and model.labels == ["POS", "NEG"]


def test_the_skops_file_loads_without_pickle_and_predicts_the_same(trained):
    pytest.importorskip("skops")
    assert (trained / "model.skops").stat().st_mode & 0o777 == 0o600
    safe = load_classifier(trained / "model.skops")
    assert load_classifier(trained).predict(TEXTS).tolist() == ["POS", "NEG"]  # folder: skops
    assert np.allclose(safe.predict_proba(TEXTS),
                       joblib.load(trained / "model.joblib").predict_proba(TEXTS))
    assert "model.skops" in (trained / "README.md").read_text(encoding="utf-8")


class NotAModel:
    """A type that is none of altool's: a skops file asking for it is refused."""


def test_a_skops_file_asking_for_other_types_is_refused(tmp_path):
    sio = pytest.importorskip("skops.io")
    path = tmp_path / "evil.skops"
    sio.dump(TextClassifier(NotAModel()), path)
    with pytest.raises(AltoolError, match="not altool's models.*NotAModel"):
        load_classifier(path)
    with pytest.raises(AltoolError, match="no such model file"):
        load_classifier(tmp_path / "missing.skops")


def test_without_skops_train_writes_the_pickle_and_says_how_to_get_the_safe_file(
        store, tmp_path, monkeypatch):
    import altool.train.textcat as textcat

    monkeypatch.setattr(textcat, "skops_missing", lambda: True)
    store.add_answers("toy", toy_answers(80))
    out = tmp_path / "out"
    save_trained(train(store, ["toy"], eval_split=0.25, seed=3), out)
    assert sorted(p.name for p in out.iterdir()) == ["README.md", "model.joblib", "scores.json"]
    assert "altool[share]" in (out / "README.md").read_text(encoding="utf-8")


def test_save_safe_refuses_a_spacy_model(tmp_path):
    pytest.importorskip("skops")

    class Pipeline:
        nlp = object()
        labels = ["a"]

    with pytest.raises(AltoolError, match="spaCy"):
        save_safe(Pipeline(), tmp_path / "m.skops")


def test_the_models_own_description_reads_through(trained):
    model = joblib.load(trained / "model.joblib")
    assert model.kind == "sklearn" and model.version >= 1
    with pytest.raises(AttributeError):
        model.fit_transform  # noqa: B018 (scikit-learn asks with hasattr: it must stay absent)
