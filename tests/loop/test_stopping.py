"""The stabilizing-predictions stopping criterion and the ``ema`` (Prodigy-style) strategy."""

from __future__ import annotations

import numpy as np
import pytest

from altool.loop.stopping import (
    StabilizingPredictions,
    agreement,
    changed_share,
    cohen_kappa,
    measure_for,
    predictions_from_probs,
)
from altool.strategies import STRATEGIES, ema, ema_emitted, margin_scores, spec_of
from tests.helpers import teach_config


def flip(pred: np.ndarray, k: int, n_classes: int = 3) -> np.ndarray:
    out = pred.copy()
    out[:k] = (out[:k] + 1) % n_classes
    return out


BASE = np.random.default_rng(0).integers(0, 3, 1000)


# -- agreement -------------------------------------------------------------------------------
def test_cohen_kappa_known_values():
    a = np.array([0, 0, 1, 1])
    assert cohen_kappa(a, a) == pytest.approx(1.0)
    assert cohen_kappa(a, 1 - a) == pytest.approx(-1.0)
    # observed 0.75, chance 0.5
    assert cohen_kappa(a, np.array([0, 1, 1, 1])) == pytest.approx(0.5)
    from sklearn.metrics import cohen_kappa_score

    b = flip(BASE, 37)
    assert cohen_kappa(BASE, b) == pytest.approx(cohen_kappa_score(BASE, b))


def test_cohen_kappa_constant_predictions():
    # one class everywhere (an early model on imbalanced data): 0/0, not counted as stable
    same = np.zeros(50, dtype=int)
    assert cohen_kappa(same, same) == 0.0
    assert cohen_kappa(np.array([], dtype=int), np.array([], dtype=int)) == 0.0
    stop = StabilizingPredictions(window=1)
    assert not any(stop.update(same) for _ in range(5))
    # plain agreement (single label) does count it
    assert agreement(same, same, "agreement") == 1.0
    with pytest.raises(ValueError):
        cohen_kappa(same, same[:10])


def test_plain_agreement_and_multilabel():
    a = np.array([[1, 0], [0, 0], [1, 1]])
    b = np.array([[1, 0], [0, 1], [1, 1]])
    assert agreement(a, b, "agreement") == pytest.approx(5 / 6)
    assert -1.0 <= agreement(a, b, "kappa") < 1.0
    with pytest.raises(ValueError):
        agreement(a, b, "nope")
    assert measure_for(1) == "agreement" and measure_for(2) == "kappa"


def test_predictions_from_probs():
    P = np.array([[0.2, 0.7, 0.1], [0.5, 0.2, 0.3]])
    assert predictions_from_probs(P).tolist() == [1, 0]
    assert predictions_from_probs(P, exclusive=False).tolist() == [[0, 1, 0], [1, 0, 0]]
    assert predictions_from_probs(np.array([[0.9], [0.1]]), exclusive=False).tolist() == [1, 0]
    assert predictions_from_probs(np.array([[0.9], [0.1]])).tolist() == [1, 0]


# -- the criterion ---------------------------------------------------------------------------
def test_fires_after_window_stable_checks_and_latches():
    stop = StabilizingPredictions(threshold=0.99, window=3, lookback=0)
    seq = [flip(BASE, 300), flip(BASE, 200), flip(BASE, 100), BASE, BASE, BASE, BASE, BASE]
    fired = [stop.update(p, at=10 * (i + 1)) for i, p in enumerate(seq)]
    # comparisons 4->5, 5->6, 6->7 agree fully: it fires on the 7th update (70 labels)
    assert fired == [False, False, False, False, False, False, True, True]
    assert stop.fired_at == 70
    assert stop.last == pytest.approx(1.0)
    assert len(stop.history) == len(seq) - 1
    # latched: a big change later does not un-fire it, nor move fired_at
    assert stop.update(flip(BASE, 500), at=90) is True
    assert stop.fired_at == 70 and stop.last < 0.5 and stop.streak == 0


def unsettled(stop: StabilizingPredictions, updates: int) -> None:
    """``updates`` updates whose successive predictions differ in 200 of 1,000 rows."""
    for i in range(updates):
        stop.update(flip(BASE, 100 + i % 2 * 200))


