"""The text box: lazy wrapping, a whole frame while scrolled, page keys, and a cost that does
not grow with the text (a 10 MB text took 21 s a key when it was drawn whole)."""

from __future__ import annotations

import re

import pytest
from rich.cells import cell_len

from altool.io.hashing import set_hashes
from altool.loop.session import Session
from altool.ui.app import ViewState, render_screen, scrolled
from altool.ui.textview import WrappedText, position

ANSI = re.compile(r"\x1b\[[0-9;]*m")


def plain(screen: str) -> list[str]:
    return ANSI.sub("", screen).split("\n")


def session_on(store, text: str) -> Session:
    session = Session(store, "ds", [set_hashes({"text": text, "meta": {"id": 7}})], view="text")
    session.advance()
    return session


@pytest.mark.parametrize("width", [2, 5, 17, 80])  # 2: a wide character (東) fits
def test_wrapping_keeps_every_word_and_fits_the_width(width):
    text = "the quick  brown fox\n\njumps over   a lazy dog " + "x" * 40 + " 東京の天気 end"
    wrapped = WrappedText(text, width)
    lines = wrapped.lines(0, 10_000)
    assert wrapped.done and wrapped.total == len(lines)
    assert all(cell_len(line) <= width for line in lines)
    assert "".join(text.split()) == "".join("".join(lines).split())  # nothing lost or added


def test_lines_are_wrapped_only_as_far_as_asked():
    wrapped = WrappedText("word " * 100_000, 20)
    assert wrapped.lines(0, 5) == ["word word word word"] * 5
    assert wrapped.known() < 10 and wrapped.total is None
    assert position(wrapped, 0, 5) == f"lines 1-5 of {wrapped.known():,}+"
    assert wrapped.wrap_all() == wrapped.total == 25_000


def test_a_long_text_scrolls_with_a_whole_frame_and_says_where_it_is(store):
    text = "\n".join(f"line {i}" for i in range(1, 1801))
    session, state = session_on(store, text), ViewState()
    first = plain(render_screen(session, state, 80, 24))
    assert first[1].startswith("╭") and first[1].endswith("╮")
    assert any("lines 1-" in line and "of 1,800" in line for line in first)
    state.scroll = scrolled(state.scroll, "pagedown", state.page)
    screen = plain(render_screen(session, state, 80, 24))
    top = next(i for i, line in enumerate(screen) if line.startswith("╭"))
    bottom = next(i for i, line in enumerate(screen) if line.startswith("╰"))
    assert screen[top + 1].startswith(f"│ line {state.scroll + 1} ")  # a page further down
    assert bottom > top + 5 and "meta" not in screen[bottom] and "id: 7" in screen[bottom]
    state.scroll = scrolled(state.scroll, "end", state.page)
    screen = plain(render_screen(session, state, 80, 24))
    assert any("│ line 1800 " in line for line in screen)
    assert any(f"lines {state.scroll + 1:,}-1,800 of 1,800" in line for line in screen)
    state.scroll = scrolled(state.scroll, "home", state.page)
    assert state.scroll == 0


def test_a_10_mb_text_is_not_wrapped_or_drawn_whole_on_every_key(store):
    text = "lorem ipsum dolor sit amet " * 400_000  # 10.8 MB in one paragraph
    session, state = session_on(store, text), ViewState()
    for key in ("down", "pagedown", "pagedown", "up"):
        state.scroll = scrolled(state.scroll, key, state.page)
        render_screen(session, state, 100, 30)
    assert state.wrapped is not None and state.wrapped.known() < 200  # only what was shown
    state.scroll = scrolled(state.scroll, "end", state.page)
    screen = plain(render_screen(session, state, 100, 30))
    total = WrappedText(text, state.wrapped.width).wrap_all()
    assert state.wrapped.done and any(f"of {total:,}" in line for line in screen)


def test_the_guess_is_named_when_it_is_not_among_the_numbered_labels(store):
    from altool.loop.queue import Question

    labels = [f"intent_{i:02d}" for i in range(20)]
    task = set_hashes({"text": "hi", "options": [{"id": x, "text": x} for x in labels]})
    session = Session(store, "ds", [Question(task, predicted=["intent_15"])], view="choice",
                      labels=labels)
    session.advance()
    screen = "\n".join(plain(render_screen(session, ViewState(), 80, 24)))
    assert "a accepts ◆ intent_15" in screen  # `a` accepts what the screen names
    assert "+11 more" in screen


@pytest.mark.parametrize("width", [30, 44, 80])
def test_label_numbers_never_wrap_away_from_their_labels(store, width):
    from altool.loop.queue import Question

    labels = ["credit card payment", "transfer", "lost card", "exchange rate",
              "a label far longer than a thirty column terminal can show"]
    task = set_hashes({"text": "hi", "options": [{"id": x, "text": x} for x in labels]})
    session = Session(store, "ds", [Question(task)], view="choice", labels=labels)
    session.advance()
    screen = plain(render_screen(session, ViewState(), width, 24))
    rows = [line for line in screen if re.match(r"^\d ", line)]
    numbered = re.findall(r"(?:^|  )(\d) {2}(\S)", "\n".join(rows), flags=re.M)
    assert [n for n, _ in numbered] == ["1", "2", "3", "4", "5"]  # each number, its label after
    assert not any(line.rstrip().endswith(tuple("12345")) for line in rows)


def test_budget_shows_on_the_status_line_and_says_when_it_is_used_up(store):
    tasks = [set_hashes({"text": f"text {i}", "label": "L"}) for i in range(3)]
    session = Session(store, "ds", tasks, view="binary", budget=2)
    session.advance()
    assert "2 of 2 budget left" in "\n".join(plain(render_screen(session, ViewState(), 80, 24)))
    session.answer("accept")
    session.answer("reject")
    screen = " ".join(" ".join(plain(render_screen(session, ViewState(), 80, 24))).split())
    assert "Budget reached: 2 answers in the dataset (budget 2)" in screen
    assert "u to take back the last answer" in screen
    assert "0 of 2 budget left" in screen and "text 2" not in screen
