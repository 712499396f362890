"""Platt scaling of raw probabilities on the annotator's answers."""

from __future__ import annotations

import numpy as np
import pytest

from altool.models.calibration import PlattScaling, brier, expected_calibration_error


def _overconfident(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Raw p = sigmoid(3 z) for a true probability sigmoid(z - 1): far too sure, too high."""
    rng = np.random.default_rng(seed)
    z = rng.normal(0, 2, n)
    raw = 1 / (1 + np.exp(-3 * z))
    y = (rng.random(n) < 1 / (1 + np.exp(-(z - 1)))).astype(float)
    return raw, y


def test_identity_without_answers():
    cal = PlattScaling.fit([], [])
    p = np.array([0.001, 0.2, 0.5, 0.9, 0.999])
    assert cal.n == 0 and np.allclose(cal(p), p)


def test_few_answers_stay_near_identity_many_move_it():
    raw, y = _overconfident(2000, 0)
    few = PlattScaling.fit(raw[:3], y[:3])
    many = PlattScaling.fit(raw, y)
    assert abs(few.slope - 1) < 0.3 and abs(few.bias) < 0.3
    assert many.slope == pytest.approx(1 / 3, abs=0.07)
    assert many.bias == pytest.approx(-1.0, abs=0.2)


def test_monotone_even_when_answers_say_the_opposite():
    p = np.linspace(0.01, 0.99, 200)
    cal = PlattScaling.fit(p, (p < 0.5).astype(float))  # high raw p is always wrong
    out = cal(np.linspace(0.0, 1.0, 101))
    assert cal.slope > 0 and np.all(np.diff(out) >= 0)


def test_reduces_ece_and_brier_on_held_out_candidates():
    raw, y = _overconfident(600, 1)
    test_raw, test_y = _overconfident(3000, 2)
    cal = PlattScaling.fit(raw, y)
    before = expected_calibration_error(test_raw, test_y), brier(test_raw, test_y)
    after = expected_calibration_error(cal(test_raw), test_y), brier(cal(test_raw), test_y)
    assert after[0] < 0.5 * before[0] and after[1] < before[1]


def test_ece():
    assert expected_calibration_error([0.9, 0.9, 0.1, 0.1], [1, 0, 0, 0]) == \
        pytest.approx((2 * 0.4 + 2 * 0.1) / 4)
    assert expected_calibration_error([], []) == 0.0
    assert brier([1.0, 0.0], [1, 1]) == 0.5
