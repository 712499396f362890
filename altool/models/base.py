"""What every text model in the loop is: the :class:`TextModel` protocol, the capabilities a
model declares, and answers turned into targets.

A model turns texts into features once (``featurize``), learns from a target matrix
(``fit``), and gives one probability per label (``predict_proba``). Targets come from answers
through :func:`targets_from_answers`: 1 (label applies), 0 (it does not), NaN (unknown). So a
reject of label L is evidence against L, and with exclusive labels an accept of L is evidence
against every other label.

Query strategies and the loop ask a model what it can do through its ``capabilities`` (one
documented set of names, :data:`CAPABILITIES`), never through its class.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np

VECTORS = "vectors"
REFIT = "refit"
CACHEABLE = "cacheable"
SEMANTIC = "semantic"
CAPABILITIES = {
    VECTORS: "featurize() returns a sparse or dense matrix, one row per text, that distances "
             "can be computed on (core-set, BADGE, --like)",
    REFIT: "fit() trains from scratch on exactly the rows it is given, and a shallow copy is "
           "an independent model (committees of bootstrap resamples: qbc, bald)",
    CACHEABLE: "the slow part of its features depends on the text alone: encode(texts) "
               "gives it as float32 vectors, which callers cache by text hash under the "
               "model's cache_key, and from_encoded(texts, vectors) gives the features "
               "(sentence embeddings)",
    SEMANTIC: "its feature vectors place texts of similar meaning near each other (sentence "
              "embeddings; hashed n-grams only place texts that share words): what typicality "
              "relies on (typiclust, tcm, the default for such a model)",
}


class TextModel(Protocol):
    """What the learner, the worker and ``simulate`` need from a model."""

    kind: str  # its registered name
    labels: list[str]
    exclusive: bool
    version: int  # bumped by every fit
    capabilities: frozenset[str]  # names from CAPABILITIES
    cache_key: str  # with CACHEABLE: the key its cached features are stored under

    @property
    def ready(self) -> bool: ...

    def featurize(self, texts: Sequence[str]) -> Any: ...

    def fit(self, features: Any, targets: np.ndarray) -> None: ...

    def predict_proba(self, features: Any) -> np.ndarray: ...

    def save(self, path: Path) -> None: ...


def one_hot(y: Any, n_labels: int) -> np.ndarray:
    """The target matrix of exclusive label indices ``y``: 1 for each row's label, 0 for the
    rest (what :meth:`TextModel.fit` takes)."""
    y = np.asarray(y, dtype=int)
    Y = np.zeros((len(y), n_labels))
    Y[np.arange(len(y)), y] = 1.0
    return Y


def capabilities_of(model: Any) -> frozenset[str]:
    """The model's declared capabilities (none for a model that declares nothing)."""
    return frozenset(getattr(model, "capabilities", ()))


def targets_from_answers(
    answers: Iterable[dict[str, Any]], labels: Sequence[str], exclusive: bool
) -> tuple[list[int], list[str], np.ndarray]:
    """Merge answers per input into a target matrix.

    Returns ``(input_hashes, texts, Y)`` with ``Y[i, j]`` in {1, 0, NaN}. Later answers on the
    same input and label win. Ignored answers and labels outside ``labels`` carry no evidence.
    """
    index = {label: j for j, label in enumerate(labels)}
    rows: dict[int, np.ndarray] = {}
    texts: dict[int, str] = {}
    for eg in answers:
        answer = eg.get("answer")
        if answer not in ("accept", "reject") or not isinstance(eg.get("text"), str):
            continue
        h = eg["_input_hash"]
        row = rows.get(h)
        if row is None:
            row = rows[h] = np.full(len(labels), np.nan)
            texts[h] = eg["text"]
        if isinstance(eg.get("accept"), list):  # choice view: the user saw every option
            chosen = {index[label] for label in eg["accept"] if label in index}
            offered = [o.get("id") for o in eg.get("options", []) if isinstance(o, dict)]
            seen = [index[label] for label in offered if label in index] or range(len(labels))
            for j in seen:
                row[j] = 1.0 if (answer == "accept" and j in chosen) else 0.0
        elif eg.get("label") in index:
            j = index[eg["label"]]
            if answer == "accept":
                row[j] = 1.0
                if exclusive:
                    others = [k for k in range(len(labels)) if k != j]
                    row[others] = 0.0
            else:
                row[j] = 0.0
    hashes = list(rows)
    Y = np.vstack([rows[h] for h in hashes]) if hashes else np.empty((0, len(labels)))
    return hashes, [texts[h] for h in hashes], Y


def stack_rows(parts: Sequence[Any]) -> Any:
    """Row-stack blocks of features: sparse matrices, dense arrays, or a model's own feature
    type with a ``stack_rows`` classmethod."""
    import scipy.sparse as sp

    own = getattr(type(parts[0]), "stack_rows", None)
    if own is not None:
        return own(parts)
    return sp.vstack(parts, format="csr") if sp.issparse(parts[0]) else np.vstack(parts)
