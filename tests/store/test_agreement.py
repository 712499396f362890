"""altool agreement: Cohen's kappa per pair and Krippendorff's alpha, checked against
scikit-learn and the krippendorff package on random ratings."""

from __future__ import annotations

import json

import numpy as np
import pytest
from sklearn.metrics import cohen_kappa_score

from altool.errors import AltoolError
from altool.store import Store
from altool.store.agreement import agreement, cohen_kappa, krippendorff_alpha
from tests.helpers import run_cli


def test_kappa_matches_scikit_learn():
    rng = np.random.default_rng(0)
    for _ in range(300):
        n, k = int(rng.integers(2, 60)), int(rng.integers(2, 5))
        a = [str(x) for x in rng.integers(0, k, n)]
        b = [x if rng.random() < 0.7 else str(rng.integers(0, k)) for x in a]
        if len(set(a) | set(b)) > 1:
            assert cohen_kappa(a, b) == pytest.approx(cohen_kappa_score(a, b), abs=1e-9)
    assert cohen_kappa([], []) is None
    assert cohen_kappa(["x", "x"], ["x", "x"]) == 1.0  # nothing to disagree on


def test_alpha_matches_the_krippendorff_package():
    krippendorff = pytest.importorskip("krippendorff")
    rng = np.random.default_rng(1)
    checked = 0
    for _ in range(300):
        raters, n, k = int(rng.integers(2, 5)), int(rng.integers(2, 40)), int(rng.integers(2, 4))
        M = rng.integers(0, k, (raters, n)).astype(float)
        M[rng.random((raters, n)) < 0.3] = np.nan  # missing ratings
        units = [[str(int(v)) for v in M[:, j] if not np.isnan(v)] for j in range(n)]
        ours = krippendorff_alpha(units)
        try:
            with np.errstate(all="ignore"):
                ref = krippendorff.alpha(reliability_data=M, level_of_measurement="nominal")
        except ValueError:  # it refuses what has nothing to pair; so do we (None)
            continue
        if ours is not None and not np.isnan(ref):
            assert ours == pytest.approx(ref, abs=1e-9)
            checked += 1
    assert checked > 200


def test_alpha_by_hand():
    # Krippendorff (2011), "Computing Krippendorff's alpha-reliability": 4 coders, 12 units,
    # some values missing, nominal data: alpha = 0.743
    units = [["1", "1", "1"], ["2", "2", "3", "2"], ["3"] * 4, ["3"] * 4, ["2"] * 4,
             ["1", "2", "3", "4"], ["4"] * 4, ["1", "1", "2", "1"], ["2"] * 4, ["5"] * 3,
             ["1", "1"], ["3"]]
    assert krippendorff_alpha(units) == pytest.approx(0.743, abs=5e-4)
    assert krippendorff_alpha([["a"], ["b"]]) is None  # nothing pairable
    assert krippendorff_alpha([["a", "a"], ["a", "a"]]) == 1.0


def answers(labels: list[str], annotator: str | None = None) -> list[dict]:
    out = []
    for i, label in enumerate(labels):
        eg = {"text": f"text {i}", "options": [{"id": x} for x in ("pos", "neg")],
              "accept": [label] if label != "-" else [], "answer": "accept" if label != "-"
              else "reject"}
        if annotator:
            eg["_annotator_id"] = annotator
        out.append(eg)
    return out


def test_annotators_are_datasets_or_annotator_ids(tmp_path):
    a = ["pos", "pos", "neg", "neg", "pos", "-"]
    b = ["pos", "neg", "neg", "neg", "pos", "-", "pos"]  # one text more: not shared
    with Store(tmp_path / "a.db") as store:
        store.add_answers("alex", answers(a))
        store.add_answers("sam", answers(b))
        figures, who = agreement(store, ["alex", "sam"])
        assert who == ["alex", "sam"]
        overall = {f.what: f for f in figures if f.label is None}
        kappa = overall["kappa alex ~ sam"]
        assert kappa.texts == 6 and kappa.value == pytest.approx(cohen_kappa_score(
            ["pos", "pos", "neg", "neg", "pos", "(none)"],
            ["pos", "neg", "neg", "neg", "pos", "(none)"]))
        pos = {f.what: f for f in figures if f.label == "pos"}["kappa alex ~ sam"]
        assert pos.value == pytest.approx(cohen_kappa_score(
            ["yes", "yes", "no", "no", "yes", "no"], ["yes", "no", "no", "no", "yes", "no"]))
        store.add_answers("shared", answers(a, "alex") + answers(b, "sam"))
        same, _ = agreement(store, ["shared"])  # the same two people, in one dataset
        assert [f.value for f in same] == [f.value for f in figures]
        with pytest.raises(AltoolError, match="two or more annotators"):
            agreement(store, ["alex"])


def test_command_prints_tables_and_json(home):
    with Store(home / "altool.db") as store:
        store.add_answers("[b]alex", answers(["pos", "neg", "pos", "neg"]))
        store.add_answers("sam", answers(["pos", "neg", "neg", "neg"]))
    res = run_cli("agreement", "[b]alex,sam")
    assert res.returncode == 0, res.stderr
    text = " ".join(res.stdout.split())
    assert "Cohen's kappa [b]alex ~ sam" in text and "Krippendorff's alpha" in text
    assert "Agreement on pos (applies or not)" in text
    data = json.loads(run_cli("agreement", "[b]alex,sam", "--json").stdout)
    assert data["annotators"] == ["[b]alex", "sam"] and data["figures"][0]["texts"] == 4
    bad = run_cli("agreement", "sam")
    assert bad.returncode == 1 and "two or more annotators" in bad.stderr


def test_a_binary_reject_says_nothing_about_the_other_labels(tmp_path):
    """alex rejects A on t0-t4, sam accepts B there: no contradiction, so those texts count
    nowhere but in the figures for A (alex: no, sam: no) and B (alex: unknown)."""
    def binary(text, label, answer, who):
        return {"text": text, "label": label, "answer": answer, "_annotator_id": who}

    rows = [binary(f"t{i}", "A", "reject", "alex") for i in range(5)]
    rows += [binary(f"t{i}", "B", "accept", "sam") for i in range(5)]
    rows += [binary(f"u{i}", "A", "accept", w) for i in range(5) for w in ("alex", "sam")]
    with Store(tmp_path / "b.db") as store:
        store.add_answers("ds", rows)
        figures, _ = agreement(store, ["ds"])
    got = {(f.what, f.label): (f.value, f.texts) for f in figures}
    assert got[("kappa alex ~ sam", None)] == (1.0, 5)  # only u0-u4: both said A
    assert got[("kappa alex ~ sam", "A")] == (1.0, 10)  # t: both no (B excludes A), u: yes
    assert got[("kappa alex ~ sam", "B")][1] == 5  # t0-t4: alex left B open


def test_multi_label_datasets_are_refused(tmp_path):
    both = {"text": "t", "options": [{"id": "A"}, {"id": "B"}], "accept": ["A", "B"],
            "answer": "accept"}
    with Store(tmp_path / "c.db") as store:
        store.add_answers("m1", [both])
        store.add_answers("m2", [both])
        with pytest.raises(AltoolError, match="exclusive labels"):
            agreement(store, ["m1", "m2"])