def test_the_stable_run_must_cover_the_last_tenth_of_the_checks():
    stop = StabilizingPredictions(threshold=0.99, window=3, lookback=0)  # default horizon 0.1
    unsettled(stop, 61)  # 60 unstable comparisons
    assert stop.streak == 0 and stop.needed == 6
    fired = [stop.update(BASE) for _ in range(10)]  # the first still differs from the last flip
    # comparison 60 + k (k-th BASE) has k - 1 stable ones in a row and needs ceil(6 + k / 10)
    assert fired.index(True) + 1 == 8 and stop.needed == 7
    paper = StabilizingPredictions(threshold=0.99, window=3, horizon=0.0, lookback=0)  # the paper
    unsettled(paper, 61)
    assert [paper.update(BASE) for _ in range(4)] == [False, False, False, True]
    with pytest.raises(ValueError, match="horizon"):
        StabilizingPredictions(horizon=1.5)


def test_an_unstable_check_resets_the_streak():
    stop = StabilizingPredictions(threshold=0.99, window=3, lookback=0)
    seq = [BASE, BASE, BASE, flip(BASE, 100), flip(BASE, 100), flip(BASE, 100)]
    assert not any(stop.update(p) for p in seq)
    assert stop.streak == 2
    assert stop.update(flip(BASE, 100)) is True
    assert stop.fired_at == 7  # no ``at``: counted in updates


def test_threshold_is_inclusive_and_small_changes_pass():
    # 3 flips in 1000 predictions over 3 classes: kappa ~0.995 >= 0.99
    seq = [BASE, flip(BASE, 3), BASE, flip(BASE, 3)]
    stop = StabilizingPredictions(threshold=0.99, window=3, lookback=0)
    assert [stop.update(p) for p in seq] == [False, False, False, True]
    exact = StabilizingPredictions(threshold=1.0, window=1, lookback=0)
    exact.update(BASE)
    assert exact.update(BASE.copy())


def test_never_fires_on_a_drifting_model():
    rng = np.random.default_rng(1)
    stop = StabilizingPredictions()
    assert not any(stop.update(rng.integers(0, 2, 500)) for _ in range(30))
    assert stop.fired_at is None


def test_stop_set_must_not_change_size_and_bad_arguments():
    stop = StabilizingPredictions()
    stop.update(BASE)
    with pytest.raises(ValueError):
        stop.update(BASE[:10])
    with pytest.raises(ValueError):
        StabilizingPredictions(window=0)
    with pytest.raises(ValueError):
        StabilizingPredictions(measure="f1")
    with pytest.raises(ValueError, match="lookback"):
        StabilizingPredictions(max_change=2.0)
    stop.reset()
    assert stop.updates == 0 and not stop.fired and stop.update(BASE[:10]) is False


def test_single_label_agreement_measure():
    # one rare label: 2 of 5 positives flip; kappa drops far, plain agreement stays 0.998
    a = np.zeros(1000, dtype=np.int8)
    a[:5] = 1
    b = a.copy()
    b[:2] = 0
    assert cohen_kappa(a, b) < 0.8
    stop = StabilizingPredictions(window=1, measure="agreement", lookback=0)
    stop.update(a)
    assert stop.update(b)


def creeping(updates: int, per_update: int) -> list[np.ndarray]:
    """Predictions that change ``per_update`` more rows (never the same ones) at every update."""
    return [flip(BASE, per_update * i) for i in range(updates)]


def test_slow_drift_that_each_update_hides_does_not_fire():
    # 10 of 1,000 rows change at every update: kappa ~0.985 between successive models, so the
    # kappa run alone fires; but over 100 labels (10 updates) 10% of the predictions changed
    seq = creeping(40, 10)
    kappa_only = StabilizingPredictions(lookback=0)
    assert any(kappa_only.update(p, at=10 * (i + 1)) for i, p in enumerate(seq))
    stop = StabilizingPredictions()  # default: at most 7.5% changed over the last 100 labels
    assert not any(stop.update(p, at=10 * (i + 1)) for i, p in enumerate(seq))
    assert stop.streak >= stop.needed and stop.change == pytest.approx(0.10)
    # 7 rows per update (7% over 100 labels) is within the default
    slower = StabilizingPredictions()
    assert any(slower.update(p, at=10 * (i + 1)) for i, p in enumerate(creeping(40, 7)))
    assert slower.change == pytest.approx(0.07)


