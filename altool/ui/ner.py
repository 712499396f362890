"""Terminal views for entity spans: ``ner_manual`` (edit spans) and ``ner`` (accept or reject
one suggested span).

The text is laid out token by token (:mod:`altool.ui.layout`: wrapped at the box's width,
newlines kept), spans on a per-label background with their label after them, the cursor token
in reverse video and the selection on grey. The box scrolls to keep the cursor (``ner_manual``)
or the suggested span (``ner``) in view. :func:`screen_lines` is a pure function of the session
and :class:`NerViewState` (but for the scroll position and token positions it keeps in step);
:class:`NerApp` maps keys to :class:`~altool.io.spans.Editor` operations and session answers.
"""

from __future__ import annotations

import textwrap
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field
from typing import Any

from ..io.spans import SpanError
from ..loop.session import Session
from ..safe import printable
from .app import SCROLL_KEYS, TeachApp, ViewState, no_question, status_line, warning_text
from .layout import (
    CURSOR_STYLE,
    SELECTION_STYLE,
    Layout,
    Line,
    bordered,
    fit,
    label_style,
    layout,
    relayout,
    restyle,
    to_ansi,
    to_fragments,
)
from .span_editor import Editor

NER_VIEWS = ("ner", "ner_manual")
MANUAL_KEYS = "←→ move · ⇧←→ or v select · 1-9 label · d delete · a x space · u undo · ? help"
BINARY_KEYS = "a accept · x reject · space ignore · u undo · q quit · ? help"
MANUAL_HELP = """\
← →        move over the tokens (↑ ↓ a line up / down, over blank lines;
           PgUp PgDn a page; Home End or g G the first / last token)
⇧← ⇧→      select: extend the selection from the cursor
v          select mode: moving extends the selection until v again
1-9        label the selection (or the token under the cursor);
           spans sharing a token with it are replaced
d          delete the span under the cursor (or all the selection
           touches)
a          accept: store the text with the spans as shown
x          reject (stored with the spans as shown)
space      ignore
u, ⌫       undo the last span edit; with none left, the last answer
q, ctrl-c  quit (every answer is already saved)
?          show or hide this help"""
BINARY_HELP = """\
a          accept: the highlighted span is an entity with this label
x          reject: it is not (a constraint, not "no entity here")
space      ignore (skip; never asked again)
u, ⌫       undo the last answer
↑ ↓        scroll a long text; PgUp PgDn a page, Home End (g G) its start
           or end (the suggestion shows again on the next question)
q, ctrl-c  quit (every answer is already saved)
?          show or hide this help"""


@dataclass
class NerViewState(ViewState):
    """View state plus the span editor of the current text and its edit history."""

    editor: Editor | None = None
    history: list[Editor] = field(default_factory=list)
    positions: list[tuple[int, int]] = field(default_factory=list)  # (line, column) per token
    follow: bool = True  # keep the cursor / suggestion in view (off once ner's text scrolls)
    # the current text laid out without cursor or selection: (task, (width, labels, spans),
    # layout); laid out again only when one of them changes
    laid: tuple[dict[str, Any], tuple[Any, ...], Layout] | None = None


# -- rendering -------------------------------------------------------------------------------------
def screen_lines(session: Session, state: NerViewState, width: int,
                 height: int, title: str = "altool") -> list[Line]:
    """The whole ``ner``/``ner_manual`` screen: ``height`` lines of styled segments."""
    width = max(width, 20)
    body_height = max(height - 2, 6)
    question = session.current
    manual = session.view == "ner_manual"
    lines: list[Line] = [fit([(printable(title).replace("\n", " "), "bold")], width)]
    if state.show_help:
        help_text = MANUAL_HELP if manual else BINARY_HELP
        lines += bordered([[(row, "")] for row in help_text.split("\n")], width, "keys",
                          style="cyan")
    elif question is None:
        lines += [[], *(fit([(part, "bold")], width)
                        for part in textwrap.wrap(no_question(session), max(width, 10)))]
    else:
        prompt = _manual_prompt(session, state) if manual else _binary_prompt(question.task)
        room = max(body_height - len(lines) - 2 - len(prompt), 1)
        lines += _text_box(session, state, width, room)
        lines += [fit(line, width) for line in prompt]
    lines = lines[:body_height]
    lines += [[] for _ in range(body_height - len(lines))]
    message = state.message or warning_text(session)
    keys = MANUAL_KEYS if manual else BINARY_KEYS
    lines.append(fit([(status_line(session), "reverse")], width))
    lines.append(fit([(message, "yellow")] if message else [(keys, "dim")], width))
    return lines


