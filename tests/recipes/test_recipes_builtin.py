"""The built-in recipes textcat.manual, mark, review and print-dataset, without a terminal:
the recipe functions are called as the CLI would, and their sessions driven directly."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from rich.text import Text

from altool.errors import AltoolError
from altool.recipes import RECIPES, load_builtin_recipes
from altool.recipes.runner import session_from_components
from altool.store.context import open_store
from altool.store.review import find_conflicts, resolution
from altool.ui.render import highlighted_text, label_style, labels_text

load_builtin_recipes()


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


@pytest.fixture
def texts(tmp_path: Path) -> Path:
    return write_jsonl(tmp_path / "texts.jsonl",
                       [{"text": f"text {i}", "meta": {"id": i}} for i in range(5)])


def start(name: str, **kwargs):
    """Run recipe ``name`` as the CLI does and open its session on the default database."""
    components = RECIPES[name].func(**kwargs)
    store = open_store()
    session = session_from_components(components, store)
    session.advance()
    return session, store


# -- textcat.manual ------------------------------------------------------------------------------
def test_manual_choice_in_source_order_and_resumes(home, texts):
    session, store = start("textcat.manual", dataset="ds", source=str(texts), label="A,B,C")
    assert session.view == "choice" and session.labels == ["A", "B", "C"]
    task = session.current.task
    assert task["text"] == "text 0" and [o["id"] for o in task["options"]] == ["A", "B", "C"]
    session.answer("accept", ["B"])
    session.answer("reject")
    session.close()
    store.close()
    again, store = start("textcat.manual", dataset="ds", source=str(texts), label="A,B")
    assert again.current.task["text"] == "text 2"  # other labels, same text: still answered
    stored = list(store.iter_answers("ds"))
    assert [(eg["text"], eg["answer"], eg["accept"]) for eg in stored] == [
        ("text 0", "accept", ["B"]), ("text 1", "reject", [])]
    store.close()


def test_manual_one_label_is_binary(home, texts):
    session, store = start("textcat.manual", dataset="ds", source=str(texts), label="spam",
                           multilabel=False)
    assert session.view == "binary" and session.current.task["label"] == "spam"
    session.answer("accept")
    [eg] = store.iter_answers("ds")
    assert eg["label"] == "spam" and eg["answer"] == "accept" and "accept" not in eg
    store.close()


def test_manual_reads_a_stored_source(home, texts):
    with open_store() as store:
        from altool.store.ingest import load_file

        load_file(store, "mine", str(texts))
    session, store = start("textcat.manual", dataset="ds", source="mine", label="A,B")
    assert session.current.task["meta"] == {"id": 0}
    store.close()


def test_manual_needs_labels(home, texts):
    with pytest.raises(AltoolError, match="--label needs at least one label"):
        RECIPES["textcat.manual"].func(dataset="ds", source=str(texts), label=" , ")


# -- mark ----------------------------------------------------------------------------------------
def test_mark_shows_tasks_as_they_are(home, tmp_path):
    source = write_jsonl(tmp_path / "t.jsonl", [{"text": "a", "label": "X"}, {"text": "b"}])
    session, store = start("mark", dataset="m", source=str(source), view="text", set_label=None)
    assert session.view == "text" and session.current.task["label"] == "X"
    session.answer("reject")
    session.answer("accept")
    assert [(eg["text"], eg.get("label"), eg["answer"]) for eg in store.iter_answers("m")] == [
        ("a", "X", "reject"), ("b", None, "accept")]
    store.close()


def test_mark_label_and_view_options(home, texts):
    session, store = start("mark", dataset="m", source=str(texts), view="binary", set_label="Y")
    assert session.view == "binary" and session.current.task["label"] == "Y"
    store.close()
    with pytest.raises(AltoolError, match="--view must be text or binary"):
        RECIPES["mark"].func(dataset="m", source=str(texts), view="choice", set_label=None)


# -- review --------------------------------------------------------------------------------------
def add(store, dataset: str, session: str, **eg) -> None:
    store.add_answer(dataset, {"text": "t", **eg}, session)


@pytest.fixture
def conflicts(home):
    """Two annotators' datasets: 'same' agrees, 'spam?' and 'topic' conflict."""
    with open_store() as store:
        add(store, "ann1", "s1", text="same", label="spam", answer="accept")
        add(store, "ann2", "s2", text="same", label="spam", answer="accept")
        add(store, "ann1", "s1", text="spam?", label="spam", answer="accept")
        add(store, "ann2", "s2", text="spam?", label="spam", answer="reject")
        add(store, "ann2", "s3", text="spam?", label="spam", answer="reject")
        options = [{"id": "A"}, {"id": "B"}]
        add(store, "ann1", "s1", text="topic", options=options, accept=["A"], answer="accept")
        add(store, "ann2", "s2", text="topic", options=options, accept=["B"], answer="accept")
        add(store, "ann2", "s2", text="skipped", label="spam", answer="ignore")
        add(store, "ann1", "s1", text="skipped", label="spam", answer="accept")


