"""End-to-end: textcat.manual, mark, review, a stdin pipeline and print-dataset, driven in
a real terminal (tmux) as a person would, with the stored answers checked afterwards."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from altool.store import Store
from tests.tmux_driver import ALTOOL, Tmux, env_for

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
STATUS_RE = re.compile(r"^ (\d+) this session · (\d+) in dataset", re.MULTILINE)
TIMEOUT = 40.0  # a slow, shared CI box: a hang fails the test, this is not a timing check


@pytest.fixture
def home(tmp_path: Path) -> Path:
    path = tmp_path / "home"
    path.mkdir()
    return path


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def stored(home: Path, dataset: str) -> list[dict]:
    with Store(home / "altool.db") as store:
        return list(store.iter_answers(dataset)) if store.has_dataset(dataset) else []


def wait_answered(tm: Tmux, n: int, showing: str) -> str:
    """Wait until the status line says ``n`` answers this session and ``showing`` is shown."""

    def ready(screen: str) -> bool:
        match = STATUS_RE.search(screen)
        return match is not None and int(match.group(1)) == n and showing in screen

    return tm.wait_for(ready, timeout=TIMEOUT)


def press(tm: Tmux, steps: list[tuple[str, str]], start: int = 0) -> None:
    """For each (text expected on screen, key): wait for it after the previous key, press."""
    count = start
    for text, key in steps:
        wait_answered(tm, count, text)
        tm.keys(key)
        count += -1 if key in ("u", "BSpace") else 1


def quit_ok(tm: Tmux) -> str:
    tm.keys("q")
    assert tm.wait_exit(timeout=TIMEOUT) == 0, tm.screen(history=True)
    time.sleep(0.2)  # the exit status can be written before tmux has drawn the last output
    screen = tm.screen(history=True)
    assert "Traceback" not in screen
    return screen


def test_textcat_manual_choice(tm, home, tmp_path):
    source = write_jsonl(tmp_path / "t.jsonl",
                         [{"text": f"sentence number {i}"} for i in range(4)])
    tm.start([ALTOOL, "textcat.manual", "topics", str(source), "--label", "World,Sports,Tech"],
             env=env_for(home))
    screen = wait_answered(tm, 0, "sentence number 0")
    assert "Which label?" in screen and "2  Sports" in screen
    assert "(digit picks)" in screen and "guess" not in screen  # no model, so no guess to accept
    assert screen.splitlines()[0].startswith("textcat.manual · topics")
    press(tm, [("sentence number 0", "2"), ("sentence number 1", "x"),
               ("sentence number 2", "u"), ("sentence number 1", "1")])
    wait_answered(tm, 2, "sentence number 2")
    out = quit_ok(tm)
    assert "saved 2 answers this session to topics" in out
    rows = stored(home, "topics")
    assert [(r["text"], r["answer"], r["accept"]) for r in rows] == [
        ("sentence number 0", "accept", ["Sports"]), ("sentence number 1", "accept", ["World"])]
    # a second session resumes after the answered texts
    tm.close()
    again = Tmux(tmp_path, name="again")
    try:
        again.start([ALTOOL, "textcat.manual", "topics", str(source), "--label", "World,Tech"],
                    env=env_for(home))
        wait_answered(again, 0, "sentence number 2")
        quit_ok(again)
    finally:
        again.close()


def test_mark_text_view(tm, home, tmp_path):
    source = write_jsonl(tmp_path / "t.jsonl", [
        {"text": "first task", "label": "X", "meta": {"id": "one"}},
        {"text": "second task"}, {"text": "third task"}])
    tm.start([ALTOOL, "mark", "marked", str(source)], env=env_for(home))
    screen = wait_answered(tm, 0, "first task")
    assert "Accept, reject or ignore?" in screen and "id: one" in screen
    press(tm, [("first task", "a"), ("second task", "Space"), ("third task", "x")])
    wait_answered(tm, 3, "No more questions")
    quit_ok(tm)
    rows = stored(home, "marked")
    assert [(r["text"], r.get("label"), r["answer"]) for r in rows] == [
        ("first task", "X", "accept"), ("second task", None, "ignore"),
        ("third task", None, "reject")]


def test_review_side_by_side(tm, home, tmp_path):
    rows1 = [{"text": "is it spam", "label": "spam", "answer": "accept", "_session_id": "s-ann1"},
             {"text": "which topic", "options": [{"id": "A"}, {"id": "B"}], "accept": ["A"],
              "answer": "accept", "_session_id": "s-ann1"},
             {"text": "agreed", "label": "spam", "answer": "reject"}]
    rows2 = [{"text": "is it spam", "label": "spam", "answer": "reject", "_session_id": "s-ann2"},
             {"text": "which topic", "options": [{"id": "A"}, {"id": "B"}], "accept": ["B"],
              "answer": "accept", "_session_id": "s-ann2"},
             {"text": "agreed", "label": "spam", "answer": "reject"}]
    with Store(home / "altool.db") as store:
        store.add_answers("ann1", rows1)
        store.add_answers("ann2", rows2)
    tm.start([ALTOOL, "review", "final", "--from", "ann1,ann2"], env=env_for(home),
             size=(100, 24))
    screen = wait_answered(tm, 0, "is it spam")
    assert "Answers conflict" in screen and "a accepts spam" in screen
    version_rows = [line for line in screen.splitlines() if re.match(r"\s*[12]\s+(accept|reject)",
                                                                     line)]
    assert len(version_rows) == 2
    assert "accept" in version_rows[0] and "ann1 · s-ann1" in version_rows[0]
    assert "reject" in version_rows[1] and "ann2 · s-ann2" in version_rows[1]
    tm.keys("2")
    screen = wait_answered(tm, 1, "which topic")
    assert " A " in screen and " B " in screen
    tm.keys("a")  # no shared label: refused with a hint, nothing stored
    tm.wait_for("Pick a version with 1-2", timeout=TIMEOUT)
    tm.keys("1")
    wait_answered(tm, 2, "No more questions")
    quit_ok(tm)
    final = {r["text"]: r for r in stored(home, "final")}
    assert set(final) == {"is it spam", "which topic"}
    assert final["is it spam"]["answer"] == "reject" and final["is it spam"]["label"] == "spam"
    assert final["which topic"]["accept"] == ["A"]


def test_stdin_pipeline_example_recipe(tm, home, tmp_path):
    source = write_jsonl(tmp_path / "t.jsonl", [{"text": "keep me"}, {"text": "drop me"},
                                               {"text": "keep this too"}])
    recipe = ROOT / "recipes" / "stdin_mark.py"
    tm.start(f"grep keep {source} | {ALTOOL} -F {recipe} stdin.mark kept -", env=env_for(home))
    press(tm, [("keep me", "a"), ("keep this too", "x")])
    wait_answered(tm, 2, "No more questions")
    quit_ok(tm)
    assert [(r["text"], r["answer"]) for r in stored(home, "kept")] == [
        ("keep me", "accept"), ("keep this too", "reject")]


def test_print_dataset_pages_in_a_terminal(tm, home, tmp_path):
    with Store(home / "altool.db") as store:
        store.add_answers("ann", [{"text": f"example text {i}", "label": "spam",
                                   "answer": "accept"} for i in range(30)])
    if shutil.which("less") is None:
        pytest.skip("less is not installed")
    tm.start([ALTOOL, "print-dataset", "ann"], env=env_for(home))  # no $PAGER: less -R
    screen = tm.wait_for("example text 0", timeout=TIMEOUT)
    assert "example text 29" not in screen  # one page at a time
    assert tm.alive()
    assert "[1m" not in screen and "ESC" not in screen  # colours drawn, not shown as codes
    assert "\x1b[" in tm.screen(ansi=True)
    tm.keys("q")
    assert tm.wait_exit(timeout=TIMEOUT) == 0


def test_slow_command_on_stdin_never_freezes_the_screen(tm, home, tmp_path):
    recipe = ROOT / "recipes" / "stdin_mark.py"
    first, second = json.dumps({"text": "first line"}), json.dumps({"text": "second line"})
    release = tmp_path / "release"
    # the producer prints one line, then waits (until the test creates the release file)
    producer = (f"(echo '{first}'; while [ ! -e {release} ]; do sleep 0.1; done; "
                f"echo '{second}')")
    tm.start(f"{producer} | {ALTOOL} -F {recipe} stdin.mark slow -", env=env_for(home))
    press(tm, [("first line", "a")])
    wait_answered(tm, 1, "Waiting for the next question")
    tm.keys("u")  # keys still work while the producer is silent
    wait_answered(tm, 0, "first line")
    tm.keys("x")
    wait_answered(tm, 1, "Waiting for the next question")
    release.touch()
    press(tm, [("second line", "a")], start=1)
    wait_answered(tm, 2, "No more questions")
    quit_ok(tm)
    assert [(r["text"], r["answer"]) for r in stored(home, "slow")] == [
        ("first line", "reject"), ("second line", "accept")]


def test_named_annotators_label_one_dataset_and_agree_or_not(tm, home, tmp_path):
    """--annotator NAME (any recipe): answers carry _annotator_id and the session id
    DATASET-NAME; two people labelling into their own datasets are compared by agreement."""
    source = write_jsonl(tmp_path / "t.jsonl",
                         [{"text": f"sentence number {i}"} for i in range(3)])
    for name, keys in (("alex", ["1", "2", "1"]), ("sam", ["1", "1", "1"])):
        runner = Tmux(tmp_path, name=name)
        try:
            runner.start([ALTOOL, "textcat.manual", f"t-{name}", str(source), "--label",
                          "World,Sports", "--annotator", name], env=env_for(home))
            press(runner, [(f"sentence number {i}", k) for i, k in enumerate(keys)])
            wait_answered(runner, 3, "No more questions")
            quit_ok(runner)
        finally:
            runner.close()
    rows = stored(home, "t-alex")
    assert {(r["_annotator_id"], r["_session_id"]) for r in rows} == {("t-alex-alex",
                                                                       "t-alex-alex")}
    out = subprocess.run([ALTOOL, "agreement", "t-alex,t-sam", "--json"], env=env_for(home),
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    kappa = json.loads(out.stdout)["figures"][0]
    assert kappa["what"] == "kappa t-alex-alex ~ t-sam-sam" and kappa["texts"] == 3
    bad = subprocess.run([ALTOOL, "textcat.manual", "x", str(source), "--label", "A,B",
                          "--annotator", "-x"], env=env_for(home), capture_output=True,
                         text=True, timeout=60)
    assert bad.returncode in (1, 2) and "Traceback" not in bad.stderr
