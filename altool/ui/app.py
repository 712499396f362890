"""The full-screen terminal UI: prompt_toolkit reads keys, Rich draws the screen.

Keys (the same in every view): ``a`` accept, ``x`` reject, ``space`` ignore, ``u`` or
``backspace`` undo, ``q`` / Ctrl-C quit, ``?`` help, ``1``-``9`` pick a label, ``/`` filter
labels, up/down scroll a long text (PgUp/PgDn a page, Home/End or g/G to its start or end).
All state lives in :class:`~altool.loop.session.Session`; this module only maps keys to it and
draws it. Set ``ALTOOL_LATENCY_LOG=FILE`` to log, per key, the
seconds from the key press to the finished redraw.
"""

from __future__ import annotations

import errno
import io
import os
import signal
import sys
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from rich.console import Console, Group
from rich.panel import Panel
from rich.text import Text

from ..errors import AltoolError
from ..loop.session import Session
from ..safe import printable
from ..store import BUSY_TIMEOUT_S, QUESTION_META
from ..store.review import resolution
from .render import review_prompt
from .textview import WrappedText, position, text_box

KEYS_LINE = "a accept · x reject · space ignore · u undo · q quit · ? help"
HELP = """\
a          accept (binary: the label applies; choice: the highlighted / selected labels)
x          reject (binary: it does not apply; choice: none of the labels)
space      ignore (skip; stored as 'ignore', never asked again)
u, ⌫       undo the last answer (repeatable; the stored answer is deleted)
1-9        choice view: pick that label (several labels: toggle it, then a);
           review view: store that version
/          choice view: type to filter the labels, enter picks the first match, esc clears
↑ ↓        scroll a long text a line; PgUp PgDn a page;
           Home End (or g G) to its start or end
q, ctrl-c  quit (every answer is already saved)
?          show or hide this help"""


@dataclass
class ViewState:
    """What the screen shows beyond the session: selection, filter, scroll, messages."""

    selected: set[str] = field(default_factory=set)
    filter_text: str | None = None
    scroll: int = 0
    show_help: bool = False
    message: str = ""
    question_id: int | None = None
    page: int = 10  # text lines the box showed last time (PgUp/PgDn move by this much)
    wrapped: WrappedText | None = None  # the current text, wrapped for the box


SCROLL_KEYS = ("up", "down", "pageup", "pagedown", "home", "end")
VI_KEYS = {"g": "home", "G": "end"}  # as in less and vi
END = 10**12  # scroll to the end: the text box clamps it to the last page


def scrolled(top: int, key: str, page: int) -> int:
    """The first line shown after a scroll key (``page``: the lines the box shows)."""
    step = {"up": -1, "down": 1, "pageup": -max(page - 1, 1), "pagedown": max(page - 1, 1)}
    if key == "home":
        return 0
    if key == "end":
        return END
    return max(0, min(top, END) + step[key])


def visible_labels(labels: list[str], filter_text: str | None) -> list[str]:
    """Labels shown with numbers 1-9: all, or those matching the filter (case-insensitive)."""
    if filter_text:
        needle = filter_text.lower()
        return [label for label in labels if needle in label.lower()]
    return labels


def render_screen(session: Session, state: ViewState, width: int, height: int,
                  title: str = "altool") -> str:
    """The whole screen as ANSI text (a pure function of session + view state)."""
    console = Console(
        file=io.StringIO(), width=max(width, 20), force_terminal=True, color_system="256",
        legacy_windows=False, highlight=False, emoji=False,
    )
    body_height = max(height - 3, 5)
    question = session.current
    header = Text(printable(title).replace("\n", " "), style="bold", no_wrap=True,
                  overflow="ellipsis")
    if state.show_help:
        body: Any = Panel(Text(HELP), title="keys", border_style="cyan")
        lines = _lines(console, Group(header, body))
    elif question is None:
        lines = _lines(console, Group(header, Text(""), Text(no_question(session),
                                                             style="bold")))
    else:
        prompt = _prompt(session, state, max(width, 20))
        prompt_lines = _lines(console, prompt)
        room = body_height - 1 - len(prompt_lines)
        text_panel_lines = _lines(console, Group(*_text_box(question.task, state,
                                                            max(width, 20), max(room, 3))))
        lines = _lines(console, header) + text_panel_lines + prompt_lines
    lines = lines[:body_height]
    lines += [""] * (body_height - len(lines))
    status = _lines(console, Text(status_line(session), style="reverse", overflow="ellipsis",
                                  no_wrap=True))[:1]
    message = state.message or warning_text(session)
    footer = _lines(console, Text(message or KEYS_LINE, style="yellow" if message else "dim",
                                  no_wrap=True, overflow="ellipsis"))[:1]
    return "\n".join(lines + status + footer)


