"""The recipe API: the component contract, the new components (before_db, progress,
exclude_by, validate_answer in the UI), the public helpers and ``-F`` loading."""

from __future__ import annotations

import re
import threading
import time
from pathlib import Path

import pytest

import altool
from altool.errors import AltoolError
from altool.loop.queue import END, WAIT
from altool.loop.session import Session
from altool.loop.streams import dedup, exclude
from altool.recipes.components import check_components
from altool.recipes.runner import session_from_components
from altool.ui.app import TeachApp, ViewState, render_screen, status_line

BASE = {"dataset": "ds", "stream": [], "view": "binary"}


def tasks(n: int, label: str = "X") -> list[dict]:
    return [{"text": f"text {i}", "label": label} for i in range(n)]


def plain(screen: str) -> str:
    return re.sub(r"\x1b\[[0-9;]*m", "", screen)


def app_for(session: Session, monkeypatch: pytest.MonkeyPatch) -> TeachApp:
    """A TeachApp whose keys can be pressed with ``act`` (no terminal behind it)."""
    monkeypatch.setattr(TeachApp, "_build", lambda self: None)
    session.advance()
    return TeachApp(session)


# -- the contract --------------------------------------------------------------------------------
@pytest.mark.parametrize("components, message", [
    ({"dataset": "ds", "view": "binary"}, "lack: stream"),
    ({**BASE, "validate": print}, "unknown recipe component 'validate'; allowed: dataset, "
     "stream, view, update, on_exit, progress, before_db, validate_answer"),
    ({**BASE, "view": "blocks"}, "unknown view 'blocks'; use one of: binary, choice, text"),
    ({**BASE, "update": "fit"}, "component 'update' must be a function"),
    ({**BASE, "exclude": "other_ds"}, "'exclude' must be a list"),
    ({**BASE, "config": {"batch": 3}}, "unknown recipe config key 'batch'; allowed: labels, "
     "batch_size, multilabel, exclude_by"),
    ({**BASE, "config": {"exclude_by": "text"}}, "'exclude_by' must be one of task, input"),
    ({**BASE, "config": {"batch_size": 0}}, "'batch_size' must be a positive integer"),
    ({**BASE, "config": {"budget": "100"}}, "'budget' must be a positive integer or None"),
    ({**BASE, "config": {"labels": "A,B"}}, "'labels' must be a list of strings"),
    ({**BASE, "notes": "one note"}, "'notes' must be a list of strings"),
    (["dataset", "stream"], "must return a dict of components"),
])
def test_bad_components_are_named(components, message):
    with pytest.raises(AltoolError, match=re.escape(message)):
        check_components(components)


def test_every_documented_component_is_accepted(store):
    components = {
        **BASE, "stream": tasks(1), "update": print, "on_exit": print,
        "progress": lambda ctx: None, "before_db": lambda egs: egs,
        "validate_answer": lambda eg: None, "status": dict, "exclude": ["old"],
        "notes": ["said after the session"],
        "config": {"labels": ["X"], "batch_size": 3, "multilabel": False,
                   "exclude_by": "input", "title": "t"},
    }
    session = session_from_components(components, store)
    assert session.batch_size == 3 and session.exclude_by == "input"


# -- before_db, progress, exclude_by -------------------------------------------------------------
def test_before_db_transforms_what_is_stored(store):
    def before_db(examples):
        for eg in examples:
            eg["meta"] = {"annotator": "alice"}
            eg.pop("secret")
        return examples

    items = [{"text": "t", "secret": 1}]
    session = session_from_components(
        {**BASE, "stream": items, "view": "text", "before_db": before_db}, store)
    session.advance()
    session.answer("accept")
    [stored] = store.iter_answers("ds")
    assert stored["meta"] == {"annotator": "alice"} and "secret" not in stored


def test_before_db_must_return_the_examples(store):
    session = Session(store, "ds", tasks(1), before_db=lambda egs: None)
    session.advance()
    with pytest.raises(AltoolError, match="before_db must return"):
        session.answer("accept")
    assert store.count_answers("ds") == 0


