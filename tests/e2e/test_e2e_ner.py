"""End-to-end: ``ner.manual`` and ``ner.correct`` driven in tmux with keystrokes, the stored
spans checked character by character; their input errors through the real CLI."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from rich.cells import cell_len

from altool.cli import main
from altool.errors import AltoolError
from altool.recipes.ner_manual import ner_correct, ner_manual
from altool.store import Store, context
from tests.tmux_driver import ALTOOL, Tmux, env_for

START_TIMEOUT = 60.0  # importing spaCy on a busy 2-core box
TEXTS = [
    {"text": "Acme Corp hired Zoë Ünal in Berlin.", "meta": {"id": "t1"}},
    {"text": "👍🏽 Ms. Ng flew from 東京 to ACME today.", "meta": {"id": "t2"}},
    {"text": "Nothing to see here.", "meta": {"id": "t3"}},
]
PATTERNS = [
    {"label": "ORG", "pattern": [{"lower": "acme"}, {"lower": "corp", "OP": "?"}]},
    {"label": "LOC", "pattern": "Berlin"},
]


def write_jsonl(path: Path, rows: list) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows),
                    encoding="utf-8")
    return path


def stored(home: Path, dataset: str = "ds") -> list[dict]:
    with Store(home / "altool.db") as store:
        return list(store.iter_answers(dataset))


def spans_of(eg: dict) -> list[tuple[int, int, str, str]]:
    return [(s["start"], s["end"], eg["text"][s["start"]:s["end"]], s["label"])
            for s in eg["spans"]]


def press(tm: Tmux, *keys: str) -> None:
    tm.keys(*keys, delay=0.15)


def finish(tm: Tmux) -> str:
    tm.wait_for("No more questions")
    tm.keys("q")
    assert tm.wait_exit(timeout=30) == 0
    screen = tm.screen(history=True)
    assert "Traceback" not in screen and "Unexpected error" not in screen
    return screen


@pytest.mark.e2e
def test_ner_manual_edit_spans_with_keys(tm: Tmux, tmp_path: Path) -> None:
    home = tmp_path / "home"
    texts = write_jsonl(tmp_path / "texts.jsonl", TEXTS)
    patterns = write_jsonl(tmp_path / "patterns.jsonl", PATTERNS)
    latency = tmp_path / "latency.log"
    tm.start([ALTOOL, "ner.manual", "ds", str(texts), "--label", "PER,ORG,LOC", "--patterns",
              str(patterns)], env=env_for(home, ALTOOL_LATENCY_LOG=str(latency)), size=(80, 24))

    # text 1: the patterns pre-highlight Acme Corp and Berlin; add Zoë Ünal as PER
    screen = tm.wait_for("token 1/8: Acme", timeout=START_TIMEOUT)
    assert "Acme Corp ORG hired Zoë Ünal in Berlin LOC." in screen
    assert "1 PER   2 ORG   3 LOC" in screen
    lines = tm.lines()
    assert len(lines) == 24 and all(cell_len(line) <= 80 for line in lines)
    press(tm, "Right", "Right", "Right", "S-Right")
    tm.wait_for("selected 2 tokens: Zoë Ünal")
    press(tm, "1")
    tm.wait_for("Zoë Ünal PER in")
    press(tm, "a")

    # text 2: 東京 as LOC with v-mode selection of one token, drop the ACME match, then
    # select "Ms. Ng" with v and movement, undo one edit, reject
    tm.wait_for("token 1/11: 👍")
    press(tm, "Right", "Right", "v", "Right")
    tm.wait_for("selected 2 tokens: Ms. Ng")
    press(tm, "1")
    tm.wait_for("Ms. Ng PER")
    press(tm, "Right", "Right", "Right", "3", "End", "Left", "Left", "d")
    tm.wait_for("東京 LOC to ACME today")
    press(tm, "Left", "2", "u")  # label ACME again, then undo that edit
    tm.wait_for("東京 LOC to ACME today")
    press(tm, "x")

    # text 3: nothing to mark; ignore it, undo that, accept it instead
    tm.wait_for("token 1/5: Nothing")
    press(tm, "Space")
    tm.wait_for("No more questions")
    press(tm, "u")
    tm.wait_for("token 1/5: Nothing")
    press(tm, "a")
    finish(tm)

    rows = stored(home)
    assert [(r["meta"]["id"], r["answer"]) for r in rows] == \
        [("t1", "accept"), ("t2", "reject"), ("t3", "accept")]
    assert spans_of(rows[0]) == [(0, 9, "Acme Corp", "ORG"), (16, 24, "Zoë Ünal", "PER"),
                                 (28, 34, "Berlin", "LOC")]
    t2 = TEXTS[1]["text"]
    assert spans_of(rows[1]) == [(t2.index("Ms."), t2.index("Ms.") + 6, "Ms. Ng", "PER"),
                                 (t2.index("東京"), t2.index("東京") + 2, "東京", "LOC")]
    assert rows[2]["spans"] == []
    for row in rows:  # tokens in Prodigy's format, character offsets into the text
        assert [t["id"] for t in row["tokens"]] == list(range(len(row["tokens"])))
        assert all(row["text"][t["start"]:t["end"]] == t["text"] for t in row["tokens"])
        for s in row["spans"]:
            assert row["tokens"][s["token_start"]]["start"] == s["start"]
            assert row["tokens"][s["token_end"]]["end"] == s["end"]
    assert latency.read_text().split()  # every key press was timed to its redraw
    check_round_trip(home / "altool.db", tmp_path)


def check_round_trip(db: Path, tmp_path: Path) -> None:
    """``db-out`` of the NER dataset, ``db-in`` of that file, ``db-out`` again: same lines."""
    first, second = tmp_path / "first.jsonl", tmp_path / "second.jsonl"
    try:
        for args in (["db-out", "ds", str(first)], ["db-in", "copy", str(first)],
                     ["db-out", "copy", str(second)]):
            with pytest.raises(SystemExit) as done:
                main(["--db", str(db), *args])
            assert done.value.code == 0, args
    finally:
        context.set_db_path(None)
    lines = first.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 3 and second.read_text(encoding="utf-8").splitlines() == lines


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


@pytest.mark.e2e
def test_ner_teach_binary_answers_store_the_span_shown(tm: Tmux, tmp_path: Path) -> None:
    """ner.teach (the ner view): what was highlighted on screen is what is stored."""
    home = tmp_path / "home"
    rows = [{"text": f"{who} flew to {where} on day {i}.", "meta": {"id": f"n{i}"}}
            for i, (who, where) in enumerate([("Zoë Ünal", "Berlin"), ("Ann Lee", "東京"),
                                              ("Bo Ek", "Oslo"), ("Cy Ng", "Paris")])]
    texts = write_jsonl(tmp_path / "texts.jsonl", rows)
    patterns = write_jsonl(tmp_path / "patterns.jsonl", [
        {"label": "LOC", "pattern": [{"lower": {"IN": ["berlin", "東京", "oslo", "paris"]}}]},
        {"label": "PER", "pattern": [{"lower": "zoë"}, {"lower": "ünal"}]},
    ])
    tm.start([ALTOOL, "ner.teach", "ds", str(texts), "--label", "PER,LOC", "--patterns",
              str(patterns), "--seed", "0"], env=env_for(home), size=(80, 24))
    seen = []
    for i, key in enumerate(["a", "x", "a"]):
        screen = tm.wait_for(lambda s, i=i: "Is the highlighted span" in s
                             and f" {i} this session" in s, timeout=START_TIMEOUT)
        label = re.search(r"Is the highlighted span  (\w+) \?", screen).group(1)
        ident = re.search(r"id: (n\d)", screen).group(1)
        seen.append((ident, label, screen))
        press(tm, key)
    tm.wait_for(" 3 this session")
    tm.keys("q")
    assert tm.wait_exit(timeout=30) == 0
    stored_rows = stored(home)
    assert [(r["meta"]["id"], r["answer"]) for r in stored_rows] == \
        [(ident, answer) for (ident, _, _), answer in zip(seen, ["accept", "reject", "accept"],
                                                           strict=True)]
    for row, (_, label, screen) in zip(stored_rows, seen, strict=True):
        [span] = row["spans"]
        assert span["label"] == label
        assert squash(f"{row['text'][span['start']:span['end']]} {label}") in squash(screen)
        assert row["tokens"][span["token_start"]]["start"] == span["start"]
        assert row["tokens"][span["token_end"]]["end"] == span["end"]


@pytest.fixture(scope="module")
def tiny_pipeline(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A blank English pipeline with an ner component trained for a few steps, on disk."""
    import spacy
    from spacy.training import Example

    spacy.util.fix_random_seed(0)
    nlp = spacy.blank("en")
    nlp.add_pipe("ner")
    train = [("Acme Corp hired Zoë Ünal in Berlin.", [(0, 9, "ORG"), (28, 34, "LOC")]),
             ("Globex hired Ann in Paris.", [(0, 6, "ORG"), (20, 25, "LOC")])]
    examples = [Example.from_dict(nlp.make_doc(t), {"entities": e}) for t, e in train]
    optimizer = nlp.initialize(lambda: examples)
    for _ in range(30):
        nlp.update(examples, sgd=optimizer, drop=0.0)
    path = tmp_path_factory.mktemp("pipeline") / "tiny_ner"
    nlp.to_disk(path)
    return path


