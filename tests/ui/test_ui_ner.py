"""The ner / ner_manual terminal views: layout, rendering at 80x24, and keys -> stored spans
(the app's key handler driven directly, without a terminal)."""

from __future__ import annotations

import re

import pytest
from rich.cells import cell_len

from altool.io.spans import blank_nlp, tokenize
from altool.loop.session import Session
from altool.ui.app import TeachApp
from altool.ui.layout import layout
from altool.ui.ner import NerApp
from altool.ui.screens import app_for

ANSI_RE = re.compile(r"\x1b\[[0-9;]*m")
LABELS = ["PER", "ORG", "LOC"]
TEXT = "Acme Corp hired Zoë Ünal in Berlin."


@pytest.fixture(scope="module")
def nlp():
    return blank_nlp("en")


def plain(screen: str) -> list[str]:
    return ANSI_RE.sub("", screen).split("\n")


def make_app(store, monkeypatch, tasks, view="ner_manual", labels=LABELS) -> NerApp:
    monkeypatch.setattr(TeachApp, "_build", lambda self: None)
    session = Session(store, "ds", tasks, view=view, labels=labels)
    app = app_for(session, "ner.manual · ds")
    assert isinstance(app, NerApp)
    draw(app)
    return app


def draw(app: NerApp) -> str:
    """What the terminal app does on every redraw."""
    app.session.advance()
    app._new_question()
    return app.render(80, 24)


def press(app: NerApp, *keys: str) -> list[str]:
    for key in keys:
        assert app.act(key)
    return plain(draw(app))


def plain_line(segments: list[tuple[str, str]]) -> str:
    return "".join(text for text, _ in segments)


def stored(store) -> list[dict]:
    return list(store.iter_answers("ds"))


def spans_of(eg: dict) -> list[tuple[str, str]]:
    return [(eg["text"][s["start"]:s["end"]], s["label"]) for s in eg["spans"]]


# -- layout ----------------------------------------------------------------------------------------
def test_layout_wraps_between_words_keeps_newlines_and_places_tokens(nlp):
    task = tokenize(nlp, {"text": "aaa bbb ccc\nddd eeeeeeeeeeeeee"})
    laid = layout(task, 8, LABELS, [(1, 2, "ORG")])
    assert [plain_line(line) for line in laid.lines] == ["aaa bbb ", "ccc ORG", "ddd ",
                                                         "eeeeeeee", "eeeeee"]
    assert laid.widths == [8, 7, 4, 8, 6]
    assert laid.positions[0] == (0, 0) and laid.positions[1] == (0, 4)
    assert laid.positions[2] == (1, 0) and laid.positions[4] == (2, 0)


def test_layout_counts_wide_characters_in_cells(nlp):
    task = tokenize(nlp, {"text": "東京 東京 東京"})
    laid = layout(task, 10, LABELS, [])
    assert [plain_line(line) for line in laid.lines] == ["東京 東京 ", "東京"]
    assert laid.widths == [10, 4]


# -- rendering -------------------------------------------------------------------------------------
def test_manual_screen_fits_80x24_with_legend_spans_and_cursor(nlp, store, monkeypatch):
    task = tokenize(nlp, {"text": TEXT, "meta": {"id": "t1"},
                          "spans": [{"start": 0, "end": 9, "label": "ORG"}]})
    app = make_app(store, monkeypatch, [task])
    screen = draw(app)
    lines = plain(screen)
    assert len(lines) == 24 and all(cell_len(line) <= 80 for line in lines)
    assert lines[0] == "ner.manual · ds"
    assert "Acme Corp ORG hired Zoë Ünal in Berlin." in lines[2]
    assert "id: t1" in lines[3]
    assert lines[4].split() == ["1", "PER", "2", "ORG", "3", "LOC"]
    assert lines[5].startswith("token 1/8: Acme  in  ORG")
    assert lines[-2].startswith(" 0 this session · 0 in dataset")
    assert "1-9 label" in lines[-1]
    assert "\x1b[1;7m" in screen or "\x1b[7;1m" in screen  # the cursor token is drawn reversed


def test_long_text_scrolls_to_keep_the_cursor_in_view(nlp, store, monkeypatch):
    text = " ".join(f"word{i}" for i in range(400))
    app = make_app(store, monkeypatch, [tokenize(nlp, {"text": text})])
    lines = press(app)
    assert "word0" in lines[2] and re.search(r"lines 1-\d+ of \d+", lines[1])
    lines = press(app, "end")
    assert "word399" in "\n".join(lines)
    assert "word0 " not in "\n".join(lines)
    assert "token 400/400: word399" in "\n".join(lines)
    assert len(lines) == 24 and all(cell_len(line) <= 80 for line in lines)
    lines = press(app, "up")  # one display line up, near the same column
    assert re.search(r"token 3\d\d/400: word3\d\d", "\n".join(lines))


