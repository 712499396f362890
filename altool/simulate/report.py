"""What ``altool simulate`` shows and writes: the Rich tables (80 columns), the JSON curves
and the PNG learning curve."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np

from ..chart import require_matplotlib, save_figure
from ..errors import AltoolError
from ..safe import safe_text
from .curves import TABLE_CHECKPOINTS, THRESHOLDS
from .textcat import BASELINE, SimulationResult, StopResult


def table_checkpoints(result: SimulationResult) -> list[int]:
    """The table's columns: its standard checkpoints within the budget, then the budget."""
    shown = [c for c in TABLE_CHECKPOINTS if c <= result.budget]
    return shown if result.budget in shown else [*shown, result.budget]


def format_saving(value: float | None) -> str:
    return "-" if value is None or math.isnan(value) else f"{value:+.0%}"


def format_stop(stop: StopResult | None, repeats: int) -> list[str]:
    """Table cells: mean labels at the stop (fired/repeats), and the gap to the best score."""
    if stop is None or stop.labels is None:
        return [f"- (0/{repeats})", "-"]
    return [f"{stop.labels:.0f} ({stop.fired}/{repeats})", f"{stop.gap:.1f} pts"]


def report_tables(result: SimulationResult, metric: str, test: str, repeats: int) -> list[Any]:
    """``simulate``'s report, narrow enough for an 80-column terminal: a heading line and the
    learning curve (mean score at each checkpoint, the std below it), then a heading line and
    the summary (AULC, labels to each threshold, saving against random, where the stop signal
    fired). Headings are lines of their own, so they wrap at the terminal, not the table."""
    from rich import box
    from rich.table import Table
    from rich.text import Text

    style = dict(box=box.SIMPLE_HEAD, pad_edge=False, collapse_padding=True)
    curve, summary = Table(**style), Table(**style)
    cps = table_checkpoints(result)
    curve.add_column("strategy", no_wrap=True)
    summary.add_column("strategy", no_wrap=True)
    for c in cps:
        curve.add_column(f"@{c}", justify="right")
    for header in ["AULC", *(f"to {t:.0%}" for t in THRESHOLDS), "saving", "stop at",
                   "gap"]:
        summary.add_column(header, justify="right", no_wrap=True)
    for name, r in result.strategies.items():
        at = {p[0]: p for p in r.points}
        curve.add_row(name, *(f"{at[c][1]:.3f}\n[dim]±{at[c][2]:.3f}[/]" if c in at else "-"
                              for c in cps))
        summary.add_row(name, f"{r.aulc:.3f}",
                        *(str(r.labels_to[f"{t:g}"] or "-") for t in THRESHOLDS),
                        "" if name == BASELINE else format_saving(result.saving(name)),
                        *format_stop(r.stop, repeats))
    runs = f"{repeats} repeat{'s' * (repeats != 1)}"
    model = f"--model {result.model}: " if result.model else ""
    if result.noise:
        model += (f"the oracle wrong on {result.noise:.0%} of the pool "
                  f"({result.noise_towards}); ")
    return [safe_text(f"{model}{metric} on {test} ({result.n_test:,}) by labels; all "
                      f"{result.n_gold:,} labels: {result.full_score:.3f}; mean of {runs}, "
                      "std below", style="italic"), curve,
            Text("AULC; labels to reach 90/95/98% of the full-data score; saving against random "
                 "at 95%; stop signal: mean labels (runs fired), gap to the best score",
                 style="italic"), summary]


def report_parts(result: SimulationResult, metric: str, test: str, repeats: int,
                 width: int = 80, chart: bool = True) -> list[Any]:
    """What ``simulate`` prints: :func:`report_tables`, then (with ``chart``) the terminal
    charts of :func:`curve_charts`."""
    charts = curve_charts(result, width) if chart else []
    return [*report_tables(result, metric, test, repeats), *charts]


CHART_HEIGHT = 12  # rows of the terminal chart within the budget (the extension gets 8)


def curve_charts(result: SimulationResult, width: int = 80) -> list[Any]:
    """The learning curves as terminal line charts (mean per strategy, the full-data score
    dashed): the budget's range at full width, then, when a strategy ran past the budget
    (``--extend``), that stretch in a chart of its own on the same y scale."""
    from ..chart import Series, line_chart

    inside = [Series(name, [(p[0], p[1]) for p in r.points if p[0] <= result.budget])
              for name, r in result.strategies.items()]
    past = [Series(name, [(p[0], p[1]) for p in r.points if p[0] >= result.budget])
            for name, r in result.strategies.items()]
    extended = [s.name for s in past if len(s.points) > 1]
    means = [y for s in (*inside, *past) for _, y in s.points]
    if not means:
        return []
    y_range = (min([*means, result.full_score]), max([*means, result.full_score]))
    reference = (result.full_score, f"all {result.n_gold:,} labels ({result.full_score:.3f})")
    legend = [f"{name} (AULC {r.aulc:.3f})" for name, r in result.strategies.items()]
    width = max(min(width, 100), 40)
    charts = [line_chart(inside, width=width, height=CHART_HEIGHT, y_range=y_range,
                         x_range=(0, result.budget), reference=reference, legend=legend,
                         x_label="labels", y_format="{:.3f}",
                         title=f"{result.metric} by labels, up to the budget "
                               f"({result.budget:,}); mean of {result.repeats} repeat"
                               f"{'s' * (result.repeats != 1)}")]
    if extended:  # the same colours: a strategy that stopped at the budget has no line
        end = max(x for s in past for x, _ in s.points)
        late = [y for s in past for _, y in s.points] + [result.full_score]
        charts.append(line_chart(past, width=width, height=8, y_range=(min(late), max(late)),
                                 x_range=(result.budget, end), reference=reference,
                                 x_label="labels", y_format="{:.3f}",
                                 legend=[s.name if s.name in extended else
                                         f"{s.name} (stopped at the budget)" for s in past],
                                 title=f"past the budget (--extend): {', '.join(extended)} "
                                       f"went on, up to {end:,.0f} labels"))
    return charts


