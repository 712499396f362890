"""The labels-saved estimate of ``altool progress``: both learning curves on the same
held-out texts, the ratio at random order's last level, and plain words without evidence."""

from __future__ import annotations

import json

import numpy as np
import pytest

from altool.errors import AltoolError
from altool.store import Store
from altool.train.savings import describe, estimate_savings, grid, monotone, reach
from tests.helpers import run_cli

LABELS = ["A", "B", "C"]
OPTIONS = [{"id": x, "text": x} for x in LABELS]


def text_of(label: str, rng: np.random.Generator) -> str:
    """A class word out of 40 per class, among shared filler words: a model must see many
    texts of a class to know its words."""
    return (f"{label.lower()}word{rng.integers(40)} " +
            " ".join(f"filler{rng.integers(200)}" for _ in range(4)))


def answer(label: str, pick: str, rng: np.random.Generator) -> dict:
    return {"text": text_of(label, rng), "options": OPTIONS, "accept": [label],
            "answer": "accept", "meta": {"pick": pick}}


def dataset(n: int, every: int, *, seed: int = 0, balanced: bool = True) -> list[dict]:
    """``n`` answers; every ``every``-th an audit pick from the source's skewed mix (80% A),
    the rest the loop's picks (balanced, or from the same skewed mix)."""
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        if i % every == 0 or not balanced:
            label = rng.choice(LABELS, p=[0.8, 0.1, 0.1])
            out.append(answer(str(label), "random" if i % every == 0 else "margin", rng))
        else:
            out.append(answer(LABELS[i % 3], "margin", rng))
    return out


def test_reach_interpolates_and_monotone_smooths():
    assert reach([10, 20, 40], [0.5, 0.7, 0.9], 0.8) == pytest.approx(30.0)
    assert reach([10, 20, 40], [0.5, 0.7, 0.9], 0.4) == 10.0
    assert reach([10, 20, 40], [0.5, 0.7, 0.9], 0.95) is None
    assert monotone([1, 2, 3, 4], [0.2, 0.6, 0.4, 0.8]) == pytest.approx([0.2, 0.5, 0.5, 0.8])
    assert grid(5) == [5] and grid(100)[0] == 10 and grid(100)[-1] == 100


def test_a_balanced_loop_beats_random_order_on_a_skewed_source(tmp_path):
    with Store(tmp_path / "a.db") as store:
        store.add_answers("ds", dataset(400, 5))
        est = estimate_savings(store, "ds")
    assert est.state == "estimated" and est.audit_picks == 80 and est.answers == 400
    assert est.held_out == "5 parts of the 80 audit picks, each in turn"
    assert est.equal_labels == 64  # the audit picks less the held-out fifth
    assert est.loop_at_equal > est.random_at_equal + 0.03 and est.gap_range[1] > 0
    assert est.ratio > 1.1 and est.current > 0.95
    rows = dict(describe(est, per_hour=600.0))
    assert f"{est.ratio:.1f}x as many labels" in rows["saved so far"]
    assert "at today's level" in rows and "at your pace" in rows["at today's level"]
    assert rows["at equal labels"].startswith("with 64 labels the loop's order scores")


def test_random_order_all_along_saves_nothing(tmp_path):
    with Store(tmp_path / "r.db") as store:
        store.add_answers("ds", dataset(200, 1))
        est = estimate_savings(store, "ds")
    assert est.ratio == pytest.approx(1.0) and est.ratio_range == pytest.approx((1.0, 1.0))
    assert est.gap_range == pytest.approx((0.0, 0.0))
    rows = dict(describe(est))
    assert "not enough evidence to tell" in rows["how sure"]
    assert "at today's level" not in rows


def test_without_audit_picks_it_says_so(tmp_path):
    with Store(tmp_path / "n.db") as store:
        store.add_answers("ds", dataset(100, 1000)[1:])  # no audit pick at all
        est = estimate_savings(store, "ds")
    assert est.state == "unknown" and est.audit_picks == 0
    assert "not enough evidence: 0 audit picks" in est.reason and "--mix" in est.reason


def test_an_evaluation_dataset_scores_both_curves(tmp_path):
    rng = np.random.default_rng(9)
    held = [answer(str(rng.choice(LABELS, p=[0.8, 0.1, 0.1])), "x", rng) for _ in range(150)]
    with Store(tmp_path / "e.db") as store:
        store.add_answers("ds", dataset(300, 10))  # 30 audit picks
        store.add_answers("gold", held)
        est = estimate_savings(store, "ds", eval_dataset="gold")
        assert est.held_out == "dataset gold (150 texts, in 5 parts)"
        assert est.equal_labels == 30  # none held out of training
        store.add_answers("other", [{**held[0], "options": [{"id": "Z", "text": "Z"}],
                                     "accept": ["Z"]}])
        with pytest.raises(AltoolError, match="labels the dataset lacks: Z"):
            estimate_savings(store, "ds", eval_dataset="other")
        store.add_answers("ignored", [{**held[0], "answer": "ignore", "accept": []}])
        with pytest.raises(AltoolError, match="no accepted or rejected answers"):
            estimate_savings(store, "ds", eval_dataset="ignored")