def test_help_screen(nlp, store, monkeypatch):
    app = make_app(store, monkeypatch, [tokenize(nlp, {"text": TEXT})])
    lines = press(app, "?")
    assert any("label the selection" in line for line in lines)
    lines = press(app, "right", "?")  # no editing while the help is up; ? closes it
    assert lines[5].startswith("token 1/8")


# -- keys -> stored spans --------------------------------------------------------------------------
def test_select_label_accept_stores_exact_character_offsets(nlp, store, monkeypatch):
    task = tokenize(nlp, {"text": TEXT})
    app = make_app(store, monkeypatch, [task, tokenize(nlp, {"text": "next one"})])
    lines = press(app, "right", "right", "right", "s-right")
    assert lines[5].startswith("selected 2 tokens: Zoë Ünal")
    press(app, "1", "left", "left", "left", "left", "v", "right", "2", "end", "left", "3")
    lines = press(app, "a")
    assert "next one" in lines[2]
    [eg] = stored(store)
    assert eg["answer"] == "accept"
    assert spans_of(eg) == [("Acme Corp", "ORG"), ("Zoë Ünal", "PER"), ("Berlin", "LOC")]
    assert eg["spans"][1] == {"start": 16, "end": 24, "token_start": 3, "token_end": 4,
                              "label": "PER"}
    assert eg["tokens"] == task["tokens"]


def test_delete_relabel_and_undo_edits(nlp, store, monkeypatch):
    task = tokenize(nlp, {"text": TEXT, "spans": [{"start": 0, "end": 9, "label": "ORG"},
                                                  {"start": 28, "end": 34, "label": "PER"}]})
    app = make_app(store, monkeypatch, [task])
    lines = press(app, "right", "d")
    assert lines[5].startswith("token 2/8: Corp") and "1 span" in lines[5]
    lines = press(app, "d")
    assert "No span under the cursor" in lines[-1]
    press(app, "end", "left", "3")  # relabel Berlin PER -> LOC (the overlap rule)
    press(app, "u")  # undo the relabel
    press(app, "u")  # undo the delete
    press(app, "x")
    [eg] = stored(store)
    assert eg["answer"] == "reject"
    assert spans_of(eg) == [("Acme Corp", "ORG"), ("Berlin", "PER")]


def test_undo_an_answer_brings_back_the_spans_it_was_given(nlp, store, monkeypatch):
    tasks = [tokenize(nlp, {"text": TEXT}), tokenize(nlp, {"text": "Second text here."})]
    app = make_app(store, monkeypatch, tasks)
    press(app, "3", "a")
    assert len(stored(store)) == 1
    lines = press(app, "u")  # no edits on this text: undoes the answer
    assert stored(store) == [] and "Acme ORG" not in lines[2] and "Acme LOC" in lines[2]
    press(app, "space")
    assert [eg["answer"] for eg in stored(store)] == ["ignore"]
    assert spans_of(stored(store)[0]) == [("Acme", "LOC")]


def test_digit_without_a_label_is_refused(nlp, store, monkeypatch):
    app = make_app(store, monkeypatch, [tokenize(nlp, {"text": TEXT})])
    lines = press(app, "7")
    assert "No label 7: the labels are 1-3." in lines[-1]
    press(app, "a")
    assert stored(store)[0]["spans"] == []


def test_task_without_tokens_says_so_instead_of_crashing(store, monkeypatch):
    app = make_app(store, monkeypatch, [{"text": "no tokens here"}])
    lines = press(app, "right", "1")
    assert "no tokens" in lines[-1] or "no tokens" in "\n".join(lines)
    assert "no tokens here" in lines[2]


def test_binary_ner_view_highlights_the_suggestion_and_stores_it_unchanged(nlp, store,
                                                                         monkeypatch):
    task = tokenize(nlp, {"text": TEXT, "spans": [{"start": 28, "end": 34, "label": "LOC"}],
                          "meta": {"score": 0.42}})
    app = make_app(store, monkeypatch, [task], view="ner")
    lines = press(app)
    assert "Berlin LOC" in lines[2]
    prompt = next(line for line in lines if line.startswith("Is the highlighted span"))
    assert "LOC" in prompt and "model score 0.42" in prompt
    press(app, "right", "1", "d")  # no editing in this view
    press(app, "x")
    [eg] = stored(store)
    assert eg["answer"] == "reject" and eg["spans"] == task["spans"]


