"""End-to-end: drive the real ``altool textcat.teach`` UI in tmux, as a person would.

Every test runs the installed ``altool`` binary on its own ``ALTOOL_HOME`` inside a private
tmux server (see ``tmux_driver.py``), reads the screen with ``capture-pane``, presses keys with
``send-keys`` and checks the SQLite store afterwards. Before every key press the test waits
until the screen shows a question *and* the status line's "N this session" count says the
previous key has been handled, then records the question on screen (its text, its
``meta.id`` from the panel's subtitle, and the model score), so the stored answers can be
matched against what the annotator actually saw.
"""

from __future__ import annotations

import json
import re
import shlex
import signal
import subprocess
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest
from rich.cells import cell_len

from altool.store import Store
from tests.tmux_driver import ALTOOL, Tmux, env_for

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
SMS = ROOT / "sample_data" / "sms_spam.jsonl"
COLS, ROWS = 80, 24
START_TIMEOUT = 40.0  # first question: load 2,000 SMS, start the worker (slow CI box)
ANSWER_OF = {"a": "accept", "x": "reject", "Space": "ignore"}

STATUS_RE = re.compile(r"^ (\d+) this session · (\d+) in dataset")
SUBTITLE_RE = re.compile(r"id: ([\w-]+)")
# control characters (but \t \n \r) are drawn as U+FFFD: they must not reach the terminal
CONTROL_RE = re.compile("[\x00-\x08\x0b-\x0c\x0e-\x1f\x7f-\x9f]")


# -- reading the screen --------------------------------------------------------------------------
@dataclass
class Shown:
    """A question as it was on screen."""

    id: str
    text: str  # the panel's text, lines joined
    prompt: str  # the line under the panel ("Does  spam  apply? ..." / "Which label? ...")
    score: float | None  # "model score 0.53"; None for "no model yet"
    subtitle: str = ""  # the panel's bottom border: "id: sms-0001 · ..."


def squash(text: str) -> str:
    """Text as drawn, without any whitespace: compare wrapped screen text with stored text."""
    return re.sub(r"\s+", "", CONTROL_RE.sub("\ufffd", text))


def parse_question(screen: str) -> Shown | None:
    lines = screen.split("\n")
    top = next((i for i, line in enumerate(lines) if line.startswith("╭")), None)
    if top is None or " keys " in lines[top]:
        return None
    bottom = next((i for i in range(top + 1, len(lines)) if lines[i].startswith("╰")), None)
    if bottom is None or bottom + 1 >= len(lines):
        return None
    match = SUBTITLE_RE.search(lines[bottom])
    prompt = lines[bottom + 1]
    if match is None or not (prompt.startswith("Does ") or prompt.startswith("Which label?")):
        return None
    body = [line.strip().removeprefix("│").removesuffix("│").strip()
            for line in lines[top + 1 : bottom]]
    score = re.search(r"model score (\d\.\d\d)", prompt)
    return Shown(match.group(1), " ".join(body), prompt, float(score.group(1)) if score else None,
                 lines[bottom])


def status_counts(screen: str) -> tuple[int, int] | None:
    for line in screen.split("\n"):
        match = STATUS_RE.match(line)
        if match:
            return int(match.group(1)), int(match.group(2))
    return None


def status_line(screen: str) -> str:
    return next((line for line in screen.split("\n") if STATUS_RE.match(line)), "")


def wait_question(tm: Tmux, answered: int, timeout: float = 15.0) -> Shown:
    """Wait until the UI shows a question with ``answered`` answers this session; return it."""

    def ready(screen: str) -> bool:
        counts = status_counts(screen)
        return parse_question(screen) is not None and counts is not None and \
            counts[0] == answered

    return parse_question(tm.wait_for(ready, timeout=timeout))  # type: ignore[return-value]


def answer_keys(tm: Tmux, keys: list[str], start: int = 0, timeout: float = 15.0) -> list[Shown]:
    """Press ``keys`` one per question, recording what was on screen before each press."""
    shown = []
    for i, key in enumerate(keys):
        shown.append(wait_question(tm, start + i, timeout=START_TIMEOUT if i == 0 else timeout))
        tm.keys(key)
    wait_question(tm, start + len(keys))
    return shown


# -- running altool ------------------------------------------------------------------------------
@pytest.fixture
def home(tmp_path: Path) -> Path:
    path = tmp_path / "home"
    path.mkdir()
    return path


def teach(*args: str) -> list[str]:
    return [ALTOOL, "textcat.teach", *args]


