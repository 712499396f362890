"""What ``altool simulate`` shows and writes: the Rich tables (80 columns), the JSON curves
and the PNG learning curve."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np

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


# One dash pattern per strategy, so two strategies that picked the same texts (e.g. `diverse`
# and `margin` when no near-duplicates turn up) show as two lines, not one
CURVE_STYLES = ("-", "--", "-.", (0, (1, 1)), (0, (5, 1, 1, 1, 1, 1)))


def plot(result: SimulationResult, path: str) -> None:
    """Write a PNG learning curve (needs matplotlib: ``pip install altool[plot]``)."""
    plt = require_matplotlib()
    fig = learning_curve_figure(result, plt)
    try:
        fig.savefig(path)
    except OSError as err:
        raise AltoolError(f"{path}: can't write the plot ({err.strerror or err})") from None
    finally:
        plt.close(fig)


def learning_curve_figure(result: SimulationResult, plt: Any) -> Any:
    """The learning-curve chart: mean ± std per strategy, the full-data score, the budget."""
    fig, ax = plt.subplots(figsize=(8, 5), dpi=120)
    for k, (name, r) in enumerate(result.strategies.items()):
        x = np.array([p[0] for p in r.points])
        m = np.array([p[1] for p in r.points])
        s = np.array([p[2] for p in r.points])
        ax.plot(x, m, label=f"{name} (AULC {r.aulc:.3f})",
                linestyle=CURVE_STYLES[k % len(CURVE_STYLES)])
        ax.fill_between(x, m - s, m + s, alpha=0.15)
    ax.axhline(result.full_score, color="grey", linestyle="--", linewidth=1,
               label=f"all {result.n_gold:,} labels ({result.full_score:.3f})")
    if any(p[0] > result.budget for r in result.strategies.values() for p in r.points):
        ax.axvline(result.budget, color="grey", linestyle=":", linewidth=1)
    ax.set_xlabel("labels")
    ax.set_ylabel(result.metric)
    ax.set_title(f"Learning curves ({result.repeats} repeats, mean ± std)")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    return fig


def require_matplotlib():
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise AltoolError("--plot needs matplotlib: pip install 'altool[plot]'") from None
    return plt


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