@pytest.mark.e2e
def test_ner_correct_shows_predictions_and_stores_the_fix(tm: Tmux, tmp_path: Path,
                                                         tiny_pipeline: Path) -> None:
    import spacy

    home = tmp_path / "home"
    texts = write_jsonl(tmp_path / "texts.jsonl", TEXTS[:1])
    doc = spacy.load(tiny_pipeline)(TEXTS[0]["text"])
    predicted = [(e.start_char, e.end_char, e.text, e.label_) for e in doc.ents
                 if e.label_ in ("ORG", "LOC")]
    assert predicted, "the tiny pipeline learned nothing: the test would show nothing"
    tm.start([ALTOOL, "ner.correct", "ds", str(texts), "--label", "PER,ORG,LOC", "--model",
              str(tiny_pipeline)], env=env_for(home), size=(80, 24))
    screen = tm.wait_for("token 1/8", timeout=START_TIMEOUT)
    for _, _, text, label in predicted:
        assert f"{text} {label}" in screen
    press(tm, "Right", "Right", "Right", "S-Right", "1", "a")  # add the PER the model missed
    finish(tm)
    [row] = stored(home)
    assert row["answer"] == "accept"
    assert spans_of(row) == sorted([*predicted, (16, 24, "Zoë Ünal", "PER")])


