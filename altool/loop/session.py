"""The annotation session: what the UI drives, with no terminal in it.

A :class:`Session` pulls questions from a stream, commits every answer to the store before the
next question is shown, supports undo (which deletes the stored answer too), batches answers to
the recipe's ``update`` callback, and tracks how often the model's guess was right. The
terminal UI only maps keys to these methods; tests call them directly.
"""

from __future__ import annotations

import random
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..errors import AltoolError
from ..io.prodigy import view_id
from ..store import DatasetGone, Store, check_name
from ..store.checks import add_check, pick_recheck, remove_check
from ..store.progress import IDLE_CUTOFF_S, guess_was_right
from .queue import END, WAIT, Question, TaskQueue
from .streams import IterableStream, as_stream

UNDO_LIMIT = 1000  # answers of a session that can be taken back, newest first


def apply_before_db(before_db: Callable[[list[dict[str, Any]]], Any] | None,
                    eg: dict[str, Any]) -> dict[str, Any]:
    """Run the recipe's ``before_db`` on one example; it must give back one example dict."""
    if before_db is None:
        return eg
    out = before_db([eg])
    if not isinstance(out, list) or len(out) != 1 or not isinstance(out[0], dict):
        raise AltoolError("the recipe's before_db must return the list of examples it was "
                          "given (one dict per example)")
    return out[0]


@dataclass
class Answered:
    answer_id: int | None  # the check's id for a recheck (None: it was not stored)
    question: Question
    correct: bool | None
    pending: bool
    check_of: int | None = None  # a recheck: the id of the answer it repeats


def new_session_id(dataset: str) -> str:
    return f"{dataset}-{time.strftime('%Y-%m-%d_%H-%M-%S')}-{uuid.uuid4().hex[:6]}"


