"""Merge the answers of one or more text classification datasets into one row per input.

Rules (the same for ``altool train`` and ``altool db-out --format merged``):

- Answers are grouped by ``_input_hash``. ``ignore`` answers are dropped (counted).
- A binary answer (``label`` + ``accept``/``reject``) says whether that one label applies.
  A choice answer (an ``accept`` list) says, for every offered option, whether it applies
  (a choice ``reject`` means none of the offered options applies).
- With exclusive labels, accepting one label means every other label does not apply.
- **The latest answer wins**: answers are applied in ``_timestamp`` order (ties: the order the
  datasets were given in, then the order they were stored in). When an answer changes a label
  that an earlier answer had settled the other way, the input is reported as a conflict.
- Labels are exclusive unless the data says otherwise (a choice answer accepting several
  labels, or ``exclusive=False``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..errors import AltoolError
from .database import QUESTION_META, Store

if TYPE_CHECKING:
    import numpy as np

RANDOM_PICK = "random"  # meta["pick"] of a task chosen at random (not by the model)
IN_ORDER_PICK = "in-order"  # meta["pick"] of a question asked in source order (textcat.correct)
# meta["pick"] values of questions nobody chose for being hard: random audit picks, the random
# sample served while no model is up (the loop's FILLER_PICK), and source order
UNCHOSEN_PICKS = frozenset({RANDOM_PICK, "filler", IN_ORDER_PICK})


def model_picked(eg: dict[str, Any]) -> bool:
    """Whether a model chose to ask this question (active learning). altool's loop says what
    chose a question in ``meta.pick``; without it, a ``meta.score`` marks a teach recipe's
    question (Prodigy's ``textcat.teach`` and ``ner.teach`` store one). Answers with neither
    (``db-in`` of labelled data, the manual recipes) were chosen by nobody."""
    meta = eg.get("meta") or {}
    pick = meta.get("pick")
    if isinstance(pick, str):
        return pick not in UNCHOSEN_PICKS
    score = meta.get("score")
    return isinstance(score, int | float) and not isinstance(score, bool)


@dataclass
class Vote:
    """One answer as it touched an input: where it came from and what it said."""

    dataset: str
    summary: str  # e.g. "accept SPAM" or "accept [World]"


@dataclass
class MergedExample:
    """The final labels of one input after merging all its answers."""

    input_hash: int
    text: str
    status: dict[str, int] = field(default_factory=dict)  # label -> 1 applies / 0 does not
    votes: list[Vote] = field(default_factory=list)
    meta: dict[str, Any] = field(default_factory=dict)
    random_pick: bool = False  # some answer's task was picked at random
    model_pick: bool = False  # some answer's task was chosen by a strategy (active learning)
    conflict: bool = False

    def accepted(self, labels: Sequence[str]) -> list[str]:
        return [label for label in labels if self.status.get(label) == 1]

    def rejected(self, labels: Sequence[str]) -> list[str]:
        return [label for label in labels if self.status.get(label) == 0]


@dataclass
class MergeResult:
    """Merged inputs (in first-answered order), the labels seen, and what was dropped."""

    examples: list[MergedExample]
    labels: list[str]
    exclusive: bool
    n_answers: int = 0
    n_ignored: int = 0
    n_unusable: int = 0  # accept/reject answers with neither a label nor an accept list

    @property
    def conflicts(self) -> list[MergedExample]:
        return [eg for eg in self.examples if eg.conflict]

    @property
    def n_random(self) -> int:
        return sum(eg.random_pick for eg in self.examples)

    def targets(self, examples: Sequence[MergedExample] | None = None) -> np.ndarray:
        """The target matrix of ``examples`` (default: all): 1, 0 or NaN (unknown) per label."""
        import numpy as np  # here: review and db-out read this module without NumPy

        rows = self.examples if examples is None else examples
        Y = np.full((len(rows), len(self.labels)), np.nan)
        for i, eg in enumerate(rows):
            for j, label in enumerate(self.labels):
                if label in eg.status:
                    Y[i, j] = eg.status[label]
            if self.exclusive and 1 in eg.status.values():
                Y[i, np.isnan(Y[i])] = 0.0
        return Y

    def to_row(self, eg: MergedExample) -> dict[str, Any]:
        """One JSONL row: the input with its final label(s) (``db-out --format merged``)."""
        accept = eg.accepted(self.labels)
        reject = [label for label in self.labels if label not in accept] \
            if self.exclusive and accept else eg.rejected(self.labels)
        row: dict[str, Any] = {"text": eg.text}
        if self.exclusive:
            row["label"] = accept[0] if accept else None
        row.update({
            "accept": accept,
            "reject": reject,
            "answer": "accept" if accept else "reject",
            "meta": eg.meta,
            "_input_hash": eg.input_hash,
            "_datasets": sorted({v.dataset for v in eg.votes}),
            "_n_answers": len(eg.votes),
            "_conflict": eg.conflict,
        })
        return row


def evidence(eg: dict[str, Any]) -> list[tuple[str, int]] | None:
    """What one accept/reject answer says: (label, 1|0) pairs, or None if it says nothing."""
    answer = eg["answer"]
    accept = eg.get("accept")
    if isinstance(accept, list):
        chosen = {str(label) for label in accept} if answer == "accept" else set()
        options = eg.get("options")
        offered = [str(o["id"]) for o in (options if isinstance(options, list) else [])
                   if isinstance(o, dict) and "id" in o]
        labels = offered or sorted(chosen)
        return [(label, int(label in chosen)) for label in labels] or None
    label = eg.get("label")
    if isinstance(label, str) and label:
        return [(label, int(answer == "accept"))]
    return None


def _summary(eg: dict[str, Any]) -> str:
    if isinstance(eg.get("accept"), list):
        return f"{eg['answer']} [{', '.join(map(str, eg['accept']))}]"
    return f"{eg['answer']} {eg.get('label')}"


def merge_answers(
    answers: Iterable[tuple[str, dict[str, Any]]], exclusive: bool | None = None
) -> MergeResult:
    """Merge ``(dataset, answer)`` pairs given in dataset order (see the module's rules).

    ``exclusive=None`` infers it: multilabel when some choice answer accepts several labels."""
    collected = []
    n_answers = n_ignored = n_unusable = 0
    labels: dict[str, None] = {}
    multilabel_seen = False
    datasets: dict[str, int] = {}
    for position, (dataset, eg) in enumerate(answers):
        n_answers += 1
        if eg.get("answer") == "ignore":
            n_ignored += 1
            continue
        said = evidence(eg) if eg.get("answer") in ("accept", "reject") else None
        if said is None or not isinstance(eg.get("text"), str):
            n_unusable += 1
            continue
        labels.update(dict.fromkeys(label for label, _ in said))
        multilabel_seen |= sum(value for _, value in said) > 1
        rank = datasets.setdefault(dataset, len(datasets))
        timestamp = eg.get("_timestamp")
        order = (timestamp if isinstance(timestamp, int) else 0, rank, position)
        collected.append((order, dataset, eg, said))
    exclusive = (not multilabel_seen) if exclusive is None else exclusive
    exclusive = exclusive and len(labels) > 1
    merged: dict[int, MergedExample] = {}  # in the order inputs were first answered
    for _order, dataset, eg, said in sorted(collected, key=lambda c: c[0]):
        h = eg["_input_hash"]
        item = merged.get(h)
        if item is None:
            item = merged[h] = MergedExample(h, eg["text"], meta=_clean_meta(eg.get("meta")))
        item.votes.append(Vote(dataset, _summary(eg)))
        item.random_pick |= (eg.get("meta") or {}).get("pick") == RANDOM_PICK
        item.model_pick |= model_picked(eg)
        for label, value in said:
            _settle(item, label, value, exclusive)
    return MergeResult(
        list(merged.values()), list(labels), exclusive, n_answers, n_ignored, n_unusable
    )


def _settle(item: MergedExample, label: str, value: int, exclusive: bool) -> None:
    """Apply one label's evidence to an input, latest wins; flag a change of mind."""
    if item.status.get(label, value) != value:
        item.conflict = True
    item.status[label] = value
    if exclusive and value == 1:
        for other, old in list(item.status.items()):
            if other != label and old == 1:
                item.conflict = True  # two different labels accepted for an exclusive input
                item.status[other] = 0


def _clean_meta(meta: Any) -> dict[str, Any]:
    """The input's meta without what belongs to one question (model score, how it was
    picked)."""
    if not isinstance(meta, dict):
        return {}
    return {k: v for k, v in meta.items() if k not in QUESTION_META}


def merge_datasets(
    store: Store, datasets: Sequence[str], exclusive: bool | None = None
) -> MergeResult:
    """Merge the answers of stored ``datasets`` (all must exist). Labels are multi-label if
    a dataset was annotated with ``--multilabel`` (its meta says so) or the answers show it."""
    if not datasets:
        raise AltoolError("name at least one dataset to merge")
    for name in datasets:
        store.require_dataset(name)
    if exclusive is None and any(store.dataset_meta(name).get("multilabel") for name in datasets):
        exclusive = False
    pairs = ((name, eg) for name in datasets for eg in store.iter_answers(name))
    return merge_answers(pairs, exclusive)


def describe_conflicts(result: MergeResult, limit: int = 3) -> list[str]:
    """Human-readable lines: how many inputs had conflicting answers, with a few examples."""
    conflicts = result.conflicts
    if not conflicts:
        return []
    datasets = ",".join(dict.fromkeys(v.dataset for eg in conflicts for v in eg.votes))
    lines = [f"{len(conflicts):,} of {len(result.examples):,} inputs have conflicting answers; "
             f"the latest answer wins (resolve them with: altool review NEW_DATASET "
             f"--from {datasets})"]
    for eg in conflicts[:limit]:
        text = eg.text if len(eg.text) <= 60 else eg.text[:57] + "..."
        votes = "; ".join(f"{v.dataset}: {v.summary}" for v in eg.votes)
        final = ", ".join(eg.accepted(result.labels)) or "none"
        lines.append(f"  {text!r}: {votes} -> {final}")
    return lines


def split_list(value: str, what: str) -> list[str]:
    """A comma-separated option (``--textcat a,b``) as a list of names."""
    names = [part.strip() for part in value.split(",") if part.strip()]
    if not names:
        raise AltoolError(f"{what} needs at least one dataset name")
    return list(dict.fromkeys(names))
