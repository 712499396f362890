"""Every view draws data (text, labels, meta, spans, the title, review versions) without a byte
a terminal would act on: only altool's own colour codes (SGR) reach it."""

from __future__ import annotations

import re

import pytest

from altool.io.hashing import set_hashes
from altool.io.spans import blank_nlp, tokenize
from altool.loop.queue import Question
from altool.loop.session import Session
from altool.safe import BIDI_CONTROLS
from altool.ui.app import ViewState, render_screen
from altool.ui.ner import NerViewState, render_ner_screen
from altool.ui.render import highlighted_text, labels_text, versions_table

EVIL = "x\x1b]0;pwned\x07y\x1b[2J\x9b31m\u202etxt.exe[/b]\x7f\x00\r\u2028z"
SGR = re.compile(r"\x1b\[[0-9;]*m")
FORBIDDEN = {chr(c) for c in (*range(0x00, 0x09), *range(0x0B, 0x20), 0x7F,
                              *range(0x80, 0xA0), *BIDI_CONTROLS)}


def assert_safe(screen: str) -> None:
    bad = {f"U+{ord(c):04X}" for c in SGR.sub("", screen) if c in FORBIDDEN}
    assert not bad, bad


@pytest.mark.parametrize("view", ["binary", "choice", "text", "review"])
def test_text_views(store, view):
    task = {"text": EVIL, "label": EVIL, "meta": {EVIL: EVIL},
            "options": [{"id": EVIL, "text": EVIL}, {"id": "b", "text": "b"}]}
    if view == "review":
        task["versions"] = [{"answer": "accept", "label": EVIL, "sources": [
            {"dataset": EVIL, "session": EVIL}]}, {"answer": "reject", "sources": []}]
    session = Session(store, "ds", [Question(set_hashes(task), predicted=[EVIL])], view=view,
                      labels=[EVIL, "b"])
    session.advance()
    assert_safe(render_screen(session, ViewState(filter_text=None), 80, 24, title=EVIL))


@pytest.mark.parametrize("view", ["ner", "ner_manual"])
def test_span_views(store, view):
    from altool.ui.span_editor import Editor

    task = tokenize(blank_nlp("en"), {"text": f"Acme {EVIL} rocks", "meta": {"k": EVIL},
                                      "spans": [{"start": 0, "end": 4, "label": EVIL}]})
    task = set_hashes({**task, "label": EVIL})
    session = Session(store, "ds", [task], view=view, labels=[EVIL])
    session.advance()
    state = NerViewState()
    state.editor = Editor.from_task(task)
    assert_safe(render_ner_screen(session, state, 80, 24, title=EVIL))


def test_print_dataset_and_review_renderables():
    from io import StringIO

    from rich.console import Console

    eg = {"text": EVIL, "label": EVIL, "answer": "accept",
          "spans": [{"start": 0, "end": 3, "label": EVIL}]}
    out = StringIO()
    console = Console(file=out, force_terminal=True, width=80)
    console.print(labels_text(eg), highlighted_text(eg), labels_text(eg, EVIL))
    console.print(versions_table([{"answer": "accept", "label": EVIL,
                                   "sources": [{"dataset": EVIL, "session": EVIL}]}], EVIL))
    assert_safe(out.getvalue())