def test_find_conflicts_groups_versions_and_who_said_them(conflicts):
    with open_store() as store:
        tasks = find_conflicts(store, ["ann1", "ann2"])
    assert [t["text"] for t in tasks] == ["spam?", "topic"]
    binary, choice = tasks
    assert binary["label"] == "spam" and "options" not in binary
    assert [(v["answer"], [(s["dataset"], s["session"]) for s in v["sources"]])
            for v in binary["versions"]] == [
        ("accept", [("ann1", "s1")]), ("reject", [("ann2", "s2"), ("ann2", "s3")])]
    assert [v["accept"] for v in choice["versions"]] == [["A"], ["B"]]
    assert "label" not in choice and choice["options"] == [{"id": "A"}, {"id": "B"}]


def test_conflicts_between_sessions_of_one_dataset(home):
    with open_store() as store:
        add(store, "ds", "monday", label="X", answer="accept")
        add(store, "ds", "tuesday", label="X", answer="reject")
        [task] = find_conflicts(store, ["ds"])
    assert [v["sources"][0]["session"] for v in task["versions"]] == ["monday", "tuesday"]


def test_resolution_keys(conflicts):
    with open_store() as store:
        binary, choice = find_conflicts(store, ["ann1", "ann2"])
    assert resolution(binary, "a") == ("accept", {})
    assert resolution(binary, "x") == ("reject", {})
    answer, fields = resolution(choice, "2")
    assert answer == "accept" and fields["accept"] == ["B"]
    assert fields["_task_hash"] == choice["versions"][1]["_task_hash"]
    assert resolution(choice, "x") == ("reject", {"accept": []})
    with pytest.raises(AltoolError, match="Pick a version with 1-2"):
        resolution(choice, "a")
    with pytest.raises(AltoolError, match="No version 3 here"):
        resolution(choice, "3")


def resolve(session, key: str) -> None:
    answer, fields = resolution(session.current.task, key)
    session.answer(answer, fields=fields)


def test_review_stores_the_chosen_version_and_resumes(conflicts):
    session, store = start("review", dataset="final", from_="ann1,ann2")
    assert session.view == "review" and session.current.task["text"] == "spam?"
    resolve(session, "2")  # reject, as ann2 said
    session.close()
    store.close()
    again, store = start("review", dataset="final", from_="ann1, ann2")
    assert again.current.task["text"] == "topic"
    resolve(again, "1")
    assert again.finished
    stored = {eg["text"]: eg for eg in store.iter_answers("final")}
    assert stored["spam?"]["answer"] == "reject" and stored["spam?"]["label"] == "spam"
    assert stored["topic"]["accept"] == ["A"] and len(stored["topic"]["versions"]) == 2
    assert stored["topic"]["_task_hash"] == stored["topic"]["versions"][0]["_task_hash"]
    store.close()


def test_review_errors(conflicts):
    review = RECIPES["review"].func
    with pytest.raises(AltoolError, match="not in 'ann1'"):
        review(dataset="ann1", from_="ann1,ann2")
    with pytest.raises(AltoolError, match="no dataset 'nope'|nope"):
        review(dataset="final", from_="ann1,nope")
    with pytest.raises(AltoolError, match="--from needs at least one dataset"):
        review(dataset="final", from_=",")


# -- print-dataset and rendering -----------------------------------------------------------------
def test_print_dataset_plain_when_piped(cli, tmp_path):
    rows = [{"text": "Apple hires Tim", "answer": "accept",
             "spans": [{"start": 0, "end": 5, "label": "ORG"}], "meta": {"id": "n1"}},
            {"text": "second", "options": [{"id": "A"}], "accept": ["A"], "answer": "accept"},
            {"text": "third", "label": "spam", "answer": "reject"}]
    file = write_jsonl(tmp_path / "ann.jsonl", rows)
    assert cli("db-in", "ann", file).returncode == 0
    result = cli("print-dataset", "ann")
    assert result.returncode == 0, result.stderr
    assert "\x1b[" not in result.stdout  # plain text when piped
    lines = result.stdout.splitlines()
    assert lines[0] == "#1  accept  1 span  n1"
    assert lines[1] == "Apple ORG hires Tim"
    assert "#2  accept   A " in result.stdout and "#3  reject   spam " in result.stdout
    limited = cli("print-dataset", "ann", "--limit", "1", "--answer", "accept")
    assert limited.stdout.count("#") == 1
    none = cli("print-dataset", "ann", "--answer", "ignore")
    assert none.returncode == 0 and none.stdout == ""
    assert "ann has no answers with answer ignore" in none.stderr
    missing = cli("print-dataset", "nope")
    assert missing.returncode == 1 and "nope" in missing.stderr


def test_spans_and_labels_are_coloured_per_label():
    text = highlighted_text({"text": "Apple in Paris", "spans": [
        {"start": 0, "end": 5, "label": "ORG"}, {"start": 9, "end": 14, "label": "LOC"}]})
    styles = {text.plain[s.start:s.end]: str(s.style) for s in text.spans}
    assert label_style("ORG") in styles["Apple"] and label_style("LOC") in styles["Paris"]
    assert label_style("ORG") == label_style("ORG")
    badge: Text = labels_text({"answer": "accept", "accept": ["ORG"]})
    assert badge.plain == "accept   ORG "