def render_ner_screen(session: Session, state: NerViewState, width: int, height: int,
                      title: str = "altool") -> str:
    """The screen of :func:`screen_lines` as ANSI text."""
    return to_ansi(screen_lines(session, state, width, height, title))


def _text_box(session: Session, state: NerViewState, width: int, room: int) -> list[Line]:
    """The bordered, scrolled text: ``room`` lines at most inside the border."""
    assert session.current is not None
    task = session.current.task
    labels = _labels(session, task)
    ed = state.editor
    spans = [(s.token_start, s.token_end, s.label) for s in ed.spans] if ed else []
    laid = _laid_out(state, task, width - 4, labels, spans)
    manual = ed is not None and session.view == "ner_manual"
    if ed is None:
        target = target_end = 0
    elif manual:
        target = target_end = laid.positions[ed.cursor][0] if ed.stops else 0
    else:  # ner: the suggested span, read-only
        target = laid.positions[spans[0][0]][0] if spans else 0
        target_end = laid.positions[spans[0][1]][0] if spans else 0
    state.positions = laid.positions
    state.page = room
    total = len(laid.lines)
    scroll = min(state.scroll, max(total - room, 0))
    if state.follow:
        scroll = min(max(scroll, target_end - room + 1), target)  # keep the target in view
    state.scroll = max(scroll, 0)
    end = state.scroll + room
    where = f"lines {state.scroll + 1}-{min(end, total)} of {total}" if total > room else ""
    meta = {k: v for k, v in (task.get("meta") or {}).items() if k != "score"}
    subtitle = printable(" · ".join(f"{k}: {v}" for k, v in list(meta.items())[:4]))
    shown = laid.lines[state.scroll : end]
    if manual and ed is not None and ed.stops:  # the cursor and selection, on these lines only
        shown = restyle(laid, state.scroll, end, labels, spans, ed.cursor,
                        ed.selection if ed.selecting else None)
    return bordered(shown, width, where, subtitle, widths=laid.widths[state.scroll : end])


def _laid_out(state: NerViewState, task: dict[str, Any], width: int, labels: list[str],
              spans: list[tuple[int, int, str]]) -> Layout:
    """``task`` laid out at ``width`` with ``spans`` (no cursor or selection), kept in
    ``state`` while they stay the same: a key that moves the cursor costs what the lines
    shown cost, not what the text does (a 15,000-token text took 57 ms to lay out); a span
    edit, what the paragraphs it touches cost (:func:`~altool.ui.layout.relayout`)."""
    key = (width, tuple(labels), tuple(spans))
    cached = state.laid
    if cached is not None and cached[0] is task and cached[1] == key:
        return cached[2]
    if cached is not None and cached[0] is task and cached[1][:2] == key[:2]:
        laid = relayout(cached[2], task, width, labels, list(cached[1][2]), spans)
    else:
        laid = layout(task, width, labels, spans)
    state.laid = (task, key, laid)
    return laid


def _labels(session: Session, task: dict[str, Any]) -> list[str]:
    """Labels in key order: the recipe's, then any other label found in the task's spans."""
    labels = list(session.labels)
    labels += [s["label"] for s in task.get("spans") or [] if s.get("label") not in labels]
    return list(dict.fromkeys(labels))


