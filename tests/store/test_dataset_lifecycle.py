"""A dataset's life: ids never reused, a session pinned to its dataset, created by the first
answer, a model per dataset of one database, and label sets that change only on purpose."""

from __future__ import annotations

import subprocess
import sys

import pytest

from altool.errors import AltoolError
from altool.io.hashing import set_hashes
from altool.loop.session import Session
from altool.store import DatasetGone, Store


def tasks(n: int, label: str = "spam") -> list[dict]:
    return [set_hashes({"text": f"text {i}", "label": label}) for i in range(n)]


def test_dataset_ids_are_never_reused(store):
    first = store.ensure_dataset("dd")
    store.drop_dataset("dd")
    assert store.ensure_dataset("other") != first
    assert store.ensure_dataset("dd") not in (first,)


def test_a_session_whose_dataset_is_dropped_stops_and_stores_nothing_elsewhere(tmp_path):
    """Session 1 labels dd; another process drops dd, imports into a new dataset and even
    makes a new dd; session 1's next answer is refused and lands nowhere."""
    path = tmp_path / "db.sqlite"
    session = Session(Store(path), "dd", tasks(10), view="binary")
    for _ in range(3):
        session.advance()
        session.answer("accept")
    with Store(path) as other:
        other.drop_dataset("dd")
        other.add_answers("other", [{"text": "imported", "answer": "accept"}])
        other.ensure_dataset("dd")
    session.advance()
    with pytest.raises(DatasetGone, match="was dropped while this session was running"):
        session.answer("accept")
    assert session.gone and session.finished
    with Store(path) as check:
        assert check.count_answers("other") == 1
        assert check.count_answers("dd") == 0


def test_the_ui_stops_and_the_runner_says_so(tmp_path, monkeypatch):
    from altool.recipes.runner import run_components
    from altool.store import context
    from altool.ui.app import TeachApp

    path = tmp_path / "db.sqlite"
    context.set_db_path(path)
    seen = []

    def run(app):  # the user answers once, the dataset is dropped, the user answers again
        assert app.act("a")
        with Store(path) as other:
            other.drop_dataset("dd")
        seen.append(app.act("a"))  # False: the app quits

    monkeypatch.setattr(TeachApp, "_build", lambda self: None)
    monkeypatch.setattr(TeachApp, "run", run)
    exits = []
    components = {"dataset": "dd", "stream": tasks(5), "view": "binary",
                  "on_exit": lambda ctx: exits.append(ctx.count)}
    try:
        with pytest.raises(AltoolError, match="dd' was dropped .* while this session"):
            run_components(components)
    finally:
        context.set_db_path(None)
    assert seen == [False] and exits == [1]  # on_exit still ran


def test_a_new_dataset_is_made_by_its_first_answer(tmp_path):
    path = tmp_path / "db.sqlite"
    store = Store(path)
    session = Session(store, "fresh", tasks(3), view="binary", dataset_meta={"labels": ["spam"]})
    assert not store.has_dataset("fresh")  # a session that never answers leaves nothing
    session.advance()
    assert not store.has_dataset("fresh")  # nor does one that only showed a question
    session.answer("reject")
    assert store.dataset_meta("fresh") == {"labels": ["spam"]}
    session.close()


def test_a_recipe_that_fails_before_its_first_question_leaves_no_dataset(tmp_path, home):
    src = tmp_path / "texts.txt"
    src.write_text("one\ntwo\n")
    # a new session: no controlling terminal, so the UI can't start
    out = subprocess.run([sys.executable, "-m", "altool", "textcat.manual", "newds", str(src),
                          "--label", "a"], capture_output=True, text=True, timeout=60,
                         start_new_session=True, stdin=subprocess.DEVNULL)
    assert out.returncode == 1 and "needs a terminal" in out.stderr
    with Store(home / "altool.db") as store:
        assert not store.has_dataset("newds")


def test_a_model_belongs_to_one_dataset_of_one_database(tmp_path, home):
    one, two = Store(tmp_path / "one.db"), Store(tmp_path / "two.db")
    for store in (one, two):
        store.add_answer("ds", {"text": "x", "label": "spam", "answer": "accept"})
    path_one, path_two = one.model_state_path("ds"), two.model_state_path("ds")
    assert path_one != path_two and str(path_one).startswith(str(home))
    for path in (path_one, path_two):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"model")
    two.drop_dataset("ds")
    assert not path_two.exists() and path_one.exists()  # db1's model is untouched
    two.add_answer("ds", {"text": "x", "label": "spam", "answer": "accept"})
    assert two.model_state_path("ds") != path_two  # a new dataset, a new model
    one.close()
    two.close()


def test_a_label_set_changes_only_with_add_labels(store):
    store.add_answer("spam", {"text": "x", "label": "spam", "answer": "accept"})
    assert store.check_label_set("spam", ["spam"]) == ["spam"]
    with pytest.raises(AltoolError, match="has the labels spam; --label adds spma.*"
                                          "--add-labels"):
        store.check_label_set("spam", ["spma"])
    assert store.check_label_set("spam", ["spam", "ham"], add_labels=True) == ["spam", "ham"]
    assert store.dataset_labels("spam") == ["spam", "ham"]
    assert store.check_label_set("spam", ["ham"]) == ["spam", "ham"]  # a subset is fine
    assert store.check_label_set("new", ["a", "b"]) == ["a", "b"]  # a new dataset: anything


def test_teach_refuses_a_label_typo_before_it_starts(cli, home, tmp_path):
    src = tmp_path / "texts.txt"
    src.write_text("one\ntwo\n")
    with Store(home / "altool.db") as store:
        store.add_answers("spam_ds", [{"text": "x", "label": "spam", "answer": "accept"}])
    out = cli("textcat.teach", "spam_ds", src, "--label", "spma")
    assert out.returncode == 1
    assert "dataset 'spam_ds' has the labels spam; --label adds spma" in out.stderr
    assert "--add-labels" in out.stderr


@pytest.mark.parametrize("command", [["stats"], ["db-out", "ds"], ["print-dataset", "ds"],
                                     ["drop", "ds", "--yes"], ["train", "out", "--textcat", "ds"],
                                     ["review", "new", "--from", "ds"]])
def test_commands_that_only_read_create_no_database(cli, tmp_path, command):
    db = tmp_path / "typo.db"
    out = cli("--db", db, *command)
    assert out.returncode == 1 and "no such database" in out.stderr, out.stderr
    assert list(tmp_path.glob("typo.db*")) == []