def no_question(session: Session) -> str:
    """What the screen says while there is no question to show."""
    if session.budget_reached:
        undo = ", or u to take back the last answer" if session.can_undo else ""
        return (f"Budget reached: {session.dataset_total:,} answers in the dataset (budget "
                f"{session.budget:,}). Press q to quit{undo}; run again with a larger "
                "--budget to go on.")
    if session.finished:
        return "No more questions: everything in the source has been answered. Press q to quit."
    if session.count:
        return "Waiting for the next question…"
    return "Getting the first questions ready…"


def _lines(console: Console, renderable: Any) -> list[str]:
    with console.capture() as capture:
        console.print(renderable)
    return capture.get().rstrip("\n").split("\n")



def _text_box(task: dict[str, Any], state: ViewState, width: int, room: int) -> list[Text]:
    """The text in its frame, at most ``room`` lines: whole if it fits, else the lines from
    ``state.scroll`` with a line saying which ones and how to move."""
    inner = max(width - 4, 1)
    wrapped = state.wrapped
    if wrapped is None or wrapped.width != inner:
        wrapped = state.wrapped = WrappedText(task.get("text", ""), inner)
    meta = {k: v for k, v in (task.get("meta") or {}).items() if k not in HIDDEN_META}
    subtitle = " · ".join(f"{k}: {v}" for k, v in list(meta.items())[:4])
    wrapped.ensure(room - 1)  # one more than fits: is there more?
    if wrapped.done and (wrapped.total or 0) <= room - 2:
        state.scroll = 0
        return text_box(wrapped, 0, (wrapped.total or 0) + 2, subtitle)
    rows = room - 1  # the last line tells the position
    shown = max(rows - 2, 1)
    state.page = shown
    wrapped.ensure(state.scroll + shown)
    if state.scroll + shown > wrapped.known():  # End, or scrolled past the end
        if state.scroll >= wrapped.known():
            wrapped.wrap_all()
        state.scroll = max(0, min(state.scroll, wrapped.known() - shown))
    hint = Text(f"  {position(wrapped, state.scroll, shown)} · ↑↓ PgUp PgDn Home End",
                style="dim", no_wrap=True, overflow="ellipsis")
    return [*text_box(wrapped, state.scroll, rows, subtitle), hint]