def stored(home: Path, dataset: str = "d") -> list[dict]:
    with Store(home / "altool.db") as store:
        if not store.has_dataset(dataset):
            return []
        return list(store.iter_answers(dataset))


def check_matches(rows: list[dict], shown: list[Shown], keys: list[str]) -> None:
    """Stored answers, oldest first, are the questions shown, with the keys' answers."""
    assert [r["meta"]["id"] for r in rows] == [s.id for s in shown]
    for row, seen, key in zip(rows, shown, keys, strict=True):
        assert squash(row["text"]) == squash(seen.text), (row["text"], seen.text)
        assert row["answer"] == ANSWER_OF[key]


def quit_and_check(tm: Tmux, key: str = "q") -> str:
    tm.keys(key)
    status = tm.wait_exit()
    time.sleep(0.2)  # the exit status file can be written before tmux has drawn the last output
    screen = tm.screen(history=True)
    assert status == 0, screen
    assert "Traceback" not in screen
    return screen


# -- 1. a basic session ---------------------------------------------------------------------------
def test_basic_session_stores_what_was_shown(tm: Tmux, home: Path, tmp_path: Path) -> None:
    latency = tmp_path / "latency.txt"
    tm.start(teach("d", str(SMS), "--label", "spam", "--batch-size", "5"),
             env=env_for(home, ALTOOL_LATENCY_LOG=str(latency)), size=(COLS, ROWS))
    wait_question(tm, 0, timeout=START_TIMEOUT)

    # the screen fits 80x24 and shows the question, the status line and the key hints
    assert tm.size() == (COLS, ROWS)
    lines = tm.lines()
    assert len(lines) == ROWS
    assert all(cell_len(line) <= COLS for line in lines), lines
    screen = "\n".join(lines)
    q = parse_question(screen)
    assert q is not None and q.prompt.startswith("Does ") and "spam" in q.prompt
    assert "apply?" in q.prompt
    # the status line and the key hints are the last two drawn rows (the UI leaves the very
    # last terminal row blank)
    drawn = [line for line in lines if line.strip()]
    assert STATUS_RE.match(drawn[-2]), drawn[-2]
    assert lines.index(drawn[-1]) >= ROWS - 2, lines
    assert status_counts(screen) == (0, 0)
    for hint in ("a accept", "x reject", "space ignore", "u undo", "q quit", "? help"):
        assert hint in drawn[-1], drawn[-1]
    assert lines[0].startswith("textcat.teach")

    keys = ["a", "x", "Space", "x", "x", "x", "x", "x"]
    t0 = time.time()
    shown = answer_keys(tm, keys)
    final = tm.screen()
    assert status_counts(final) == (len(keys), len(keys))
    assert len({s.id for s in shown}) == len(keys), "a question was shown twice"
    after = quit_and_check(tm, "q")
    assert f"saved {len(keys)} answers" in after

    rows = stored(home)
    assert len(rows) == len(keys)
    check_matches(rows, shown, keys)
    session_ids = {r["_session_id"] for r in rows}
    assert len(session_ids) == 1 and session_ids.pop().startswith("d-")
    for row, seen in zip(rows, shown, strict=True):
        for key in ("text", "label", "answer", "_input_hash", "_task_hash", "_session_id",
                    "_timestamp", "meta"):
            assert key in row, (key, row)
        assert row["label"] == "spam"
        assert isinstance(row["_input_hash"], int) and isinstance(row["_task_hash"], int)
        assert t0 - 5 <= row["_timestamp"] <= time.time() + 5
        assert 0 <= row["_seconds"] <= 120  # question shown to key pressed
        if seen.score is None:
            assert "score" not in row["meta"], row
        else:
            assert row["meta"]["score"] == pytest.approx(seen.score, abs=0.0051)
    assert len({r["_task_hash"] for r in rows}) == len(rows)

    # ALTOOL_LATENCY_LOG: one line per handled key press
    values = [float(v) for v in latency.read_text().split()]
    assert len(values) >= len(keys)
    assert max(values) < 2.0, values


