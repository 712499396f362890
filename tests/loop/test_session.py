"""The annotation session: answers commit at once, undo, batching, skipping, accuracy."""

from __future__ import annotations

import pytest

from altool.errors import AltoolError
from altool.io.hashing import set_hashes
from altool.loop.queue import END, WAIT, Question, TaskQueue
from altool.loop.session import Session
from altool.loop.streams import IterableStream
from altool.store import Store


def tasks(n: int, label: str = "X") -> list[dict]:
    return [{"text": f"text {i}", "label": label} for i in range(n)]


def text_of(session: Session) -> str | None:
    return session.current.task["text"] if session.current else None


def make(store: Store, items, **kwargs) -> Session:
    session = Session(store, "ds", IterableStream(items), **kwargs)
    session.advance()
    return session


def test_first_question_and_end_of_stream(store):
    session = make(store, tasks(2))
    assert text_of(session) == "text 0"
    session.answer("accept")
    assert text_of(session) == "text 1"
    session.answer("reject")
    assert session.current is None and session.finished
    with pytest.raises(AltoolError, match="no question"):
        session.answer("accept")


def test_answer_commits_immediately(store):
    session = make(store, tasks(3))
    eg = session.answer("accept")
    other = Store(store.path)
    try:
        [stored] = list(other.iter_answers("ds"))
        assert stored["text"] == "text 0" and stored["answer"] == "accept"
        assert stored["_task_hash"] == eg["_task_hash"]
        assert stored["_session_id"] == session.session_id
        session.answer("reject")
        assert other.count_answers("ds") == 2
    finally:
        other.close()


def test_answer_counts(store):
    store.add_answer("ds", {"text": "older", "answer": "accept"})
    session = make(store, tasks(3))
    session.answer("accept")
    session.answer("ignore")
    assert session.count == 2
    assert session.dataset_total == 3
    status = session.status()
    assert status["session"] == 2 and status["dataset"] == 3


def test_undo_deletes_the_answer_and_asks_again(store):
    session = make(store, tasks(3))
    session.answer("accept")
    assert text_of(session) == "text 1"
    assert session.undo()
    assert store.count_answers("ds") == 0
    assert text_of(session) == "text 0"
    session.answer("reject")
    [stored] = list(store.iter_answers("ds"))
    assert stored["text"] == "text 0" and stored["answer"] == "reject"
    assert text_of(session) == "text 1"  # the pushed-back question comes next


def test_undo_with_nothing_to_undo(store):
    session = make(store, tasks(1))
    assert not session.can_undo
    assert session.undo() is False
    assert text_of(session) == "text 0"


def test_undo_many_times_then_answer_in_order(store):
    session = make(store, tasks(15))
    for _ in range(12):
        session.answer("accept")
    assert store.count_answers("ds") == 12
    for expected in range(11, -1, -1):
        assert session.undo()
        assert text_of(session) == f"text {expected}"
        assert store.count_answers("ds") == expected
    assert not session.can_undo and session.count == 0
    seen = []
    while session.current is not None:
        seen.append(text_of(session))
        session.answer("reject")
    assert seen == [f"text {i}" for i in range(15)]
    assert store.count_answers("ds") == 15
    assert {eg["answer"] for eg in store.iter_answers("ds")} == {"reject"}


def test_undo_after_the_stream_ended_asks_everything_again(store):
    session = make(store, tasks(2))
    session.answer("accept")
    session.answer("accept")
    assert session.finished
    session.undo()
    session.undo()
    assert text_of(session) == "text 0"
    session.answer("reject")
    assert text_of(session) == "text 1"
    session.answer("reject")
    assert session.current is None
    assert [eg["answer"] for eg in store.iter_answers("ds")] == ["reject", "reject"]


