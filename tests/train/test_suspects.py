"""altool suspects: confident learning over out-of-fold probabilities (cleanlab's rule)."""

from __future__ import annotations

import json
import random

import numpy as np
import pytest

from altool.errors import AltoolError
from altool.store import Store
from altool.train.suspects import confident_suspects, find_suspects
from tests.helpers import run_cli

WORDS = {"sport": "goal match team score league coach player stadium",
         "food": "pizza pasta salad bread cheese soup recipe spice"}


def test_the_rule_by_hand():
    # thresholds: label 0 -> mean(0.9, 0.8, 0.3) = 0.667; label 1 -> mean(0.7, 0.9) = 0.8
    P = np.array([[0.9, 0.1], [0.8, 0.2], [0.3, 0.7], [0.1, 0.9], [0.2, 0.8]])
    y = np.array([0, 0, 1, 1, 0])
    # row 4: labelled 0, only label 1 confident (0.8 >= 0.8) and likeliest: a suspect;
    # row 2: labelled 1 with p 0.7 < 0.8, nothing confident: not counted, not a suspect
    assert confident_suspects(P, y) == [(4, 1)]


def test_agrees_with_cleanlab_on_random_probabilities():
    """The same issues as cleanlab's find_label_issues(filter_by="confident_learning")."""
    cleanlab = pytest.importorskip("cleanlab.filter")
    rng = np.random.default_rng(0)
    for _ in range(300):
        n, k = int(rng.integers(20, 300)), int(rng.integers(2, 8))
        P = rng.dirichlet(np.ones(k) * rng.choice([0.3, 1.0, 3.0]), size=n)
        y = rng.integers(0, k, n)
        y[:k] = np.arange(k)
        ours = {i for i, _ in confident_suspects(P, y)}
        theirs = set(np.flatnonzero(cleanlab.find_label_issues(
            y, P, filter_by="confident_learning")).tolist())
        assert ours == theirs


def labelled(n: int, flip: set[int], seed: int = 0) -> list[dict]:
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        label = list(WORDS)[i % 2]
        words = rng.sample(WORDS[label].split(), 4)
        given = ("food" if label == "sport" else "sport") if i in flip else label
        rows.append({"text": " ".join(words) + f" #{i}", "label": given, "answer": "accept",
                     "meta": {"i": i}})
    return rows


def test_flipped_labels_come_first(tmp_path):
    flip = {3, 10, 17, 42, 77}
    with Store(tmp_path / "a.db") as store:
        store.add_answers("ds", labelled(120, flip))
        suspects, merged, checked = find_suspects(store, ["ds"], folds=5)
    assert checked == 120 and sorted(merged.labels) == ["food", "sport"]
    found = [s.meta["i"] for s in suspects]
    assert set(found[:len(flip)]) == flip  # every flip, before anything else
    top = suspects[0]
    assert top.p_given < 0.5 < top.p_suggested and top.given != top.suggested
    assert all(a.p_given <= b.p_given for a, b in zip(suspects, suspects[1:], strict=False))


def test_what_it_cannot_check_is_said(tmp_path):
    with Store(tmp_path / "b.db") as store:
        store.add_answers("one", [{"text": f"t{i}", "label": "A", "answer": "accept"}
                                  for i in range(5)])
        with pytest.raises(AltoolError, match="at least two labels"):
            find_suspects(store, ["one"])
        store.add_answers("multi", [{"text": "t", "options": [{"id": "A"}, {"id": "B"}],
                                     "accept": ["A", "B"], "answer": "accept"}])
        with pytest.raises(AltoolError, match="exclusive labels"):
            find_suspects(store, ["multi"])
        store.add_answers("thin", labelled(6, set()) + [
            {"text": "lonely", "label": "third", "answer": "accept"}])
        with pytest.raises(AltoolError, match="'third' has 1"):
            find_suspects(store, ["thin"])


def test_command_prints_the_table_and_writes_every_suspect(home, tmp_path, monkeypatch):
    rows = labelled(120, {5, 50})
    rows[5]["text"] = "[bold]pizza\x1b[2J pasta salad bread"  # hostile text stays inert
    with Store(home / "altool.db") as store:
        store.add_answers("ds", rows)
    monkeypatch.setenv("COLUMNS", "80")
    out = tmp_path / "suspects.jsonl"
    res = run_cli("suspects", "ds", "--limit", "1", "--output", out)
    assert res.returncode == 0, res.stderr
    assert "of 120 inputs look mislabelled" in " ".join(res.stdout.split())
    assert "\x1b[2J" not in res.stdout
    assert max(len(line) for line in res.stdout.splitlines()) <= 80
    written = [json.loads(line) for line in out.read_text().splitlines()]
    assert {r["meta"]["i"] for r in written} >= {5, 50}
    assert {"text", "label", "suggested", "p_given", "p_suggested", "_input_hash"} <= set(
        written[0])
    assert "wrote" in res.stderr
    bad = run_cli("suspects", "missing")
    assert bad.returncode == 1 and "missing" in bad.stderr and "Traceback" not in bad.stderr


def test_ties_go_to_the_given_label_as_in_cleanlab():
    # row 2: labelled 1 at 0.5/0.5; a plain argmax would call it a 0
    P = np.array([[0.4, 0.6], [0.6, 0.4], [0.5, 0.5], [0.1, 0.9], [0.2, 0.8]])
    assert confident_suspects(P, np.array([0, 0, 1, 1, 1])) == []
    cleanlab = pytest.importorskip("cleanlab.filter")
    rng = np.random.default_rng(5)
    for _ in range(300):  # probabilities on a coarse grid: ties and zeros everywhere
        n, k = int(rng.integers(10, 80)), int(rng.integers(2, 5))
        P = rng.integers(0, 4, (n, k)).astype(float) + 1e-12
        P /= P.sum(axis=1, keepdims=True)
        y = rng.integers(0, k, n)
        y[:k] = np.arange(k)
        theirs = set(np.flatnonzero(cleanlab.find_label_issues(
            y, P, filter_by="confident_learning")).tolist())
        assert {i for i, _ in confident_suspects(P, y)} == theirs


def test_review_suspects_offers_the_stored_label_and_the_model_s(home):
    from altool.recipes.registry import RECIPES
    from altool.recipes.review import review
    from altool.store.review import resolution

    flip = {3, 10, 17, 42, 77}
    with Store(home / "altool.db") as store:
        store.add_answers("ds", labelled(120, flip))
        suspects, merged, _ = find_suspects(store, ["ds"])
    components = review("fixed", "ds", suspects=True)
    tasks = list(components["stream"])
    assert [t["_input_hash"] for t in tasks] == [s.input_hash for s in suspects]
    first, s = tasks[0], suspects[0]
    stored, model = first["versions"]
    assert stored["accept"] == [s.given] and model["accept"] == [s.suggested]
    assert model["sources"][0]["dataset"] == "model"
    assert "p=" in model["sources"][0]["session"]
    answer, fields = resolution(first, "2")  # take the model's label
    assert answer == "accept" and fields["accept"] == [s.suggested]
    assert fields["_task_hash"] == first["_task_hash"]
    assert "review" in RECIPES