# -- 2. undo --------------------------------------------------------------------------------------
def test_undo_with_u_and_backspace(tm: Tmux, home: Path) -> None:
    tm.start(teach("d", str(SMS), "--label", "spam"), env=env_for(home))
    shown = answer_keys(tm, ["x", "a", "x"])
    assert len(stored(home)) == 3

    tm.keys("u")
    assert wait_question(tm, 2).id == shown[2].id  # the last answered question is asked again
    tm.keys("u")
    again = wait_question(tm, 1)
    assert again.id == shown[1].id
    assert squash(again.text) == squash(shown[1].text)
    rows = stored(home)
    assert [r["meta"]["id"] for r in rows] == [shown[0].id]
    assert rows[0]["answer"] == "reject"

    # answer it again (differently), then take it back with backspace
    tm.keys("Space")
    nxt = wait_question(tm, 2)
    assert [(r["meta"]["id"], r["answer"]) for r in stored(home)] == [
        (shown[0].id, "reject"), (shown[1].id, "ignore")]
    assert nxt.id == shown[2].id  # the undone questions come back in order
    tm.keys("BSpace")
    assert wait_question(tm, 1).id == shown[1].id
    assert [r["meta"]["id"] for r in stored(home)] == [shown[0].id]

    # undo everything, then once more: a message, nothing breaks
    tm.keys("u")
    assert wait_question(tm, 0).id == shown[0].id
    assert stored(home) == []
    tm.keys("u")
    tm.wait_for("Nothing to undo")
    assert parse_question(tm.screen()).id == shown[0].id  # type: ignore[union-attr]

    tm.keys("a")
    wait_question(tm, 1)
    quit_and_check(tm)
    rows = stored(home)
    assert [(r["meta"]["id"], r["answer"]) for r in rows] == [(shown[0].id, "accept")]


# -- 3. kill -9 durability and resume -------------------------------------------------------------
def test_kill_9_loses_nothing_and_resume_never_reasks(tm: Tmux, home: Path) -> None:
    cmd = teach("d", str(SMS), "--label", "spam", "--batch-size", "5")
    keys = ["x", "x", "a", "x", "Space", "x", "a", "x", "x", "x", "a", "x"]
    tm.start(cmd, env=env_for(home))
    first = answer_keys(tm, keys)
    pid = tm.pid()
    assert Path(f"/proc/{pid}/cmdline").read_bytes().find(b"textcat.teach") >= 0
    tm.kill(signal.SIGKILL)
    assert tm.wait_exit(timeout=10) == 128 + signal.SIGKILL

    rows = stored(home)
    assert len(rows) == len(keys)
    check_matches(rows, first, keys)
    assert max(Counter(r["_task_hash"] for r in rows).values()) == 1
    tm.close()

    # restart on the same dataset: nothing answered before is asked again
    tm.start(cmd, env=env_for(home))
    screen = tm.wait_for(lambda s: parse_question(s) is not None, timeout=START_TIMEOUT)
    assert status_counts(screen) == (0, len(keys))
    more_keys = ["x", "a", "x", "x", "Space", "x", "x", "a", "x", "x", "x", "x", "a", "x", "x"]
    second = answer_keys(tm, more_keys)
    before = {s.id for s in first}
    assert not before & {s.id for s in second}, "resume asked an answered question again"
    assert len({s.id for s in second}) == len(second)
    assert status_counts(tm.screen()) == (len(more_keys), len(keys) + len(more_keys))
    quit_and_check(tm)

    rows = stored(home)
    assert len(rows) == len(keys) + len(more_keys)
    check_matches(rows, first + second, keys + more_keys)
    assert max(Counter(r["_task_hash"] for r in rows).values()) == 1
    assert len({r["_session_id"] for r in rows}) == 2


# -- 4. quitting with q or ctrl-c -----------------------------------------------------------------
@pytest.mark.parametrize("quit_key", ["q", "C-c"])
def test_quit_saves_answers_and_model(tm: Tmux, home: Path, quit_key: str) -> None:
    tm.start(teach("d", str(SMS), "--label", "spam", "--batch-size", "5"), env=env_for(home))
    keys = ["a", "x", "x", "x", "x"]
    shown = answer_keys(tm, keys)
    # the worker trains on the batch of 5 in the background; the status line says when
    tm.wait_for(lambda s: re.search(r"\bv\d+\b", status_line(s)), timeout=20)
    shown += answer_keys(tm, ["x"], start=len(keys))
    keys.append("x")
    after = quit_and_check(tm, quit_key)
    assert f"saved {len(keys)} answers" in after

    rows = stored(home)
    check_matches(rows, shown, keys)
    models = list((home / "models").rglob("*.joblib"))  # models/DATABASE/DATASET.joblib
    assert len(models) == 1 and models[0].stat().st_size > 0, models