def test_progress_is_shown_in_the_status_line(store):
    items = tasks(4)
    session = Session(store, "ds", items, progress=lambda ctx: ctx.count / len(items))
    session.advance()
    assert "0% done" in status_line(session)
    session.answer("accept")
    assert "25% done" in status_line(session)
    no_progress = Session(store, "other", tasks(1), progress=lambda ctx: None)
    assert "done" not in status_line(no_progress)


def test_exclude_by_input_skips_any_answered_text(store):
    store.add_answer("ds", {"text": "text 0", "label": "Y", "answer": "accept"})
    store.add_answer("old", {"text": "text 1", "label": "Z", "answer": "reject"})
    by_task = Session(store, "ds", tasks(3), exclude=["old"])
    by_task.advance()
    assert by_task.current.task["text"] == "text 0"  # other label: another task
    by_input = Session(store, "ds", tasks(3), exclude=["old"], exclude_by="input")
    by_input.advance()
    assert by_input.current.task["text"] == "text 2"
    by_input.answer("accept")
    assert by_input.finished


def test_exclude_by_input_undo_asks_again(store):
    session = Session(store, "ds", tasks(2), exclude_by="input")
    session.advance()
    session.answer("accept")
    assert session.undo()
    assert session.current.task["text"] == "text 0"
    session.answer("reject")
    assert session.current.task["text"] == "text 1"


# -- views and keys ------------------------------------------------------------------------------
def test_validate_answer_blocks_the_answer_and_shows_why(store, monkeypatch):
    def validate(eg):
        if eg["answer"] == "accept":
            raise ValueError("accepts need a second look")

    app = app_for(Session(store, "ds", tasks(2), validate_answer=validate), monkeypatch)
    app.act("a")
    assert store.count_answers("ds") == 0
    screen = plain(render_screen(app.session, app.state, 80, 24))
    assert "Not saved: accepts need a second look" in screen.splitlines()[-1]
    assert "text 0" in screen
    app.act("x")
    assert [eg["answer"] for eg in store.iter_answers("ds")] == ["reject"]


def test_text_view_shows_the_task_and_records_keys(store, monkeypatch):
    app = app_for(Session(store, "ds", [{"text": "first"}, {"text": "second"},
                                        {"text": "third"}], view="text"), monkeypatch)
    screen = plain(render_screen(app.session, ViewState(), 80, 24))
    assert "first" in screen and "Accept, reject or ignore?" in screen
    for key in ("a", "x", "u", "space", "x"):
        app.act(key)
    answers = [(eg["text"], eg["answer"]) for eg in store.iter_answers("ds")]
    assert answers == [("first", "accept"), ("second", "ignore"), ("third", "reject")]
    assert app.act("q") is False


# -- public helpers ------------------------------------------------------------------------------
def test_public_names_resolve():
    for name in altool.__all__:
        assert getattr(altool, name) is not None, name
    from altool.strategies.uncertainty import margin_scores

    assert altool.strategies.margin_scores is margin_scores
    with pytest.raises(AttributeError):
        altool.no_such_helper  # noqa: B018


def test_dedup_by_input_and_task():
    stream = [{"text": "a", "label": "X"}, {"text": "a", "label": "Y"}, {"text": "a",
                                                                      "label": "X"}]
    assert [t["label"] for t in dedup(stream, by="input")] == ["X"]
    assert [t["label"] for t in dedup(stream, by="task")] == ["X", "Y"]
    with pytest.raises(AltoolError, match="by must be one of input, task"):
        list(dedup(stream, by="text"))


def test_exclude_reads_the_store(store):
    store.add_answer("done", {"text": "a", "label": "X", "answer": "accept"})
    stream = [{"text": "a", "label": "X"}, {"text": "a", "label": "Y"}, {"text": "b"}]
    by_task = [(t["text"], t.get("label")) for t in exclude(stream, ["done"], store=store)]
    assert by_task == [("a", "Y"), ("b", None)]
    by_input = [t["text"] for t in exclude(stream, ["done", "unknown"], by="input",
                                           store=store)]
    assert by_input == ["b"]


