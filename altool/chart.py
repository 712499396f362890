"""Line charts drawn in the terminal with Rich, for ``simulate`` (and any command with a curve
to show over SSH, where a PNG is no use).

Lines are drawn in braille characters (2 x 4 dots a cell, so a 60 x 12 chart has 120 x 48
points), one colour per series, with a y axis, an x axis with its ends and middle labelled,
an optional dashed reference line (e.g. the full-data score) and a legend. Any stage may use
it: it depends on Rich only. The same charts as PNGs (``--plot FILE``) use matplotlib, an
optional extra loaded only then (:func:`require_matplotlib`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from rich.console import Group
from rich.text import Text

from .errors import AltoolError
from .safe import printable

SERIES_STYLES = ("bright_cyan", "bright_magenta", "bright_yellow", "bright_green",
                 "bright_red", "bright_blue", "white")
REFERENCE_STYLE = "grey50"
# braille dot bits by (column 0-1, row 0-3) within a cell
_DOTS = ((0x01, 0x02, 0x04, 0x40), (0x08, 0x10, 0x20, 0x80))


@dataclass
class Series:
    """One line: its name (for the legend) and its (x, y) points, in x order."""

    name: str
    points: Sequence[tuple[float, float]]


class _Canvas:
    """Braille cells; each remembers which line drew in it last (its colour)."""

    def __init__(self, cols: int, rows: int) -> None:
        self.cols, self.rows = cols, rows
        self.bits = [[0] * cols for _ in range(rows)]
        self.owner = [[-1] * cols for _ in range(rows)]

    def dot(self, px: int, py: int, owner: int) -> None:
        col, row = px // 2, py // 4
        if 0 <= col < self.cols and 0 <= row < self.rows and px >= 0 and py >= 0:
            self.bits[row][col] |= _DOTS[px % 2][py % 4]
            self.owner[row][col] = owner

    def line(self, a: tuple[int, int], b: tuple[int, int], owner: int, dash: int = 0) -> None:
        """Bresenham from ``a`` to ``b``; ``dash``: draw ``dash`` dots, skip as many."""
        (x0, y0), (x1, y1) = a, b
        dx, dy = abs(x1 - x0), -abs(y1 - y0)
        sx, sy = (1 if x0 < x1 else -1), (1 if y0 < y1 else -1)
        err, k = dx + dy, 0
        while True:
            if not dash or (k // dash) % 2 == 0:
                self.dot(x0, y0, owner)
            k += 1
            if (x0, y0) == (x1, y1):
                return
            e2 = 2 * err
            if e2 >= dy:
                err += dy
                x0 += sx
            if e2 <= dx:
                err += dx
                y0 += sy


def line_chart(series: Sequence[Series], *, width: int = 72, height: int = 12,
               x_range: tuple[float, float] | None = None,
               y_range: tuple[float, float] | None = None,
               reference: tuple[float, str] | None = None, title: str = "",
               x_label: str = "", y_format: str = "{:.2f}", x_format: str = "{:,.0f}",
               legend: Sequence[str] | None = None) -> Group:
    """A chart ``width`` cells wide (axes included) and ``height`` rows high (plus the axis,
    its labels, a title line and the legend). ``reference``: ``(y, label)`` of a dashed
    horizontal line. ``legend``: the legend's text per series (default: the names)."""
    xs = [x for s in series for x, _ in s.points]
    ys = [y for s in series for _, y in s.points] + ([reference[0]] if reference else [])
    x0, x1 = x_range or ((min(xs), max(xs)) if xs else (0.0, 1.0))
    y0, y1 = y_range or ((min(ys), max(ys)) if ys else (0.0, 1.0))
    if y1 - y0 < 1e-9:
        y0, y1 = y0 - 0.5, y1 + 0.5
    if x1 - x0 < 1e-9:
        x1 = x0 + 1
    ticks = [y_format.format(v) for v in (y1, (y0 + y1) / 2, y0)]
    margin = max(len(t) for t in ticks)
    cols = max(width - margin - 2, 8)
    canvas = _Canvas(cols, max(height, 3))
    pw, ph = 2 * cols - 1, 4 * canvas.rows - 1

    def pixel(x: float, y: float) -> tuple[int, int]:
        return (round((x - x0) / (x1 - x0) * pw), round((y1 - y) / (y1 - y0) * ph))

    if reference is not None:
        canvas.line(pixel(x0, reference[0]), pixel(x1, reference[0]), len(series), dash=2)
    for k, s in enumerate(series):
        pts = [pixel(x, y) for x, y in s.points if x0 <= x <= x1]
        for a, b in zip(pts, pts[1:], strict=False):
            canvas.line(a, b, k)
        if len(pts) == 1:
            canvas.dot(*pts[0], k)

    lines: list[Text] = [Text(printable(title), style="bold")] if title else []
    tick_rows = {0: ticks[0], canvas.rows // 2: ticks[1], canvas.rows - 1: ticks[2]}
    for r in range(canvas.rows):
        row = Text(f"{tick_rows.get(r, ''):>{margin}} " + ("┤" if r in tick_rows else "│"),
                   style="dim")
        for c in range(cols):
            bits, owner = canvas.bits[r][c], canvas.owner[r][c]
            style = SERIES_STYLES[owner % len(SERIES_STYLES)] if 0 <= owner < len(series) \
                else REFERENCE_STYLE
            row.append(chr(0x2800 + bits) if bits else " ", style=style if bits else "")
        lines.append(row)
    axis = "─" * cols
    if x_label and len(x_label) + 4 <= cols:  # named at the axis's right end
        axis = "─" * (cols - len(x_label) - 3) + f" {printable(x_label)} ─"
    lines.append(Text(" " * margin + " └" + axis, style="dim"))
    lines.append(Text(" " * (margin + 2) + _x_ticks(x0, x1, cols, x_format), style="dim"))
    lines.append(_legend(series, legend, reference))
    return Group(*lines)


def _x_ticks(x0: float, x1: float, cols: int, fmt: str) -> str:
    """The x axis's labels: its start, middle and end under their columns."""
    row = [" "] * cols
    for x, at in ((x0, 0), ((x0 + x1) / 2, cols // 2), (x1, cols - 1)):
        text = fmt.format(x)
        start = min(max(at - len(text) // 2, 0), cols - len(text)) if at else 0
        if all(ch == " " for ch in row[max(start - 1, 0):start + len(text) + 1]):
            row[start:start + len(text)] = text
    return "".join(row).rstrip()


def _legend(series: Sequence[Series], legend: Sequence[str] | None,
            reference: tuple[float, str] | None) -> Text:
    out = Text()
    names = list(legend) if legend is not None else [s.name for s in series]
    for k, name in enumerate(names):
        if k:
            out.append("   ")
        out.append("━━ ", style=SERIES_STYLES[k % len(SERIES_STYLES)])
        out.append(printable(name))
    if reference is not None:
        out.append("   ┄┄ ", style=REFERENCE_STYLE)
        out.append(printable(reference[1]))
    return out


def require_matplotlib() -> Any:
    """``matplotlib.pyplot`` on the file-only Agg backend, or a clear error saying how to
    install it."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise AltoolError("--plot needs matplotlib: pip install 'altool[plot]'") from None
    return plt


def save_figure(fig: Any, path: str, plt: Any) -> None:
    """Write ``fig`` to ``path`` and close it; a path that can't be written is an error."""
    try:
        fig.savefig(path)
    except OSError as err:
        raise AltoolError(f"{path}: can't write the plot ({err.strerror or err})") from None
    finally:
        plt.close(fig)