# -- 5. the choice view ---------------------------------------------------------------------------
def test_choice_view_digits_reject_and_help(tm: Tmux, home: Path) -> None:
    tm.start(teach("d", str(SMS), "--label", "ham,spam"), env=env_for(home))
    first = wait_question(tm, 0, timeout=START_TIMEOUT)
    screen = tm.screen()
    assert first.prompt.startswith("Which label?")
    assert re.search(r"1 .ham\s+2 .spam", screen), screen

    # no model yet: "a" has no guess to accept, so nothing is stored
    tm.keys("a")
    tm.wait_for("No guess yet")
    assert status_counts(tm.screen()) == (0, 0)
    assert stored(home) == []

    shown = [first]
    tm.keys("2")  # spam
    shown.append(wait_question(tm, 1))
    tm.keys("1")  # ham
    shown.append(wait_question(tm, 2))
    tm.keys("x")  # none of the labels
    shown.append(wait_question(tm, 3))

    # ? shows the help over the question and hides it again
    tm.keys("?")
    help_screen = tm.wait_for("show or hide this help")
    assert "Which label?" not in help_screen and " keys " in help_screen
    tm.keys("?")
    assert wait_question(tm, 3).id == shown[3].id

    # / filters the labels; enter picks the first match
    tm.keys("/", "s", "p")
    tm.wait_for("filter: sp")
    tm.keys("Enter")
    wait_question(tm, 4)
    quit_and_check(tm)

    rows = stored(home)
    assert [r["meta"]["id"] for r in rows] == [s.id for s in shown]
    got = [(r["answer"], r["accept"]) for r in rows]
    assert got == [("accept", ["spam"]), ("accept", ["ham"]), ("reject", []),
                   ("accept", ["spam"])]
    for row, seen in zip(rows, shown, strict=True):
        assert squash(row["text"]) == squash(seen.text)
        assert [o["id"] for o in row["options"]] == ["ham", "spam"]
        assert "label" not in row
        for key in ("_input_hash", "_task_hash", "_session_id", "_timestamp"):
            assert key in row


# -- 6. where the source comes from ---------------------------------------------------------------
@pytest.mark.parametrize("kind", ["path", "stdin", "stored"])
def test_source_kinds_read_keys_from_the_terminal(
    tm: Tmux, home: Path, tmp_path: Path, kind: str
) -> None:
    env = env_for(home)
    if kind == "path":
        cmd: list[str] | str = teach("d", "sample_data/sms_spam.jsonl", "--label", "spam")
        source = "sample_data/sms_spam.jsonl"
    elif kind == "stdin":
        cmd = f"cat {shlex.quote(str(SMS))} | {shlex.quote(ALTOOL)} textcat.teach d - --label spam"
        source = "stdin"
    else:
        subprocess.run([ALTOOL, "load", "sms", str(SMS)], env=env, check=True,
                       capture_output=True, timeout=60)
        cmd = teach("d", "sms", "--label", "spam")
        source = "sms"
    tm.start(cmd, env=env, cwd=ROOT)
    keys = ["x", "a", "Space"]
    shown = answer_keys(tm, keys)
    assert source in tm.lines()[0]  # the title names the source
    quit_and_check(tm)

    check_matches(stored(home), shown, keys)
    with Store(home / "altool.db") as store:
        assert store.source_names() == [source]
        texts = {json.loads(line)["text"] for line in SMS.read_text().splitlines()}
        assert store.count_source(source) == len(texts)  # duplicate texts are stored once


# -- 7. bad arguments: a clear message, no traceback ----------------------------------------------
@pytest.mark.parametrize(
    ("args", "expect"),
    [
        (["--label", "spam", "--strategy", "nope"], "unknown strategy 'nope'"),
        ([], "--label"),
        (["--label", "spam", "--view", "grid"], "--view must be binary or choice"),
        (["--label", ","], "--label needs at least one label"),
    ],
    ids=["bad-strategy", "missing-label", "bad-view", "empty-label"],
)
def test_bad_arguments_fail_clearly(home: Path, args: list[str], expect: str) -> None:
    result = subprocess.run(
        teach("d", str(SMS), *args), env=env_for(home), capture_output=True, text=True,
        timeout=60, stdin=subprocess.DEVNULL,
    )
    out = result.stdout + result.stderr
    assert result.returncode != 0, out
    assert expect in result.stderr, out
    assert "Traceback" not in out
    assert "Unexpected error" not in out, out
    assert not (home / "logs" / "crash.log").exists()


