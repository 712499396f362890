"""``textcat.correct`` without a terminal: the tasks it builds and the session they drive."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from altool.errors import AltoolError
from altool.loop.session import Session
from altool.models import SklearnModel, save_model
from altool.recipes.correct import predicted_tasks, textcat_correct

TEXTS = ["great lovely superb", "awful poor sad", "great but sad", "nothing much"]


def fitted(labels: list[str], exclusive: bool, Y: list[list[float]]) -> SklearnModel:
    model = SklearnModel(labels, exclusive=exclusive)
    model.fit(model.featurize(TEXTS * 5), np.array(Y * 5, dtype=float))
    return model


def test_exclusive_model_preselects_its_top_label_in_the_given_order() -> None:
    model = fitted(["POS", "NEG"], True, [[1, 0], [0, 1], [1, 0], [0, 1]])
    tasks = list(predicted_tasks(model, [{"text": t} for t in TEXTS[:2]], ["NEG", "POS"],
                                 batch=1))
    assert [q.predicted for q in tasks] == [["POS"], ["NEG"]]
    assert [o["id"] for o in tasks[0].task["options"]] == ["NEG", "POS"]
    assert all(0.5 < q.task["meta"]["score"] <= 1 for q in tasks)
    assert all(isinstance(q.task_hash, int) for q in tasks)


def test_multilabel_model_preselects_every_label_above_one_half() -> None:
    model = fitted(["POS", "NEG"], False, [[1, 0], [0, 1], [1, 1], [0, 0]])
    tasks = list(predicted_tasks(model, [{"text": t, "meta": {"id": i}}
                                         for i, t in enumerate(TEXTS)], ["POS", "NEG"]))
    assert [q.predicted for q in tasks] == [["POS"], ["NEG"], ["POS", "NEG"], []]
    assert tasks[2].task["meta"]["id"] == 2  # the example's own meta is kept


def test_session_marks_the_prediction_and_stores_the_change(store) -> None:
    model = fitted(["POS", "NEG"], True, [[1, 0], [0, 1], [1, 0], [0, 1]])
    stream = predicted_tasks(model, [{"text": t} for t in TEXTS[:2]], ["POS", "NEG"])
    session = Session(store, "checked", stream, view="choice", labels=["POS", "NEG"])
    session.advance()
    assert session.current.predicted == ["POS"]  # what the UI marks and `a` accepts
    session.answer("accept", ["POS"])
    assert session.current.predicted == ["NEG"]
    session.answer("accept", ["POS"])  # the annotator changed it
    rows = list(store.iter_answers("checked"))
    assert [r["accept"] for r in rows] == [["POS"], ["POS"]]
    assert session.recent_accuracy == (0.5, 2)


def test_recipe_checks_the_model_and_its_labels(home: Path, tmp_path: Path) -> None:
    with pytest.raises(AltoolError, match="no such model"):
        textcat_correct("d", "x.jsonl", model=str(tmp_path / "missing"))
    path = tmp_path / "model.joblib"
    save_model(fitted(["POS", "NEG"], True, [[1, 0], [0, 1], [1, 0], [0, 1]]), path)
    with pytest.raises(AltoolError, match="differs from the model's labels"):
        textcat_correct("d", "x.jsonl", model=str(path), label="POS,MAYBE")