def _manual_prompt(session: Session, state: NerViewState) -> list[Line]:
    """The legend of labels and their keys, and what the cursor / selection is on."""
    assert session.current is not None
    task = session.current.task
    labels = _labels(session, task)
    legend: Line = []
    for i, label in enumerate(labels[:9], start=1):
        legend += [(f"{i}", "bold cyan"), (f" {printable(label)} ", label_style(labels, label)),
                   ("  ", "")]
    ed = state.editor
    if ed is None or ed.selection is None:
        return [legend, [("(no tokens to label in this text)", "dim")]]
    first, last = ed.selection
    tokens = task["tokens"]
    words = printable(task["text"][tokens[first]["start"] : tokens[last]["end"]])
    words = words if len(words) <= 40 else words[:39] + "…"
    if ed.selecting:
        n = sum(1 for i in ed.stops if first <= i <= last)
        info: Line = [(f"selected {n} token{'s' if n > 1 else ''}: ", "bold"),
                      (words, SELECTION_STYLE),
                      ("  1-9 labels it" + (" · v ends select mode" if ed.visual else ""), "dim")]
    else:
        info = [(f"token {ed.stops.index(ed.cursor) + 1}/{len(ed.stops)}: ", "bold"),
                (words, CURSOR_STYLE)]
        span = ed.span_at(ed.cursor)
        if span is not None:
            info += [("  in ", "dim"), (f" {printable(span.label)} ",
                                         label_style(labels, span.label)),
                     ("  d deletes it", "dim")]
    n_spans = len(ed.spans)
    info.append((f"  · {n_spans} span{'' if n_spans == 1 else 's'}", "dim"))
    return [legend, info]


def _binary_prompt(task: dict[str, Any]) -> list[Line]:
    spans = task.get("spans") or []
    label = spans[0]["label"] if spans else task.get("label", "")
    meta = task.get("meta") or {}
    score = meta.get("score")
    if isinstance(score, int | float):
        score_txt = f"model score {score:.2f}"
    else:  # a pattern match (its file and line show under the text), or no model yet
        score_txt = "pattern match" if meta.get("pattern") else "no model yet"
    return [[("Is the highlighted span ", "bold"),
             (f" {printable(label)} ", "bold reverse magenta"),
             ("?   ", "bold"), (score_txt, "dim")]]


# -- the app ---------------------------------------------------------------------------------------
MOVES = {"left": -1, "right": 1, "s-left": -1, "s-right": 1}
LINE_MOVES = ("up", "down", "pageup", "pagedown")
EDIT_KEYS = (*MOVES, *LINE_MOVES, "home", "end", "v", "d", *"123456789")


def line_target(positions: list[tuple[int, int]], stops: tuple[int, ...], cursor: int,
                lines: int) -> int:
    """The token ``lines`` display lines below the cursor's (above when negative) nearest its
    column. A line without a token (a blank line between paragraphs) is passed over to the
    next line that has one; past the first or last such line, the move stops there."""
    if not positions or cursor >= len(positions) or not lines:
        return cursor
    line, col = positions[cursor]
    goal = line + lines
    on = [positions[i][0] for i in stops]  # non-decreasing: tokens are laid out in order
    if lines > 0:
        k = bisect_left(on, goal)  # the first token on the goal line or below it
        if k == len(on):
            k = len(on) - 1
    else:
        k = bisect_right(on, goal) - 1  # the last token on the goal line or above it
        if k < 0:
            k = 0
    target_line = on[k]
    if (target_line - line) * lines <= 0:  # nothing further that way
        return cursor
    lo, hi = bisect_left(on, target_line), bisect_right(on, target_line)
    return min(stops[lo:hi], key=lambda i: abs(positions[i][1] - col))


