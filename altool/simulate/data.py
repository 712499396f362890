"""Gold data for ``altool simulate``: labelled rows read from files, checked, subsampled."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..errors import AltoolError, InputError


def read_labelled(path: str, label_field: str = "label", loader: str | None = None
                  ) -> list[dict[str, str]]:
    """``[{"text", "label"}]`` from a JSONL/CSV file; a clear error for a missing label."""
    from ..io.loaders import iter_records

    out = []
    for record in iter_records(path, loader):
        eg = record.example
        if label_field not in eg:
            keys = ", ".join(sorted(eg)[:8])
            raise InputError(path, record.line, f'no "{label_field}" field (keys found: {keys}); '
                             "pass --label-field with the name of the gold label field")
        value = eg[label_field]
        if isinstance(value, list) and len(value) == 1:
            value = value[0]
        if not isinstance(value, (str, int)) or isinstance(value, bool) or value == "":
            raise InputError(path, record.line, f'"{label_field}" must be one label (a string '
                             f"or an integer), got {value!r}")
        out.append({"text": eg["text"], "label": str(value)})
    if not out:
        raise AltoolError(f"{path}: no examples")
    return out


def unseen_test_labels(gold: Sequence[dict[str, Any]], test: Sequence[dict[str, Any]]
                       ) -> str | None:
    """A warning when some TEST rows have a label no GOLD row has (a model trained on GOLD
    cannot get them right, so every score, the full-data one too, is capped), else None."""
    known = {str(eg["label"]) for eg in gold}
    labels = [str(eg["label"]) for eg in test]
    missing = [label for label in labels if label not in known]
    if not missing:
        return None
    kinds = sorted(set(missing))
    return (f"{len(missing):,} of {len(test):,} TEST rows have a label GOLD never has "
            f"({len(kinds)} of {len(set(labels))} labels, e.g. {kinds[0]!r}): no model trained "
            f"on GOLD can get them right, so every score is capped (accuracy at "
            f"{1 - len(missing) / len(test):.0%}). If GOLD is the start of "
            "a file sorted by label, take a random sample instead (e.g. shuf -n 3000)")


def subsample(examples: Sequence[dict[str, Any]], limit: int | None, seed: int = 0) -> list:
    """At most ``limit`` examples, drawn at random (order kept)."""
    if limit is None or len(examples) <= limit:
        return list(examples)
    keep = np.sort(np.random.default_rng(seed).choice(len(examples), limit, replace=False))
    return [examples[i] for i in keep]
