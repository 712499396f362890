"""Prodigy interop: ``_view_id`` on every answer, and ``db-in --rehash`` / the warning when an
import's hashes are not altool's."""

from __future__ import annotations

import json

import pytest

from altool.io.hashing import input_hash, set_hashes
from altool.io.prodigy import VIEW_IDS, altool_hashes, hashes_differ, view_id
from altool.loop.learner import candidate_hash
from altool.loop.session import Session
from altool.loop.streams import IterableStream
from altool.recipes.components import VIEWS
from altool.recipes.ner_manual import task_of
from altool.store.ingest import foreign_hash_warning, import_answers
from altool.store.review import find_conflicts, resolution

TOKENS = [{"text": "Ada", "start": 0, "end": 3, "id": 0},
          {"text": "Lovelace", "start": 4, "end": 12, "id": 1},
          {"text": "wrote", "start": 13, "end": 18, "id": 2}]
SPAN = {"start": 0, "end": 12, "label": "PER", "token_start": 0, "token_end": 1}

# as Prodigy exports them: its own hashes (32-bit, murmurhash), never altool's
PRODIGY_EXPORT = [
    {"text": "cheap pills now", "label": "spam", "answer": "accept",
     "_input_hash": -1298364911, "_task_hash": 1764237712, "_view_id": "classification"},
    {"text": "see you at noon", "options": [{"id": "spam", "text": "spam"},
                                            {"id": "ham", "text": "ham"}],
     "accept": ["ham"], "answer": "accept", "_input_hash": 551234, "_task_hash": -77,
     "_view_id": "choice"},
    {"text": "Ada Lovelace wrote", "tokens": TOKENS, "spans": [SPAN], "answer": "accept",
     "_input_hash": 9, "_task_hash": 10, "_view_id": "ner_manual"},
]


def answer_one(store, view: str, task: dict, **answer) -> dict:
    session = Session(store, f"ds_{view}", IterableStream([set_hashes(task)]), view=view,
                      labels=["spam", "ham"])
    session.advance()
    session.answer("accept", **answer)
    [stored] = store.iter_answers(f"ds_{view}")
    session.close()
    return stored


@pytest.mark.parametrize(("view", "task", "expected"), [
    ("binary", {"text": "a", "label": "spam"}, "classification"),
    ("choice", {"text": "a", "options": [{"id": "spam", "text": "spam"}]}, "choice"),
    ("text", {"text": "a"}, "text"),
    ("ner_manual", {"text": "Ada Lovelace wrote", "tokens": TOKENS}, "ner_manual"),
    ("ner", {"text": "Ada Lovelace wrote", "tokens": TOKENS, "spans": [SPAN],
             "_view_id": "ner"}, "ner"),
])
def test_every_answer_stores_prodigys_view_id(store, view, task, expected):
    assert answer_one(store, view, task)["_view_id"] == expected


def test_a_stale_view_id_from_the_source_is_replaced(store):
    # a source loaded from a ner.teach export, now answered in the choice view
    task = {"text": "a", "options": [{"id": "spam", "text": "spam"}], "_view_id": "ner"}
    assert answer_one(store, "choice", task, accept=["spam"])["_view_id"] == "choice"


def test_every_view_has_a_prodigy_name():
    assert set(VIEWS) <= set(VIEW_IDS)
    assert view_id("binary", {"_view_id": "ner"}) == "classification"


def test_a_review_answer_keeps_the_chosen_answers_view(store):
    text = "Ada Lovelace wrote"
    binary = {"text": text, "tokens": TOKENS, "spans": [SPAN], "answer": "reject",
              "_view_id": "ner"}
    manual = {"text": text, "tokens": TOKENS, "spans": [SPAN], "answer": "accept",
              "_view_id": "ner_manual"}
    store.add_answer("a", set_hashes(binary))
    store.add_answer("b", set_hashes(manual))
    [task] = find_conflicts(store, ["a", "b"])
    picked = next(i for i, v in enumerate(task["versions"], 1) if v["answer"] == "accept")
    answer, fields = resolution(task, str(picked))
    session = Session(store, "resolved", IterableStream([task]), view="review")
    session.advance()
    session.answer(answer, fields=fields)
    [stored] = store.iter_answers("resolved")
    assert stored["_view_id"] == "ner_manual"  # not "ner": it is no binary answer


def write(path, rows) -> str:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return str(path)


def test_db_in_counts_answers_whose_hashes_are_not_altools(store, tmp_path):
    path = write(tmp_path / "prodigy.jsonl", [*PRODIGY_EXPORT, {"text": "no hashes"}])
    result, _ = import_answers(store, "imported", path)
    assert result.added == 4 and result.foreign == 3 and result.rehashed == 0
    kept = [eg["_input_hash"] for eg in store.iter_answers("imported")]
    assert kept[:3] == [-1298364911, 551234, 9]  # without --rehash the file's hashes stay
    warning = foreign_hash_warning(result, "imported", path)
    assert "3 imported answers" in warning and "--rehash" in warning


def test_db_in_rehash_gives_the_hashes_altool_gives_its_own_questions(store, tmp_path):
    path = write(tmp_path / "prodigy.jsonl", PRODIGY_EXPORT)
    result, _ = import_answers(store, "imported", path, rehash=True)
    assert result.rehashed == 3 and result.foreign == 0
    assert foreign_hash_warning(result, "imported", path) is None
    binary, choice, manual = store.iter_answers("imported")
    labels = ["spam", "ham"]
    # textcat.teach's questions (learner.make_task) and ner.manual's (task_of)
    h = input_hash({"text": "cheap pills now"})
    assert (binary["_input_hash"], binary["_task_hash"]) == \
        (h, candidate_hash(h, labels, "binary", 0))
    h = input_hash({"text": "see you at noon"})
    assert (choice["_input_hash"], choice["_task_hash"]) == \
        (h, candidate_hash(h, labels, "choice", None))
    question = task_of({"text": "Ada Lovelace wrote"}, TOKENS, None)
    assert (manual["_input_hash"], manual["_task_hash"]) == \
        (question["_input_hash"], question["_task_hash"])
    assert not any(hashes_differ(eg) for eg in (binary, choice, manual))


def test_rehashing_twice_changes_nothing(store, tmp_path):
    path = write(tmp_path / "prodigy.jsonl", PRODIGY_EXPORT)
    import_answers(store, "imported", path, rehash=True)
    again = write(tmp_path / "again.jsonl", list(store.iter_answers("imported")))
    result, _ = import_answers(store, "imported", again, rehash=True)
    assert result.rehashed == 0 and result.duplicates == 3 and result.added == 0


def test_manual_spans_are_not_part_of_the_task_hash():
    eg = {**PRODIGY_EXPORT[2]}
    other = {**eg, "spans": []}
    assert altool_hashes(eg) == altool_hashes(other)
    binary = {**eg, "_view_id": "ner"}  # ner.teach: the span is the question
    assert altool_hashes(binary) != altool_hashes({**binary, "spans": []})


def test_cli_db_in_warns_and_rehashes(cli, tmp_path):
    path = write(tmp_path / "prodigy.jsonl", PRODIGY_EXPORT)
    res = cli("db-in", "plain", path)
    assert res.returncode == 0, res.stderr
    assert "Warning:" in res.stderr and "--rehash" in res.stderr
    res = cli("db-in", "fixed", path, "--rehash")
    assert res.returncode == 0, res.stderr
    assert "3 given altool's hashes" in res.stderr and "Warning" not in res.stderr
    assert "--rehash" in cli("db-in", "--help").stdout
