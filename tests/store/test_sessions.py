"""A dataset's sessions: listed in the order they started, one exported or taken back alone."""

from __future__ import annotations

import pytest

from altool.errors import AltoolError
from altool.store import Store
from altool.store.export import export_rows
from altool.store.sessions import drop_session, list_sessions


def answers(session: str | None, n: int, start: int = 0, **extra) -> list[dict]:
    rows = [{"text": f"text {i}", "label": "X", "answer": "accept" if i % 2 else "reject",
             **extra} for i in range(start, start + n)]
    return [{**r, "_session_id": session} if session else r for r in rows]


@pytest.fixture
def store(tmp_path):
    with Store(tmp_path / "a.db") as s:
        s.add_answers("ds", answers("s1", 3))
        s.add_answers("ds", answers(None, 1, start=10))  # imported without a session
        s.add_answers("ds", answers("s2", 2, start=20, _annotator_id="alex"))
        s.add_answers("other", answers("s1", 4))  # the same id in another dataset
        yield s


def test_sessions_are_listed_oldest_first_with_their_counts(store):
    got = list_sessions(store, "ds")
    assert [(s.session_id, s.answers, s.accept, s.reject, s.annotators) for s in got] == [
        ("s1", 3, 1, 2, ()), (None, 1, 0, 1, ()), ("s2", 2, 1, 1, ("alex",))]
    assert got[0].first <= got[0].last
    assert got[2].to_json()["annotators"] == ["alex"]


def test_one_session_is_exported_alone(store):
    rows = list(export_rows(store, "ds", "jsonl", session_id="s2"))
    assert [r["text"] for r in rows] == ["text 20", "text 21"]
    assert len(list(export_rows(store, "ds", "merged", session_id="s1"))) == 3
    with pytest.raises(AltoolError, match="has no session 'nope'; `altool stats ds` lists"):
        list(export_rows(store, "ds", "jsonl", session_id="nope"))


def test_dropping_a_session_takes_back_only_its_answers_and_the_saved_model(store):
    model = store.model_state_path("ds")
    model.parent.mkdir(parents=True, exist_ok=True)
    model.write_bytes(b"a model trained on s1's answers too")
    assert drop_session(store, "ds", "s1") == 3
    assert not model.exists()  # the next session trains on what remains
    assert [s.session_id for s in list_sessions(store, "ds")] == [None, "s2"]
    assert store.count_answers("ds") == 3 and store.count_answers("other") == 4
    with pytest.raises(AltoolError, match="has no session 's1'"):
        drop_session(store, "ds", "s1")  # nothing left to drop: said, not silent


def test_a_running_session_is_not_dropped(store):
    """A session with a question on screen (a live claim) would go on storing under its id and
    its worker would save a model trained on what was taken back: refused, nothing deleted."""
    assert store.claim_task("ds", 12345, "s2")  # s2 shows a question (this live process)
    with pytest.raises(AltoolError, match="'s2' is still running .*quit it first"):
        drop_session(store, "ds", "s2")
    assert store.count_answers("ds") == 6
    store.release_claims("ds", "s2")  # it quit
    assert drop_session(store, "ds", "s2") == 2


def test_annotator_names_with_commas_stay_whole(tmp_path):
    with Store(tmp_path / "b.db") as s:
        s.add_answers("ds", answers("s1", 2, _annotator_id="Doe, Jane"))
        assert list_sessions(s, "ds")[0].annotators == ("Doe, Jane",)


def test_session_ids_stay_whole_at_80_columns(tmp_path):
    """Columns after the id go in only while they fit: the ids are what --session takes."""
    import io

    from rich.console import Console

    from altool.store.report import sessions_table

    ids = [f"customer_support_tickets_v2-2026-12-07_1{i}-22-59-5ab3c{i}" for i in range(2)]
    with Store(tmp_path / "c.db") as s:
        for sid in ids:
            s.add_answers("ds", answers(sid, 1, _annotator_id="Doe, Jane"))
        rows = [x.to_json() for x in list_sessions(s, "ds")]
    for width, headers in ((80, ["a/r/i"]), (140, ["a/r/i", "started", "annotator"])):
        out = io.StringIO()
        Console(file=out, width=width).print(sessions_table("ds", rows, width))
        text = out.getvalue()
        assert all(sid in text for sid in ids) and "…" not in text
        assert all(h in text for h in headers)
        assert max(len(line) for line in text.splitlines()) <= width
