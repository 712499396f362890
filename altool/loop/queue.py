"""The question queue between the background worker (producer) and the UI (consumer).

The worker replaces the queue's contents whenever the model improves; the UI pops from the
front without ever waiting on the model. Task hashes handed out this session are remembered,
so the worker never queues a question the UI has already shown. Questions the UI hands back
(undo) wait in their own line ahead of the ranking, so a refresh cannot push them back.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Question:
    """A task to show, and what the model thought of it when it was chosen."""

    task: dict[str, Any]
    predicted: list[str] | None = None  # None: chosen before the model was ready
    model_version: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def task_hash(self) -> int:
        return self.task["_task_hash"]


class _Signal:
    """Marker objects returned by :meth:`TaskQueue.poll`."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


WAIT = _Signal("WAIT")  # nothing queued yet: try again shortly
END = _Signal("END")  # nothing left to ask


class TaskQueue:
    """Thread-safe queue of :class:`Question` objects."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: deque[Question] = deque()
        self._returned: deque[Question] = deque()  # handed back by undo: asked first, in order
        self._asked: set[int] = set()
        self._done = False
        self.generation = 0

    def replace(self, questions: Iterable[Question]) -> None:
        """Swap in a new ranked list (drops anything the UI has already taken; questions
        handed back by undo stay ahead of it)."""
        with self._lock:
            self._items = deque(q for q in questions if q.task_hash not in self._asked)
            self._done = False
            self.generation += 1

    def finish(self) -> None:
        """The producer has nothing more: :meth:`poll` returns END once the queue is empty."""
        with self._lock:
            self._done = True

    def poll(self) -> Question | _Signal:
        with self._lock:
            for line in (self._returned, self._items):
                while line:
                    q = line.popleft()
                    if q.task_hash in self._asked:
                        continue
                    self._asked.add(q.task_hash)
                    return q
            return END if self._done else WAIT

    def push_front(self, question: Question) -> None:
        """Put a question back (undo): it is shown next, whatever the worker queues later."""
        with self._lock:
            self._asked.discard(question.task_hash)
            self._returned.appendleft(question)

    def asked(self) -> set[int]:
        with self._lock:
            return set(self._asked)

    def __len__(self) -> int:
        with self._lock:
            return len(self._returned) + len(self._items)
