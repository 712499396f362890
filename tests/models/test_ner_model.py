"""The spaCy NER model in the loop: learning from binary answers, scores, saving."""

from __future__ import annotations

import pytest

from altool.errors import AltoolError
from altool.io.ner import INCORRECT_KEY, NerAnnotation, merge_ner_answers, reference_doc
from altool.models.ner import NerModel, load_ner_model, resume_ner_model

NAMES = ["Anna", "Boris", "Chen", "Dana", "Emil", "Fatima", "Goran", "Hana"]
CITIES = ["Paris", "Oslo", "Lima", "Quito", "Rome", "Cairo", "Delhi", "Tokyo"]


def _binary(text: str, start: int, end: int, label: str, answer: str, h: int) -> dict:
    return {"text": text, "_input_hash": h, "_view_id": "ner", "answer": answer,
            "spans": [{"start": start, "end": end, "label": label}]}


def _toy_answers() -> list[dict]:
    """Accept PERSON on the name, reject PERSON on the city, in sentences 'NAME lives in CITY'."""
    answers = []
    for i, (name, city) in enumerate(zip(NAMES, CITIES, strict=True)):
        text = f"{name} lives in {city} ."
        c0 = text.index(city)
        answers.append(_binary(text, 0, len(name), "PERSON", "accept", i))
        answers.append(_binary(text, c0, c0 + len(city), "PERSON", "reject", i))
    return answers


def _p(model: NerModel, text: str, start_char: int, end_char: int, label: str) -> float:
    doc = model.make_docs([{"text": text}])[0]
    span = doc.char_span(start_char, end_char)
    for s in model.score([doc])[0]:
        if (s.start, s.end, s.label) == (span.start, span.end, label):
            return s.score
    return 0.0


def test_merge_keeps_partial_annotation_and_rejections():
    merged = merge_ner_answers(_toy_answers()[:2])
    ann = merged[0]
    assert ann.entities == {(0, 4): "PERSON"}
    assert ann.incorrect == {(14, 19, "PERSON")}
    assert not ann.complete


def test_reference_doc_missing_not_outside():
    import spacy

    nlp = spacy.blank("en")
    ann = merge_ner_answers(_toy_answers()[:2])[0]
    doc = reference_doc(nlp, ann).doc
    assert [t.ent_iob_ for t in doc] == ["B", "", "", "", ""]  # other tokens missing, not O
    assert [(s.text, s.label_) for s in doc.spans[INCORRECT_KEY]] == [("Paris", "PERSON")]
    full = reference_doc(nlp, NerAnnotation("Anna lives", None, {(0, 4): "PERSON"},
                                            complete=True))
    assert [t.ent_iob_ for t in full.doc] == ["B", "O"]


def test_later_answer_wins_on_same_span():
    text = "Anna lives here"
    answers = [_binary(text, 0, 4, "PERSON", "accept", 1), _binary(text, 0, 4, "PERSON",
                                                                   "reject", 1)]
    ann = merge_ner_answers(answers)[1]
    assert ann.entities == {} and ann.incorrect == {(0, 4, "PERSON")}


def test_binary_answers_move_scores_the_right_way():
    model = NerModel(["PERSON"], epochs=6, seed=0)
    text = "Ivan lives in Berlin ."
    before_city = _p(model, text, 14, 20, "PERSON")
    annotations = merge_ner_answers(_toy_answers())
    for _ in range(4):
        model._trained.clear()  # train again on everything (few examples)
        model.fit(annotations)
    assert model.ready
    person, city = _p(model, text, 0, 4, "PERSON"), _p(model, text, 14, 20, "PERSON")
    assert person > 0.5
    assert city < max(before_city, 0.2)
    assert person > city


def test_same_seed_same_model_whatever_the_global_random_state():
    """thinc draws weights and dropout from numpy's global state: the model seeds it itself,
    and leaves the caller's state as it was."""
    import random

    import numpy as np

    def trained(global_seed: int) -> list:
        np.random.seed(global_seed)
        random.seed(global_seed)
        model = NerModel(["PERSON"], epochs=2, seed=3)
        model.fit(merge_ner_answers(_toy_answers()))
        after = np.random.random()
        np.random.seed(global_seed)
        assert after == np.random.random()  # the global state was restored
        return model.score(model.make_docs([{"text": "Ivan lives in Berlin ."}]))[0]

    assert trained(1) == trained(2)


def test_fit_skips_unchanged_annotations():
    model = NerModel(["PERSON"], epochs=1)
    annotations = merge_ner_answers(_toy_answers()[:2])
    assert model.fit(annotations) == 1
    assert model.fit(annotations) == 0
    assert model.version == 1


def test_save_and_load_roundtrip(tmp_path):
    model = NerModel(["PERSON", "CITY"], epochs=2)
    model.fit(merge_ner_answers(_toy_answers()))
    path = tmp_path / "ner.joblib"
    model.save(path)
    loaded = load_ner_model(path)
    eg = {"text": "Anna lives in Paris ."}
    assert loaded.labels == ["PERSON", "CITY"] and loaded.version == model.version
    assert loaded.predict(loaded.make_docs([eg])) == model.predict(model.make_docs([eg]))
    assert loaded.score(loaded.make_docs([eg]))[0][:3] == model.score(model.make_docs([eg]))[0][:3]
    assert resume_ner_model(path, ["PERSON", "CITY"]).version == model.version
    assert resume_ner_model(path, ["PERSON"]).version == 0  # other labels: a new model


def test_load_garbage_is_a_clear_error(tmp_path):
    path = tmp_path / "x.joblib"
    path.write_text("not a model")
    with pytest.raises(AltoolError, match="can't load"):
        load_ner_model(path)


def test_needs_labels():
    with pytest.raises(AltoolError):
        NerModel([])


def test_reference_doc_uses_the_answer_tokens():
    """WNUT-style tokens (joined by spaces) that spaCy's tokenizer would split otherwise."""
    import spacy

    text = "RT @me : hi"
    tokens = [{"text": w, "start": s, "end": s + len(w), "id": i}
              for i, (w, s) in enumerate([("RT", 0), ("@me", 3), (":", 7), ("hi", 9)])]
    ann = NerAnnotation(text, tokens, {(3, 6): "PERSON"}, {(0, 2, "PERSON")})
    result = reference_doc(spacy.blank("en"), ann)
    assert [t.text for t in result.doc] == ["RT", "@me", ":", "hi"]
    assert [(e.start, e.end) for e in result.doc.ents] == [(1, 2)]
    assert result.misaligned == 0
    bad = NerAnnotation(text, tokens, {(4, 6): "PERSON"})  # starts inside a token
    assert reference_doc(spacy.blank("en"), bad).misaligned == 1


def test_candidates_remain_after_many_rejections():
    """A model taught mostly "no" is sure of "no entity"; the unpruned beam still has
    candidates to ask about (else ner.teach runs out of questions)."""
    rejections = [a for a in _toy_answers() if a["answer"] == "reject"]
    rejections += [_binary(a["text"], 0, a["text"].index(" "), "PERSON", "reject", 100 + i)
                   for i, a in enumerate(rejections)]
    model = NerModel(["PERSON"], epochs=10, seed=0)
    for _ in range(3):
        model._trained.clear()
        model.fit(merge_ner_answers(rejections))
    docs = model.make_docs([{"text": f"{n} lives in {c} ."} for n, c in zip(NAMES, CITIES,
                                                                           strict=True)])
    assert all(model.score(docs))