def test_ner_manual_bad_patterns_exit_1_with_file_and_line(cli, tmp_path: Path) -> None:
    texts = write_jsonl(tmp_path / "texts.jsonl", TEXTS)
    bad = write_jsonl(tmp_path / "bad.jsonl", [PATTERNS[0], {"label": "X",
                                                             "pattern": [{"lowr": "x"}]}])
    res = cli("ner.manual", "ds", texts, "--label", "PER", "--patterns", bad)
    assert res.returncode == 1
    assert f"{bad}:2: invalid token pattern" in res.stderr and "lowr" in res.stderr
    assert "Traceback" not in res.stderr


def test_recipe_argument_errors(home: Path, tmp_path: Path) -> None:
    import spacy

    texts = str(write_jsonl(tmp_path / "texts.jsonl", TEXTS))
    with pytest.raises(AltoolError, match="--label has 10 labels"):
        ner_manual("ds", texts, ",".join("ABCDEFGHIJ"))
    with pytest.raises(AltoolError, match="--lang 'zz'"):
        ner_manual("ds", texts, "PER", lang="zz")
    with pytest.raises(AltoolError, match="not an installed spaCy pipeline"):
        ner_correct("ds", texts, "PER", model="no_such_pipeline_xyz")
    blank = tmp_path / "blank"
    spacy.blank("en").to_disk(blank)
    with pytest.raises(AltoolError, match="has no ner or entity_ruler component"):
        ner_correct("ds", texts, "PER", model=str(blank))


