"""Run the model worker in a child process, so the UI never competes with it.

In one process, the worker's Python-level work (featurising, hashing) holds the GIL and
delays the UI's redraws (keypress p99 was measured at 113 ms that way, against a 50 ms
target). In a child process the model gets its own core; the UI process doesn't even import
scikit-learn. The two talk over a pipe:

- UI -> worker: ``("notify", n_answers, queue_length)``, ``("stop",)``
- worker -> UI: ``("replace", [Question, ...])``, ``("finish",)``, ``("status", dict)``

Both sides read the same SQLite database (the store is the source of truth for answers).
While the child starts, the UI process queues a random sample so the first question appears
at once. If the child dies, the UI keeps serving random questions and says so.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import signal
import sys
import threading
import time
from dataclasses import asdict
from importlib import import_module
from pathlib import Path
from types import ModuleType
from typing import Any

from ..store import Store
from .config import TeachConfig
from .logs import log_error, log_note, log_path
from .queue import Question, TaskQueue
from .worker import WorkerStatus

WORKER_NICENESS = 5  # added to the worker process's nice value (lower CPU priority)
# questions queued before the worker process is up: its start and first refresh took 5-7 s
# on a busy 2-core machine, longer than 50 questions last a fast annotator (10 answers/s);
# the worker's first questions replace them, so a longer list only serves who would wait
START_QUESTIONS = 200
# task -> the module that builds its worker: ``make_worker(config, sink)`` (the worker the
# child runs: run / notify / stop / on_status) and ``initial_questions(config, store, skip, n)``
# (questions without a model: while the child starts, and after it died)
TASK_MODULES = {"textcat": "altool.loop.worker", "ner": "altool.loop.ner"}


def task_module(config: TeachConfig) -> ModuleType:
    return import_module(TASK_MODULES[config.task])


def initial_questions(config: TeachConfig, store: Store, skip: set[int], n: int
                      ) -> list[Question]:
    return task_module(config).initial_questions(config, store, skip, n)


class _PipeQueue:
    """The child's view of the UI's queue: questions go down the pipe. Its length is the UI's
    as last known: set when questions are sent, and when the UI reports it (``length_at``:
    when, a ``time.monotonic()``)."""

    def __init__(self, conn: Any, lock: threading.Lock) -> None:
        self.conn = conn
        self.lock = lock
        self.length = 0
        self.length_at = time.monotonic()

    def send(self, message: tuple) -> None:
        """Send ``message`` to the UI; if the UI is gone (killed), drop it: the listening
        thread sees the closed pipe and stops the worker, which then saves its model."""
        with self.lock:
            try:
                self.conn.send(message)
            except (BrokenPipeError, EOFError, OSError):
                pass

    def replace(self, questions: list[Question]) -> None:
        self.send(("replace", questions))
        self.length, self.length_at = len(questions), time.monotonic()

    def finish(self) -> None:
        self.send(("finish",))

    def asked(self) -> set[int]:
        return set()  # the UI's queue drops anything it has already shown

    def __len__(self) -> int:
        return self.length


def _child_main(conn: Any, config: TeachConfig) -> None:
    """Entry point of the worker process."""
    # Ctrl-C and a closed terminal reach the whole process group: the UI process decides
    # when to stop, and the child also stops when the pipe closes (the UI died).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    _quiet_output()
    _lower_priority()
    lock = threading.Lock()
    sink = _PipeQueue(conn, lock)
    worker = task_module(config).make_worker(config, sink)

    worker.on_status = lambda status: sink.send(("status", asdict(status)))

    def listen() -> None:
        while True:
            try:
                message = conn.recv()
            except (EOFError, OSError):
                break
            if message[0] == "notify":
                sink.length, sink.length_at = message[2], time.monotonic()
                worker.notify(message[1])
            elif message[0] == "stop":
                break
        worker.stop(timeout=0)

    threading.Thread(target=listen, name="altool-worker-listen", daemon=True).start()
    try:
        worker.run()  # in this process's main thread; returns after stop() (model saved)
    except Exception:
        log_error("worker process crashed")
        raise


def _lower_priority() -> None:
    """The model is background work: on a busy machine the UI process must get the CPU first
    (measured: the slowest keypresses came while the worker featurised its first pools)."""
    try:
        os.nice(WORKER_NICENESS)
    except OSError:  # not permitted here: run at the same priority
        pass


def _quiet_output() -> None:
    """Send the child's stdout/stderr (library warnings) to the log, not over the UI."""
    log = log_path()
    log.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    sys.stdout = sys.stderr = open(fd, "w", buffering=1, closefd=False)  # noqa: SIM115


