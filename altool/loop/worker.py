"""The background worker: owns the model, learns from answers, keeps the queue full.

It runs in a daemon thread with its own SQLite connection and BLAS/OpenMP limited to one
thread (on 2 cores an oversubscribed fit was measured 10x slower). The UI never calls into it
except :meth:`Worker.notify` (new answers) and :meth:`Worker.stop`. If the model fails, the
worker logs the traceback under ``ALTOOL_HOME/logs``, reports a one-line warning in its status,
and keeps serving questions in cold-start order.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from ..models.base import CACHEABLE, capabilities_of, stack_rows
from ..models.cache import featurizer_for
from ..store import SourceRow, Store
from .config import TeachConfig
from .encoding import BackgroundEncoding
from .learner import FILLER_PICK, Learner, Pick, candidate_hash, make_task
from .logs import log_error
from .pace import Pace
from .queue import Question
from .stopping import StabilizingPredictions, measure_for, predictions_from_probs

if TYPE_CHECKING:
    from .cluster_pool import PoolBuilder


class QuestionSink(Protocol):
    """Where the worker puts questions: a TaskQueue, or a pipe to the UI process."""

    def replace(self, questions: list[Question]) -> None: ...

    def finish(self) -> None: ...

    def asked(self) -> set[int]: ...

    def __len__(self) -> int: ...

COLD_SAMPLE = 2_000
CHUNK = 5_000
SLOW_CHUNK = 500  # rows per step for a slow (cacheable, e.g. embedding) model: ~2-8 s each
RESAMPLE_EVERY = 5  # a sampled pool is renewed over this many refreshes (a 1/5 share each)
STOP_SET = 1_000  # examples the stopping criterion compares successive models on


class _Stopped(Exception):
    """Raised inside a refresh when the worker is asked to stop (caught in ``_guard``)."""


@dataclass
class WorkerStatus:
    state: str = "starting"  # starting | warming up | ready | failed
    model_version: int = 0
    trained_on: int = 0
    fits: int = 0
    last_fit_s: float = 0.0
    last_refresh_s: float = 0.0
    warning: str | None = None
    progress: str | None = None  # e.g. "embedding 3,000/20,000" while a pool is encoded
    can_stop: bool = False  # the stopping criterion fired: more labels change little
    stop_agreement: float | None = None  # kappa between the last two models on the stop set
    skipped: int | None = None  # stream strategy: candidates passed over so far
    seen: int | None = None  # stream strategy: candidates it has looked at
    audit_accuracy: float | None = None  # the model's accuracy on random picks (--mix)
    audit_n: int = 0  # random picks it was measured on
    cluster: str | None = None  # --cluster: the cluster's pool, e.g. "cluster pool 1,000,000"

    def fields(self) -> dict[str, Any]:
        """The status line's model fields (the session's ``status`` component)."""
        out = asdict(self)
        out["model_state"] = out.pop("state")
        return out


class Worker(threading.Thread):
    """Learns from the answers of ``config.dataset`` and keeps ``queue`` full of the learner's
    picks from ``config.source``."""

    def __init__(self, config: TeachConfig, learner: Learner, queue: QuestionSink, *,
                 save_every: int = 5, fast: Learner | None = None) -> None:
        super().__init__(name="altool-worker", daemon=True)
        self.config = config
        # ``fast`` (an n-gram learner) serves while ``target``'s encoder fills the cache in the
        # background (:mod:`.encoding`); then the worker switches to ``target`` for good
        self.target = learner
        self.fast = fast
        self.learner = fast or learner
        self._encoding: BackgroundEncoding | None = None
        self._cluster: PoolBuilder | None = None  # --cluster: fills the cluster's pool
        self._candidates: dict[int, list[int]] = {}  # --cluster: input hash -> task hashes
        self.queue = queue
        self.save_every = save_every
        self.status = WorkerStatus()
        self.on_status: Callable[[WorkerStatus], None] | None = None
        self._event = threading.Event()
        self._stopping = threading.Event()
        self._pending = 0
        self._lock = threading.Lock()
        self._pool: tuple[list[SourceRow], Any] | None = None
        self._failed = False
        self._drained = False
        self._finished = False
        # the annotator's pace and the worker's cycle time: how many questions to publish
        self.pace = Pace(config.queue_size or 50, config.batch_size)
        self._want = config.queue_size or 50  # questions the refresh under way publishes
        # featurize(texts, progress=None); through the store's cache once run() has a store
        self._featurize = featurizer_for(self.learner.model, None)
        self.stopping = StabilizingPredictions(measure=measure_for(len(learner.labels)))
        self._stop_X: Any = None

    # -- called from the UI thread -----------------------------------------------------------
    def notify(self, n_answers: int = 1) -> None:
        with self._lock:
            self._pending += n_answers
        self.pace.answered(n_answers)
        self._event.set()

    def stop(self, timeout: float = 10.0) -> None:
        self._stopping.set()
        if self._encoding is not None:
            self._encoding.cancel.set()
        builder = self._cluster  # once: the worker's thread may let go of it meanwhile
        if builder is not None:
            builder.stopping.set()
        self._event.set()
        if self.is_alive():
            self.join(timeout)

    # -- the thread --------------------------------------------------------------------------
    def run(self) -> None:
        from .threads import one_thread

        with one_thread():
            store = Store(self.config.db_path)
            self._featurize = featurizer_for(self.learner.model, store)
            self.learner.featurizer = self._featurize  # answered texts: cached vectors too
            if self.fast is not None:
                self._start_encoding()
            if self.config.cluster:
                self._start_cluster()
            try:
                self._loop(store)
            finally:
                self._close_cluster()
                self._save()
                store.close()

    # -- the encoder in the background -----------------------------------------------------
    def _start_encoding(self) -> None:
        """Encode the pool the target model will score, and the answered texts."""
        config = self.config

        def texts(store: Store) -> list[str]:
            total = store.count_source(config.source)
            if total <= config.local_pool_size:
                rows = [r for chunk in store.iter_source(config.source, CHUNK) for r in chunk]
            else:  # the seeded sample _pool_features takes for a slow model
                rows = store.sample_source(config.source, config.local_pool_size, seed=0)
            answered = [eg["text"] for eg in store.iter_answers(config.dataset)
                        if isinstance(eg.get("text"), str)] if store.has_dataset(
                config.dataset) else []
            return answered + [r.text for r in rows]

        def progress() -> None:
            self.status.progress = f"{self._encoding.progress} · n-grams meanwhile"
            self._event.set()  # the worker may switch now
            if self.on_status is not None:
                self.on_status(self.status)

        self._encoding = BackgroundEncoding(config.db_path, self.target.model, texts,
                                            on_progress=progress)
        self._encoding.start()

    def _maybe_switch(self, store: Store) -> None:
        """Once the pool is encoded, the target (encoder) model takes over from n-grams."""
        encoding = self._encoding
        if self.fast is None or encoding is None or not encoding.done.is_set():
            return
        self.fast = None
        self.status.progress = None
        if encoding.error is not None:
            log = log_error("encoding the pool failed; the n-gram model stays")
            self.status.warning = (f"encoder failed ({type(encoding.error).__name__}); "
                                   f"n-grams continue. Details: {log}")
            self.target = self.learner
            return
        self.learner = self.target
        self._featurize = featurizer_for(self.learner.model, store)
        self.learner.featurizer = self._featurize
        self._pool, self._stop_X = None, None
        self.stopping = StabilizingPredictions(measure=measure_for(len(self.learner.labels)))
        model = self.learner.model
        self.status.model_version, self.status.trained_on = model.version, 0
        self.status.state = "ready" if model.ready else "warming up"
        if store.count_answers(self.config.dataset):
            self._guard(self._fit, store)

    # -- the cluster's pool (--cluster) -----------------------------------------------------
    def _start_cluster(self) -> None:
        """Fill the cluster's pool in the background; the local pool serves meanwhile."""
        from .cluster_pool import PoolBuilder

        config = self.config
        assert config.cluster is not None
        self._cluster = PoolBuilder(config.cluster, config.db_path, config.source,
                                    config.pool_size, self.learner.model,
                                    seed=0 if self._slow else None,
                                    on_progress=self._report_cluster)
        self._cluster.start()

    def _report_cluster(self, text: str | None) -> None:
        self.status.cluster = text
        if self.on_status is not None:
            self.on_status(self.status)

    def _close_cluster(self) -> None:
        """Disconnect from the cluster, in the background (a dead one takes seconds)."""
        builder, self._cluster = self._cluster, None
        if builder is not None:
            builder.stopping.set()
            threading.Thread(target=builder.close, name="altool-cluster-close",
                             daemon=True).start()

    def _cluster_lost(self, err: Exception | None) -> None:
        """Back to the local sampled pool for the rest of the session, and say why."""
        self._close_cluster()
        self.status.cluster = None
        # what happens first: the error's text (a Dask task key, say) may not fit the line
        self.status.warning = (f"cluster lost: scoring a local sample of "
                               f"{self.config.local_pool_size:,} rows now"
                               + (f" ({err})" if err is not None else ""))

    def _check_cluster(self) -> None:
        """Say at once when the cluster's pool could not be built (the local pool stays)."""
        builder = self._cluster
        if builder is not None and builder.done.is_set() and not builder.ready.is_set() \
                and not builder.stopping.is_set():
            self._cluster_lost(builder.error)
            if self.on_status is not None:
                self.on_status(self.status)

    def _narrowed(self, store: Store, skip: set[int]) -> tuple[list[SourceRow], Any] | None:
        """The rows of the cluster's large pool that hold the strategy's picks, with their
        features (:meth:`.cluster_pool.ClusterPool.narrow`); None while the pool is not
        ready, when the strategy's picks need the whole pool (then the local pool serves),
        or when the cluster is gone."""
        from .cluster import ClusterLost
        from .cluster_pool import ClusterBusy, pool_kind

        builder = self._cluster
        if builder is None or not builder.done.is_set():
            return None
        if builder.error is not None or builder.pool is None or not builder.ready.is_set():
            self._cluster_lost(builder.error)
            return None
        model = self.learner.model
        if builder.kind != pool_kind(model):  # the encoder model took over from n-grams
            self._close_cluster()
            self._start_cluster()
            return None
        score = self.learner.pool_score()
        size = len(builder.pool)
        if score is None:
            self.status.cluster = f"cluster pool {size:,} idle ({self.learner.strategy_name})"
            return None
        skipped, extra = self._skipped_in(store, builder.pool, skip)
        try:
            narrowed = builder.pool.narrow(model, score, binary=self.learner.view == "binary",
                                           keep=self.config.local_pool_size,
                                           stopping=self._stopping, skipped=skipped,
                                           extra=extra, give_up=lambda: self._left() <= 0)
        except ClusterLost as err:
            self._cluster_lost(err)
            return None
        except ClusterBusy:  # the UI's queue is empty: it must not wait on the cluster
            self.status.cluster = f"cluster pool {size:,} busy: scoring the local pool"
            return None
        if self._stopping.is_set():
            raise _Stopped
        self.status.cluster = f"{size:,} scored on the cluster"
        return narrowed

    def _skipped_in(self, store: Store, pool: Any, skip: set[int]) -> tuple[np.ndarray, int]:
        """The candidates of the cluster's pool not to ask (``skip``), as ``(pool position,
        group)`` pairs, for the rows answered in the dataset or the excluded ones; and how
        many of ``skip`` are not among those answers (questions the UI holds), for which
        the narrowed pool keeps as many more rows per group."""
        config, learner = self.config, self.learner
        answered = store.input_hashes([config.dataset], config.exclude)
        known = store.task_hashes([config.dataset], config.exclude)
        binary = learner.view == "binary"
        labels: list[int | None] = list(range(len(learner.labels))) if binary else [None]
        pairs = []
        for i, h in pool.positions_of(answered):
            hashes = self._candidates.get(h)
            if hashes is None:  # hashing them is ~5 us each: once per answered input
                hashes = self._candidates[h] = [
                    candidate_hash(h, learner.labels, learner.view, j) for j in labels]
            pairs += [(i, g) for g, t in enumerate(hashes) if t in skip]
        return np.array(pairs, dtype=int).reshape(-1, 2), len(skip - known)

    def _loop(self, store: Store) -> None:
        self._guard(self._refresh, store)
        if store.count_answers(self.config.dataset) and not self._failed:
            self._guard(self._fit, store)  # catch up on answers given since the model was saved
            self._guard(self._refresh, store)
        fits_since_save = 0
        while not self._stopping.is_set():
            self._event.wait(0.5)
            self._event.clear()
            if self._stopping.is_set():
                return
            self._check_cluster()
            if self.fast is not None and self._encoding is not None and \
                    self._encoding.done.is_set():
                self._maybe_switch(store)
                self._guard(self._refresh, store)
                continue
            with self._lock:
                due = self._pending >= self.config.batch_size
                if due:
                    self._pending = 0
            started = time.perf_counter()
            if due and not self._failed:
                self._guard(self._fit, store)
                if self._stopping.is_set():
                    return
                fits_since_save += 1
                if fits_since_save >= self.save_every:
                    self._save()
                    fits_since_save = 0
            if due:
                self._finished = False  # new answers (or an undo) may open the source again
            left = self._left()
            # refill before the queue drains: when what is left lasts, at the annotator's pace,
            # less than a refresh takes (twice over)
            low = self.pace.low(left, self.status.last_refresh_s) and not self._drained
            if due or low or (left <= 0 and not self._finished):
                self._guard(self._refresh, store)
                self.pace.worked(time.perf_counter() - started)

    def _left(self) -> float:
        """Questions the UI has left: the queue's length as last known (through a pipe: as
        the UI last said, ``length_at``), less what was answered since at the current pace."""
        return self.pace.left(len(self.queue), getattr(self.queue, "length_at", None))

    def _guard(self, fn, store: Store) -> None:
        try:
            fn(store)
        except _Stopped:
            return  # quitting: drop the half-done refresh, the model is saved next
        except Exception as err:  # the UI must keep going whatever the model does
            self._failed = True
            log = log_error("worker error")
            self.status.warning = (
                f"model failed ({type(err).__name__}: {err}); asking in cold-start order. "
                f"Details: {log}"
            )
            self.status.state = "failed"
            self._fallback(store)
        finally:
            if self.on_status is not None:
                self.on_status(self.status)

    def _fit(self, store: Store) -> None:
        t0 = time.perf_counter()
        dataset = self.config.dataset
        answers = list(store.iter_answers(dataset)) if store.has_dataset(dataset) else []
        n = self.learner.fit(answers)
        model = self.learner.model
        self.status.last_fit_s = time.perf_counter() - t0
        self.status.fits += 1
        self.status.trained_on = n
        self.status.model_version = model.version
        self.status.state = "ready" if model.ready else "warming up"
        self._after_fit(store)

    def _after_fit(self, store: Store) -> None:
        """Status that needs the fitted text classifier: the audit and the stop criterion."""
        self.status.audit_accuracy, self.status.audit_n = self.learner.audit.result
        self._check_stop(store)

    def _check_stop(self, store: Store) -> None:
        """Compare the model just fitted with the previous one on the stop set (a random
        sample of the source, featurised once) and update the stopping criterion."""
        model = self.learner.model
        if not model.ready:
            return
        if self._stop_X is None:
            rows = store.sample_source(self.config.source, STOP_SET)
            if not rows:
                return
            self._stop_X = self._featurize([r.text for r in rows])
        P = model.predict_proba(self._stop_X)
        self.stopping.update(predictions_from_probs(P, model.exclusive),
                             at=self.status.trained_on)
        self.status.can_stop = self.stopping.fired
        self.status.stop_agreement = self.stopping.last

    def _refresh(self, store: Store) -> None:
        t0 = time.perf_counter()
        model = self.learner.model
        if not self._failed:  # keep showing "failed" while serving cold-start questions
            self.status.state = "ready" if model.ready else "warming up"
        skip = self._asked(store)
        total = store.count_source(self.config.source)
        self._want = self.pace.target()
        if not model.ready:
            # a slow model's cold sample is the same every time, so its vectors come cached
            rows = store.sample_source(self.config.source, COLD_SAMPLE,
                                       seed=0 if self._slow else None)
            picks = self._choose(rows, self._features(store, rows, skip), skip)
        else:
            narrowed = self._narrowed(store, skip)
            rows, X = narrowed or self._pool_features(store, total, skip)
            picks = self._choose(rows, X, skip)
            if self._windowed(total) and self.learner.state.get("stream_ran_out"):
                rows, X = self._next_window(store, skip)  # the stream passed this window
                picks = self._choose(rows, X, skip)
        if not picks:
            picks, rows = self._remaining(store, skip)
        self._publish(store, rows, picks)
        if self.learner.skipped is not None:
            self.status.skipped, self.status.seen = self.learner.skipped
        # Fewer picks than asked for: the source is nearly used up. Don't rescan on a low
        # queue again until new answers arrive.
        self._drained = len(picks) < self._want
        self._finished = not picks
        if not picks:
            self.queue.finish()
        self.status.last_refresh_s = time.perf_counter() - t0

    def _asked(self, store: Store) -> set[int]:
        """Task hashes not to ask: answered in the dataset or the excluded ones, or queued."""
        return store.task_hashes([self.config.dataset], self.config.exclude) | self.queue.asked()

    def _choose(self, rows: list[SourceRow], X: Any, skip: set[int]) -> list[Pick]:
        if not rows:
            return []
        return self.learner.choose(X, [r.input_hash for r in rows], self._want, skip)

    def _pool_features(
        self, store: Store, total: int, skip: set[int]
    ) -> tuple[list[SourceRow], Any]:
        """The pool to score and its features, computed in chunks and kept between refreshes.

        A source of up to ``pool_size`` examples (``local_pool_size`` with a cluster: then
        :meth:`_narrowed` comes first) is the pool, featurised once. A larger one is
        scored through a random sample of ``pool_size`` rows, renewed over ``RESAMPLE_EVERY``
        refreshes (:meth:`_renewed`: featurising 20,000 texts takes seconds). A slow model
        (embeddings: minutes for 20,000 texts) keeps one seeded sample, whose vectors later
        sessions find in the cache. A strategy that walks its pool in source order (``stream``)
        gets the source window by window instead (:meth:`_next_window`)."""
        if self._windowed(total):
            if self._pool is None:  # resume after the last row the stream asked about
                start = store.last_answered_row(self.config.source, self.config.dataset,
                                                self.learner.strategy_name)
                return self._next_window(store, skip, after_id=start)
            return self._pool
        whole = total <= self.config.local_pool_size
        if self._pool is None:
            if whole:
                chunks = store.iter_source(self.config.source, CHUNK)
                rows = [row for chunk in chunks for row in chunk]
            else:
                rows = store.sample_source(self.config.source, self.config.local_pool_size,
                                           seed=0 if self._slow else None)
            self._pool = (rows, self._features(store, rows, skip))
        elif not whole and not self._slow:
            self._pool = self._renewed(store, *self._pool)
        return self._pool

    def _renewed(self, store: Store, rows: list[SourceRow], X: Any
                 ) -> tuple[list[SourceRow], Any]:
        """The sampled pool with its oldest ``1 / RESAMPLE_EVERY`` swapped for new random rows
        of the source. The pool is renewed as fast as when it was drawn afresh every
        ``RESAMPLE_EVERY`` refreshes, but a share at each refresh: featurising the whole pool at
        once (seconds) made one refresh in five so slow that a fast annotator emptied the
        queue meanwhile."""
        k = max(1, len(rows) // RESAMPLE_EVERY)
        kept = rows[k:]
        have = {r.id for r in kept}
        new = [r for r in store.sample_source(self.config.source, k) if r.id not in have]
        if not new or X is None:
            return rows, X
        X_new = self._featurize([r.text for r in new])
        return kept + new, stack_rows([X[np.arange(k, len(rows))], X_new])

    def _windowed(self, total: int) -> bool:
        """Whether the pool is a window of the source in source order (a stream strategy on a
        source larger than ``pool_size``)."""
        return self.learner.spec.in_source_order and total > self.config.local_pool_size

    def _next_window(
        self, store: Store, skip: set[int], after_id: int | None = None
    ) -> tuple[list[SourceRow], Any]:
        """The ``pool_size`` source rows after ``after_id`` (default: after the current
        window), featurised. At the end of the source the window stays where it is."""
        if after_id is None:
            after_id = self._pool[0][-1].id if self._pool and self._pool[0] else 0
        rows = next(store.iter_source(self.config.source, self.config.local_pool_size,
                                      after_id=after_id), [])
        if rows or self._pool is None:
            self._pool = (rows, self._features(store, rows, skip))
        return self._pool

    @property
    def _slow(self) -> bool:
        return CACHEABLE in capabilities_of(self.learner.model)

    def _features(self, store: Store, rows: list[SourceRow], skip: set[int]) -> Any:
        """Features of ``rows``, computed in chunks. Between chunks, if the UI's queue would run
        dry before the next chunk is done (at the annotator's pace), it gets questions from the
        rows featurised so far; a slow model (embeddings:
        minutes for a large pool) also reports its progress in the status."""
        if not rows:
            return None  # nothing to choose from (``_choose`` returns no picks)
        chunk = SLOW_CHUNK if self._slow else CHUNK
        parts = []
        reported = False  # clear only this progress, not the background encoding's
        try:
            for start in range(0, len(rows), chunk):
                if self._stopping.is_set():
                    raise _Stopped  # featurising a pool takes seconds: don't keep quit waiting
                t0 = time.perf_counter()
                parts.append(self._featurize([r.text for r in rows[start : start + chunk]]))
                step_s = time.perf_counter() - t0
                done = min(start + chunk, len(rows))
                if done == len(rows):
                    break
                if self._slow:
                    self._report(f"embedding {done:,}/{len(rows):,}")
                    reported = True
                if self.pace.low(self._left(), step_s):
                    # The UI is about to wait: questions before the whole pool is featurised.
                    self._publish(store, rows, self._choose(rows[:done], stack_rows(parts), skip))
        finally:
            if reported:
                self._report(None)
        return stack_rows(parts)

    def _report(self, progress: str | None) -> None:
        self.status.progress = progress
        if self.on_status is not None:
            self.on_status(self.status)

    def _remaining(self, store: Store, skip: set[int]) -> tuple[list[Pick], list[SourceRow]]:
        """Scan the whole source for anything still unasked (the sample may have missed it)."""
        for chunk in store.iter_source(self.config.source, CHUNK):
            X = self._featurize([r.text for r in chunk])
            picks = self._choose(chunk, X, skip)
            if picks:
                return picks, chunk
        return [], []

    def _fallback(self, store: Store) -> None:
        """No model: queue a random sample of unasked questions (the UI keeps going)."""
        skip = self._asked(store)
        self.queue.replace(random_questions(
            store, self.config.source, self.learner.labels, self.learner.view, skip,
            self.config.queue_size,
        ))

    def _publish(self, store: Store, rows: list[SourceRow], picks: list[Pick]) -> None:
        examples = store.get_examples([rows[p.row].id for p in picks])
        questions = []
        labels = self.learner.labels
        for p in picks:
            eg = examples[rows[p.row].id]
            task = make_task(eg, labels, self.learner.view, p,
                             strategy=self.learner.strategy_name, model=self.learner.model)
            predicted = _predicted(p, labels, self.learner)
            if predicted is not None:  # the guess of a model that has not seen it (progress)
                task["meta"]["pick_guess"] = predicted
            if self.status.stop_agreement is not None:  # the stop signal then (progress)
                task["meta"]["pick_stop"] = {"fired": self.status.can_stop,
                                             "agreement": round(self.status.stop_agreement, 4)}
            questions.append(Question(task, predicted, self.learner.model.version))
        self.queue.replace(questions)

    def _save(self) -> None:
        model = self.learner.model
        if not model.ready or self._failed:
            return
        if self.learner is not self.target and self.target.model.ready:
            return  # the file holds the (resumed) encoder model: the n-gram stand-in is worse
        # before the encoder model took over, the n-gram stand-in is the model there is; the
        # next session sees it is not an encoder model and trains one on the answers
        try:
            path = self.config.model_file()
            if path is not None:
                model.save(path)
        except Exception:  # saving must never take the session down
            log_error("saving the model failed")


def _predicted(pick: Pick, labels: list[str], learner: Learner) -> list[str] | None:
    if pick.probs is None:
        return None
    if learner.view == "binary":
        return [labels[pick.label or 0]] if (pick.score or 0) >= 0.5 else []
    if learner.model.exclusive or len(labels) == 1:
        return [labels[int(np.argmax(pick.probs))]]
    return [label for label, p in zip(labels, pick.probs, strict=True) if p >= 0.5]


def random_questions(
    store: Store, source: str, labels: list[str], view: str, skip: set[int], n: int
) -> list[Question]:
    """Up to ``n`` unasked questions from a random sample of the source, without a model
    (used before the worker is up, and when the model has failed). They are marked
    ``meta.pick = "filler"``: nobody asked for an audit sample, so they are not one (only
    ``--mix random=SHARE`` and the ``random`` strategy pick audit questions)."""
    rows = store.sample_source(source, max(4 * n, 50))
    examples = store.get_examples([r.id for r in rows])
    out: list[Question] = []
    for i, row in enumerate(rows):
        label = i % len(labels) if view == "binary" else None
        task = make_task(examples[row.id], labels, view, Pick(i, label, None, None, FILLER_PICK))
        if task["_task_hash"] not in skip:
            out.append(Question(task))
        if len(out) >= n:
            break
    return out


def make_worker(config: TeachConfig, sink: QuestionSink) -> Worker:
    """``textcat.teach``'s worker: the dataset's saved model (or a new one) and the strategy.
    A model whose features are slow to compute (the sentence encoder) gets an n-gram stand-in
    that serves while the pool is encoded in the background."""
    from ..models.ngram import SklearnModel
    from ..models.registry import resume_model
    from ..strategies.registry import resolve_name

    model = resume_model(config.model_file(), config.model, list(config.labels),
                         config.exclusive)
    strategy = resolve_name(config.strategy, capabilities_of(model))

    def learner_for(model: Any) -> Learner:
        return Learner(model, strategy, view=config.view, seed=config.seed,
                       options=config.options, random_share=config.settings.random_share,
                       like=config.settings.like)

    fast = None
    if CACHEABLE in capabilities_of(model):
        fast = learner_for(SklearnModel(list(config.labels), config.exclusive))
    return Worker(config, learner_for(model), sink, fast=fast)


def initial_questions(config: TeachConfig, store: Store, skip: set[int], n: int
                      ) -> list[Question]:
    """Questions without a model: while the worker process starts, and after it died."""
    return random_questions(store, config.source, list(config.labels), config.view, skip, n)