def _prompt(session: Session, state: ViewState, width: int = 80) -> Any:
    question = session.current
    assert question is not None
    task = question.task
    score = (task.get("meta") or {}).get("score")
    if isinstance(score, int | float):
        score_txt = f"model score {score:.2f}"
    else:  # "no model yet" only where a model is coming (recipes with a status())
        score_txt = "no model yet" if session.worker_status is not None else ""
    if session.view == "review":
        return review_prompt(task)
    if session.view == "text" or (session.view == "binary" and not task.get("label")):
        return Text("Accept, reject or ignore?  (a / x / space)", style="bold")
    if session.view == "binary":
        label = task.get("label", "")
        line = Text.assemble(("Does ", "bold"),
                             (f" {printable(str(label))} ", "bold reverse magenta"),
                             (" apply?   ", "bold"), (score_txt, "dim"))
        return line
    labels = [o["id"] for o in task.get("options", [])] or session.labels
    shown = visible_labels(labels, state.filter_text)
    guess = [label for label in labels if label in set(question.predicted or [])]
    parts: list[Text] = []
    for i, label in enumerate(shown[:9], start=1):
        mark = "●" if label in state.selected else ("◆" if label in guess else " ")
        style = "bold reverse green" if label in state.selected else (
            "bold reverse magenta" if label in guess else "")
        parts.append(Text.assemble((f"{i} ", "bold cyan"), (f"{mark}{printable(label)}", style)))
    extra = len(shown) - 9
    notes = []
    if extra > 0:
        notes.append(f"+{extra} more: type / to filter")
    if state.filter_text is not None:
        notes.append(f"filter: {state.filter_text}▌ (enter picks 1, esc clears)")
    if session.multilabel:
        kind = Text("toggle labels, a confirms", style="dim")
    elif guess:  # the guess is named here, so `a` never accepts a label that is off screen
        kind = Text.assemble(("a accepts ◆ ", "dim"), (printable(", ".join(guess)), "magenta"),
                             (", digit picks", "dim"))
    else:
        kind = Text("digit picks", style="dim")
    head = Text.assemble(("Which label? ", "bold"), ("(", "dim"), kind, (")   ", "dim"),
                         (score_txt, "dim"))
    rows = label_rows(parts, width)
    return Group(head, *rows, Text(" · ".join(notes), style="dim")) if notes else \
        Group(head, *rows)


def label_rows(parts: list[Text], width: int, gap: int = 2) -> list[Text]:
    """The numbered labels laid out in rows of at most ``width`` cells. A number and its label
    are never split across rows; a label too long for a row of its own is cut with "…"."""
    rows: list[Text] = []
    row = Text()
    for part in parts:
        if part.cell_len > width:
            part = part.copy()
            part.truncate(width, overflow="ellipsis")
        if row.cell_len and row.cell_len + gap + part.cell_len > width:
            rows.append(row)
            row = Text()
        if row.cell_len:
            row.append(" " * gap)
        row.append_text(part)
    if row.cell_len or not rows:
        rows.append(row)
    return rows


STATUS_WIDTH = 80
# the loop's meta keys not shown under the text (the score has its own line; ``pick`` shows)
HIDDEN_META = frozenset(QUESTION_META) - {"pick"}


def status_line(session: Session) -> str:
    """One line: answers this session and in the dataset, the model's recent hit rate, state.

    Once the stopping criterion fires the line says "you can probably stop" right after the
    counts, and the model's own details shrink (dropped one by one past 80 columns); the
    stream's skips, the random-pick check and the recipe's progress stay, after it (a narrow
    terminal cuts the line's end)."""
    s = session.status()
    state = s.get("model_state")
    stop = state == "ready" and bool(s.get("can_stop"))
    model: list[str] = []  # the part that shrinks when the line is too long
    if s.get("accuracy") is not None:
        model.append(f"{s['accuracy']:.0%} right" if stop
                     else f"model {s['accuracy']:.0%} right (last {s['accuracy_n']})")
    if state == "ready":
        version = f"v{s.get('model_version', 0)}"
        model.append(version if stop else f"{version}, {s.get('trained_on', 0)} ex")
    elif state in ("warming up", "starting"):
        model.append("model warming up")
    elif state == "failed":
        model.append("model failed")
    rest = []
    if s.get("progress"):  # e.g. "embedding 3,000/20,000"
        rest.append(s["progress"])
    if s.get("cluster"):  # --cluster: e.g. "1,000,000 scored on the cluster"
        rest.append(s["cluster"])
    if s.get("seen"):  # a stream strategy
        rest.append(f"skipped {s['skipped']:,} of {s['seen']:,}")
    if s.get("audit_accuracy") is not None:  # --mix random=SHARE: the unbiased check
        rest.append(f"random picks {s['audit_accuracy']:.0%} right ({s['audit_n']})")
    if s.get("done") is not None:  # the recipe's progress()
        rest.append(f"{s['done']:.0%} done")
    counts = [f"{s['session']} this session", f"{s['dataset']} in dataset"]
    if s.get("budget") is not None:
        counts.append(f"{s['budget_left']:,} of {s['budget']:,} budget left")
    if stop:
        counts.append("you can probably stop")
    line = " " + " · ".join([*counts, *model, *rest])
    while stop and model and len(line) > STATUS_WIDTH:
        model.pop(0)
        line = " " + " · ".join([*counts, *model, *rest])
    return line


