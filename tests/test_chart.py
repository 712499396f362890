"""The terminal line chart (``altool.chart``): where the dots land, the axes, the legend."""

from __future__ import annotations

import io

from rich.console import Console

from altool.chart import Series, line_chart


def shown(chart, width: int = 80) -> list[str]:
    console = Console(file=io.StringIO(), width=width, color_system=None, legacy_windows=False)
    console.print(chart)
    return console.file.getvalue().rstrip("\n").split("\n")


def plot_rows(lines: list[str]) -> list[str]:
    """The plot area: the rows with a y axis, without it."""
    return [line.split("┤" if "┤" in line else "│", 1)[1] for line in lines
            if "┤" in line or "│" in line]


def test_a_rising_line_goes_from_bottom_left_to_top_right():
    chart = line_chart([Series("up", [(0, 0.0), (100, 1.0)])], width=40, height=6)
    lines = shown(chart)
    rows = plot_rows(lines)
    assert len(rows) == 6 and all(len(line) <= 40 for line in lines)
    inked = [(r, c) for r, row in enumerate(rows) for c, ch in enumerate(row) if ch.strip()]
    top_row = min(r for r, _ in inked)
    bottom_row = max(r for r, _ in inked)
    assert (top_row, bottom_row) == (0, 5)
    assert max(c for r, c in inked if r == 0) > min(c for r, c in inked if r == 5) + 20
    assert all(0x2800 <= ord(ch) <= 0x28FF for r, c in inked for ch in rows[r][c])
    assert lines[0].startswith("1.00 ┤") and any(line.startswith("0.00 ┤") for line in lines)


def test_x_axis_labels_reference_line_and_legend():
    chart = line_chart([Series("a", [(0, 0.2), (500, 0.6)]), Series("b", [(0, 0.3)])],
                       width=60, height=5, reference=(0.9, "all 1,000 labels (0.900)"),
                       legend=["a (AULC 0.41)", "b"], x_label="labels", title="curves")
    lines = shown(chart)
    assert lines[0] == "curves"
    axis = next(i for i, line in enumerate(lines) if "└" in line)
    assert lines[axis + 1].split() == ["0", "250", "500"] and lines[axis].endswith(" labels ─")
    assert "━━ a (AULC 0.41)" in lines[-1] and "━━ b" in lines[-1]
    assert "┄┄ all 1,000 labels (0.900)" in lines[-1]
    # the reference is the top of the y range here, drawn dashed on the first plot row
    first = plot_rows(lines)[0]
    assert lines[1].startswith("0.90") and first.count(" ") > len(first) // 3


def test_flat_and_empty_series_do_not_break_it():
    lines = shown(line_chart([Series("flat", [(1, 0.5), (2, 0.5)]), Series("none", [])],
                             width=30, height=4))
    assert len(plot_rows(lines)) == 4
    assert len(shown(line_chart([], width=30, height=3))) > 3