def test_fires_once_the_last_hundred_labels_changed_little():
    # 2 rows per update: 2% over 10 updates (100 labels) passes, from the first update that has
    # a model 100 labels older to compare with
    stop = StabilizingPredictions(window=3)
    fired = [stop.update(p, at=10 * (i + 1)) for i, p in enumerate(creeping(15, 2))]
    assert stop.fired_at == 110  # 100 labels after the first model, at 10 labels
    assert fired.index(True) == 10 and stop.change == pytest.approx(0.02)
    # no model that old yet: never fires, however stable
    young = StabilizingPredictions(window=1)
    assert not any(young.update(BASE, at=at) for at in (10, 20, 50, 90))
    assert young.change is None and young.update(BASE, at=110)


def test_look_back_keeps_only_what_it_needs():
    stop = StabilizingPredictions(lookback=100)
    for i in range(200):
        stop.update(BASE, at=10 * (i + 1))
    assert len(stop._past) <= 12  # the updates of the last 100 labels, and one older


def test_changed_share_counts_examples_not_labels():
    a = np.zeros((4, 3), dtype=np.int8)
    b = a.copy()
    b[0, :] = 1  # one example, three labels changed
    b[1, 2] = 1
    assert changed_share(a, b) == pytest.approx(0.5)
    assert changed_share(BASE, flip(BASE, 10)) == pytest.approx(0.01)
    with pytest.raises(ValueError):
        changed_share(BASE, BASE[:5])


# -- ema (Prodigy's prefer_uncertain) --------------------------------------------------------
def binary(p: list[float] | np.ndarray) -> np.ndarray:
    p = np.asarray(p, dtype=float)
    return np.column_stack([p, 1 - p])


def rng() -> np.random.Generator:
    return np.random.default_rng(0)


def test_ema_is_registered_with_a_reference_docstring():
    assert STRATEGIES["ema"] is ema
    assert "Prodigy" in (ema.__doc__ or "")
    assert "reference" in (ema.__doc__ or "").lower()


def test_ema_emits_only_rows_above_the_running_average():
    # uncertainty = 1 - |2p - 1|: 0.2, 1.0, 0.0, 0.8, 0.4, 0.9
    probs = binary([0.9, 0.5, 1.0, 0.6, 0.2, 0.45])
    scores = margin_scores(probs)
    assert scores.tolist() == pytest.approx([0.2, 1.0, 0.0, 0.8, 0.4, 0.9])
    out = ema(probs, 6, rng=rng())
    emitted = ema_emitted(scores, alpha=0.1)
    # walk: avg 0.2 -> emit 0; 1.0 >= 0.2 emit 1 (avg 0.28); 0.0 drop (avg 0.252);
    # 0.8 emit 3 (avg 0.307); 0.4 emit 4 (avg 0.316); 0.9 emit 5
    assert emitted.tolist() == [0, 1, 3, 4, 5]
    assert ema(probs, 3, rng=rng()).tolist() == [0, 1, 3]  # stream order, not ranked
    # with room for all, the dropped row only comes last, as filler
    assert out.tolist() == [0, 1, 3, 4, 5, 2]


def test_ema_keeps_stream_order_over_uncertainty():
    # a very uncertain row late in the stream loses to an emitted row early on
    probs = binary([0.7, 0.65, 0.9, 0.5])
    assert ema(probs, 2, rng=rng()).tolist() == [0, 1]


def test_ema_drops_about_half_of_an_iid_stream():
    p = np.random.default_rng(3).random(20_000)
    emitted = ema_emitted(margin_scores(binary(p)))
    assert 0.4 < len(emitted) / len(p) < 0.6
    # and the emitted rows are the more uncertain ones
    scores = margin_scores(binary(p))
    assert scores[emitted].mean() > scores.mean() + 0.1


def test_ema_distinct_capped_deterministic():
    probs = np.random.default_rng(0).dirichlet(np.ones(4), size=60)
    for n in (1, 10, 60, 500):
        out = ema(probs, n, rng=rng())
        assert len(out) == min(n, 60)
        assert len(set(out.tolist())) == len(out)
        assert all(0 <= i < 60 for i in out)
        assert out.tolist() == ema(probs, n, rng=np.random.default_rng(99)).tolist() or n > 30
    a = ema(probs, 60, rng=np.random.default_rng(5))
    b = ema(probs, 60, rng=np.random.default_rng(5))
    assert a.tolist() == b.tolist()
    assert len(ema(probs, 0, rng=rng())) == 0 and len(ema(np.empty((0, 4)), 5, rng=rng())) == 0


