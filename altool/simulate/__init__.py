"""Simulated annotation: replay the teach loop with gold labels as the annotator.

- :mod:`.textcat`: ``textcat.teach`` replayed (:func:`simulate`)
- :mod:`.ner`: ``ner.teach`` replayed (:func:`~.ner.simulate_ner`)
- :mod:`.data`: reading and checking the gold files
- :mod:`.curves`: checkpoints, AULC, labels to a mark
- :mod:`.report`: the tables, the JSON and the PNG

No terminal needed: :func:`simulate` returns a :class:`SimulationResult`; the CLI prints it.
"""

from __future__ import annotations

from .curves import (
    EXTEND_FACTOR,
    EXTENSION_STEPS,
    METRICS,
    SAVING_THRESHOLD,
    TABLE_CHECKPOINTS,
    THRESHOLDS,
    aulc,
    checkpoint_grid,
    extension_grid,
    labels_to_reach,
    score,
)
from .data import read_labelled, subsample, unseen_test_labels
from .report import (
    curve_charts,
    format_saving,
    format_stop,
    learning_curve_figure,
    plot,
    report_parts,
    report_tables,
    require_matplotlib,
    skipped_notes,
    table_checkpoints,
    write_json,
)
from .textcat import (
    BASELINE,
    COLD_SAMPLE,
    NOISE_TOWARDS,
    PAST_BUDGET,
    SimulationResult,
    StopResult,
    StrategyResult,
    check_noise,
    noisy_labels,
    resolve_extend,
    resolve_strategies,
    simulate,
    simulate_files,
)

__all__ = [
    "BASELINE", "COLD_SAMPLE", "EXTEND_FACTOR", "EXTENSION_STEPS", "METRICS", "NOISE_TOWARDS",
    "PAST_BUDGET",
    "SAVING_THRESHOLD", "TABLE_CHECKPOINTS", "THRESHOLDS", "SimulationResult", "StopResult",
    "StrategyResult", "aulc", "check_noise", "checkpoint_grid", "curve_charts",
    "extension_grid", "format_saving",
    "format_stop", "labels_to_reach", "learning_curve_figure", "noisy_labels", "plot",
    "read_labelled",
    "report_parts", "report_tables", "require_matplotlib", "resolve_extend",
    "resolve_strategies", "score",
    "simulate", "simulate_files", "skipped_notes", "subsample", "table_checkpoints",
    "unseen_test_labels", "write_json",
]
