"""Merging answers per input: binary and choice answers, ignores, conflicts, latest wins."""

from __future__ import annotations

import math

from altool.io.hashing import set_hashes
from altool.store.merge import describe_conflicts, merge_answers, merge_datasets

OPTIONS = [{"id": label, "text": label} for label in ("World", "Sports", "Tech")]


def binary(text: str, label: str, answer: str, ts: int = 0, **extra) -> dict:
    return set_hashes({"text": text, "label": label, "answer": answer, "_timestamp": ts,
                       **extra})


def choice(text: str, accept: list[str], answer: str = "accept", ts: int = 0) -> dict:
    return set_hashes({"text": text, "options": OPTIONS, "accept": accept, "answer": answer,
                       "_timestamp": ts})


def by_text(result) -> dict:
    return {eg.text: eg for eg in result.examples}


def test_binary_answers_merge_per_input_and_ignores_are_dropped() -> None:
    answers = [
        ("a", binary("cheap pills", "SPAM", "accept")),
        ("a", binary("hi mum", "SPAM", "reject")),
        ("a", binary("see you", "SPAM", "ignore")),
        ("a", binary("cheap pills", "SPAM", "accept")),  # same answer twice: no conflict
    ]
    result = merge_answers(answers)
    assert result.labels == ["SPAM"]
    assert not result.exclusive  # one label: applies or not
    assert (result.n_answers, result.n_ignored) == (4, 1)
    merged = by_text(result)
    assert set(merged) == {"cheap pills", "hi mum"}
    assert merged["cheap pills"].accepted(result.labels) == ["SPAM"]
    assert merged["hi mum"].accepted(result.labels) == []
    assert merged["hi mum"].rejected(result.labels) == ["SPAM"]
    assert result.conflicts == []
    assert result.targets().tolist() == [[1.0], [0.0]]


def test_latest_answer_wins_and_the_conflict_is_reported() -> None:
    answers = [
        ("late", binary("cheap pills", "SPAM", "reject", ts=200)),
        ("early", binary("cheap pills", "SPAM", "accept", ts=100)),
    ]
    result = merge_answers(answers)
    eg = result.examples[0]
    assert eg.accepted(result.labels) == []  # the reject came later
    assert eg.conflict and result.conflicts == [eg]
    lines = describe_conflicts(result)
    assert lines[0].startswith("1 of 1 inputs have conflicting answers")
    assert "--from early,late" in lines[0]  # in the order answered
    assert "early: accept SPAM" in lines[1] and "late: reject SPAM" in lines[1]


def test_same_timestamp_ties_go_to_the_later_dataset() -> None:
    answers = [("first", binary("t", "SPAM", "accept", ts=5)),
               ("second", binary("t", "SPAM", "reject", ts=5))]
    assert merge_answers(answers).examples[0].accepted(["SPAM"]) == []


def test_choice_answers_exclusive_and_reject_means_none() -> None:
    answers = [
        ("d", choice("goal!", ["Sports"])),
        ("d", choice("gibberish", [], answer="reject")),
    ]
    result = merge_answers(answers)
    assert result.exclusive and result.labels == ["World", "Sports", "Tech"]
    merged = by_text(result)
    assert merged["goal!"].accepted(result.labels) == ["Sports"]
    assert merged["gibberish"].rejected(result.labels) == ["World", "Sports", "Tech"]
    row = result.to_row(merged["goal!"])
    assert row["label"] == "Sports" and row["accept"] == ["Sports"]
    assert row["reject"] == ["World", "Tech"] and row["answer"] == "accept"


def test_exclusive_accept_of_another_label_is_a_conflict_and_fills_the_rest() -> None:
    answers = [
        ("d", choice("news", ["World"], ts=1)),
        ("d", binary("news", "Tech", "accept", ts=2)),
        ("d", binary("only rejected", "World", "reject", ts=3)),
    ]
    result = merge_answers(answers)
    merged = by_text(result)
    assert merged["news"].accepted(result.labels) == ["Tech"] and merged["news"].conflict
    Y = result.targets()
    assert Y[0].tolist() == [0.0, 0.0, 1.0]  # exclusive: the accepted label rules the others out
    assert Y[1][0] == 0.0 and math.isnan(Y[1][1]) and math.isnan(Y[1][2])  # unknown stays NaN


def test_multilabel_is_inferred_from_choice_answers_with_several_labels() -> None:
    answers = [("d", choice("tech trade war", ["World", "Tech"])),
               ("d", binary("football", "Sports", "accept"))]
    result = merge_answers(answers)
    assert not result.exclusive
    merged = by_text(result)
    assert merged["tech trade war"].accepted(result.labels) == ["World", "Tech"]
    assert "label" not in result.to_row(merged["tech trade war"])
    assert merge_answers(answers, exclusive=True).exclusive  # the caller can insist


def test_answers_without_label_or_text_are_counted_not_merged() -> None:
    answers = [("d", set_hashes({"text": "no label", "answer": "accept"})),
               ("d", binary("fine", "A", "accept"))]
    result = merge_answers(answers)
    assert result.n_unusable == 1 and len(result.examples) == 1


def test_random_pick_marker_is_kept_per_input() -> None:
    answers = [("d", binary("r", "A", "accept", meta={"pick": "random"})),
               ("d", binary("m", "A", "reject", meta={"score": 0.5}))]
    result = merge_answers(answers)
    assert [eg.random_pick for eg in result.examples] == [True, False]
    assert result.n_random == 1
    assert result.examples[1].meta == {}  # the per-question score is not the input's meta


def test_merge_datasets_reads_the_store_in_dataset_order(store) -> None:
    store.add_answers("one", [binary("x", "A", "accept", ts=1)])
    store.add_answers("two", [binary("x", "A", "reject", ts=1), binary("y", "A", "accept")])
    result = merge_datasets(store, ["one", "two"])
    merged = by_text(result)
    assert merged["x"].accepted(["A"]) == [] and merged["x"].conflict
    assert [v.dataset for v in merged["x"].votes] == ["one", "two"]
