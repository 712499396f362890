"""End-to-end in tmux: a model made by ``altool train`` preselects its labels in
``textcat.correct``, and seeds ``textcat.teach --model OUTPUT_DIR``."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from altool.store import Store
from altool.train.textcat import save_trained, train
from tests.e2e.test_e2e_teach import (
    START_TIMEOUT,
    home,
    parse_question,
    quit_and_check,
    status_line,
    stored,
    wait_question,
)
from tests.tmux_driver import ALTOOL, Tmux, env_for
from tests.train.test_training import toy_answers

pytestmark = pytest.mark.e2e
__all__ = ["home"]  # a fixture shared with test_e2e_teach

TEXTS = [
    ("c-0", "great lovely superb day"),  # POS
    ("c-1", "awful poor sad evening"),  # NEG
    ("c-2", "wonderful happy excellent meal"),  # POS
]


@pytest.fixture
def model_dir(home: Path, tmp_path: Path) -> Path:
    """A sentiment model trained on toy answers (labels POS, NEG), saved as altool train does."""
    with Store(home / "altool.db") as store:
        store.add_answers("toy", toy_answers(80))
        result = train(store, ["toy"], seed=0)
    out = tmp_path / "model"
    save_trained(result, out)
    return out


@pytest.fixture
def source(tmp_path: Path) -> Path:
    path = tmp_path / "texts.jsonl"
    path.write_text("".join(json.dumps({"text": t, "meta": {"id": i}}) + "\n"
                            for i, t in TEXTS), encoding="utf-8")
    return path


def test_correct_preselects_the_prediction_and_stores_the_choice(
    tm: Tmux, home: Path, model_dir: Path, source: Path
) -> None:
    tm.start([ALTOOL, "textcat.correct", "checked", str(source), "--model", str(model_dir)],
             env=env_for(home))
    first = wait_question(tm, 0, timeout=START_TIMEOUT)
    screen = tm.screen()
    assert screen.startswith("textcat.correct · checked")
    assert first.id == "c-0" and "◆POS" in screen and "◆NEG" not in screen
    assert first.score is not None and first.score > 0.5
    tm.keys("a")  # confirm the preselected POS

    second = wait_question(tm, 1)
    assert second.id == "c-1" and "◆NEG" in tm.screen()
    tm.keys("1")  # change it: pick POS instead

    assert wait_question(tm, 2).id == "c-2"
    tm.keys("x")  # none of the labels
    end = tm.wait_for("3 this session")
    assert "model 33% right (last 3)" in end  # its guess held for c-0 only
    quit_and_check(tm)

    rows = stored(home, "checked")
    assert [(r["meta"]["id"], r["answer"], r["accept"]) for r in rows] == [
        ("c-0", "accept", ["POS"]), ("c-1", "accept", ["POS"]), ("c-2", "reject", [])]
    assert all(0.5 < r["meta"]["score"] <= 1 for r in rows)
    assert [o["id"] for o in rows[0]["options"]] == ["POS", "NEG"]


def test_correct_resumes_after_the_answered_inputs(
    tm: Tmux, home: Path, model_dir: Path, source: Path
) -> None:
    with Store(home / "altool.db") as store:
        store.add_answers("checked", [{"text": TEXTS[0][1], "accept": ["POS"],
                                       "answer": "accept"}])
    tm.start([ALTOOL, "textcat.correct", "checked", str(source), "--model", str(model_dir),
              "--label", "NEG,POS"], env=env_for(home))
    first = wait_question(tm, 0, timeout=START_TIMEOUT)
    assert first.id == "c-1"
    assert parse_question(tm.screen()).prompt.startswith("Which label?")
    assert "1 ◆NEG" in tm.screen()  # --label sets the order the labels are shown in
    quit_and_check(tm)


def test_trained_model_seeds_textcat_teach(tm: Tmux, home: Path, model_dir: Path,
                                           tmp_path: Path) -> None:
    """A fresh teach session has no model until its first batch of answers; with --model
    OUTPUT_DIR the trained model is ready at once and scores the questions."""
    pool = tmp_path / "pool.jsonl"
    pool.write_text("".join(json.dumps({"text": eg["text"], "meta": {"id": f"p-{k}"}}) + "\n"
                            for k, eg in enumerate(toy_answers(40, seed=7))), encoding="utf-8")
    tm.start([ALTOOL, "textcat.teach", "d", str(pool), "--label", "POS,NEG",
              "--model", str(model_dir)], env=env_for(home))
    wait_question(tm, 0, timeout=START_TIMEOUT)  # asked while the worker starts: no score yet
    tm.wait_for(lambda s: re.search(r"v\d+, 0 ex", status_line(s)), timeout=START_TIMEOUT)
    tm.keys("Space")
    second = wait_question(tm, 1)
    assert second.score is not None, tm.screen()
    assert "◆" in tm.screen()  # the model's guess is marked
    quit_and_check(tm)
