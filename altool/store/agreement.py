"""``altool agreement``: how far annotators agree on the texts more than one of them labelled.

An annotator is the ``_annotator_id`` of an answer, or else the dataset it is stored in (so
two people labelling into their own datasets, or into one with ``_annotator_id``, both work).
Each annotator's label of a text is the final label of their own answers to it (the merge
rules of ``altool train``; exclusive labels: one label or none). Then:

- **Cohen's kappa** for every pair of annotators, over the texts both labelled;
- **Krippendorff's alpha** (nominal) over every annotator, on every text two or more
  labelled (missing values allowed);
- both per label as well: does the label apply, yes or no, for each annotator.

Each figure says how many texts it rests on.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import combinations
from typing import Any

from ..errors import AltoolError
from .database import Store
from .merge import merge_answers

NONE = "(none)"  # the label of a text an annotator said no label applies to


def cohen_kappa(a: Sequence[str], b: Sequence[str]) -> float | None:
    """Cohen's kappa of two raters' labels of the same items (None without items; 1.0 when
    both always give one and the same label: nothing to disagree on)."""
    n = len(a)
    if n == 0:
        return None
    observed = sum(x == y for x, y in zip(a, b, strict=True)) / n
    cats = set(a) | set(b)
    expected = sum((a.count(c) / n) * (b.count(c) / n) for c in cats)
    if expected == 1.0:
        return 1.0 if observed == 1.0 else 0.0
    return (observed - expected) / (1 - expected)


def krippendorff_alpha(units: Sequence[Sequence[str]]) -> float | None:
    """Krippendorff's alpha for nominal data: ``units`` are the values the raters gave each
    item (an item with fewer than two values does not count). None without pairable values;
    1.0 when every value is the same."""
    from collections import Counter

    pairable = [u for u in units if len(u) >= 2]
    n = sum(len(u) for u in pairable)
    if n < 2:
        return None
    coincidence: Counter[tuple[str, str]] = Counter()
    for u in pairable:
        counts = Counter(u)
        m = len(u)
        for c, k in counts.items():
            for d, j in counts.items():
                coincidence[(c, d)] += (k * (k - 1) if c == d else k * j) / (m - 1)
    marginal: Counter[str] = Counter()
    for (c, _d), v in coincidence.items():
        marginal[c] += v
    observed = sum(v for (c, d), v in coincidence.items() if c != d)
    expected = sum(marginal[c] * marginal[d] for c in marginal for d in marginal if c != d) \
        / (n - 1)
    if expected == 0:
        return 1.0
    return 1.0 - observed / expected


@dataclass(frozen=True)
class Figure:
    """One agreement figure: what it is about, its value, and the texts it rests on."""

    what: str  # "kappa A ~ B" or "alpha"
    label: str | None  # None: all labels at once
    value: float | None
    texts: int

    def to_json(self) -> dict[str, Any]:
        return {"what": self.what, "label": self.label, "value": self.value,
                "texts": self.texts}


def annotator_labels(store: Store, datasets: Sequence[str]
                     ) -> tuple[dict[str, dict[int, str]], list[str], dict[int, str]]:
    """Per annotator, each text's final label (``NONE`` if none applies); the labels; each
    text by input hash."""
    by_annotator: dict[str, list[tuple[str, dict[str, Any]]]] = {}
    for name in datasets:
        store.require_dataset(name)
        for eg in store.iter_answers(name):
            who = eg.get("_annotator_id")
            key = str(who) if who not in (None, "") else name
            by_annotator.setdefault(key, []).append((name, eg))
    labels: list[str] = []
    texts: dict[int, str] = {}
    out: dict[str, dict[int, str]] = {}
    for who, pairs in by_annotator.items():
        merged = merge_answers(pairs, exclusive=True)
        labels += [x for x in merged.labels if x not in labels]
        mine = out.setdefault(who, {})
        for eg in merged.examples:
            accepted = eg.accepted(merged.labels)
            if accepted or eg.status:
                mine[eg.input_hash] = accepted[0] if accepted else NONE
                texts[eg.input_hash] = eg.text
    return out, labels, texts


def agreement(store: Store, datasets: Sequence[str]) -> tuple[list[Figure], list[str]]:
    """Every figure (all labels at once, then per label) and the annotators."""
    by, labels, _texts = annotator_labels(store, datasets)
    annotators = sorted(by)
    if len(annotators) < 2:
        raise AltoolError(f"agreement needs two or more annotators; found {len(annotators)} "
                          "(an annotator is an answer's _annotator_id, or else its dataset: "
                          "name two datasets, or answers with _annotator_id)")
    figures: list[Figure] = []
    for label in [None, *labels]:
        def value(who: str, text: int, label: str | None = label) -> str:
            v = by[who][text]
            return v if label is None else ("yes" if v == label else "no")

        for a, b in combinations(annotators, 2):
            both = sorted(set(by[a]) & set(by[b]))
            figures.append(Figure(f"kappa {a} ~ {b}", label, cohen_kappa(
                [value(a, t) for t in both], [value(b, t) for t in both]), len(both)))
        shared = [t for t in set().union(*(set(by[w]) for w in annotators))
                  if sum(t in by[w] for w in annotators) >= 2]
        units = [[value(w, t) for w in annotators if t in by[w]] for t in sorted(shared)]
        figures.append(Figure("alpha", label, krippendorff_alpha(units), len(shared)))
    return figures, annotators