def warning_text(session: Session) -> str:
    return session.status().get("warning") or ""


class TeachApp:
    """Wire a :class:`Session` to a full-screen prompt_toolkit application."""

    extra_keys: tuple[str, ...] = ()  # more prompt_toolkit key names a subclass's act() takes

    def __init__(self, session: Session, title: str = "altool") -> None:
        self.session = session
        self.title = title
        self.state = ViewState()
        self._key_time: float | None = None
        self._latency_log = os.environ.get("ALTOOL_LATENCY_LOG")
        self._saving: Save | None = None  # an answer being stored in the background
        self.app = self._build()

    # -- actions -----------------------------------------------------------------------------
    def _new_question(self) -> None:
        q = self.session.current
        qid = id(q) if q is not None else None
        if qid != self.state.question_id:
            self.state.question_id = qid
            self.state.scroll = 0
            self.state.wrapped = None
            self.state.filter_text = None
            self.state.selected = set(q.predicted or []) if (q and self.session.multilabel) \
                else set()

    def act(self, key: str) -> bool:
        """Handle one key; return False when the app should quit."""
        session = self.session
        self._check_saving()
        if self._saving is not None:  # the last answer still waits for the database
            if key in ("q", "c-c"):
                self._stop_saving()
                return False
            self.state.message = SAVING
            return True
        self.state.message = ""
        if key in ("q", "c-c"):
            return False
        if key == "?":
            self.state.show_help = not self.state.show_help
            return True
        if key in ("u", "backspace") and self.state.filter_text is None:
            if not session.undo():
                self.state.message = "Nothing to undo in this session."
            self.state.question_id = None
            self._new_question()
            return True
        session.advance()
        self._new_question()
        if session.current is None:
            return True
        if key in SCROLL_KEYS:
            self.state.scroll = scrolled(self.state.scroll, key, self.state.page)
        elif key == "space":
            self._answer("ignore")
        elif session.view == "review" and (key in ("a", "x") or key.isdigit()):
            self._review(key)
        elif key == "x":
            self._answer("reject")
        elif key == "a":
            self._accept()
        elif key.isdigit() and key != "0" and session.view == "choice":
            self._digit(int(key))
        return not session.gone  # the dataset was dropped meanwhile: nothing more is stored

    def _labels(self) -> list[str]:
        q = self.session.current
        options = [o["id"] for o in (q.task.get("options") or [])] if q else []
        return options or self.session.labels

    def _accept(self) -> None:
        session = self.session
        if session.view in ("binary", "text"):
            self._answer("accept")
            return
        chosen = self.state.selected if session.multilabel else set(
            session.current.predicted or []) if session.current else set()
        if not chosen and not session.multilabel:
            self.state.message = "No guess yet: pick a label with 1-9 (or / to filter)."
            return
        if not chosen:
            self.state.message = "Nothing selected: toggle labels with 1-9, or x for none."
            return
        self._answer("accept", sorted(chosen, key=self._labels().index))

    def _digit(self, number: int) -> None:
        shown = visible_labels(self._labels(), self.state.filter_text)
        if number > min(len(shown), 9):
            self.state.message = f"No label {number} here."
            return
        label = shown[number - 1]
        if self.session.multilabel:
            self.state.selected ^= {label}
            self.state.filter_text = None
        else:
            self._answer("accept", [label])

    def _review(self, key: str) -> None:
        assert self.session.current is not None
        try:
            answer, fields = resolution(self.session.current.task, key)
        except AltoolError as err:
            self.state.message = str(err)
            return
        self._answer(answer, fields=fields)

    def _answer(self, answer: str, accept: list[str] | None = None,
                fields: dict[str, Any] | None = None) -> None:
        """Store the answer in the background (committed before the next question shows); if
        it takes longer than a moment (another process holds the database's write lock), the
        screen keeps drawing, says so, and ``q`` quits without it."""
        if self._saving is not None:
            return
        save = Save(self.session, answer, accept, fields, on_change=self._invalidate)
        save.start()
        running = self.app is not None and self.app.is_running
        save.join(SAVE_WAIT_S if running else None)
        if save.is_alive():
            self._saving = save
            return
        self._settle(save)

    def _settle(self, save: Save) -> None:
        """Show what became of a stored (or refused) answer."""
        err = save.error
        if err is None:
            self._new_question()
        elif isinstance(err, AltoolError):
            self.state.message = str(err)
        elif isinstance(err, Exception):  # validate_answer raised: show it, keep the question
            self.state.message = f"Not saved: {err}"
        else:
            raise err

    def _check_saving(self) -> None:
        """Settle an answer stored in the background once it is done."""
        save = self._saving
        if save is not None and not save.is_alive():
            self._saving = None
            self._settle(save)

    def _stop_saving(self) -> None:
        """Quit while an answer waits for the lock: stop waiting; say so if it is not stored."""
        save = self._saving
        if save is None:
            return
        save.cancel.set()
        save.join()
        self._saving = None
        if save.error is not None:
            self.session.notes.append(f"Your last answer was not stored: {save.error}")

    def _invalidate(self) -> None:
        if self.app is not None and self.app.is_running:
            self.app.invalidate()

    # -- prompt_toolkit wiring -------------------------------------------------------------------
    def _build(self):
        from prompt_toolkit.application import Application
        from prompt_toolkit.filters import Condition
        from prompt_toolkit.key_binding import KeyBindings
        from prompt_toolkit.layout import Layout, Window
        from prompt_toolkit.layout.controls import FormattedTextControl

        kb = KeyBindings()
        filtering = Condition(lambda: self.state.filter_text is not None)
        normal = ~filtering

        def bind(*keys: str, name: str, condition=normal) -> None:
            @kb.add(*keys, filter=condition)
            def _(event) -> None:
                self._key_time = time.perf_counter()
                if not self.act(name):
                    event.app.exit()

        for key in ("a", "x", "u", "q", "?", *"123456789"):
            bind(key, name=key)
        bind(" ", name="space")
        bind("backspace", name="backspace")
        bind("c-c", name="c-c", condition=Condition(lambda: True))
        for key in SCROLL_KEYS:
            bind(key, name=key, condition=Condition(lambda: True))
        for key, name in VI_KEYS.items():  # for keyboards without Home and End
            bind(key, name=name)
        for key in "123456789":
            bind(key, name=key, condition=filtering)
        for key in self.extra_keys:
            bind(key, name=key)

        @kb.add("/", filter=normal)
        def _(event) -> None:
            if self.session.view == "choice":
                self.state.filter_text = ""

        @kb.add("escape", filter=filtering)
        def _(event) -> None:
            self.state.filter_text = None

        @kb.add("enter", filter=filtering)
        def _(event) -> None:
            self._key_time = time.perf_counter()
            self._digit(1)
            self.state.filter_text = None

        @kb.add("backspace", filter=filtering)
        def _(event) -> None:
            self.state.filter_text = (self.state.filter_text or "")[:-1]

        @kb.add("<any>", filter=filtering)
        def _(event) -> None:
            char = event.data
            if char.isprintable() and not char.isdigit():
                self.state.filter_text = (self.state.filter_text or "") + char

        def body():
            self._check_saving()
            if self._saving is None:
                self.session.advance()
                self._new_question()
                if self.session.gone:  # a background save found the dataset dropped
                    self.app.exit()
            elif self._saving.waiting:
                self.state.message = SAVING
            size = self.app.output.get_size()
            return self.formatted(size.columns, size.rows)

        control = FormattedTextControl(body, focusable=True, show_cursor=False)
        app = Application(
            layout=Layout(Window(control, wrap_lines=False)),
            key_bindings=kb,
            full_screen=True,
            refresh_interval=0.25,
            input=_terminal_input(),
        )
        app.after_render += self._after_render
        return app

    def render(self, width: int, height: int) -> str:
        """The screen as ANSI text (a subclass with its own views draws them here)."""
        return render_screen(self.session, self.state, width, height, self.title)

    def formatted(self, width: int, height: int) -> Any:
        """The screen as prompt_toolkit formatted text (a subclass may skip the ANSI step)."""
        from prompt_toolkit.formatted_text import ANSI

        return ANSI(self.render(width, height))

    def _after_render(self, _app) -> None:
        if self._key_time is None:
            return
        elapsed = time.perf_counter() - self._key_time
        self._key_time = None
        if self._latency_log:
            with open(self._latency_log, "a", encoding="utf-8") as fh:
                fh.write(f"{elapsed:.6f}\n")

    def run(self) -> None:
        hung_up: list[int] = []

        def stop(signum, frame) -> None:
            if signum == signal.SIGHUP:  # the terminal is gone: writing to it would fail (EIO)
                _detach_output()
                hung_up.append(signum)
            loop = getattr(self.app, "loop", None)
            if loop is not None and self.app.is_running:
                loop.call_soon_threadsafe(self.app.exit)
            else:
                raise KeyboardInterrupt

        previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGHUP)}
        try:
            self.app.run()
        except OSError as err:
            if err.errno != errno.EIO:
                raise
            # the terminal went away and a read or the exit's redraw failed before its SIGHUP
            # arrived: the same as a hang-up (the answers are stored; on_exit saves the model)
            _detach_output()
            hung_up.append(signal.SIGHUP)
        finally:
            self._stop_saving()  # a quit by signal while an answer waits for the lock
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            if hung_up:
                # the terminal is gone and more hang-ups may follow: they must not kill the
                # process while the model worker is still saving (``on_exit`` runs next)
                signal.signal(signal.SIGHUP, signal.SIG_IGN)