def test_binary_ner_view_says_a_pattern_match_is_one(nlp, store, monkeypatch):
    task = tokenize(nlp, {"text": TEXT, "spans": [{"start": 28, "end": 34, "label": "LOC"}],
                          "meta": {"pattern": "patterns.jsonl:3"}})
    lines = press(make_app(store, monkeypatch, [task], view="ner"))
    prompt = next(line for line in lines if line.startswith("Is the highlighted span"))
    assert "pattern match" in prompt and "no model" not in prompt


def test_other_views_keep_the_classic_app(store, monkeypatch):
    monkeypatch.setattr(TeachApp, "_build", lambda self: None)
    session = Session(store, "ds", [{"text": "x", "label": "A"}], view="binary")
    assert type(app_for(session, "t")) is TeachApp


def test_prompt_toolkit_fragments_draw_the_same_screen(nlp, store, monkeypatch):
    task = tokenize(nlp, {"text": TEXT, "spans": [{"start": 0, "end": 9, "label": "ORG"}]})
    app = make_app(store, monkeypatch, [task])
    press(app, "right", "s-right")
    fragments = app.formatted(80, 24)
    assert "".join(text for _, text in fragments).split("\n") == plain(app.render(80, 24))
    styles = {text.strip(): style for style, text in fragments}  # same-style pieces are merged
    assert styles["Acme"] == "fg:ansiblack bg:#87d7ff"  # sky_blue1: the second label's colour
    assert styles["Corp"] == "fg:ansigray bg:#585858 bold"  # selected (grey35; white is 7)
    assert styles["hired"] == "fg:ansigray bg:#585858 bold reverse"  # selected, the cursor


# -- moving over lines -----------------------------------------------------------------------------
def test_up_and_down_pass_blank_lines_between_paragraphs(nlp, store, monkeypatch):
    text = "alpha beta\n\n\ngamma delta\n\nepsilon"
    app = make_app(store, monkeypatch, [tokenize(nlp, {"text": text})])
    lines = press(app, "down")
    assert "token 3/5: gamma" in "\n".join(lines)  # past the two blank lines
    lines = press(app, "down")
    assert "token 5/5: epsilon" in "\n".join(lines)
    lines = press(app, "down")  # the last line: the cursor stays
    assert "token 5/5: epsilon" in "\n".join(lines)
    lines = press(app, "up", "up")
    assert "token 1/5: alpha" in "\n".join(lines)
    lines = press(app, "up")
    assert "token 1/5: alpha" in "\n".join(lines)


def test_line_target_keeps_the_column_and_stops_at_the_ends():
    from altool.ui.ner import line_target

    # tokens 0-2 on line 0 (columns 0, 6, 12), nothing on lines 1-3, tokens 3-4 on line 4
    positions = [(0, 0), (0, 6), (0, 12), (4, 0), (4, 10)]
    stops = (0, 1, 2, 3, 4)
    assert line_target(positions, stops, 2, 1) == 4  # nearest column 12 on the next line
    assert line_target(positions, stops, 0, 1) == 3
    assert line_target(positions, stops, 4, -1) == 2
    assert line_target(positions, stops, 1, 100) == 4  # a page past the end: the last line
    assert line_target(positions, stops, 3, -100) == 0
    assert line_target(positions, stops, 3, 1) == 3 and line_target(positions, stops, 1, -1) == 1


def test_page_keys_move_the_cursor_a_page_in_a_long_manual_text(nlp, store, monkeypatch):
    text = "\n\n".join(f"para{i} word" for i in range(300))
    app = make_app(store, monkeypatch, [tokenize(nlp, {"text": text})])
    press(app)
    page = app.state.page
    lines = press(app, "pagedown")
    where = next(line for line in lines if "lines " in line)
    first = int(re.search(r"lines (\d+)-", where).group(1))
    assert first > 1 and "para0 " not in "\n".join(lines)
    cursor_line = app.state.positions[app.state.editor.cursor][0]
    assert page - 2 <= cursor_line <= page  # a page down (blank lines counted)
    lines = press(app, "end")
    assert "token 600/600: word" in "\n".join(lines)
    lines = press(app, "pageup", "home")
    assert "token 1/600: para0" in "\n".join(lines)
    frame = [line for line in lines if line.startswith(("╭", "╰"))]
    assert len(frame) == 2  # the frame stays whole