def test_ema_cold_start_is_stream_order():
    X = np.eye(8)
    start = spec_of(STRATEGIES["ema"]).cold_start
    assert start(X, 5, rng=rng()).tolist() == [0, 1, 2, 3, 4]
    assert start(X, 50, rng=rng()).tolist() == list(range(8))


# -- teach: the worker and the status line ---------------------------------------------------
def test_worker_reports_can_stop_once_refits_stop_changing(store, home):
    from altool.io.loaders import Record
    from altool.loop.learner import Learner
    from altool.loop.worker import Worker, WorkerStatus
    from altool.models import SklearnModel

    spam = [f"WIN a FREE cash prize {i}, call now to claim your reward" for i in range(30)]
    ham = [f"see you at lunch tomorrow {i}, I will bring the report" for i in range(30)]
    store.add_source("src", [Record(i + 1, {"text": t}) for i, t in enumerate(spam + ham)])
    for text in spam[:5]:
        store.add_answer("ds", {"text": text, "label": "spam", "answer": "accept"})
    for text in ham[:5]:
        store.add_answer("ds", {"text": text, "label": "spam", "answer": "reject"})
    learner = Learner(SklearnModel(["spam"], n_features=2**16), STRATEGIES["margin"],
                      view="binary", seed=0)

    class Sink:
        def replace(self, questions): ...
        def finish(self): ...
        def asked(self): return set()
        def __len__(self): return 0

    worker = Worker(teach_config(store.path), learner, Sink())
    assert worker.stopping.measure == "agreement"  # a single label
    assert WorkerStatus().can_stop is False and WorkerStatus().stop_agreement is None
    seen, trained = [], []
    for step in range(12):  # 10 more answers like the first ones before every refit
        if step:
            for i in range(5):
                n = 100 + 10 * step + i
                store.add_answer("ds", {"text": f"WIN a FREE cash prize {n}, call now",
                                        "label": "spam", "answer": "accept"})
                store.add_answer("ds", {"text": f"see you at lunch tomorrow {n}",
                                        "label": "spam", "answer": "reject"})
        worker._fit(store)
        seen.append(worker.status.can_stop)
        trained.append(worker.status.trained_on)
    # the predictions never change, but it waits for a model 100 labels older to compare with
    assert trained[:3] == [10, 20, 30]
    assert seen.index(True) == trained.index(110)
    assert worker.status.stop_agreement == pytest.approx(1.0)
    assert worker._stop_X.shape[0] == 60  # the stop set: the whole (small) source


class FakeSession:
    def __init__(self, **status):
        self._status = status

    def status(self):
        return self._status


def test_status_line_says_you_can_probably_stop_within_80_columns():
    from altool.ui.app import status_line

    base = {"session": 12345, "dataset": 123456, "accuracy": 1.0, "accuracy_n": 50,
            "model_state": "ready", "model_version": 1234, "trained_on": 123456}
    line = status_line(FakeSession(**base, can_stop=True))
    assert "you can probably stop" in line and len(line) <= 80
    assert line.startswith(" 12345 this session · 123456 in dataset")
    short = status_line(FakeSession(**{**base, "session": 12, "dataset": 340}, can_stop=True))
    assert "100% right" in short and "v1234" in short and len(short) <= 80
    assert "stop" not in status_line(FakeSession(**base, can_stop=False))
    # the stream's skips and the random-pick check stay on the line after it fires
    busy = status_line(FakeSession(**{**base, "session": 12, "dataset": 340}, can_stop=True,
                                   seen=4000, skipped=3200, audit_accuracy=0.8, audit_n=40))
    assert busy.startswith(" 12 this session · 340 in dataset · you can probably stop")
    assert "skipped 3,200 of 4,000" in busy and "random picks 80% right (40)" in busy
    assert "stop" not in status_line(FakeSession(**{**base, "model_state": "failed"},
                                                 can_stop=True))
