"""``altool train --ner``: merged NER answers, exact-match scoring, the saved spaCy pipeline."""

from __future__ import annotations

import json
import random
from pathlib import Path

import joblib
import pytest

from altool.io.hashing import set_hashes
from altool.io.ner import NerAnnotation
from altool.train.ner import NerItem, merge_ner_datasets, score_entities

NAMES = ["Alice", "Bob", "Carla", "Dmitri", "Emma", "Farid", "Greta", "Hiro", "Ines", "Jonas"]
CITIES = ["Paris", "Lisbon", "Oslo", "Cairo", "Lima", "Seoul", "Quito", "Dublin", "Perth"]
TEMPLATES = ["Yesterday {p} flew to {c} .", "{p} lives in {c} now .", "We saw {p} near {c} !",
             "In {c} , {p} opened a shop .", "Did {p} really move to {c} ?"]


def toy_ner(n: int, seed: int = 0) -> list[dict]:
    """Manual NER answers: a PERSON and a CITY in a handful of sentence templates."""
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        person, city = rng.choice(NAMES), rng.choice(CITIES)
        text = rng.choice(TEMPLATES).format(p=person, c=city)
        spans = [{"start": text.index(w), "end": text.index(w) + len(w), "label": label}
                 for w, label in ((person, "PERSON"), (city, "CITY"))]
        out.append({"text": text, "spans": sorted(spans, key=lambda s: s["start"]),
                    "answer": "accept"})
    return out


def item(ann: NerAnnotation) -> NerItem:
    return NerItem(0, ann, False)


def test_score_entities_complete_and_partial_annotations() -> None:
    complete = NerAnnotation("Alice in Paris", complete=True)
    complete.entities = {(0, 5): "PERSON", (9, 14): "CITY"}
    partial = NerAnnotation("Bob in Oslo")  # binary answers: Bob accepted, "in Oslo" rejected
    partial.accept(0, 3, "PERSON")
    partial.reject(4, 11, "CITY")
    predicted = [
        {(0, 5, "PERSON"), (0, 14, "CITY")},  # PERSON right; CITY wrong span: FP and a FN
        {(4, 11, "CITY"), (7, 11, "CITY")},  # a rejected span: FP; an unjudged one: not counted
    ]
    scores = score_entities(predicted, [item(complete), item(partial)], ["CITY", "PERSON"])
    city, person = scores.labels
    assert (city.precision, city.recall, city.support) == (0.0, 0.0, 1)
    assert (person.precision, person.recall, person.support) == (1.0, 0.5, 2)  # Bob missed


def test_merge_ner_datasets_latest_wins_and_random_picks(store) -> None:
    text = "Bob in Oslo"
    span = {"start": 7, "end": 11, "label": "CITY"}
    early = set_hashes({"text": text, "spans": [span], "answer": "accept", "_view_id": "ner",
                        "_timestamp": 1, "meta": {"pick": "random"}})
    late = set_hashes({"text": text, "spans": [span], "answer": "reject", "_view_id": "ner",
                       "_timestamp": 2})
    store.add_answers("b", [late])
    store.add_answers("a", [early])
    items, n = merge_ner_datasets(store, ["b", "a"])
    assert n == 2 and len(items) == 1 and items[0].random_pick
    assert items[0].annotation.entities == {}  # the later reject won, whatever the order given
    assert (7, 11, "CITY") in items[0].annotation.incorrect


def test_train_ner_and_textcat_together(cli, tmp_path: Path) -> None:
    spacy = pytest.importorskip("spacy")
    ner_file = tmp_path / "ner.jsonl"
    ner_file.write_text("".join(json.dumps(eg) + "\n" for eg in toy_ner(100)), encoding="utf-8")
    assert cli("db-in", "people", ner_file).returncode == 0
    cats = [{"text": eg["text"], "label": "TRAVEL" if "flew" in eg["text"] or "move" in
             eg["text"] else "OTHER"} for eg in toy_ner(60, seed=1)]
    cat_file = tmp_path / "cats.jsonl"
    cat_file.write_text("".join(json.dumps(c) + "\n" for c in cats), encoding="utf-8")
    assert cli("db-in", "topics", cat_file).returncode == 0

    out = tmp_path / "out"
    result = cli("train", out, "--textcat", "topics", "--ner", "people", "--seed", "1")
    assert result.returncode == 0, result.stderr
    assert "NER model on" in result.stdout and "PERSON" in result.stdout
    assert "labels: CITY, PERSON" in result.stderr
    scores = json.loads((out / "ner" / "scores.json").read_text())
    assert scores["macro_f1"] >= 0.9, scores  # measured 1.0: the templates are easy
    # imported, so no model chose them (not biased), but a 20% share is few: that warning, on
    # the terminal and saved
    n_eval = scores["eval"]["n"]
    assert n_eval < 30 and f"only {n_eval} inputs to evaluate on" in result.stderr
    assert len(scores["eval"]["warnings"]) == 1 and not scores["eval"]["biased"]
    assert "biased" not in result.stderr
    assert f"only {n_eval} inputs" in (out / "ner" / "README.md").read_text()
    nlp = spacy.load(out / "ner")
    doc = nlp("Yesterday Greta flew to Lima .")
    assert {(e.text, e.label_) for e in doc.ents} == {("Greta", "PERSON"), ("Lima", "CITY")}
    assert joblib.load(out / "ner" / "model.joblib").labels == ["CITY", "PERSON"]
    assert (out / "model.joblib").exists()  # the text classifier, at the top


def test_train_needs_a_dataset_and_one_eval_per_task(cli, tmp_path: Path) -> None:
    nothing = cli("train", tmp_path / "o")
    assert nothing.returncode == 2 and "--textcat and/or --ner" in nothing.stderr
    both = cli("train", tmp_path / "o", "--textcat", "a", "--ner", "b", "--eval", "c")
    assert both.returncode == 2 and "can't serve both" in both.stderr