def test_exclude_opens_the_default_database(home):
    with altool.open_store() as db:
        db.add_answer("done", {"text": "a", "answer": "accept"})
    assert [t["text"] for t in exclude([{"text": "a"}, {"text": "b"}], ["done"])] == ["b"]


# -- -F recipe files -----------------------------------------------------------------------------
GOOD = '''\
import altool

@altool.recipe("my.recipe")
def my_recipe(dataset: str, shout: bool = False) -> dict:
    """Say hello from a recipe file."""
    return {"dataset": dataset, "stream": [{"text": "hi"}], "view": "text", "colour": "red"}
'''


def test_recipe_file_is_listed_and_its_options_parsed(cli, tmp_path: Path):
    file = tmp_path / "mine.py"
    file.write_text(GOOD, encoding="utf-8")
    listed = cli("recipes", "-F", file)
    assert listed.returncode == 0, listed.stderr
    row = next(line for line in listed.stdout.splitlines() if "my.recipe" in line)
    assert "-F" in row and "Say hello" in row
    assert "textcat.manual" in listed.stdout and "built-in" in listed.stdout
    helped = cli("-F", file, "my.recipe", "--help")
    assert helped.returncode == 0 and "--shout" in helped.stdout
    # the returned components are checked before any UI starts: a clear error, exit 1
    run = cli("-F", file, "my.recipe", "ds")
    assert run.returncode == 1
    assert "unknown recipe component 'colour'; allowed: dataset, stream, view" in run.stderr
    assert "Traceback" not in run.stderr


@pytest.mark.parametrize("source, where", [
    ("import altool\n\ndef broken(:\n    pass\n", ":3: syntax error in recipe file"),
    ("import altool\n\nx = 1\nraise RuntimeError('no model here')\n",
     ":4: loading the recipe file failed: RuntimeError: no model here"),
])
def test_broken_recipe_file_names_file_and_line(cli, tmp_path: Path, source, where):
    file = tmp_path / "broken.py"
    file.write_text(source, encoding="utf-8")
    result = cli("recipes", "-F", file)
    assert result.returncode == 1
    assert f"{file}{where}" in result.stderr
    assert "Traceback" not in result.stderr


def test_missing_recipe_file(cli, tmp_path: Path):
    result = cli("recipes", "-F", tmp_path / "nope.py")
    assert result.returncode == 1 and "no such recipe file" in result.stderr


def test_unknown_recipe_is_a_usage_error(cli):
    result = cli("no.such.recipe", "ds")
    assert result.returncode == 2 and "No such command" in result.stderr


# -- BackgroundStream ----------------------------------------------------------------------------
def test_background_stream_never_blocks(store):
    release = threading.Event()

    def slow():
        yield {"text": "first"}
        release.wait(10)
        yield {"text": "second"}

    stream = altool.BackgroundStream(slow())
    session = Session(store, "ds", stream, view="text")
    deadline = time.monotonic() + 10
    while session.advance() is None:
        assert time.monotonic() < deadline
        time.sleep(0.01)
    session.answer("accept")  # the reader is blocked on "second": no question, no wait
    assert session.current is None and not session.finished
    assert stream.poll() is WAIT
    release.set()
    while session.advance() is None:
        assert time.monotonic() < deadline
        time.sleep(0.01)
    assert session.current.task["text"] == "second"
    session.answer("reject")
    while not session.finished:
        assert time.monotonic() < deadline
        session.advance()
        time.sleep(0.01)


def test_background_stream_raises_read_errors_after_the_good_tasks():
    def broken():
        yield {"text": "ok"}
        raise AltoolError("<stdin>:2: invalid JSON")

    stream = altool.BackgroundStream(broken())
    assert next_item(stream).task["text"] == "ok"
    with pytest.raises(AltoolError, match="<stdin>:2"):
        next_item(stream)
    assert stream.poll() is END


def next_item(stream, timeout: float = 10.0):
    """What ``poll()`` gives once it stops saying WAIT."""
    deadline = time.monotonic() + timeout
    while (item := stream.poll()) is WAIT:
        assert time.monotonic() < deadline
        time.sleep(0.01)
    return item
