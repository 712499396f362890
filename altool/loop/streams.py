"""Streams of questions: what a recipe's ``stream`` component becomes, and filters over it.

A session polls its stream (``poll()`` gives a :class:`~altool.loop.queue.Question`, ``WAIT``
or ``END``; ``push_front()`` takes one back on undo). A :class:`~altool.loop.queue.TaskQueue`
filled by the worker has that interface; any iterable of task dicts gets it from
:class:`IterableStream`.

A plain iterable over a pipe from a slow command (``slow_cmd | altool ...``) would block the UI
on every read: no redraw, no ``q``. :class:`BackgroundStream` reads it in a thread instead and
answers "not yet" (WAIT) until the next task has arrived.

Filters for recipes (lazy generators over task dicts): :func:`dedup` and :func:`exclude`.
``by="input"`` compares ``_input_hash`` (the text), ``by="task"`` compares ``_task_hash`` (the
text plus its label, options or spans). Hashes are added to tasks that lack them.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from ..errors import AltoolError
from ..io.hashing import set_hashes
from ..store import Store
from ..store.context import open_store
from .queue import END, WAIT, Question


class IterableStream:
    """Adapt any iterable of task dicts (or Questions) to the polling interface."""

    def __init__(self, tasks: Iterable[dict[str, Any] | Question]) -> None:
        self._it: Iterator[dict[str, Any] | Question] = iter(tasks)
        self._back: deque[Question] = deque()

    def poll(self) -> Question | object:
        if self._back:
            return self._back.popleft()
        try:
            item = next(self._it)
        except StopIteration:
            return END
        if isinstance(item, Question):
            return item
        return Question(set_hashes(dict(item)))

    def push_front(self, question: Question) -> None:
        self._back.appendleft(question)


def as_stream(stream: Any) -> Any:
    """A stream with ``poll()`` and ``push_front()``: a TaskQueue as is, else an iterable."""
    if hasattr(stream, "poll") and hasattr(stream, "push_front"):
        return stream
    return IterableStream(stream)


class BackgroundStream:
    """Read ``tasks`` in a daemon thread; ``poll()`` hands them out without blocking.

    An error raised while reading (a bad JSON line) is raised by ``poll()`` once the tasks
    read before it have been handed out."""

    def __init__(self, tasks: Iterable[dict[str, Any]]) -> None:
        self._lock = threading.Lock()
        self._items: deque[Question] = deque()
        self._done = False
        self._error: Exception | None = None
        self._thread = threading.Thread(target=self._read, args=(IterableStream(tasks),),
                                        name="altool-stream", daemon=True)
        self._thread.start()

    def _read(self, source: IterableStream) -> None:
        try:
            while (item := source.poll()) is not END:
                with self._lock:
                    self._items.append(item)  # type: ignore[arg-type]
        except Exception as err:  # handed to the UI thread by poll()
            self._error = err
        finally:
            with self._lock:
                self._done = True

    def poll(self) -> Question | object:
        with self._lock:
            if self._items:
                return self._items.popleft()
            if not self._done:
                return WAIT
        if self._error is not None:
            error, self._error = self._error, None
            raise error
        return END

    def push_front(self, question: Question) -> None:
        with self._lock:
            self._items.appendleft(question)


# -- filters -----------------------------------------------------------------------------------
BY = {"input": "_input_hash", "task": "_task_hash"}


def _hash_key(by: str) -> str:
    if by not in BY:
        raise AltoolError(f"by must be one of {', '.join(BY)}, got {by!r}")
    return BY[by]


def dedup(stream: Iterable[dict[str, Any]], by: str = "input") -> Iterator[dict[str, Any]]:
    """Yield each task once: the first of those with the same input (or task) hash."""
    key = _hash_key(by)
    seen: set[int] = set()
    for task in stream:
        h = set_hashes(task)[key]
        if h not in seen:
            seen.add(h)
            yield task


def exclude(stream: Iterable[dict[str, Any]], datasets: Sequence[str], by: str = "task",
            store: Store | None = None) -> Iterator[dict[str, Any]]:
    """Drop tasks already answered in any of ``datasets`` (read once from the store, the
    default database unless ``store`` is given): dataset names, or session ids
    (``DATASET-NAME``); unknown names are ignored."""
    key = _hash_key(by)
    if store is None:
        with open_store() as db:
            answered = _answered(db, datasets, by)
    else:
        answered = _answered(store, datasets, by)
    for task in stream:
        if set_hashes(task)[key] not in answered:
            yield task


def _answered(store: Store, datasets: Sequence[str], by: str) -> set[int]:
    return store.input_hashes([], datasets) if by == "input" else \
        store.task_hashes([], datasets)