def test_ner_correct_stream_holds_the_pipelines_entities(tiny_pipeline: Path) -> None:
    from altool.recipes.ner_manual import load_pipeline, predicted_tasks

    nlp = load_pipeline(str(tiny_pipeline))
    text = TEXTS[0]["text"]
    [task] = predicted_tasks([dict(TEXTS[0])], nlp, ["LOC"])
    doc = nlp(text)
    assert task["spans"] == [{"start": e.start_char, "end": e.end_char, "token_start": e.start,
                              "token_end": e.end - 1, "label": "LOC"}
                             for e in doc.ents if e.label_ == "LOC"]
    assert [t["text"] for t in task["tokens"]] == [t.text for t in doc]


def test_ner_manual_resumes_after_the_texts_already_answered(home: Path, tmp_path: Path) -> None:
    from altool.recipes.runner import session_from_components
    from altool.store.context import open_store

    texts = str(write_jsonl(tmp_path / "texts.jsonl", TEXTS))
    patterns = str(write_jsonl(tmp_path / "patterns.jsonl", PATTERNS))
    with open_store() as store:
        session = session_from_components(ner_manual("ds", texts, "ORG", patterns=patterns),
                                          store)
        session.advance()
        assert session.current.task["meta"]["id"] == "t1"
        session.answer("accept", fields={"spans": []})  # the pattern match removed by hand
        session.close()
        # patterns changed: the task hash of t1 changes, but its text is answered already
        again = session_from_components(ner_manual("ds", texts, "ORG,LOC", patterns=patterns,
                                                   add_labels=True), store)
        again.advance()
        assert again.current.task["meta"]["id"] == "t2"
        again.close()
        [eg] = store.iter_answers("ds")
    assert eg["spans"] == [] and eg["tokens"][0] == {"text": "Acme", "start": 0, "end": 4,
                                                     "id": 0}


@pytest.mark.e2e
def test_ner_manual_moves_over_blank_lines_and_pages_a_long_text(tm: Tmux, tmp_path: Path
                                                                 ) -> None:
    """↓ passes the blank lines between paragraphs; PgDn, G and g move the cursor a page, to
    the end and back (as a person presses them, through prompt_toolkit's key bindings)."""
    home = tmp_path / "home"
    text = "\n\n".join(f"Para{i} starts here." for i in range(200))
    texts = write_jsonl(tmp_path / "long.jsonl", [{"text": text}])
    tm.start([ALTOOL, "ner.manual", "ds", str(texts), "--label", "PER,ORG"],
             env=env_for(home), size=(80, 24))
    tm.wait_for("token 1/800: Para0", timeout=START_TIMEOUT)
    press(tm, "Down")
    tm.wait_for("token 5/800: Para1")  # past the blank line
    press(tm, "PageDown")
    screen = tm.wait_for(re.compile(r"lines \d\d?-\d+ of 399"))
    assert "lines 1-" not in screen
    press(tm, "G")
    screen = tm.wait_for("token 800/800: .")
    assert "Para199 starts here." in screen and "lines 383-399 of 399" in screen
    press(tm, "g")
    tm.wait_for("token 1/800: Para0")
    lines = tm.lines()
    assert lines[1].startswith("╭") and any(line.startswith("╰") for line in lines)
    press(tm, "q")
    assert tm.wait_exit(timeout=30) == 0
