"""What ``altool train``, ``train-curve`` and ``suspects`` print: per-label scores, the
learning curve (a bar chart drawn in the terminal) and the likely label errors, as Rich
tables."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from rich.cells import cell_len, set_cell_size
from rich.console import Group
from rich.table import Table
from rich.text import Text

from ..chart import Series, line_chart, require_matplotlib, save_figure
from ..safe import safe_text
from ..store.progress import wilson
from .savings import Curve, SavingsEstimate, describe
from .textcat import score_cells

if TYPE_CHECKING:
    from ..store.progress import DatasetProgress
    from .suspects import Suspect
    from .textcat import CurvePoint, Scores


def scores_table(scores: Scores, title: str | Text) -> Table:
    """Per-label precision/recall/F1 and the macro average (over labels with support)."""
    table = Table(title=title, title_justify="left")
    table.add_column("label")
    for col in ("precision", "recall", "F1", "support"):
        table.add_column(col, justify="right")
    for s in scores.labels:
        label, *numbers = score_cells(s)
        table.add_row(safe_text(label), *numbers)
    table.add_section()
    table.add_row("macro average", f"{scores.macro('precision'):.3f}",
                  f"{scores.macro('recall'):.3f}", f"{scores.macro_f1:.3f}",
                  str(sum(s.support for s in scores.labels)), style="bold")
    notes = [f"accuracy {scores.accuracy:.3f}"] if scores.accuracy is not None else []
    missing = [s.label for s in scores.labels if not s.support]
    if missing:
        notes.append(f"not in the evaluation set (left out of the macro average): "
                     f"{', '.join(missing)}")
    table.caption = safe_text("; ".join(notes)) if notes else None
    return table


def curve_plot(points: list[CurvePoint], width: int = 40) -> Table:
    """One row per training size with a bar for its macro-F1 (a terminal plot). The bars
    start at the lowest score rounded down to a tenth, so small gains stay visible."""
    low = math.floor(min(p.macro_f1 for p in points) * 10) / 10
    span = max(1.0 - low, 1e-9)
    table = Table(title=f"macro-F1 by training size (bars from {low:.1f} to 1.0)",
                  title_justify="left")
    for col in ("share", "inputs", "macro-F1", ""):
        table.add_column(col, justify="right" if col != "" else "left")
    for p in points:
        if p.scores is None:
            table.add_row(f"{p.share:.0%}", f"{p.n_train:,}", "-",
                          Text("too few: no label has both classes", style="dim"))
            continue
        bar = "█" * max(1, round((p.macro_f1 - low) / span * width))
        table.add_row(f"{p.share:.0%}", f"{p.n_train:,}", f"{p.macro_f1:.3f}",
                      Text(bar, style="green"))
    return table


def suspects_table(suspects: Sequence[Suspect], checked: int, total: int, model: str,
                   width: int = 80) -> Table:
    """The most doubtful answers: the text (one line, cut to what ``width`` leaves), its
    label, the label the cross-validated model prefers, and both probabilities."""
    share = f" ({total / checked:.1%})" if checked else ""
    table = Table(title=Text(f"{total:,} of {checked:,} inputs look mislabelled{share} to a "
                             f"cross-validated {model} model; the {len(suspects):,} most "
                             "doubtful:"), title_justify="left")
    labels = [_cut(safe_text(x, one_line=True), LABEL_WIDTH)
              for s in suspects for x in (s.given, s.suggested)]
    label_width = max([0, *(cell_len(t.plain) for t in labels)])
    # borders and padding of 6 columns (19), then #, the label columns and the probabilities
    fixed = (max(1, len(str(len(suspects)))) + max(5, label_width) + max(10, label_width)
             + 8 + 8)
    room = max(width - 19 - fixed, 12)
    for column in ("#", "text", "label", "model says", "p(label)", "p(model)"):
        table.add_column(column, no_wrap=True,
                         justify="left" if column in ("text", "label", "model says")
                         else "right")
    for i, s in enumerate(suspects):
        text = _cut(safe_text(s.text, one_line=True), room)
        table.add_row(str(i + 1), text, labels[2 * i], labels[2 * i + 1], f"{s.p_given:.2f}",
                      f"{s.p_suggested:.2f}")
    return table


LABEL_WIDTH = 16  # a longer label is cut in the suspects table (the JSONL has it whole)


def _cut(text: Text, width: int) -> Text:
    """``text`` in at most ``width`` cells, ending in "…" when cut."""
    if cell_len(text.plain) <= width:
        return text
    return Text(set_cell_size(text.plain, max(width - 1, 0)) + "…", style=text.style)


def savings_table(est: SavingsEstimate, per_hour: float | None) -> Table:
    """``altool progress``: the labels-saved estimate, how it was made and how sure it is."""
    table = Table(title="Labels saved against random order", title_justify="left",
                  show_header=False)
    table.add_column("what", style="bold", no_wrap=True)
    table.add_column("value")
    for what, line in describe(est, per_hour):
        table.add_row(what, safe_text(line))
    return table


def savings_chart(est: SavingsEstimate, width: int = 80) -> list[Group]:
    """The two learning curves the estimate compares, drawn in the terminal (smoothed), up to
    three times as many labels as random order's curve has (where they can be compared)."""
    if est.state != "estimated" or est.random_curve is None or est.loop_curve is None:
        return []
    rand, loop = est.random_curve, est.loop_curve
    last = min(loop.sizes[-1], 3 * rand.sizes[-1])

    def points(curve: Curve) -> list[tuple[float, float]]:
        return [(n, v) for n, v in zip(curve.sizes, curve.smoothed(), strict=True)
                if n <= last and math.isfinite(v)]

    return [line_chart([Series("random order (audit picks)", points(rand)),
                        Series("the loop's order", points(loop))],
                       width=min(width, 72), height=8, x_range=(rand.sizes[0], last),
                       reference=(est.level, f"random order's {est.level:.0%}"),
                       title=f"{est.metric} by labels (a fresh {est.model} model, held-out "
                       "texts)", x_label="labels", y_format="{:.0%}")]