# One dash pattern per strategy, so two strategies that picked the same texts (e.g. `diverse`
# and `margin` when no near-duplicates turn up) show as two lines, not one
CURVE_STYLES = ("-", "--", "-.", (0, (1, 1)), (0, (5, 1, 1, 1, 1, 1)))


def plot(result: SimulationResult, path: str) -> None:
    """Write a PNG learning curve (needs matplotlib: ``pip install altool[plot]``)."""
    plt = require_matplotlib()
    save_figure(learning_curve_figure(result, plt), path, plt)


def learning_curve_figure(result: SimulationResult, plt: Any) -> Any:
    """The learning-curve chart: mean ± std per strategy, the full-data score. The budget's
    range fills the width; when a strategy ran past the budget (``--extend``, e.g. random
    order on to 10x) that stretch is a second panel below, on the same y scale."""
    extended = any(p[0] > result.budget for r in result.strategies.values() for p in r.points)
    if extended:
        fig, (ax, ax_past) = plt.subplots(2, 1, figsize=(8, 7.5), dpi=120, sharey=True,
                                          gridspec_kw={"height_ratios": [3, 2]})
    else:
        fig, ax = plt.subplots(figsize=(8, 5), dpi=120)
    for k, (name, r) in enumerate(result.strategies.items()):
        style = CURVE_STYLES[k % len(CURVE_STYLES)]
        inside = [p for p in r.points if p[0] <= result.budget]
        line = _curve(ax, inside, f"{name} (AULC {r.aulc:.3f})", style)
        past = [p for p in r.points if p[0] >= result.budget]
        if extended and len(past) > 1:
            _curve(ax_past, past, name, style, color=line.get_color())
    axes = [ax, ax_past] if extended else [ax]
    for a in axes:
        a.axhline(result.full_score, color="grey", linestyle="--", linewidth=1,
                  label=f"all {result.n_gold:,} labels ({result.full_score:.3f})")
        a.set_xlabel("labels")
        a.set_ylabel(result.metric)
        a.grid(alpha=0.3)
        a.legend()
    ax.set_xlim(0, result.budget)
    ax.set_title(f"Learning curves up to the budget ({result.repeats} repeats, mean ± std)")
    if extended:
        ax_past.set_xlim(left=result.budget)
        ax_past.set_title("Past the budget (--extend)")
    fig.tight_layout()
    return fig


def _curve(ax: Any, points: list[Any], label: str, style: Any, color: Any = None) -> Any:
    """One strategy's mean line and its ± std band on ``ax``; returns the line."""
    x = np.array([p[0] for p in points])
    m = np.array([p[1] for p in points])
    s = np.array([p[2] for p in points])
    (line,) = ax.plot(x, m, label=label, linestyle=style, color=color)
    ax.fill_between(x, m - s, m + s, alpha=0.15, color=line.get_color())
    return line


def skipped_notes(result: SimulationResult) -> list[str]:
    """One line per stream strategy: how much of the stream it passed over."""
    return [f"{name}: skipped {r.skipped:.0%} of the stream it looked at"
            for name, r in result.strategies.items() if r.skipped is not None]


def write_json(data: dict[str, Any], output: str) -> None:
    """Write ``data`` as JSON to ``output`` (``-``: stdout)."""
    text = json.dumps(data, indent=2) + "\n"
    if output == "-":
        import sys

        sys.stdout.write(text)
        return
    try:
        Path(output).write_text(text, encoding="utf-8")
    except OSError as err:
        raise AltoolError(f"{output}: can't write ({err.strerror or err})") from None


def ner_table(result: Any, test: str, repeats: int) -> Any:
    """``simulate --task ner``'s table: entity F1 at each checkpoint, mean, share accepted."""
    from rich.table import Table

    cps = [p[0] for p in next(iter(result.curves.values())).points]
    table = Table(title=safe_text(f"entity F1 on {test} ({result.n_test:,} sentences), "
                                  f"{repeats} repeat(s)"), title_justify="left")
    table.add_column("strategy")
    for c in cps:
        table.add_column(f"@{c}", justify="right")
    table.add_column("mean", justify="right")
    table.add_column("accepted", justify="right")
    for name, curve in result.curves.items():
        table.add_row(safe_text(name), *[f"{p[1]:.3f}" for p in curve.points],
                      f"{curve.aulc:.3f}",
                      f"{curve.accepted:.0%}")
    return table


def ner_json(result: Any) -> dict[str, Any]:
    """``simulate --task ner``'s curves as JSON data."""
    data = {name: {"points": c.points, "sentences": c.sentences, "accepted": c.accepted}
            for name, c in result.curves.items()}
    return {"labels": result.labels, "curves": data}
