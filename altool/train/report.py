"""What ``altool train``, ``train-curve`` and ``suspects`` print: per-label scores, the
learning curve (a bar chart drawn in the terminal) and the likely label errors, as Rich
tables."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

from rich.cells import cell_len, set_cell_size
from rich.table import Table
from rich.text import Text

from ..safe import safe_text
from .textcat import score_cells

if TYPE_CHECKING:
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
