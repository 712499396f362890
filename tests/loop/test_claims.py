"""Two sessions on one database: claims keep them from asking the same question at once, and
concurrent writers neither lose, duplicate nor crash on a locked database."""

from __future__ import annotations

import multiprocessing as mp
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from altool.io.hashing import set_hashes
from altool.loop.session import Session
from altool.loop.streams import IterableStream
from altool.store import Store

TASKS = [{"text": f"example {i}", "label": "A", "meta": {"id": i}} for i in range(40)]


@pytest.fixture
def path(tmp_path) -> Path:
    return tmp_path / "db.sqlite"


@pytest.fixture
def open_session(path):
    """Opens a store and a session on ``path``; the stores are closed when the test ends."""
    stores = []

    def open_(dataset: str = "ds") -> tuple[Store, Session]:
        stores.append(Store(path))
        return stores[-1], Session(stores[-1], dataset, IterableStream(TASKS), batch_size=5)

    yield open_
    for store in stores:
        store.close()


def test_two_sessions_never_show_the_same_question(open_session):
    store_a, a = open_session()
    _, b = open_session()
    shown_together = []
    for i in range(15):
        qa, qb = a.advance(), b.advance()
        assert qa is not None and qb is not None
        shown_together.append((qa.task_hash, qb.task_hash))
        assert qa.task_hash != qb.task_hash
        (a if i % 2 else b).answer("accept")  # they answer at different speeds
    a.close()
    b.close()
    rows = list(store_a.iter_answers("ds"))
    counts = Counter(r["_task_hash"] for r in rows)
    assert len(rows) == 15 and max(counts.values()) == 1


def test_a_question_answered_elsewhere_is_not_asked_again(open_session):
    _, a = open_session()
    first = a.advance()
    a.answer("reject")
    _, b = open_session()  # started before: its skip set is stale on purpose below
    b._skip.clear()
    assert b.advance().task_hash != first.task_hash


def test_quitting_releases_the_claim(path, open_session):
    _, a = open_session()
    held = a.advance()
    with Store(path) as other:
        assert not other.claim_task("ds", held.task_hash, "someone-else")
        a.close()
        assert other.claim_task("ds", held.task_hash, "someone-else")


def test_undo_claims_the_question_again(path, open_session):
    _, a = open_session()
    q = a.advance()
    a.answer("accept")
    assert a.undo() and a.current.task_hash == q.task_hash
    with Store(path) as other:
        assert not other.claim_task("ds", q.task_hash, "someone-else")


def test_claim_of_a_dead_process_is_stale(path):
    task = set_hashes(dict(TASKS[0]))
    script = (
        "import sys; from altool.store import Store; s = Store(sys.argv[1]); "
        "s.ensure_dataset('ds'); assert s.claim_task('ds', int(sys.argv[2]), 'gone')"
    )
    subprocess.run([sys.executable, "-c", script, str(path), str(task["_task_hash"])],
                   check=True, timeout=60)
    with Store(path) as store:  # the claiming process has exited: the claim no longer holds
        assert store.claim_task("ds", task["_task_hash"], "alive")


def _answer_all(path: str, dataset: str, answers: list) -> None:
    store = Store(path)
    session = Session(store, dataset, IterableStream(TASKS), batch_size=3)
    while session.advance() is not None:
        session.answer("accept")
    session.close()
    answers.append(session.count)
    store.close()


def test_concurrent_writers_same_and_different_datasets(path):
    path = str(path)
    Store(path).close()
    ctx = mp.get_context("spawn")
    with ctx.Manager() as manager:
        counts = manager.list()
        procs = [ctx.Process(target=_answer_all, args=(path, name, counts))
                 for name in ("same", "same", "same", "other")]
        for p in procs:
            p.start()
        for p in procs:
            p.join(120)
        assert [p.exitcode for p in procs] == [0, 0, 0, 0]  # no "database is locked" crash
        assert sum(counts) == 2 * len(TASKS)
    with Store(path) as store:
        for name in ("same", "other"):
            hashes = Counter(r["_task_hash"] for r in store.iter_answers(name))
            assert len(hashes) == len(TASKS) and max(hashes.values()) == 1, name

