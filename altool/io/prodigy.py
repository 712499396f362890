"""Prodigy's bookkeeping on answers: the ``_view_id`` each answer carries, and altool's own
hashes for answers imported from elsewhere (a Prodigy export's hashes are Prodigy's).

altool's views and the ``_view_id`` Prodigy gives the same kind of answer:

==============  ==================  ============================================
altool view     ``_view_id``        recipes
==============  ==================  ============================================
``binary``      ``classification``  ``textcat.teach`` / ``textcat.manual`` with one label
``choice``      ``choice``          ``textcat.teach`` / ``textcat.manual`` with more,
                                    ``textcat.correct``
``text``        ``text``            ``mark --view text``
``ner``         ``ner``             ``ner.teach`` (one suggested span, accept / reject)
``ner_manual``  ``ner_manual``      ``ner.manual``, ``ner.correct``
``review``      the chosen          ``review`` stores the reviewed answers' own view
                answer's view       (``review`` when they had none)
==============  ==================  ============================================
"""

from __future__ import annotations

from typing import Any

from .hashing import TASK_KEYS, input_hash, task_hash

VIEW_IDS: dict[str, str] = {
    "binary": "classification",
    "choice": "choice",
    "text": "text",
    "ner": "ner",
    "ner_manual": "ner_manual",
    "review": "review",
}
MANUAL_SPAN_VIEWS = ("ner_manual", "spans_manual")  # spans are the answer, not the question


def view_id(view: str, task: dict[str, Any]) -> str:
    """The ``_view_id`` to store on an answer given in ``view`` to ``task``: Prodigy's name
    for the view; a review answer keeps the reviewed answers' view."""
    if view == "review" and isinstance(task.get("_view_id"), str):
        return task["_view_id"]
    return VIEW_IDS.get(view, view)


def altool_hashes(eg: dict[str, Any]) -> tuple[int, int]:
    """``(_input_hash, _task_hash)`` as altool gives them to the question ``eg`` answers.

    The task hash covers the question (label, options, suggested spans), not the answer: for a
    manual span answer (``_view_id`` ``ner_manual``) the spans are what the annotator drew,
    so they are left out, as for an ``ner.manual`` question without suggestions."""
    in_hash = input_hash(eg)
    keys = TASK_KEYS
    if eg.get("_view_id") in MANUAL_SPAN_VIEWS:
        keys = tuple(k for k in TASK_KEYS if k != "spans")
    return in_hash, task_hash(eg, in_hash, keys)


def hashes_differ(eg: dict[str, Any]) -> bool:
    """Whether ``eg`` carries an ``_input_hash`` other than the one altool gives its input
    (an export from another tool: the same text would count as a different one)."""
    given = eg.get("_input_hash")
    return isinstance(given, int) and given != input_hash(eg)


def set_altool_hashes(eg: dict[str, Any]) -> dict[str, Any]:
    """Replace ``eg``'s hashes with altool's (:func:`altool_hashes`); in place, returned."""
    eg["_input_hash"], eg["_task_hash"] = altool_hashes(eg)
    return eg
