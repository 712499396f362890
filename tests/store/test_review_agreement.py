"""review reports conflicts by the same definition train merges answers with: a binary accept
of L and a choice accepting [L] are the same answer (11 of 13 'conflicts' in one trial were)."""

from __future__ import annotations

from altool.store.review import find_conflicts

OPTIONS = [{"id": x, "text": x} for x in ("L", "M", "N")]


def binary(text: str, label: str, answer: str = "accept") -> dict:
    return {"text": text, "label": label, "answer": answer}


def choice(text: str, accepted: list[str], answer: str = "accept") -> dict:
    return {"text": text, "options": OPTIONS, "accept": accepted, "answer": answer}


def test_binary_accept_and_choice_accept_of_the_same_label_agree(store):
    store.add_answers("imported", [binary("a", "L"), binary("b", "M", "reject"),
                                   binary("c", "L"), binary("d", "L")])
    store.add_answers("teach", [choice("a", ["L"]), choice("b", ["N"]),
                                choice("c", ["M"]), choice("d", [], "reject")])
    conflicts = {task["text"] for task in find_conflicts(store, ["imported", "teach"])}
    # a: both say L; b: M rejected, N chosen: consistent; c: L vs M; d: L vs none of them
    assert conflicts == {"c", "d"}


def test_a_changed_binary_answer_is_still_a_conflict(store):
    store.add_answers("one", [binary("x", "L")])
    store.add_answers("two", [binary("x", "L", "reject")])
    assert [t["text"] for t in find_conflicts(store, ["one", "two"])] == ["x"]


def test_spans_still_conflict_when_they_differ(store):
    span = {"start": 0, "end": 4, "label": "ORG"}
    store.add_answers("a", [{"text": "Acme rocks", "spans": [span], "answer": "accept"}])
    store.add_answers("b", [{"text": "Acme rocks", "spans": [], "answer": "accept"}])
    assert len(find_conflicts(store, ["a", "b"])) == 1