def test_the_binary_ner_view_scrolls_away_from_the_suggestion_and_back(nlp, store,
                                                                        monkeypatch):
    text = " ".join(f"word{i}" for i in range(600)) + " Berlin"
    task = tokenize(nlp, {"text": text})
    n = len(task["tokens"])
    task["spans"] = [{"start": len(text) - 6, "end": len(text), "token_start": n - 1,
                      "token_end": n - 1, "label": "LOC"}]
    app = make_app(store, monkeypatch, [task], view="ner")
    lines = press(app)
    assert "Berlin LOC" in "\n".join(lines)  # the suggestion is shown first
    lines = press(app, "home")
    assert "word0 " in "\n".join(lines) and "Berlin" not in "\n".join(lines)
    lines = press(app, "pagedown")
    assert "word0 " not in "\n".join(lines)
    lines = press(app, "end")
    assert "Berlin LOC" in "\n".join(lines)


# -- a long text: per-key work follows what is shown ---------------------------------------------
def test_restyled_lines_are_the_lines_a_full_layout_draws(nlp):
    """The cursor and selection drawn on a cached layout, line by line, give exactly what
    laying out the whole text with them gives: every token, gap, span and a cut long word."""
    from altool.ui.layout import restyle

    text = ("Acme Corp hired Zoë Ünal in Berlin.\n\nThen " + "x" * 90 + " and  New York "
            "Times staff met\tMary Ann.") * 3
    task = tokenize(nlp, {"text": text})
    n = len(task["tokens"])
    spans = [(0, 1, "ORG"), (3, 4, "PER"), (n - 6, n - 5, "LOC")]
    bare = layout(task, 30, LABELS, spans)
    checked = 0
    for cursor, selection in [(0, None), (2, (1, 4)), (n // 2, (n // 2 - 3, n // 2 + 5)),
                              (n - 1, (n - 8, n - 1)), (None, (0, n - 1))]:
        full = layout(task, 30, LABELS, spans, cursor, selection)
        assert full.lines != bare.lines  # the cursor or the selection shows
        for first, end in [(0, len(bare.lines)), (3, 9), (len(bare.lines) - 2, len(bare.lines))]:
            assert restyle(bare, first, end, LABELS, spans, cursor, selection) == \
                full.lines[first:end]
            checked += 1
    assert checked == 15


def test_moving_the_cursor_in_a_long_text_does_not_lay_it_out_again(nlp, store, monkeypatch):
    import altool.ui.ner as ner_ui

    text = "\n\n".join(f"paragraph {i} has some words in it" for i in range(400))
    app = make_app(store, monkeypatch, [tokenize(nlp, {"text": text})])
    calls = []
    for name in ("layout", "relayout"):
        real = getattr(ner_ui, name)
        monkeypatch.setattr(ner_ui, name, lambda *a, _real=real, _name=name, **k:
                            calls.append(_name) or _real(*a, **k))
    press(app, "right", "right", "down", "pagedown", "s-right", "s-right", "end", "home")
    assert calls == []  # the text was laid out once, before these keys
    lines = press(app, "right", "1")  # a new span: its paragraph laid out again
    assert calls == ["relayout"]
    assert "│ paragraph 0 PER has some words in it" in "\n".join(lines)
    app.render(60, 24)  # another width: the whole text laid out again
    assert calls == ["relayout", "layout"]


def test_a_span_edit_lays_out_its_paragraphs_only_and_matches_a_full_layout(nlp):
    import random

    from altool.ui.layout import relayout

    rng = random.Random(5)
    paragraphs = ["Acme Corp hired Zoë Ünal in Berlin.", "x" * 70 + " then  New York",
                  "Short one.", "Times staff met\tMary Ann at the  bank of the river Thames.",
                  "  indented start", ""]
    text = "\n\n".join(rng.choice(paragraphs) for _ in range(40)) + "\nend\n"
    task = tokenize(nlp, {"text": text})
    n = len(task["tokens"])
    spans: list[tuple[int, int, str]] = []
    laid = layout(task, 30, LABELS, spans)
    for _ in range(60):
        new = list(spans)
        if new and rng.random() < 0.3:
            new.pop(rng.randrange(len(new)))
        else:
            start = rng.randrange(n)
            end = min(start + rng.randrange(4), n - 1)
            new = [s for s in new if s[1] < start or s[0] > end]
            new.append((start, end, rng.choice(LABELS)))
        laid = relayout(laid, task, 30, LABELS, spans, new)
        full = layout(task, 30, LABELS, new)
        assert (laid.lines, laid.widths, laid.positions, laid.owners) == \
            (full.lines, full.widths, full.positions, full.owners)
        spans = new
    assert len(spans) > 5 and len(full.lines) > 100