def test_update_gets_batches_and_the_rest_on_close(store):
    batches = []
    session = make(store, tasks(12), batch_size=5, update=batches.append)
    for _ in range(12):
        session.answer("accept")
    assert [len(b) for b in batches] == [5, 5]
    assert [eg["text"] for eg in batches[0]] == [f"text {i}" for i in range(5)]
    session.close()
    assert [len(b) for b in batches] == [5, 5, 2]
    assert [eg["text"] for eg in batches[2]] == ["text 10", "text 11"]
    session.close()
    assert len(batches) == 3  # nothing left to send


def test_undone_answers_are_not_sent_to_update(store):
    batches = []
    session = make(store, tasks(5), batch_size=3, update=batches.append)
    session.answer("accept")
    session.answer("accept")
    session.undo()
    session.answer("reject")
    session.answer("accept")
    assert len(batches) == 1
    assert [(eg["text"], eg["answer"]) for eg in batches[0]] == [
        ("text 0", "accept"), ("text 1", "reject"), ("text 2", "accept")
    ]


def test_already_answered_tasks_are_skipped(store):
    items = tasks(6)
    store.add_answer("ds", {**items[1], "answer": "accept"})
    store.add_answer("other", {**items[3], "answer": "reject"})
    store.add_answer("not-excluded", {**items[4], "answer": "reject"})
    session = make(store, items, exclude=["other"])
    seen = []
    while session.current is not None:
        seen.append(text_of(session))
        session.answer("accept")
    assert seen == ["text 0", "text 2", "text 4", "text 5"]


def test_same_text_other_label_is_not_skipped(store):
    store.add_answer("ds", {"text": "t", "label": "A", "answer": "accept"})
    session = make(store, [{"text": "t", "label": "A"}, {"text": "t", "label": "B"}])
    assert session.current.task["label"] == "B"


def test_duplicate_task_in_stream_is_asked_once(store):
    session = make(store, [{"text": "t", "label": "A"}, {"text": "t", "label": "A"},
                           {"text": "u", "label": "A"}])
    session.answer("accept")
    assert text_of(session) == "u"


def test_choice_answers_store_accept_list(store):
    opts = [{"id": "A", "text": "A"}, {"id": "B", "text": "B"}]
    session = make(store, [{"text": "a", "options": opts}, {"text": "b", "options": opts}],
                   view="choice")
    session.answer("accept", accept=["B"])
    session.answer("reject", accept=["A"])
    stored = list(store.iter_answers("ds"))
    assert stored[0]["accept"] == ["B"]
    assert stored[1]["accept"] == []


def test_validate_answer_can_refuse(store):
    def validate(eg):
        if eg["answer"] == "accept":
            raise AltoolError("no accepts here")

    session = make(store, tasks(2), validate_answer=validate)
    with pytest.raises(AltoolError, match="no accepts"):
        session.answer("accept")
    assert store.count_answers("ds") == 0
    assert text_of(session) == "text 0"
    session.answer("reject")
    assert store.count_answers("ds") == 1


def question(text: str, predicted: list[str] | None, label: str = "spam") -> Question:
    return Question(set_hashes({"text": text, "label": label}), predicted=predicted)


def test_recent_accuracy(store):
    items = [
        question("a", ["spam"]),  # model says yes; accept -> right
        question("b", []),  # model says no; accept -> wrong
        question("c", ["spam"]),  # reject -> wrong
        question("d", []),  # reject -> right
        question("e", ["spam"]),  # ignore -> not counted
        question("f", None),  # no model yet -> not counted
    ]
    session = make(store, items)
    assert session.recent_accuracy == (None, 0)
    for answer in ["accept", "accept", "reject", "reject", "ignore", "accept"]:
        session.answer(answer)
    assert session.recent_accuracy == (0.5, 4)
    status = session.status()
    assert status["accuracy"] == 0.5 and status["accuracy_n"] == 4


def test_undo_removes_the_accuracy_sample(store):
    session = make(store, [question("a", ["spam"]), question("b", ["spam"])])
    session.answer("reject")
    assert session.recent_accuracy == (0.0, 1)
    session.undo()
    assert session.recent_accuracy == (None, 0)
    session.answer("accept")
    assert session.recent_accuracy == (1.0, 1)


