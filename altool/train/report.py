"""What ``altool train`` and ``train-curve`` print: per-label scores and the learning curve
as Rich tables (the curve is a bar chart drawn in the terminal)."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from rich.table import Table
from rich.text import Text

from ..safe import safe_text
from .textcat import score_cells

if TYPE_CHECKING:
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
