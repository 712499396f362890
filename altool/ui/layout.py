"""Drawing a tokenized text as styled terminal lines, fast enough to redo on every key.

A screen line is a list of :data:`Segment` ``(text, rich_style)``. :func:`layout` wraps a
tokenized task into lines with spans, cursor and selection styled; :func:`bordered` puts lines in
a box like Rich's ``Panel``; :func:`to_ansi` and :func:`to_fragments` turn lines into ANSI text
or prompt_toolkit fragments. None of it goes through Rich's console (measured: Rich's layout
machinery cost most of a 200-token redraw).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from rich.cells import cell_len, set_cell_size
from rich.color import ColorSystem, ColorType
from rich.style import Style

from ..safe import printable

Segment = tuple[str, str]  # (text, Rich style string)
Line = list[Segment]

LABEL_COLOURS = ("gold1", "sky_blue1", "pale_green1", "plum1", "light_salmon1", "khaki1",
                 "aquamarine1", "thistle1", "light_steel_blue1")
CURSOR_STYLE = "reverse bold"
SELECTION_STYLE = "bold white on grey35"


def label_style(labels: list[str], label: str) -> str:
    """The span style of ``label``: its colour by position in ``labels`` (unknown: grey), so
    that up to 9 labels never share a colour (``print-dataset``'s hash colours can)."""
    colour = LABEL_COLOURS[labels.index(label) % len(LABEL_COLOURS)] if label in labels \
        else "grey70"
    return f"black on {colour}"


# What drew a segment (``Layout.owners``), so that the cursor and the selection can be drawn
# on a laid-out text line by line (:func:`restyle`): (FIXED, 0, 0) text whose style never
# depends on them (before the first token, a span's label), (WORD, i, 0) token i, (GAP, a, b)
# the whitespace between tokens a and b.
FIXED, WORD, GAP = 0, 1, 2
Owner = tuple[int, int, int]


@dataclass
class Layout:
    """The text as display lines, each line's width in cells, where each token starts
    (line, column), and what drew each segment of each line (see :data:`Owner`)."""

    lines: list[Line]
    widths: list[int]
    positions: list[tuple[int, int]]
    owners: list[list[Owner]]


class _Wrapper:
    """Greedy line filling: words never split unless longer than a line; spaces at a break
    are dropped; newlines in the text start a new line. Each segment added is noted as drawn
    by ``owner`` (set by the caller)."""

    def __init__(self, width: int) -> None:
        self.width = max(width, 1)
        self.lines: list[Line] = [[]]
        self.widths = [0]
        self.owners: list[list[Owner]] = [[]]
        self.owner: Owner = (FIXED, 0, 0)

    def newline(self) -> None:
        self.lines.append([])
        self.widths.append(0)
        self.owners.append([])

    def _add(self, text: str, style: str, width: int) -> None:
        self.lines[-1].append((text, style))
        self.widths[-1] += width
        self.owners[-1].append(self.owner)

    def space(self, text: str, style: str) -> None:
        for k, part in enumerate(text.split("\n")):
            if k:
                self.newline()
            part = part.replace("\t", " ")
            width = cell_len(part)
            if part and self.widths[-1] + width <= self.width:
                self._add(part, style, width)
            elif part and self.widths[-1]:
                self.newline()

    def word(self, pieces: list[Segment]) -> tuple[int, int]:
        """Append a word (styled pieces kept together); return where it starts. The first
        piece is drawn by ``owner``, the others (a span's label) are fixed."""
        width = sum(cell_len(text) for text, _ in pieces)
        if self.widths[-1] and self.widths[-1] + width > self.width:
            self.newline()
        start = (len(self.lines) - 1, self.widths[-1])
        owner = self.owner
        fits = self.widths[-1] + width <= self.width
        for k, (text, style) in enumerate(pieces):
            self.owner = owner if k == 0 else (FIXED, 0, 0)
            if fits:
                self._add(text, style, cell_len(text))
                continue
            for char in text:  # a word longer than the line is cut where the line ends
                w = cell_len(char)
                if self.widths[-1] and self.widths[-1] + w > self.width:
                    self.newline()
                self._add(char, style, w)
        self.owner = owner
        return start


class _Styles:
    """The style of a token and of the whitespace between two tokens, given the spans and
    the selection."""

    def __init__(self, labels: list[str], spans: list[tuple[int, int, str]],
                 selection: tuple[int, int] | None) -> None:
        self.labels = labels
        self.span_of: dict[int, tuple[int, int, str]] = {}
        for span in spans:
            for i in range(span[0], span[1] + 1):
                self.span_of[i] = span
        self.lo, self.hi = selection if selection is not None else (-1, -2)

    def token(self, i: int, cursor: int | None = None) -> str:
        if self.lo <= i <= self.hi:
            style = SELECTION_STYLE
        else:
            span = self.span_of.get(i)
            style = label_style(self.labels, span[2]) if span else ""
        return f"{style} {CURSOR_STYLE}" if i == cursor else style

    def gap(self, before: int, after: int) -> str:  # whitespace inside a span or selection
        if self.lo <= before and after <= self.hi:
            return SELECTION_STYLE
        span = self.span_of.get(before)
        return label_style(self.labels, span[2]) \
            if span is not None and self.span_of.get(after) is span else ""


def layout(task: dict[str, Any], width: int, labels: list[str],
           spans: list[tuple[int, int, str]], cursor: int | None = None,
           selection: tuple[int, int] | None = None) -> Layout:
    """Lay out the tokenized ``task`` in lines of ``width`` cells: ``spans`` are
    ``(token_start, token_end, label)`` (inclusive) drawn on their label's colour with the
    label after them, ``cursor`` a token index, ``selection`` inclusive token bounds. (The
    whole text: for a cursor that moves, lay it out once without them and :func:`restyle`
    the lines shown.)"""
    text = printable(task.get("text", ""))
    tokens = task.get("tokens") or _words(text)
    wrap, positions = _lay(text, tokens, width, labels, _Styles(labels, spans, selection),
                           cursor, 0, len(tokens))
    return Layout(wrap.lines, wrap.widths, positions, wrap.owners)


def _lay(text: str, tokens: list[dict[str, Any]], width: int, labels: list[str],
         styles: _Styles, cursor: int | None, start: int, stop: int
         ) -> tuple[_Wrapper, list[tuple[int, int]]]:
    """Tokens ``start`` to ``stop`` (exclusive) and the whitespace after each, from the start
    of a line (the text before the first token too, from token 0)."""
    span_of = styles.span_of
    wrap = _Wrapper(width)
    positions: list[tuple[int, int]] = []
    if start == 0:
        wrap.space(text[: tokens[0]["start"]] if tokens else text, "")
    for i in range(start, stop):
        tok = tokens[i]
        piece = text[tok["start"] : tok["end"]]
        if piece.isspace():
            positions.append((len(wrap.lines) - 1, wrap.widths[-1]))
            wrap.owner = (GAP, i - 1, i + 1)
            wrap.space(piece, styles.gap(i - 1, i + 1))
        else:
            span = span_of.get(i)
            wrap.owner = (WORD, i, 0)
            pieces = [(piece, styles.token(i, cursor))]
            if span is not None and span[1] == i:
                pieces.append((f" {printable(span[2])}", f"bold {label_style(labels, span[2])}"))
            positions.append(wrap.word(pieces))
        nxt = tokens[i + 1]["start"] if i + 1 < len(tokens) else len(text)
        wrap.owner = (GAP, i, i + 1)
        wrap.space(text[tok["end"] : nxt], styles.gap(i, i + 1))
    return wrap, positions


def relayout(old: Layout, task: dict[str, Any], width: int, labels: list[str],
             old_spans: list[tuple[int, int, str]], spans: list[tuple[int, int, str]]
             ) -> Layout:
    """``task`` laid out with ``spans``, from ``old``, its layout with ``old_spans`` (both
    without cursor or selection, at ``width``): only the paragraphs holding a token whose
    span changed are laid out again (a line break in the text starts a line afresh, so the
    lines before and after them are the same, moved up or down). The same as :func:`layout`,
    for a span edit in a long text at the cost of its paragraph."""
    text = printable(task.get("text", ""))
    tokens = task.get("tokens") or _words(text)
    was, now = _Styles(labels, old_spans, None), _Styles(labels, spans, None)
    changed = [i for i in was.span_of.keys() | now.span_of.keys()
               if was.span_of.get(i) != now.span_of.get(i)]
    if not changed:
        return old
    if len(old.positions) != len(tokens):
        return layout(task, width, labels, spans)

    def starts_line(i: int) -> bool:  # token i comes right after a line break
        return text[tokens[i]["start"] - 1 : tokens[i]["start"]] == "\n"

    # tokens next to a changed one are drawn differently too (the whitespace between them)
    first = next((i for i in range(min(changed) - 1, 0, -1) if starts_line(i)), 0)
    stop = next((i for i in range(max(changed) + 2, len(tokens)) if starts_line(i)),
                len(tokens))
    wrap, positions = _lay(text, tokens, width, labels, now, None, first, stop)
    top = old.positions[first][0] if first else 0
    if stop < len(tokens):  # the last line laid out is the (empty) one token ``stop`` starts
        if wrap.lines[-1]:
            return layout(task, width, labels, spans)
        wrap.lines.pop(), wrap.widths.pop(), wrap.owners.pop()
        end = old.positions[stop][0]
    else:
        end = len(old.lines)
    shift = top + len(wrap.lines) - end
    after = old.positions[stop:]
    return Layout(
        old.lines[:top] + wrap.lines + old.lines[end:],
        old.widths[:top] + wrap.widths + old.widths[end:],
        old.positions[:first] + [(line + top, col) for line, col in positions]
        + ([(line + shift, col) for line, col in after] if shift else after),
        old.owners[:top] + wrap.owners + old.owners[end:],
    )


def restyle(laid: Layout, first: int, end: int, labels: list[str],
            spans: list[tuple[int, int, str]], cursor: int | None = None,
            selection: tuple[int, int] | None = None) -> list[Line]:
    """Lines ``first`` to ``end`` (exclusive) of ``laid``, a text laid out with these
    ``spans`` and no cursor or selection, with ``cursor`` and ``selection`` drawn: the same
    lines :func:`layout` gives with them (they change styles, never widths), for work in
    proportion to the lines shown rather than to the text (a long text's every key)."""
    styles = _Styles(labels, spans, selection)
    out: list[Line] = []
    for line, owners in zip(laid.lines[first:end], laid.owners[first:end], strict=True):
        new: Line = []
        for (text, style), (kind, a, b) in zip(line, owners, strict=True):
            if kind == WORD:
                style = styles.token(a, cursor)
            elif kind == GAP:
                style = styles.gap(a, b)
            new.append((text, style))
        out.append(new)
    return out


def _words(text: str) -> list[dict[str, Any]]:
    """Stand-in tokens (runs of non-space) to draw a task that has no ``tokens``."""
    return [{"text": m.group(), "start": m.start(), "end": m.end(), "id": i}
            for i, m in enumerate(re.finditer(r"\S+", text))]


def fit(line: Line, width: int) -> Line:
    """``line`` cut to ``width`` cells, ending in "…" when something was cut."""
    out: Line = []
    used = 0
    for text, style in line:
        w = cell_len(text)
        if used + w > width:
            room = max(width - used - 1, 0)
            out.append((set_cell_size(text, room) + "…" if room else "…", style))
            return out
        out.append((text, style))
        used += w
    return out


def bordered(lines: list[Line], width: int, title: str = "", subtitle: str = "",
             style: str = "white", widths: list[int] | None = None) -> list[Line]:
    """``lines`` in a rounded box ``width`` cells wide (lines are padded, or cut to fit),
    ``title`` right-aligned in the top border and ``subtitle`` in the bottom one."""
    inner = width - 4

    def border(left: str, label: str, right: str) -> Line:
        if not label:
            return [(f"{left}{'─' * (width - 2)}{right}", style)]
        label = set_cell_size(label, min(cell_len(label), width - 6))
        fill = "─" * (width - 5 - cell_len(label))
        return [(f"{left}{fill} ", style), (label, style), (f" ─{right}", style)]

    body: list[Line] = []
    for k, line in enumerate(lines):
        w = widths[k] if widths is not None else sum(cell_len(t) for t, _ in line)
        if w > inner:
            line, w = fit(line, inner), inner
        body.append([("│ ", style), *line, (" " * (inner - w) + " │", style)])
    return [border("╭", title, "╮"), *body, border("╰", subtitle, "╯")]


# -- output ----------------------------------------------------------------------------------------
@lru_cache(maxsize=512)
def _rich(style: str) -> Style:
    return Style.parse(style)


def to_ansi(lines: list[Line]) -> str:
    """The lines as ANSI text in 256 colours (as Rich draws the other screens)."""
    return "\n".join(
        "".join(_rich(style).render(text, color_system=ColorSystem.EIGHT_BIT) if style else text
                for text, style in line)
        for line in lines
    )


_ANSI_NAMES = ("ansiblack", "ansired", "ansigreen", "ansiyellow", "ansiblue", "ansimagenta",
               "ansicyan", "ansigray", "ansibrightblack", "ansibrightred", "ansibrightgreen",
               "ansibrightyellow", "ansibrightblue", "ansibrightmagenta", "ansibrightcyan",
               "ansiwhite")


@lru_cache(maxsize=512)
def _pt_style(style: str) -> str:
    """A Rich style string as a prompt_toolkit style string."""
    rich = _rich(style)
    parts = []
    for prefix, colour in (("fg:", rich.color), ("bg:", rich.bgcolor)):
        if colour is None or colour.is_default:
            continue
        if colour.type == ColorType.STANDARD and colour.number is not None:
            parts.append(prefix + _ANSI_NAMES[colour.number])
        else:
            parts.append(prefix + colour.get_truecolor().hex)
    for attr in ("bold", "dim", "italic", "underline", "reverse"):
        if getattr(rich, attr):
            parts.append(attr)
    return " ".join(parts)


def to_fragments(lines: list[Line]) -> list[tuple[str, str]]:
    """The lines as prompt_toolkit formatted text: no ANSI to parse on the way to the screen."""
    out: list[tuple[str, str]] = []
    for k, line in enumerate(lines):
        if k:
            out.append(("", "\n"))
        for text, style in line:
            pt_style = _pt_style(style) if style else ""
            if out and out[-1][0] == pt_style and out[-1][1] != "\n":  # fewer, longer pieces
                out[-1] = (pt_style, out[-1][1] + text)
            else:
                out.append((pt_style, text))
    return out