class NerApp(TeachApp):
    """The terminal app for the ``ner`` and ``ner_manual`` views."""

    extra_keys = ("left", "right", "s-left", "s-right", "home", "end", "v", "d")

    def __init__(self, session: Session, title: str = "altool") -> None:
        self._edited: dict[int, list[dict[str, Any]]] = {}  # task hash -> spans as answered
        super().__init__(session, title)
        self.state: NerViewState = NerViewState()
        if session.worker_status is None and self.app is not None:
            # nothing changes on screen between keys (no model in the background): no timed
            # redraws of a long text competing with the keys
            self.app.refresh_interval = None

    def render(self, width: int, height: int) -> str:
        return render_ner_screen(self.session, self.state, width, height, self.title)

    def formatted(self, width: int, height: int) -> Any:
        return to_fragments(screen_lines(self.session, self.state, width, height, self.title))

    def _new_question(self) -> None:
        q = self.session.current
        if (id(q) if q is not None else None) == self.state.question_id:
            return
        super()._new_question()
        self.state.follow = True
        self.state.history = []
        self.state.editor = self._editor_for(q.task) if q is not None else None

    def _editor_for(self, task: dict[str, Any]) -> Editor | None:
        """The editor on ``task`` (read-only in the ``ner`` view), with the spans it was
        answered with if this is an undo; None (and a message) for a task without tokens."""
        if "tokens" not in task:
            self.state.message = "This task has no tokens: the recipe must tokenize its texts."
            return None
        saved = self._edited.get(task["_task_hash"])
        try:
            return Editor.from_task(task if saved is None else {**task, "spans": saved})
        except SpanError as err:
            self.state.message = f"The task's spans were dropped: {err}"
            return Editor.from_task({**task, "spans": []})

    def act(self, key: str) -> bool:
        if self._saving is not None:  # an answer waits for the database: TeachApp decides
            return super().act(key)
        manual = self.session.view == "ner_manual" and not self.state.show_help
        if manual and key in EDIT_KEYS:
            self.state.message = ""
            self.session.advance()
            self._new_question()
            if self.state.editor is not None:
                self._edit(key, self.state.editor)
            return True
        if not manual and key in SCROLL_KEYS and self.session.view == "ner":
            self.state.follow = False  # reading around the suggestion: let the text scroll
        if manual and key in ("u", "backspace") and self.state.history:
            self.state.message = ""
            self.state.editor = self.state.history.pop()
            return True
        return super().act(key)

    def _edit(self, key: str, ed: Editor) -> None:
        labels = _labels(self.session, self.session.current.task) if self.session.current \
            else []
        if key in MOVES:
            new = ed.move(MOVES[key], extend=key.startswith("s-"))
        elif key in ("home", "end") and ed.stops:
            new = ed.move_to(ed.stops[0] if key == "home" else ed.stops[-1])
        elif key in LINE_MOVES:
            page = max(self.state.page - 1, 1)
            lines = {"up": -1, "down": 1, "pageup": -page, "pagedown": page}[key]
            new = ed.move_to(line_target(self.state.positions, ed.stops, ed.cursor, lines))
            if key.startswith("page"):  # the text moves a page too, as in an editor
                self.state.scroll = max(self.state.scroll + lines, 0)
        elif key == "v":
            new = ed.toggle_visual()
        elif key == "d":
            new = ed.delete()
            if new is ed:
                self.state.message = "No span under the cursor to delete."
        elif int(key) <= min(len(labels), 9):
            new = ed.assign(labels[int(key) - 1])
        else:
            self.state.message = f"No label {key}: the labels are 1-{min(len(labels), 9)}."
            new = ed
        if new.spans != ed.spans:
            self.state.history.append(ed)
        self.state.editor = new

    def _accept(self) -> None:
        self._answer("accept")

    def _answer(self, answer: str, accept: list[str] | None = None,
                fields: dict[str, Any] | None = None) -> None:
        q, ed = self.session.current, self.state.editor
        if q is not None and ed is not None and self.session.view == "ner_manual":
            spans = ed.to_spans(q.task["tokens"])
            self._edited[q.task_hash] = spans
            fields = {**(fields or {}), "spans": spans}
        super()._answer(answer, accept, fields)


__all__ = ["NER_VIEWS", "NerApp", "NerViewState", "render_ner_screen", "screen_lines"]