# -- 8. hostile text: escape sequences, C1 controls, Rich markup in meta --------------------------
HOSTILE = [
    {"text": "INTERFLORA - \x93It's not too late\x94 to order \x96 flowers for christmas call "
             "0800 505060 to place your order before Midnight tomorrow.", "meta": {"id": "h-0"}},
    {"text": "red \x1b[31mRED\x1b[0m and clear \x1b[2J done, tab\there", "meta": {"id": "h-1"}},
    {"text": "hello \x01\x1b]2;PWNED\x07\x02 world", "meta": {"id": "h-2"}},
    {"text": "markup [bold]not bold[/bold] and [/b] stays text", "meta": {"id": "h-3"}},
    {"text": "plain text", "meta": {"id": "h-4", "src": "forum [/b] post"}},
]


def test_hostile_text_is_shown_inert(tm: Tmux, home: Path, tmp_path: Path) -> None:
    source = tmp_path / "hostile.jsonl"
    source.write_text("".join(json.dumps(eg) + "\n" for eg in HOSTILE), encoding="utf-8")
    tm.start(teach("d", str(source), "--label", "spam"), env=env_for(home))
    title = tm.pane_title()
    keys = ["x", "a", "x", "Space", "x"]
    shown = []
    for i, key in enumerate(keys):
        q = wait_question(tm, i, timeout=START_TIMEOUT if i == 0 else 15)
        lines = tm.lines()
        top = next(k for k, line in enumerate(lines) if line.startswith("╭"))
        bottom = next(k for k in range(top, len(lines)) if lines[k].startswith("╰"))
        for line in lines[top : bottom + 1]:  # the panel's right border is in place
            assert cell_len(line) == COLS and line[-1] in "│╮╯", lines
        assert not re.search(r"<[89][0-9a-f]>", "\n".join(lines)), lines
        shown.append(q)
        tm.keys(key)
    wait_question_or_end = tm.wait_for(lambda s: status_counts(s) == (5, 5))
    assert "PWNED" not in tm.pane_title() and tm.pane_title() == title
    assert "Traceback" not in wait_question_or_end
    by_id = {s.id: s for s in shown}
    assert "src: forum [/b] post" in by_id["h-4"].subtitle
    assert "[bold]not bold[/bold]" in by_id["h-3"].text
    quit_and_check(tm)

    rows = stored(home)
    check_matches(rows, shown, keys)
    texts = {eg["meta"]["id"]: eg["text"] for eg in HOSTILE}
    assert all(row["text"] == texts[row["meta"]["id"]] for row in rows)  # stored unchanged


# -- 9. the end of the source ---------------------------------------------------------------------
def test_end_of_source_says_no_more_questions(tm: Tmux, home: Path, tmp_path: Path) -> None:
    source = tmp_path / "three.jsonl"
    source.write_text("".join(json.dumps({"text": f"text number {i}", "meta": {"id": f"t-{i}"}})
                              + "\n" for i in range(3)), encoding="utf-8")
    tm.start(teach("d", str(source), "--label", "spam"), env=env_for(home))
    wait_question(tm, 0, timeout=START_TIMEOUT)
    time.sleep(3)  # read the first text like a person would (the worker settles meanwhile)
    shown = answer_keys(tm, ["x", "x"])
    tm.keys("a")
    tm.wait_for(lambda s: status_counts(s) == (3, 3))
    assert {s.id for s in shown} < {"t-0", "t-1", "t-2"}
    tm.wait_for("No more questions", timeout=8)
    quit_and_check(tm)
    assert len(stored(home)) == 3


def test_budget_counts_down_stops_and_says_how_to_go_on(tm: Tmux, home: Path) -> None:
    """--budget 4 with one answer already stored: three questions, the countdown on the status
    line, then no fourth question; u brings the last back; after q, how to go on."""
    with Store(home / "altool.db") as store:
        store.add_answer("d", {"text": "stored before", "label": "spam", "answer": "reject"})
    tm.start(teach("d", str(SMS), "--label", "spam", "--budget", "4", "--model", "sklearn"),
             env=env_for(home))
    wait_question(tm, 0, timeout=START_TIMEOUT)
    tm.wait_for("3 of 4 budget left")
    answer_keys(tm, ["x", "x"])
    tm.wait_for("1 of 4 budget left")
    tm.keys("x")
    screen = tm.wait_for("Budget reached: 4 answers in the dataset")
    assert "0 of 4 budget left" in screen and parse_question(screen) is None
    tm.keys("u")
    tm.wait_for("1 of 4 budget left")
    tm.keys("a")
    tm.wait_for("Budget reached")
    screen = quit_and_check(tm)
    assert "the budget of 4 answers is used up (4 in the dataset)" in " ".join(screen.split())
    rows = stored(home)
    assert len(rows) == 4 and rows[-1]["answer"] == "accept"