def _short(path: Path) -> str:
    """``path`` with the home folder written as ``~`` (keeps the warning on one line)."""
    try:
        return "~/" + str(path.relative_to(Path.home()))
    except ValueError:
        return str(path)


class WorkerProcess:
    """The UI side: starts the child, applies its messages to the local queue."""

    def __init__(self, config: TeachConfig, queue: TaskQueue) -> None:
        self.config = config
        self.queue = queue
        self.status = WorkerStatus()
        self._conn: Any = None
        self._proc: Any = None
        self._stopping = False
        self._send_lock = threading.Lock()
        self._receiver: threading.Thread | None = None

    def start(self) -> None:
        with Store(self.config.db_path) as store:
            skip = store.task_hashes([self.config.dataset], self.config.exclude)
            self.queue.replace(initial_questions(
                self.config, store, skip, max(self.config.queue_size or 0, START_QUESTIONS)))
        ctx = mp.get_context("spawn")
        self._conn, child_conn = ctx.Pipe()
        self._proc = ctx.Process(
            target=_child_main, args=(child_conn, self.config), name="altool-worker", daemon=True
        )
        self._proc.start()
        child_conn.close()
        self._receiver = threading.Thread(target=self._receive, name="altool-receive",
                                          daemon=True)
        self._receiver.start()

    def status_fields(self) -> dict[str, Any]:
        """The worker's latest status, as the session's status line reads it."""
        return self.status.fields()

    def notify(self, n_answers: int) -> None:
        self._send(("notify", n_answers, len(self.queue)))

    def _send(self, message: tuple) -> None:
        try:
            with self._send_lock:
                self._conn.send(message)
        except (OSError, ValueError, AttributeError):
            pass  # the child is gone; _receive has already switched to the fallback

    def _receive(self) -> None:
        low_sent = -1
        while True:
            try:
                if not self._conn.poll(0.5):
                    # Tell the child when the UI is about to run out: once per queue refill,
                    # and every half second while it is empty (so the end is noticed).
                    generation = self.queue.generation
                    queued = len(self.queue)
                    if queued == 0 or (queued < self.config.batch_size and low_sent != generation):
                        low_sent = generation
                        self.notify(0)
                    continue
                message = self._conn.recv()
            except (EOFError, OSError):
                break
            kind = message[0]
            if kind == "replace":
                self.queue.replace(message[1])
            elif kind == "finish":
                self.queue.finish()
            elif kind == "status":
                self.status = WorkerStatus(**message[1])
        if not self._stopping:
            self._fall_back()

    def _fall_back(self) -> None:
        """The child died: keep the UI going with random questions and say so. The state
        turns "failed" last, once the warning and the questions are in place."""
        if self._proc is not None:
            self._proc.join(1)  # the pipe can close a moment before the child is reaped
        code = self._proc.exitcode if self._proc is not None else None
        log = log_note(f"the worker process ended (exit code {code}); asking in random order")
        self.status.warning = f"model worker stopped; random order now. Log: {_short(log)}"
        try:
            with Store(self.config.db_path) as store:
                skip = store.task_hashes([self.config.dataset], self.config.exclude)
                self.queue.replace(initial_questions(
                    self.config, store, skip | self.queue.asked(), START_QUESTIONS))
        except Exception:  # the UI must survive even this
            log_error("fallback questions failed")
        self.status.state = "failed"

    def stop(self, timeout: float = 20.0) -> None:
        """Ask the child to save its model and exit; wait up to ``timeout`` seconds."""
        self._stopping = True
        self._send(("stop",))
        if self._proc is not None:
            self._proc.join(timeout)
            if self._proc.is_alive():
                self._proc.terminate()
                self._proc.join(2)
        if self._conn is not None:
            self._conn.close()
        deadline = time.monotonic() + 1
        while self._receiver is not None and self._receiver.is_alive() and \
                time.monotonic() < deadline:
            time.sleep(0.01)
