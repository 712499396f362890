"""The pure span editor behind ner.manual (no terminal)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from altool.io.spans import blank_nlp, normalize_spans, tokenize
from altool.ui.span_editor import Editor, Span


@pytest.fixture(scope="module")
def nlp():
    return blank_nlp("en")


def editor(nlp, text: str, spans: list[dict] | None = None) -> tuple[dict, Editor]:
    task = tokenize(nlp, {"text": text, **({"spans": spans} if spans else {})})
    return task, Editor.from_task(task)


def texts(task: dict, ed: Editor) -> list[tuple[str, str]]:
    return [(task["text"][s["start"]:s["end"]], s["label"]) for s in ed.to_spans(task["tokens"])]


def test_cursor_moves_over_tokens_skipping_whitespace_and_stops_at_the_ends(nlp):
    task, ed = editor(nlp, "Hello  world\n\nbye")
    words = [t["text"] for t in task["tokens"]]
    assert words == ["Hello", " ", "world", "\n\n", "bye"]
    seen = []
    for _ in range(5):
        seen.append(words[ed.cursor])
        ed = ed.move(1)
    assert seen == ["Hello", "world", "bye", "bye", "bye"]
    assert words[ed.move(-10).cursor] == "Hello"


def test_shift_selection_extends_and_plain_movement_drops_it(nlp):
    task, ed = editor(nlp, "one two three four")
    ed = ed.move(1).move(1, extend=True).move(1, extend=True)
    assert ed.selection == (1, 3)
    ed = ed.move(-3, extend=True)  # back over the anchor
    assert ed.selection == (0, 1)
    ed = ed.move(1)
    assert ed.selection == (1, 1) and not ed.selecting


def test_visual_mode_extends_with_plain_movement_until_toggled_off(nlp):
    task, ed = editor(nlp, "one two three four")
    ed = ed.move(1).toggle_visual().move(2)
    assert ed.selection == (1, 3)
    ed = ed.toggle_visual()
    assert ed.selection == (3, 3) and not ed.visual


def test_assign_labels_the_selection_and_ends_it(nlp):
    task, ed = editor(nlp, "Acme Corp hired Zoë Ng")
    ed = ed.move(1, extend=True).assign("ORG")
    assert not ed.selecting and ed.cursor == 1
    ed = ed.move(2).move(1, extend=True).assign("PER")
    assert texts(task, ed) == [("Acme Corp", "ORG"), ("Zoë Ng", "PER")]
    assert ed.to_spans(task["tokens"])[1] == {"start": 16, "end": 22, "token_start": 3,
                                              "token_end": 4, "label": "PER"}


def test_overlap_rule_a_new_span_replaces_every_span_sharing_a_token(nlp):
    task, ed = editor(nlp, "a b c d e f", [{"start": 0, "end": 3, "label": "X"},   # a b
                                            {"start": 4, "end": 7, "label": "Y"},   # c d
                                            {"start": 10, "end": 11, "label": "Z"}])  # f
    ed = ed.move(1).move(1, extend=True).assign("NEW")  # b c: overlaps X and Y partly
    assert texts(task, ed) == [("b c", "NEW"), ("f", "Z")]
    ed = ed.move_to(2).assign("REL")  # same tokens or fewer: relabel / replace
    assert texts(task, ed) == [("c", "REL"), ("f", "Z")]
    ed = ed.move_to(0).move(5, extend=True).assign("ALL")  # covers everything
    assert texts(task, ed) == [("a b c d e f", "ALL")]


def test_delete_removes_the_span_under_the_cursor_only(nlp):
    task, ed = editor(nlp, "a b c d", [{"start": 0, "end": 3, "label": "X"},
                                       {"start": 6, "end": 7, "label": "Y"}])
    between = ed.move_to(2)
    assert between.delete() is between  # no span under the cursor: nothing happens
    ed = ed.move_to(1).delete()
    assert texts(task, ed) == [("d", "Y")]
    assert ed.delete() == ed  # nothing under the cursor any more: unchanged


def test_delete_with_a_selection_removes_every_span_it_touches(nlp):
    task, ed = editor(nlp, "a b c d", [{"start": 0, "end": 1, "label": "X"},
                                       {"start": 6, "end": 7, "label": "Y"}])
    ed = ed.move_to(0).move(3, extend=True).delete()
    assert ed.spans == () and not ed.selecting


def test_unicode_offsets_are_code_points_of_the_text(nlp):
    text = "👍🏽 Zoë Ünal et e\u0301 東京 rocks"
    task, ed = editor(nlp, text)
    words = [t["text"] for t in task["tokens"]]
    ed = ed.move_to(words.index("Zoë")).move(1, extend=True).assign("PER")
    ed = ed.move_to(words.index("東京")).assign("LOC")
    spans = ed.to_spans(task["tokens"])
    assert [text[s["start"]:s["end"]] for s in spans] == ["Zoë Ünal", "東京"]
    assert spans[0]["start"] == text.index("Zoë")
    # a reloaded task gives the same editor state
    again = Editor.from_task({**task, "spans": spans})
    assert again.spans == ed.spans


def test_editor_on_a_text_with_only_whitespace_does_nothing(nlp):
    task = {"text": "   ", "tokens": [{"text": "   ", "start": 0, "end": 3, "id": 0}]}
    ed = Editor.from_task(task)
    assert ed.selection is None
    assert ed.move(1) is ed and ed.assign("X") is ed and ed.delete() is ed


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(-3, 3), st.booleans(), st.sampled_from("mvad")),
                max_size=30))
def test_random_edits_keep_spans_sorted_disjoint_and_on_word_tokens(nlp, steps):
    task = tokenize(nlp, {"text": "Zoë  and 👍🏽 met\nat Acme, Inc. in 東京 today"})
    ed = Editor.from_task(task)
    for delta, shift, op in steps:
        if op == "m":
            ed = ed.move(delta, extend=shift)
        elif op == "v":
            ed = ed.toggle_visual()
        elif op == "a":
            ed = ed.assign("L")
        else:
            ed = ed.delete()
        assert ed.cursor in ed.stops
        spans = ed.spans
        assert all(a.token_end < b.token_start for a, b in zip(spans, spans[1:], strict=False))
        assert all(s.token_start in ed.stops and s.token_end in ed.stops for s in spans)
    # what the editor produces is valid task data
    out = {**task, "spans": ed.to_spans(task["tokens"])}
    assert [Span(s["token_start"], s["token_end"], s["label"]) for s in normalize_spans(out)] \
        == list(ed.spans)


