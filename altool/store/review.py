"""Finding conflicting answers across datasets and sessions, and resolving them.

Answers are grouped by ``_input_hash``. Each non-ignore answer is reduced to its *decision*
(answer, label, accepted options, spans). Text-classification answers conflict when what they
say about the labels contradicts, by the same rules ``train`` merges them with
(:func:`altool.store.merge.evidence`): a binary accept of L and a choice accepting [L] agree.
Answers with spans conflict when their decisions differ. A review task carries the input (text,
meta) plus ``versions``: one entry per distinct decision with the ``sources`` (dataset and
session) that gave it. Resolving stores the chosen version's decision, with ``versions`` kept
as the audit trail.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..errors import AltoolError
from ..io.hashing import set_hashes
from .checks import iter_checks
from .database import QUESTION_META, Store
from .merge import evidence

DECISION_KEYS = ("label", "options", "accept", "spans")
_PRIVATE = ("answer", "_session_id", "_timestamp", "_seconds", "_task_hash", *DECISION_KEYS)


def decision(eg: dict[str, Any]) -> tuple:
    """What an answer says, comparable across answers (hashable)."""
    spans = tuple((s.get("start"), s.get("end"), s.get("label")) for s in eg.get("spans") or [])
    accept = tuple(sorted(eg["accept"])) if "accept" in eg else None
    return (eg.get("answer"), eg.get("label"), accept, spans)


def find_conflicts(store: Store, datasets: Sequence[str], checks: bool = False
                   ) -> list[dict[str, Any]]:
    """Review tasks for every input answered differently in ``datasets`` (first-seen order).
    With ``checks``, each dataset's rechecks count as answers too (from ``NAME (recheck)``),
    so a recheck that differs from the first answer comes up for review."""
    by_input: dict[int, list[tuple[str, dict[str, Any]]]] = {}
    multilabel = False
    for name in datasets:
        store.require_dataset(name)
        multilabel |= bool(store.dataset_meta(name).get("multilabel"))
        answers = [(name, eg) for eg in store.iter_answers(name)]
        if checks:
            answers += [(f"{name} (recheck)", again) for _, again in iter_checks(store, name)]
        for source, eg in answers:
            if eg.get("answer") != "ignore":
                by_input.setdefault(eg["_input_hash"], []).append((source, eg))
                accepted = eg.get("accept")
                multilabel |= isinstance(accepted, list) and len(accepted) > 1
    exclusive = not multilabel  # as train infers it
    tasks = []
    for answers in by_input.values():
        versions: dict[tuple, dict[str, Any]] = {}
        for dataset, eg in answers:
            version = versions.setdefault(decision(eg), _version(eg))
            source = {"dataset": dataset, "session": eg.get("_session_id")}
            if source not in version["sources"]:
                version["sources"].append(source)
        if len(versions) > 1 and not agree([eg for _, eg in answers], exclusive):
            tasks.append(review_task(answers[0][1], list(versions.values())))
    return tasks


def agree(answers: Sequence[dict[str, Any]], exclusive: bool) -> bool:
    """Whether text-classification answers say the same about every label (none says a label
    applies that another says does not; with exclusive labels, none accepts another label).
    Answers with spans, or without a label, never agree this way: their decisions decide."""
    values: dict[str, set[int]] = {}
    for eg in answers:
        said = evidence(eg) if not eg.get("spans") else None
        if said is None:
            return False
        for label, value in said:
            values.setdefault(label, set()).add(value)
    if any(len(v) > 1 for v in values.values()):
        return False
    return not exclusive or sum(1 in v for v in values.values()) <= 1


def _version(eg: dict[str, Any]) -> dict[str, Any]:
    version = {k: eg[k] for k in DECISION_KEYS if k in eg}
    version["answer"] = eg["answer"]
    version["_task_hash"] = eg["_task_hash"]
    if "_view_id" in eg:  # a resolved answer is of the chosen answer's kind
        version["_view_id"] = eg["_view_id"]
    version["sources"] = []
    return version


def review_task(example: dict[str, Any], versions: list[dict[str, Any]]) -> dict[str, Any]:
    """The question for one conflicting input: its text and meta, the versions, and the
    label / options when every version shares them (so a / x can answer directly)."""
    task = {k: v for k, v in example.items() if k not in _PRIVATE}
    if isinstance(task.get("meta"), dict):  # how the original question was picked is not this
        task["meta"] = {k: v for k, v in task["meta"].items() if k not in QUESTION_META}
    for key in ("label", "options"):
        values = {repr(v.get(key)) for v in versions}
        if len(values) == 1 and key in versions[0]:
            task[key] = versions[0][key]
    task["versions"] = versions
    return set_hashes(task)


def resolution(task: dict[str, Any], key: str) -> tuple[str, dict[str, Any]]:
    """``(answer, fields)`` to store for a key pressed on a review task: a digit picks that
    version; ``x`` rejects; ``a`` accepts the shared label. AltoolError if the key can't."""
    versions = task["versions"]
    if key.isdigit():
        number = int(key)
        if not 1 <= number <= len(versions):
            raise AltoolError(f"No version {number} here: pick 1-{len(versions)}.")
        chosen = versions[number - 1]
        fields = {k: chosen[k] for k in (*DECISION_KEYS, "_task_hash", "_view_id")
                  if k in chosen}
        return chosen["answer"], fields
    if key == "x":
        return "reject", ({"accept": []} if "options" in task else {})
    if key == "a" and "label" in task:
        return "accept", {}
    raise AltoolError(f"Pick a version with 1-{len(versions)} (a accepts only a shared label).")