def write_curve_plot(points: list[CurvePoint], path: str) -> None:
    """``train-curve --plot FILE``: macro-F1 (and accuracy, for exclusive labels) by training
    size, as a PNG."""
    plt = require_matplotlib()
    fig, ax = plt.subplots(figsize=(7, 4.5), dpi=120)
    scored = [p for p in points if p.scores is not None]
    x = [p.n_train for p in scored]
    ax.plot(x, [p.macro_f1 for p in scored], marker="o", label="macro-F1")
    if scored and all(p.scores.accuracy is not None for p in scored):
        ax.plot(x, [p.scores.accuracy for p in scored], marker="s", linestyle="--",
                label="accuracy")
    ax.set_xlabel("training inputs")
    ax.set_ylabel("score on the evaluation set")
    ax.set_title("Learning curve (altool train-curve)", fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    save_figure(fig, path, plt)


def write_progress_plot(progress: DatasetProgress, est: SavingsEstimate | None,
                        path: str) -> None:
    """``progress --plot FILE``: :func:`progress_figure` as a PNG (needs matplotlib)."""
    plt = require_matplotlib()
    save_figure(progress_figure(progress, est, plt), path, plt)


def progress_figure(progress: DatasetProgress, est: SavingsEstimate | None, plt: Any) -> Any:
    """``progress --plot``: the model's accuracy on the audit picks as the answers grew (95%
    intervals) and, with an estimate, the two learning curves it compares."""
    panels = 2 if est is not None and est.state == "estimated" else 1
    fig, axes = plt.subplots(1, panels, figsize=(6 * panels, 4.5), dpi=120, squeeze=False)
    ax = axes[0][0]
    curve = progress.curve
    if curve:
        x = [c.answers for c in curve]
        y = [c.accuracy for c in curve]
        lo_hi = [wilson(c.right, c.picks) for c in curve]
        ax.plot(x, y, marker="o", label="right on the audit picks")
        ax.fill_between(x, [b[0] for b in lo_hi], [b[1] for b in lo_hi], alpha=0.2,
                        label="95% interval")
        ax.legend()
    else:
        ax.text(0.5, 0.5, "no audit picks with the model's guess yet\n(--mix random=0.1)",
                ha="center",
                va="center", transform=ax.transAxes)
    ax.set_xlabel("answers")
    ax.set_ylabel("accuracy")
    ax.set_title(f"{progress.dataset}: the model against the labels", fontsize=10)
    ax.grid(alpha=0.3)
    if panels == 2:
        ax = axes[0][1]
        for name, c, style in (("random order (audit picks)", est.random_curve, "--"),
                               ("the loop's order", est.loop_curve, "-")):
            ax.plot(c.sizes, c.smoothed(), linestyle=style, label=name)
            ax.scatter(c.sizes, c.mean(), s=8, alpha=0.5)
        ax.axhline(est.level, color="grey", linestyle=":", linewidth=1)
        ax.set_xscale("log")
        ax.set_xlabel("labels (log scale)")
        ax.set_ylabel(est.metric)
        ax.set_title(f"random order needed {est.ratio:.1f}x as many labels to "
                     f"{est.level:.0%}", fontsize=10)
        ax.grid(alpha=0.3)
        ax.legend()
    fig.tight_layout()
    return fig
