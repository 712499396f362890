"""While another process holds the database's write lock, the UI keeps drawing and `q` works;
the answer is stored when the lock frees, or the user is told it was not (the UI froze for
30 s, `q` ignored)."""

from __future__ import annotations

import sqlite3
import time

import pytest

from altool.io.hashing import set_hashes
from altool.loop.session import Session
from altool.store import Store
from altool.ui.app import SAVING, TeachApp


class RunningApp:
    """Stands in for the prompt_toolkit app: running, so answers are stored in the background."""

    is_running = True

    def __init__(self) -> None:
        self.redraws = 0

    def invalidate(self) -> None:
        self.redraws += 1


@pytest.fixture
def app(tmp_path, monkeypatch):
    monkeypatch.setattr(TeachApp, "_build", lambda self: RunningApp())
    path = tmp_path / "db.sqlite"
    store = Store(path)
    store.add_answer("ds", {"text": "earlier", "label": "spam", "answer": "accept"})
    session = Session(store, "ds", [set_hashes({"text": f"t{i}", "label": "spam"})
                                    for i in range(5)], view="binary")
    session.advance()
    app = TeachApp(session)
    lock = sqlite3.connect(path, isolation_level=None)
    yield app, lock
    lock.close()
    store.close()


def wait_until(check, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_the_answer_waits_for_the_lock_without_freezing_the_ui(app):
    app, lock = app
    lock.execute("BEGIN IMMEDIATE")  # another process writes (e.g. a long load)
    started = time.monotonic()
    assert app.act("a")  # returns at once
    assert time.monotonic() - started < 1.0
    wait_until(lambda: app._saving is not None and app._saving.waiting)
    assert app.app.redraws >= 1  # the screen was redrawn to say why
    assert app.act("x") and app.state.message == SAVING  # keys wait; the screen says why
    assert app.session.count == 0
    lock.execute("COMMIT")  # the lock frees: the answer is stored, the next question shows
    wait_until(lambda: not app._saving.is_alive())
    app.act("space")  # the next key settles the save first
    assert app.session.count == 2  # the accept, then this ignore
    assert [eg["answer"] for eg in app.session.store.iter_answers("ds")][-2:] == [
        "accept", "ignore"]


def test_q_quits_at_once_and_says_the_answer_was_not_stored(app):
    app, lock = app
    lock.execute("BEGIN IMMEDIATE")
    assert app.act("a")
    wait_until(lambda: app._saving is not None and app._saving.waiting)
    started = time.monotonic()
    assert app.act("q") is False  # quits
    assert time.monotonic() - started < 1.0
    assert any("not stored" in note for note in app.session.notes)
    lock.execute("COMMIT")
    assert app.session.store.count_answers("ds") == 1  # only the earlier one
