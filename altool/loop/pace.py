"""How many questions to keep ready so that a fast annotator never waits.

The worker publishes a ranked list of questions after each fit and refresh; the UI answers
from its front. If the annotator empties the list before the next one arrives, they wait. So
the list must hold what they answer while the worker works: their answer rate times the
worker's time per refit-and-rescore, with room to spare. :class:`Pace` measures both (answers
per second over the last half minute, the slowest of the last few work cycles) and says how
many questions to publish and when the queue is running low, for any rate.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable

RATE_WINDOW_S = 30.0  # the answer rate is measured over this much of the recent past
SAFETY = 2.0  # keep twice what the annotator answers while the worker works
CYCLES = 8  # the slowest of this many recent work cycles sizes the queue
MAX_QUESTIONS = 500  # never publish more (ranking a longer list costs the worker time)


class Pace:
    """The annotator's answer rate and the worker's cycle time: the queue's size and low mark.

    ``floor``: never publish fewer questions than this (the configured queue size);
    ``batch_size``: answers per refit (the worker refits after this many)."""

    def __init__(self, floor: int, batch_size: int, *, clock: Callable[[], float] = time.monotonic
                 ) -> None:
        self.floor = floor
        self.batch_size = batch_size
        self._clock = clock
        self._lock = threading.Lock()
        self._start = clock()
        self._answers: deque[tuple[float, int]] = deque()  # (when, how many) per notification
        self._cycles: deque[float] = deque(maxlen=CYCLES)  # seconds of work per refit + refresh

    def answered(self, n: int) -> None:
        """``n`` more answers were given (the UI tells the worker every batch)."""
        if n <= 0:
            return
        now = self._clock()
        with self._lock:
            self._answers.append((now, n))
            while self._answers and self._answers[0][0] <= now - RATE_WINDOW_S:
                self._answers.popleft()

    def rate(self) -> float:
        """Answers per second over the last ``RATE_WINDOW_S`` (since the start, if sooner)."""
        now = self._clock()
        with self._lock:
            recent = sum(n for t, n in self._answers if t > now - RATE_WINDOW_S)
        span = min(RATE_WINDOW_S, now - self._start)
        return recent / max(span, 1.0)

    def worked(self, seconds: float) -> None:
        """One work cycle (a refit and a refresh, or a refresh alone) took ``seconds``."""
        with self._lock:
            self._cycles.append(max(seconds, 0.0))

    def cycle(self) -> float:
        """The slowest recent work cycle, in seconds (0 before the first)."""
        with self._lock:
            return max(self._cycles, default=0.0)

    def target(self) -> int:
        """How many questions to publish: what the annotator answers, at their pace, during
        the slowest recent work cycle, twice over, plus a batch (at least ``floor``)."""
        need = self.rate() * self.cycle() * SAFETY + self.batch_size
        return max(self.floor, min(MAX_QUESTIONS, math.ceil(need)))

    def left(self, queued: int, known_at: float | None = None) -> float:
        """The questions the UI has left now: ``queued`` as last known (at ``known_at``, a
        ``clock()`` time; None: now), less what was answered since at the current pace, up
        to a batch (the UI reports its length with every batch of answers, so an idle
        annotator's queue is never taken for empty)."""
        if known_at is None:
            return float(queued)
        since = self.rate() * max(self._clock() - known_at, 0.0)
        return queued - min(since, float(self.batch_size))

    def low(self, left: float, ahead_s: float) -> bool:
        """Whether ``left`` questions run out, at the current pace, before work that takes
        ``ahead_s`` seconds is done (with the same room to spare as :meth:`target`)."""
        return left < self.rate() * ahead_s * SAFETY + self.batch_size

    def now(self) -> float:
        return self._clock()