def test_choice_accuracy(store):
    opts = [{"id": "A", "text": "A"}, {"id": "B", "text": "B"}]
    items = [Question(set_hashes({"text": t, "options": opts}), predicted=["A"]) for t in "xy"]
    session = make(store, items, view="choice")
    session.answer("accept", accept=["A"])
    session.answer("accept", accept=["B"])
    assert session.recent_accuracy == (0.5, 2)


def test_worker_status_is_merged(store):
    session = make(store, tasks(1), status=lambda: {"model_version": 3})
    assert session.status()["model_version"] == 3


def test_task_queue_as_stream(store):
    queue = TaskQueue()
    session = Session(store, "ds", queue)
    assert session.advance() is None and not session.finished  # WAIT: nothing yet
    queue.replace([question("a", None), question("b", None)])
    assert text_of_q(session.advance()) == "a"
    session.answer("accept")
    assert text_of(session) == "b"
    session.undo()
    assert text_of(session) == "a"
    session.answer("reject")
    assert text_of(session) == "b"
    session.answer("accept")
    assert session.current is None and not session.finished
    queue.finish()
    session.advance()
    assert session.finished


def text_of_q(q: Question | None) -> str | None:
    return q.task["text"] if q is not None else None


def test_task_queue_never_hands_out_a_question_twice():
    queue = TaskQueue()
    a, b = question("a", None), question("b", None)
    queue.replace([a, b])
    assert queue.poll() is a
    queue.replace([a, b])  # the worker refreshed with a stale list
    assert queue.poll() is b
    assert queue.poll() is WAIT
    queue.push_front(a)
    assert queue.poll() is a
    queue.finish()
    assert queue.poll() is END
    assert queue.asked() == {a.task_hash, b.task_hash}


def test_questions_handed_back_by_undo_stay_ahead_of_a_refresh():
    queue = TaskQueue()
    a, b, c, d = (question(t, None) for t in "abcd")
    queue.replace([a, b, c])
    assert [queue.poll(), queue.poll()] == [a, b]
    queue.push_front(b)
    queue.push_front(a)  # undone twice: a is asked again first, then b
    queue.replace([d, c, b])  # the model improved while the user was undoing
    assert len(queue) == 5
    assert [queue.poll() for _ in range(4)] == [a, b, d, c]  # b is not asked twice
    assert queue.poll() is WAIT


def test_undo_history_is_bounded(store, monkeypatch):
    import altool.loop.session as session_module

    monkeypatch.setattr(session_module, "UNDO_LIMIT", 3)  # memory stays flat in long sessions
    session = make(store, tasks(6))
    for _ in range(5):
        session.answer("reject")
    assert [session.undo() for _ in range(4)] == [True, True, True, False]
    assert store.count_answers("ds") == 2  # the two oldest answers stay


def test_budget_stops_asking_and_undo_reopens_it(store):
    """--budget counts the dataset's answers (older sessions' too): no question once it holds
    that many, without claiming the next one; undo takes one back and asks it again."""
    store.add_answer("ds", {"text": "older", "answer": "accept"})
    session = make(store, tasks(5), budget=3)
    assert session.budget_left == 2 and not session.budget_reached
    assert session.status()["budget"] == 3 and session.status()["budget_left"] == 2
    session.answer("accept")
    session.answer("ignore")  # every answer counts
    assert session.budget_reached and session.budget_left == 0
    assert session.current is None and session.advance() is None and not session.finished
    assert store.count_answers("ds") == 3
    other = Session(store, "ds", IterableStream(tasks(5)), session_id="other")
    assert other.advance() is not None and text_of(other) == "text 2"  # not claimed
    other.close()
    assert session.undo() and text_of(session) == "text 1"
    assert session.budget_left == 1
    session.answer("reject")
    assert session.current is None and session.budget_reached


def test_budget_already_used_up_asks_nothing(store):
    for i in range(2):
        store.add_answer("ds", {"text": f"older {i}", "answer": "accept"})
    session = make(store, tasks(3), budget=2)
    assert session.current is None and session.budget_reached
    assert make(store, tasks(3), budget=5).current is not None  # a larger budget goes on
    assert "budget" not in make(store, tasks(1)).status()


