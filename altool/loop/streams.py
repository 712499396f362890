"""Streams that never make the UI wait: tasks read from a slow source in the background.

A recipe's ``stream`` is read when the UI asks for the next question. A plain iterable over a
pipe from a slow command (``slow_cmd | altool ...``) would block the UI on that read: no redraw,
no ``q``. :class:`BackgroundStream` reads it in a thread instead and answers "not yet" (WAIT)
until the next task has arrived.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Iterable
from typing import Any

from .queue import END, WAIT, Question
from .session import IterableStream


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