def test_progress_command_estimate_json_and_plot(home, tmp_path):
    with Store(home / "altool.db") as store:
        store.add_answers("ds", dataset(300, 5))
    res = run_cli("progress", "ds", "--json")
    assert res.returncode == 0, res.stderr
    savings = json.loads(res.stdout)["savings"]
    assert savings["state"] == "estimated" and savings["audit_picks"] == 60
    assert savings["random_curve"][-1]["labels"] == savings["equal_labels"] == 48
    assert json.loads(run_cli("progress", "ds", "--json", "--no-estimate").stdout)[
        "savings"] is None
    text = " ".join(run_cli("progress", "ds").stdout.split())
    assert "Labels saved against random order" in text and "held-out score" in text
    pytest.importorskip("matplotlib")
    png = tmp_path / "p.png"
    res = run_cli("progress", "ds", "--plot", str(png), "--no-estimate")
    assert res.returncode == 0 and png.read_bytes()[:4] == b"\x89PNG"
    bad = run_cli("progress", "ds", "--plot", str(tmp_path / "no" / "p.png"))
    assert bad.returncode == 1 and "can't write the plot" in bad.stderr


def test_what_it_cannot_estimate_is_said_plainly(tmp_path):
    rng = np.random.default_rng(3)
    with Store(tmp_path / "c.db") as store:
        store.add_answers("ds", dataset(300, 5))
        store.add_answers("tiny", [answer("A", "x", rng) for _ in range(5)])
        est = estimate_savings(store, "ds", eval_dataset="tiny")
        assert est.state == "unknown" and "too few texts to score on in --eval tiny: 5" in \
            est.reason
        store.answer_into("ner", {"text": "Acme", "spans": [], "answer": "accept"},
                          meta={"view": "ner_manual"})
        assert "NER answers" in estimate_savings(store, "ner").reason
        # the loop's first answers of one class only: that row says so instead of "nan%"
        one_class = [answer("A", "margin", rng) for _ in range(60)] + dataset(240, 4, seed=1)
        store.add_answers("skew", one_class)
        rows = dict(describe(estimate_savings(store, "skew")))
        assert "nan" not in " ".join(rows.values())


@pytest.fixture
def fake_encoder(monkeypatch):
    """The stack model with a fixed hash embedding for an encoder (no weights needed)."""
    from altool.models import blend as blend_module

    def encode(texts, *args):
        rows = [np.random.default_rng(abs(hash(t)) % 2**32).normal(size=8) for t in texts]
        return np.asarray(rows, dtype=np.float32).reshape(len(texts), 8)

    monkeypatch.setattr(blend_module, "encode", encode)
    monkeypatch.setattr(blend_module, "require_embed", lambda *a: None)
    monkeypatch.setattr("altool.models.encoder.require_embed", lambda *a: None)
    weighings = []
    real = blend_module.weigh_halves
    monkeypatch.setattr(blend_module, "weigh_halves",
                        lambda *a, **k: weighings.append(1) or real(*a, **k))
    return weighings


@pytest.mark.parametrize("recorded", [0.5, None])
def test_stack_curves_use_one_encoder_share_not_a_weighing_per_point(tmp_path, fake_encoder,
                                                                     recorded):
    answers = dataset(200, 4)
    for eg in answers:
        eg["meta"]["pick_model"] = "stack"
        if recorded is not None:
            eg["meta"]["pick_encoder_share"] = recorded
    with Store(tmp_path / "a.db") as store:
        store.add_answers("ds", answers)
        est = estimate_savings(store, "ds")
    assert est.state == "estimated" and est.model == "stack"
    # a fresh stack model per point would weigh at each of its sizes of 30 answers or more,
    # for both curves and all five held-out parts
    assert len(fake_encoder) == (0 if recorded is not None else 1)
    assert any("encoder's share at" in note for note in est.notes)
    if recorded is not None:
        assert "at 0.5 (the loop's latest)" in est.notes[0]


def test_stack_with_another_encoder_is_not_weighed_per_point_either(tmp_path, fake_encoder):
    answers = dataset(200, 4)
    with Store(tmp_path / "a.db") as store:
        store.add_answers("ds", answers)
        est = estimate_savings(store, "ds", model_name="stack:fp32")  # --model stack:BASE
    assert est.state == "estimated" and len(fake_encoder) == 1  # weighed once, on all
    assert "weighed once on all the answers" in est.notes[0]
