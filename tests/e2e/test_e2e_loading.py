"""End-to-end: a gzip-compressed movie-review file read with --text-field and --html-to-text,
another dataset's answers left out with --exclude, and drop --source asking first, driven in
a real terminal (tmux) as a person would."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from altool.store import Store
from tests.e2e.test_e2e_recipes import TIMEOUT, quit_ok, stored, wait_answered
from tests.tmux_driver import ALTOOL, Tmux, env_for

pytestmark = pytest.mark.e2e

REVIEWS = [
    {"review": "A slow start.<br /><br />But the last hour &amp; the score are &quot;superb"
               "&quot; &mdash; it&#39;s a <i>must</i>.<br />8/10", "stars": 8},
    {"review": "Dull &amp; long.<br />2/10", "stars": 2},
    {"review": "Excellent cast.<br /><br />Loved it.", "stars": 9},
]


@pytest.fixture
def home(tmp_path: Path) -> Path:
    path = tmp_path / "home"
    path.mkdir()
    return path


def test_reviews_with_html_and_exclude_then_drop_the_source(tm: Tmux, home, tmp_path):
    source = tmp_path / "reviews.jsonl.gz"
    source.write_bytes(gzip.compress("".join(json.dumps(r) + "\n" for r in REVIEWS).encode()))
    with Store(home / "altool.db") as store:  # the second review, labelled by someone else
        store.add_answer("alex", {"text": "Dull & long.\n2/10", "accept": ["neg"],
                                  "answer": "accept"})
    tm.start([ALTOOL, "textcat.manual", "sam", str(source), "--label", "pos,neg",
              "--text-field", "review", "--html-to-text", "--exclude", "alex"],
             env=env_for(home))
    screen = wait_answered(tm, 0, "A slow start.")
    assert "<br" not in screen and "&amp;" not in screen
    assert 'the score are "superb" — it\'s a must.' in screen
    lines = screen.splitlines()
    start = next(i for i, line in enumerate(lines) if "A slow start." in line)
    assert lines[start + 1].strip("│ ") == ""  # <br /><br />: a blank line
    tm.keys("1")
    screen = wait_answered(tm, 1, "Excellent cast.")  # "Dull & long." is alex's: skipped
    tm.keys("1")
    wait_answered(tm, 2, "No more questions")
    quit_ok(tm)
    assert [r["text"] for r in stored(home, "sam")] == [
        "A slow start.\n\nBut the last hour & the score are \"superb\" \u2014 it's a must.\n8/10",
        "Excellent cast.\n\nLoved it."]
    tm.close()

    drop = Tmux(tmp_path, name="drop")
    try:
        drop.start([ALTOOL, "drop", "--source", str(source), "--force"], env=env_for(home))
        drop.wait_for(lambda s: "and its 3 examples? [y/N]:" in s, timeout=TIMEOUT)
        drop.keys("y")
        drop.keys("Enter")
        assert drop.wait_exit(timeout=TIMEOUT) == 0, drop.screen(history=True)
        screen = drop.screen(history=True)
        assert "dropped source" in screen and "(3 examples)" in screen
        assert "altool.db: " in screen and "Traceback" not in screen
    finally:
        drop.close()
    with Store(home / "altool.db") as store:
        assert store.source_names() == [] and store.count_answers("sam") == 2
