"""``altool data-to-spacy``: answers -> DocBin files that spaCy loads and trains on."""

from __future__ import annotations

import subprocess
import sys

import pytest

from altool.io.hashing import set_hashes
from altool.io.ner import INCORRECT_KEY
from altool.train.spacy_export import collect_docs, data_to_spacy, split_docs

TEXT1 = "Anna moved to Paris last year ."
TEXT2 = "Boris works at Acme in Oslo ."
TEXT3 = "Nothing to see here ."


def _span(text: str, words: str, label: str) -> dict:
    start = text.index(words)
    return {"start": start, "end": start + len(words), "label": label}


def _binary(text: str, words: str, label: str, answer: str) -> dict:
    return set_hashes({"text": text, "spans": [_span(text, words, label)], "_view_id": "ner",
                       "answer": answer})


def _manual(text: str, spans: list[dict]) -> dict:
    return set_hashes({"text": text, "spans": spans, "answer": "accept"})


@pytest.fixture
def filled(store):
    store.ensure_dataset("teach")
    store.add_answers("teach", [
        _binary(TEXT1, "Anna", "PERSON", "accept"),
        _binary(TEXT1, "Paris", "PERSON", "reject"),
        _binary(TEXT1, "last year", "PERSON", "reject"),
        _binary(TEXT3, "Nothing", "ORG", "reject"),
    ])
    store.ensure_dataset("manual")
    store.add_answers("manual", [
        _manual(TEXT2, [_span(TEXT2, "Boris", "PERSON"), _span(TEXT2, "Acme", "ORG"),
                        _span(TEXT2, "Oslo", "GPE")]),
        set_hashes({"text": TEXT3, "spans": [], "answer": "ignore"}),
    ])
    store.ensure_dataset("cats")
    store.add_answers("cats", [
        set_hashes({"text": TEXT1, "label": "TRAVEL", "answer": "accept"}),
        set_hashes({"text": "a text only classified", "label": "TRAVEL", "answer": "reject"}),
    ])
    return store


def _by_text(docs):
    return {doc.text: doc for doc in docs}


def test_binary_answers_are_partial_manual_complete(filled):
    data = collect_docs(filled, ["teach", "manual"])
    docs = _by_text(data.docs)
    assert (data.n_partial, data.n_complete, data.n_rejected_spans) == (2, 1, 3)
    d1 = docs[TEXT1]
    assert [(e.text, e.label_) for e in d1.ents] == [("Anna", "PERSON")]
    assert [t.ent_iob_ for t in d1][1:] == [""] * 6  # missing, never silently "O"
    assert sorted((s.text, s.label_) for s in d1.spans[INCORRECT_KEY]) == [
        ("Paris", "PERSON"), ("last year", "PERSON")]
    d2 = docs[TEXT2]
    assert [(e.text, e.label_) for e in d2.ents] == [("Boris", "PERSON"), ("Acme", "ORG"),
                                                      ("Oslo", "GPE")]
    assert {t.ent_iob_ for t in d2 if not t.ent_type_} == {"O"}
    assert [t.ent_iob_ for t in docs[TEXT3]] == [""] * 5  # only a rejection: all missing
    assert data.ner_labels == ["GPE", "ORG", "PERSON"]


def test_textcat_answers_merge_into_the_same_docs(filled):
    data = collect_docs(filled, ["teach"], ["cats"])
    docs = _by_text(data.docs)
    assert docs[TEXT1].cats == {"TRAVEL": 1.0}
    assert [e.text for e in docs[TEXT1].ents] == ["Anna"]
    assert docs["a text only classified"].cats == {"TRAVEL": 0.0}


def test_docbin_roundtrip_and_config(filled, tmp_path):
    import spacy
    from spacy.tokens import DocBin

    result = data_to_spacy(filled, tmp_path / "out", ["teach", "manual"], ["cats"],
                           eval_split=0.25, seed=1)
    assert (result.n_train, result.n_dev) == (3, 1)
    nlp = spacy.blank("en")
    loaded = [doc for name in ("train", "dev")
              for doc in DocBin().from_disk(result.paths[name]).get_docs(nlp.vocab)]
    original = _by_text(result.data.docs)
    assert sorted(d.text for d in loaded) == sorted(original)
    for doc in loaded:
        ref = original[doc.text]
        assert [(e.start, e.end, e.label_) for e in doc.ents] == \
            [(e.start, e.end, e.label_) for e in ref.ents]
        assert [t.ent_iob_ for t in doc] == [t.ent_iob_ for t in ref]
        assert [(s.start, s.end, s.label_) for s in doc.spans.get(INCORRECT_KEY, [])] == \
            [(s.start, s.end, s.label_) for s in ref.spans.get(INCORRECT_KEY, [])]
        assert doc.cats == ref.cats
    config = result.paths["config"].read_text()
    assert f'incorrect_spans_key = "{INCORRECT_KEY}"' in config
    assert "[components.textcat_multilabel]" in config  # one label: not exclusive


def test_split_and_errors(filled):
    from altool.errors import AltoolError

    docs = collect_docs(filled, ["teach"]).docs
    train, dev = split_docs(docs, 0.0)
    assert (len(train), len(dev)) == (2, 0)
    with pytest.raises(AltoolError, match="eval-split"):
        split_docs(docs, 1.5)
    with pytest.raises(AltoolError, match="at least one dataset"):
        collect_docs(filled)
    with pytest.raises(AltoolError):
        collect_docs(filled, ["no-such-dataset"])


def test_cli_writes_files_that_spacy_train_accepts(cli, home, tmp_path):
    from altool.store import Store

    with Store(home / "altool.db") as store:
        store.ensure_dataset("teach")
        store.add_answers("teach", [_binary(TEXT1, "Anna", "PERSON", "accept"),
                                    _binary(TEXT1, "Paris", "PERSON", "reject"),
                                    _manual(TEXT2, [_span(TEXT2, "Boris", "PERSON")])])
    out = tmp_path / "out"
    r = cli("data-to-spacy", out, "--ner", "teach", "--eval-split", "0.5")
    assert r.returncode == 0, r.stderr
    said = " ".join(r.stderr.split())  # Rich wraps lines
    assert "1 complete and 1 partial" in said and "1 rejected spans" in said
    train = subprocess.run(
        [sys.executable, "-m", "spacy", "train", str(out / "config.cfg"), "--output",
         str(tmp_path / "model"), "--training.max_steps", "2", "--training.eval_frequency",
         "1"], capture_output=True, text=True, timeout=300)
    assert train.returncode == 0, train.stderr + train.stdout
    assert (tmp_path / "model" / "model-last" / "ner").is_dir()
    r = cli("data-to-spacy", out, "--ner", "nope")
    assert r.returncode == 1 and "nope" in r.stderr