class Session:
    """One annotation session over a dataset."""

    def __init__(
        self,
        store: Store,
        dataset: str,
        stream: Any,
        *,
        view: str = "binary",
        labels: list[str] | None = None,
        multilabel: bool = False,
        batch_size: int = 10,
        exclude: list[str] | None = None,
        update: Callable[[list[dict[str, Any]]], Any] | None = None,
        validate_answer: Callable[[dict[str, Any]], Any] | None = None,
        status: Callable[[], dict[str, Any]] | None = None,
        progress: Callable[[Session], float | None] | None = None,
        before_db: Callable[[list[dict[str, Any]]], list[dict[str, Any]]] | None = None,
        exclude_by: str = "task",
        session_id: str | None = None,
        dataset_meta: dict[str, Any] | None = None,
        budget: int | None = None,
        annotator: str | None = None,
        recheck: float = 0.0,
        seed: int | None = None,
    ) -> None:
        self.store = store
        self.dataset = dataset
        self.stream = as_stream(stream)
        self.view = view
        self.labels = list(labels or [])
        self.multilabel = multilabel
        self.batch_size = max(1, batch_size)
        self.update = update
        self.validate_answer = validate_answer
        self.worker_status = status
        self.progress = progress
        self.before_db = before_db
        self.exclude_by = exclude_by
        # a named annotator's sessions share one id, DATASET-NAME, also the _annotator_id
        # of their answers (Prodigy's named sessions)
        if annotator is not None:
            check_name(annotator, "annotator")
        self.annotator_id = f"{dataset}-{annotator}" if annotator is not None else None
        self.session_id = session_id or self.annotator_id or new_session_id(dataset)
        # The dataset is pinned by id: created by the first answer if it is new (a session that
        # never gets to a question leaves nothing behind), and if it is dropped while the
        # session runs, nothing more is stored anywhere (DatasetGone).
        self.dataset_id = store.dataset_id(dataset)
        self.dataset_meta = dict(dataset_meta or {})
        self.gone = False
        self.notes: list[str] = []  # said after the session (e.g. an answer not stored)
        answered = store.input_hashes if exclude_by == "input" else store.task_hashes
        self._skip = answered([dataset], exclude or [])
        # (the built-in recipes refuse such a name up front; a recipe of one's own is told)
        if exclude:
            self.notes.extend(f"--exclude {name!r}: no dataset or session of that name, so "
                              "it excluded nothing" for name in store.unknown_names(exclude))
        self._history: deque[Answered] = deque(maxlen=UNDO_LIMIT)  # memory stays bounded
        self._pending: list[dict[str, Any]] = []
        self._recent: deque[bool] = deque(maxlen=50)
        self.current: Question | None = None
        self._shown_at = time.monotonic()  # when the current question was first shown
        self.finished = False
        self.count = 0
        self.dataset_total = store.count_answers(dataset)
        # answers the dataset may hold: no question is asked once it holds that many (undo
        # brings the last one back); a later session can go on with a larger budget
        self.budget = budget
        # --recheck: after each answer, with this chance, the next question is an earlier
        # answer asked again, blind; its answer is stored as a check, not a vote
        self.recheck = recheck
        self._rng = random.Random(seed)
        self._recheck_due = False
        self._check_of: int | None = None  # the current question rechecks this answer
        self.checks = 0

    # -- questions ---------------------------------------------------------------------------
    def advance(self) -> Question | None:
        """Make sure there is a current question if one is available (never blocks)."""
        if self.current is None and self.budget is not None:
            # every answer in the dataset counts, other sessions' too: counted afresh before
            # each question (sessions running side by side can overshoot by one each)
            self.dataset_total = self.store.count_answers(self.dataset)
            if self.budget_reached:
                return None
        if self.current is None and self._recheck_due:
            self._recheck_due = False
            found = pick_recheck(self.store, self.dataset_id, self.view, self._rng,
                                 self.annotator_id)
            if found is not None:
                self._check_of, task = found
                # shown as it was the first time, the model's guess then included (blind)
                guess = (task.get("meta") or {}).get("pick_guess")
                self.current = Question(task, guess if isinstance(guess, list) else None)
                self._shown_at = time.monotonic()
                return self.current
        while self.current is None and not self.finished:
            item = self.stream.poll()
            if item is WAIT:
                return None
            if item is END:
                self.finished = True
                return None
            if self._key(item) in self._skip:
                continue
            if not self._claim(item):
                continue  # answered meanwhile, or on screen in another session
            self.current = item
            self._shown_at = time.monotonic()
        return self.current

    def _claim(self, question: Question) -> bool:
        """Reserve ``question`` in the store so no other session shows it at the same time."""
        return self.store.claim_task(self.dataset, self._key(question), self.session_id,
                                     by_input=self.exclude_by == "input")

    def _key(self, question: Question) -> int:
        """What marks a question as answered: its task hash, or with ``exclude_by="input"``
        its input hash (any answer to the same text counts)."""
        if self.exclude_by == "input":
            return question.task["_input_hash"]
        return question.task_hash

    # -- answering ---------------------------------------------------------------------------
    def answer(self, answer: str, accept: list[str] | None = None,
               fields: dict[str, Any] | None = None,
               wait: Callable[[], bool] | None = None) -> dict[str, Any]:
        """Store the answer to the current question (committed on return) and move on.

        ``fields`` override task fields in the stored example (``review`` stores the chosen
        version's label, options and hashes this way). ``wait`` decides, every 0.1 s, whether
        to keep waiting for a database another process has locked (the UI stays drawn and
        ``q`` works meanwhile); without it the store waits up to 30 s."""
        question = self.current
        if question is None:
            raise AltoolError("there is no question to answer")
        eg = {**question.task, **(fields or {})}
        eg["answer"] = answer
        eg["_view_id"] = view_id(self.view, eg)
        if self.view == "choice":
            eg["accept"] = list(accept or []) if answer == "accept" else []
        eg["_session_id"] = self.session_id
        if self.annotator_id is not None:
            eg["_annotator_id"] = self.annotator_id
        eg["_timestamp"] = int(time.time())
        eg["_seconds"] = round(min(time.monotonic() - self._shown_at, IDLE_CUTOFF_S), 2)
        if self.validate_answer is not None and answer != "ignore":
            self.validate_answer(eg)
        eg = apply_before_db(self.before_db, eg)
        if self._check_of is not None:
            return self._store_check(eg, wait)
        try:
            answer_id, self.dataset_id = self.store.answer_into(
                self.dataset, eg, self.session_id, dataset_id=self.dataset_id,
                meta=self.dataset_meta, wait=wait)
        except DatasetGone:
            self.gone = self.finished = True
            raise
        correct = guess_was_right(eg, question.predicted)
        if correct is not None:
            self._recent.append(correct)
        self._skip.add(self._key(question))
        self._pending.append(eg)
        self._history.append(Answered(answer_id, question, correct, True))
        self.count += 1
        self.dataset_total += 1
        if len(self._pending) >= self.batch_size:
            self._send()
        self.current = None
        self._recheck_due = self.recheck > 0 and self._rng.random() < self.recheck
        self.advance()
        return eg

    def _store_check(self, eg: dict[str, Any], wait: Callable[[], bool] | None
                     ) -> dict[str, Any]:
        """Store the answer to a recheck as a check of the answer it repeats (not a vote: the
        model, the budget and the dataset's counts never see it)."""
        assert self._check_of is not None and self.dataset_id is not None
        # stored for what it is (shown blind, as the first time): why it was asked
        eg["meta"] = {**(eg.get("meta") or {}), "pick": "recheck"}
        try:
            check_id = add_check(self.store, self.dataset, self.dataset_id, self._check_of, eg,
                                 self.session_id, wait)
        except DatasetGone:
            self.gone = self.finished = True
            raise
        assert self.current is not None
        self._history.append(Answered(check_id, self.current, None, False, self._check_of))
        self.checks += 1
        self.current, self._check_of = None, None
        self.advance()
        return eg

    def undo(self) -> bool:
        """Take back the last answer of this session: delete it and ask it again."""
        if not self._history:
            return False
        last = self._history.pop()
        if self._check_of is not None:  # a recheck on screen is not asked after all
            self.current, self._check_of = None, None
        if last.check_of is not None:
            return self._undo_check(last)
        self.store.remove_answer(last.answer_id)
        if last.correct is not None and self._recent:
            self._recent.pop()
        self._pending = [
            eg for eg in self._pending if eg.get("_task_hash") != last.question.task_hash
        ]
        self._skip.discard(self._key(last.question))
        if self.current is not None:
            self.stream.push_front(self.current)
            self.finished = False  # the pushed-back question is still to be asked
        self.current = last.question
        self._shown_at = time.monotonic()
        self._claim(last.question)
        self.count -= 1
        self.dataset_total -= 1
        return True

    def _undo_check(self, last: Answered) -> bool:
        """Take back a recheck's answer: the check goes, the recheck is asked again."""
        remove_check(self.store, last.answer_id)
        if self.current is not None:
            self.stream.push_front(self.current)
            self.finished = False
        self.current, self._check_of = last.question, last.check_of
        self._shown_at = time.monotonic()
        self.checks -= 1
        return True

    @property
    def budget_left(self) -> int | None:
        """Answers the budget still allows in the dataset (None without a budget)."""
        return None if self.budget is None else max(self.budget - self.dataset_total, 0)

    @property
    def budget_reached(self) -> bool:
        return self.budget is not None and self.dataset_total >= self.budget

    @property
    def can_undo(self) -> bool:
        return bool(self._history)

    def close(self) -> None:
        """Hand the last partial batch to ``update`` (answers are already stored) and free the
        question this session was showing."""
        self._send()
        self.store.release_claims(self.dataset, self.session_id)

    def _send(self) -> None:
        if self._pending and self.update is not None:
            batch, self._pending = self._pending, []
            self.update(batch)
        self._pending = []

    # -- model feedback ----------------------------------------------------------------------
    @property
    def recent_accuracy(self) -> tuple[float | None, int]:
        """Share of the model's last (up to 50) guesses that matched the answer."""
        if not self._recent:
            return None, 0
        return sum(self._recent) / len(self._recent), len(self._recent)

    def status(self) -> dict[str, Any]:
        acc, n = self.recent_accuracy
        out: dict[str, Any] = {
            "session": self.count + self.checks,  # questions answered (rechecks stay blind)
            "dataset": self.dataset_total,
            "accuracy": acc,
            "accuracy_n": n,
        }
        if self.worker_status is not None:
            out.update(self.worker_status())
        if self.budget is not None:  # after the recipe's fields: these are the session's
            out.update(budget=self.budget, budget_left=self.budget_left)
        if self.progress is not None:
            out["done"] = self.progress(self)  # the recipe's progress: 0-1, or None
        return out


__all__ = ["Session", "TaskQueue", "IterableStream", "WAIT", "END", "new_session_id"]
