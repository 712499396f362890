"""``altool agreement``: how far annotators agree on the texts more than one of them labelled.

An annotator is the ``_annotator_id`` of an answer, or else the dataset it is stored in (so
two people labelling into their own datasets, or into one with ``_annotator_id``, both work).
Each annotator's label of a text is the final label of their own answers to it (the merge
rules of ``altool train``; exclusive labels: one label or none). Then:

- **Cohen's kappa** for every pair of annotators, over the texts both labelled;
- **Krippendorff's alpha** (nominal) over every annotator, on every text two or more
  labelled (missing values allowed);
- both per label as well: does the label apply, yes or no, for each annotator.

Each figure says how many texts it rests on: those every annotator involved settled (a
binary reject of one label leaves the others open). Labels must be exclusive.
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


Verdict = tuple[str | None, dict[str, int]]  # (the accepted label or None, label -> 1/0)


def annotator_labels(store: Store, datasets: Sequence[str]
                     ) -> tuple[dict[str, dict[int, Verdict]], list[str]]:
    """Per annotator, what their answers settled about each text: the accepted label (or
    None) and every label they said applies or not; and the labels."""
    by_annotator: dict[str, list[tuple[str, dict[str, Any]]]] = {}
    for name in datasets:
        store.require_dataset(name)
        if store.dataset_meta(name).get("multilabel"):
            raise AltoolError(f"{name!r} is multi-label; agreement needs exclusive labels "
                              "(one label per text)")
        for eg in store.iter_answers(name):
            who = eg.get("_annotator_id")
            key = str(who) if who not in (None, "") else name
            by_annotator.setdefault(key, []).append((name, eg))
    labels: list[str] = []
    out: dict[str, dict[int, Verdict]] = {}
    for who, pairs in by_annotator.items():
        merged = merge_answers(pairs, exclusive=True)
        if any(isinstance(eg.get("accept"), list) and len(eg["accept"]) > 1
               for _, eg in pairs):
            raise AltoolError(f"{who!r} accepted several labels for one text; agreement "
                              "needs exclusive labels (one label per text)")
        labels += [x for x in merged.labels if x not in labels]
        mine = out.setdefault(who, {})
        for eg in merged.examples:
            accepted = eg.accepted(merged.labels)
            if accepted or eg.status:
                mine[eg.input_hash] = (accepted[0] if accepted else None, dict(eg.status))
    return out, labels


def value_of(verdict: Verdict, labels: Sequence[str], label: str | None) -> str | None:
    """What a verdict says over all labels (the label, ``NONE``, or None when a binary
    reject left the rest open), or about one label (yes, no, or None: not known)."""
    accepted, status = verdict
    if label is None:
        if accepted is not None:
            return accepted
        return NONE if all(status.get(x) == 0 for x in labels) else None
    if accepted is not None:  # exclusive: an accepted label rules out every other one
        return "yes" if accepted == label else "no"
    if label in status:
        return "yes" if status[label] == 1 else "no"
    return None


def agreement(store: Store, datasets: Sequence[str]) -> tuple[list[Figure], list[str]]:
    """Every figure (all labels at once, then per label) and the annotators. A text counts
    for a pair or in alpha only where each annotator involved settled what the figure asks
    (a binary reject of one label says nothing about the others)."""
    by, labels = annotator_labels(store, datasets)
    annotators = sorted(by)
    if len(annotators) < 2:
        raise AltoolError(f"agreement needs two or more annotators; found {len(annotators)} "
                          "(an annotator is an answer's _annotator_id, or else its dataset: "
                          "name two datasets, or answers with _annotator_id)")
    texts = sorted(set().union(*(set(by[w]) for w in annotators)))
    figures: list[Figure] = []
    for label in [None, *labels]:
        values = {w: {t: v for t, verdict in by[w].items()
                      if (v := value_of(verdict, labels, label)) is not None}
                  for w in annotators}
        for a, b in combinations(annotators, 2):
            both = sorted(set(values[a]) & set(values[b]))
            figures.append(Figure(f"kappa {a} ~ {b}", label, cohen_kappa(
                [values[a][t] for t in both], [values[b][t] for t in both]), len(both)))
        units = [[values[w][t] for w in annotators if t in values[w]] for t in texts]
        units = [u for u in units if len(u) >= 2]
        figures.append(Figure("alpha", label, krippendorff_alpha(units), len(units)))
    return figures, annotators