def test_budget_counts_answers_other_sessions_store_meanwhile(store):
    """Two sessions on one dataset with --budget 3 count each other's answers: neither asks a
    new question once the dataset holds 3 (a question already on screen may still be
    answered: at most one more per session running side by side)."""
    one = make(store, tasks(10), budget=3, session_id="one")
    two = make(store, tasks(10), budget=3, session_id="two")
    one.answer("accept")
    two.answer("accept")
    one.answer("reject")  # the dataset now holds 3
    assert one.current is None and one.budget_left == 0
    shown = two.advance()
    assert shown is not None  # on two's screen since its last answer
    two.answer("accept")
    assert two.current is None and two.advance() is None and two.dataset_total == 4
    assert store.count_answers("ds") == 4


def test_a_recipes_status_fields_never_hide_the_budget(store):
    session = make(store, tasks(2), budget=2, status=lambda: {"budget": "five", "x": 1})
    assert session.status()["budget"] == 2 and session.status()["x"] == 1


def test_each_answer_stores_its_seconds_with_breaks_cut_off(store, monkeypatch):
    """``_seconds``: from the question being shown to its answer, at most IDLE_CUTOFF_S (a
    longer wait is a break, not time spent); an undone question is timed afresh."""
    from altool.loop import session as session_module

    now = [100.0]
    monkeypatch.setattr(session_module.time, "monotonic", lambda: now[0])
    session = make(store, tasks(3))  # shown at 100.0
    now[0] = 103.25
    assert session.answer("accept")["_seconds"] == 3.25  # the next one shown at 103.25
    now[0] = 1000.0
    assert session.answer("reject")["_seconds"] == session_module.IDLE_CUTOFF_S
    assert session.undo()  # shown again at 1000.0
    now[0] = 1001.5
    assert session.answer("accept")["_seconds"] == 1.5
    assert [eg["_seconds"] for eg in store.iter_answers("ds")] == [3.25, 1.5]


def test_a_named_annotator_s_answers_say_who(store):
    session = make(store, tasks(2), annotator="alex")
    assert session.session_id == "ds-alex"
    eg = session.answer("accept")
    assert eg["_annotator_id"] == "ds-alex" and eg["_session_id"] == "ds-alex"
    assert "_annotator_id" not in make(store, tasks(3)).answer("accept")
    with pytest.raises(AltoolError, match="annotator name"):
        make(store, tasks(1), annotator="al\x1bex")


def test_exclude_takes_a_named_annotator_s_session(store):
    """--exclude DATASET-NAME skips what that annotator answered (in any dataset), as
    Prodigy's named-session datasets do; a name that is neither says so after the session."""
    alex = Session(store, "shared", IterableStream(tasks(4)), annotator="alex")
    alex.advance()
    alex.answer("accept")
    alex.answer("reject")
    sam = make(store, tasks(4), exclude=["shared-alex", "nobody"])
    assert text_of(sam) == "text 2"
    assert sam.notes == ["--exclude 'nobody': no dataset or session of that name, so it "
                         "excluded nothing"]
    assert make(store, tasks(4), exclude=["shared"]).notes == []
    assert store.unknown_names(["shared", "shared-alex", "shared-sam"]) == ["shared-sam"]


def test_a_new_dataset_named_like_a_session_is_not_that_session(store):
    """Only --exclude names fall back to session ids: a new dataset that happens to be named
    like one (ds-alex) asks everything."""
    alex = Session(store, "ds", IterableStream(tasks(3)), annotator="alex")
    alex.advance()
    alex.answer("accept")
    other = Session(store, "ds-alex", IterableStream(tasks(3)))
    assert other.advance() is not None and text_of(other) == "text 0"
    assert store.task_hashes(["ds-alex"]) == set()
    assert len(store.task_hashes([], ["ds-alex"])) == 1