SAVE_WAIT_S = 0.05  # an answer stored within this shows the next question in the same redraw
SAVING = ("Saving your answer: another process holds the database's lock (a long load?). It is "
          "stored once the lock frees; q quits without it.")


class Save(threading.Thread):
    """One answer being stored, off the UI's thread: while another process holds the
    database's write lock the store retries every 0.1 s, and gives up when ``cancel`` is set
    (the user quit) or after 30 s."""

    def __init__(self, session: Session, answer: str, accept: list[str] | None,
                 fields: dict[str, Any] | None, on_change: Any = None) -> None:
        super().__init__(name="altool-save", daemon=True)
        self.session = session
        self.args = (answer, accept, fields)
        self.on_change = on_change
        self.cancel = threading.Event()
        self.waiting = False  # the database was locked at least once
        self.error: BaseException | None = None
        self.deadline = time.monotonic() + BUSY_TIMEOUT_S

    def keep_waiting(self) -> bool:
        if not self.waiting:
            self.waiting = True
            if self.on_change is not None:
                self.on_change()  # redraw: the screen says why nothing happens
        return not self.cancel.is_set() and time.monotonic() < self.deadline

    def run(self) -> None:
        try:
            self.session.answer(*self.args, wait=self.keep_waiting)
        except BaseException as err:  # handed to the UI's thread
            self.error = err
        finally:
            if self.on_change is not None:
                self.on_change()


def _detach_output() -> None:
    """Point stdout and stderr at /dev/null, so the exit's last redraw and messages go nowhere
    instead of raising on a hung-up terminal."""
    null = os.open(os.devnull, os.O_WRONLY)
    for fd in (1, 2):
        os.dup2(null, fd)
    os.close(null)


NO_TERMINAL = "the annotation UI needs a terminal; run it in one (not with stdin and no tty)"


def _terminal_input():
    """Read keys from the terminal even when stdin is a pipe (``... | altool textcat.teach``)."""
    from prompt_toolkit.input import create_input

    if sys.stdin.isatty():
        return create_input()
    try:
        tty = open("/dev/tty")  # noqa: SIM115 - lives as long as the app
    except OSError:
        raise AltoolError(NO_TERMINAL) from None
    return create_input(stdin=tty)
