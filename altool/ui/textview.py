"""The text being annotated, in a scrollable box that costs the same for any length of text.

A 10 MB text used to be wrapped and drawn whole on every key (21 s a key). Here the text is
wrapped lazily, only as far down as the screen has been scrolled, in O(width) per line, and only
the lines on screen are drawn. The box keeps its whole frame while scrolled, and says which lines
are shown ("lines 41-60 of 1,800").
"""

from __future__ import annotations

from rich.cells import cell_len
from rich.text import Text

from ..safe import printable

TAB = "    "
WRAP_AT_ONCE = 200_000  # characters: a shorter text is wrapped whole at once (a few ms)


def _fit(chunk: str, width: int) -> str:
    """The longest start of ``chunk`` that is at most ``width`` cells wide (wide characters
    such as CJK take two)."""
    if cell_len(chunk) <= width:
        return chunk
    low, high = 0, len(chunk)
    while low < high:  # the longest prefix that fits
        mid = (low + high + 1) // 2
        if cell_len(chunk[:mid]) <= width:
            low = mid
        else:
            high = mid - 1
    return chunk[: max(low, 1)]


class WrappedText:
    """``text`` (made printable) wrapped at ``width`` cells, at spaces where it can be; lines
    are computed on demand, in order, and kept."""

    def __init__(self, text: str, width: int) -> None:
        self.text = printable(text).replace("\t", TAB)
        self.width = max(1, width)
        self._lines: list[str] = []
        self._pos = 0
        self._end = -1  # end of the paragraph _pos is in (found once per paragraph, not per line)
        self.done = not self.text
        if len(self.text) <= WRAP_AT_ONCE:
            self.wrap_all()  # cheap, and the position line can say "of N" from the start

    @property
    def total(self) -> int | None:
        """How many lines the whole text takes; None while it is not wrapped to the end."""
        return len(self._lines) if self.done else None

    def ensure(self, n: int) -> None:
        """Wrap until there are at least ``n`` lines (or the text ends)."""
        while len(self._lines) < n and not self.done:
            self._lines.append(self._next_line())

    def wrap_all(self) -> int:
        while not self.done:
            self._lines.append(self._next_line())
        return len(self._lines)

    def lines(self, start: int, stop: int) -> list[str]:
        self.ensure(stop)
        return self._lines[start:stop]

    def known(self) -> int:
        """Lines wrapped so far."""
        return len(self._lines)

    def _next_line(self) -> str:
        text, pos, width = self.text, self._pos, self.width
        if self._end < pos:
            end = text.find("\n", pos)
            self._end = len(text) if end < 0 else end
        end = self._end
        if end - pos <= width and cell_len(text[pos:end]) <= width:
            line, nxt = text[pos:end], end + 1
        else:
            chunk = _fit(text[pos : min(end, pos + width)], width)
            cut = pos + len(chunk)
            space = chunk.rfind(" ")
            if cut < end and text[cut] == " ":  # the chunk ends right before a space
                line, nxt = chunk, cut + 1
            elif space > 0:
                line, nxt = chunk[:space], pos + space + 1
            else:  # one word longer than the line: break it
                line, nxt = chunk, cut
            while nxt < end and text[nxt] == " " and line:  # the next line starts at a word
                nxt += 1
        self._pos = nxt
        if nxt > len(text) or (nxt == len(text) and end == len(text)):
            self.done = True
        return line


def text_box(wrapped: WrappedText, top: int, rows: int, subtitle: str = "",
             border: str = "white") -> list[Text]:
    """A framed box of ``rows`` lines (frame included) showing the wrapped lines from ``top``:
    the frame is whole whatever the scroll position; ``subtitle`` sits on the bottom border."""
    inner = wrapped.width
    body = wrapped.lines(top, top + max(rows - 2, 1))
    out = [Text("╭" + "─" * (inner + 2) + "╮", style=border)]
    for line in body:
        row = Text("│ ", style=border)
        row.append(line)
        row.append(" " * (inner - cell_len(line)))
        row.append(" │", style=border)
        out.append(row)
    bottom = "─" * (inner + 2)
    if subtitle:
        label = _fit(f" {printable(subtitle)} ", max(inner - 2, 1))
        bottom = bottom[: max(0, inner + 1 - cell_len(label))] + label + "─"
    out.append(Text("╰" + bottom + "╯", style=border))
    return out


def position(wrapped: WrappedText, top: int, shown: int) -> str:
    """Which lines are shown, e.g. ``lines 41-60 of 1,800`` (``of 1,800+`` while the rest of a
    very long text is not wrapped yet)."""
    total = wrapped.total
    of = f"{total:,}" if total is not None else f"{wrapped.known():,}+"
    return f"lines {top + 1:,}-{top + shown:,} of {of}"
