"""The stop-signal replay (benchmarks/stop_traces.py) on small made-up traces."""

from __future__ import annotations

import numpy as np
import pytest

from benchmarks import stop_traces as st


def softmax(z: np.ndarray) -> np.ndarray:
    z = np.exp(z - z.max(axis=1, keepdims=True))
    return z / z.sum(axis=1, keepdims=True)


def test_temperature_finds_how_underconfident_a_model_is():
    rng = np.random.default_rng(0)
    logits = rng.normal(0, 3, (4000, 5))
    truth = softmax(logits)
    y = np.array([rng.choice(5, p=p) for p in truth])
    soft = softmax(logits * 0.2)  # the model's probabilities: five times too soft
    assert st.temperature(soft, y) == pytest.approx(0.2, rel=0.15)
    assert st.temperature(truth, y) == pytest.approx(1.0, rel=0.15)
    rescaled = st.rescaled(np.log(soft), st.temperature(soft, y))
    assert np.allclose(rescaled.sum(axis=1), 1.0) and rescaled.max() > soft.max()


def trace(updates: int, settle_at: int, acc: np.ndarray, rows: int = 200,
          runs: int = 2) -> dict:
    """Stop-set probabilities that change half the rows' labels at every update until
    ``settle_at``, then stay put."""
    rng = np.random.default_rng(1)
    probs = np.zeros((runs, updates, rows, 3), dtype=np.float16)
    for r in range(runs):
        labels = rng.integers(0, 3, rows)
        for k in range(updates):
            if k < settle_at:
                moved = rng.random(rows) < 0.5
                labels = np.where(moved, (labels + 1) % 3, labels)
            probs[r, k] = np.eye(3)[labels] * 0.6 + 0.4 / 3
    return dict(steps=np.arange(20, 20 + 10 * updates, 10), probs=probs,
                acc=np.tile(acc, (runs, 1)), n_labels=3)


def test_judge_counts_a_stop_within_three_points_and_an_early_one(tmp_path):
    acc = np.linspace(0.5, 0.9, 30)  # 4 points short of the best at 10 updates from the end
    np.savez(tmp_path / "late.npz", **trace(30, settle_at=25, acc=acc))
    np.savez(tmp_path / "early.npz", **trace(30, settle_at=5, acc=acc))
    c = st.Criterion(0.97, 3, 0.0, 30, 0.075)
    rows = st.judge(c, ["late", "early"], tmp_path)
    assert rows["late"]["fired"] == 2 and rows["late"]["within"] and not rows["late"]["early"]
    assert rows["early"]["fired"] == 2 and rows["early"]["early"]
    assert max(rows["early"]["gaps"]) > 3 >= max(rows["late"]["gaps"])


def test_the_expected_gain_is_zero_once_predictions_settle_and_fires_then():
    data = trace(20, settle_at=8, acc=np.linspace(0.5, 0.8, 20))
    gains = st.expected_gains(data, "raw", max_lag=5)
    assert np.all(gains[:, 1:7, 1] > 0.05)  # half the rows moved: 0.6 - 0.2 on each of them
    # the last change is at update 7: a 5-update look-back sees none from update 12 on
    assert np.allclose(gains[:, 12:, 5], 0.0) and np.all(gains[:, 11, 5] > 0.05)
    k = st.gain_fires(data["steps"], gains[0], lookback=50, most=0.01, window=2)
    assert k == 13  # two updates in a row at or under the threshold
    assert st.gain_fires(data["steps"], gains[0], lookback=50, most=-1.0, window=1) is None
