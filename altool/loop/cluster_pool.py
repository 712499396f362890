"""``textcat.teach --cluster ADDRESS``: a large pool scored on a Dask cluster.

The altool process reads the pool's rows from the store (the only process that touches it)
and sends each chunk's texts to the workers once, with the vectors it has cached for a cached
model (``embed``: reading a cached vector is far cheaper than encoding it; a text without one
is encoded on the worker). The workers featurise the chunks and keep the features in their
memory, as futures the altool process holds. At each refresh the fitted model is sent once to
the cluster, each chunk is scored where it lives, and each returns only its best candidates
by the strategy's per-candidate score (:attr:`~altool.strategies.base.StrategySpec.pool_score`):
positions and scores, per label in the binary view. The altool process merges them, fetches
the features of the ``keep`` best rows and the learner chooses among those as it would in a
local pool: a strategy's picks lie among the top of its score, so they are the picks of the
whole large pool (:meth:`~altool.loop.learner.Learner.pool_score` says when that holds; when
it does not, the session scores its local sampled pool instead).

A worker that dies is replaced by Dask, which recomputes its chunks' features from their
texts (the tasks hold them); if the whole cluster goes away, :class:`~.cluster.ClusterLost`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from itertools import takewhile
from typing import Any

import numpy as np

from ..models.base import CACHEABLE, capabilities_of, stack_rows
from ..store import SourceRow, Store
from ..strategies.base import PoolScore, QueryContext
from .cluster import ClusterLost, connect
from .learner import candidate_probs

CLUSTER_CHUNK = 20_000  # pool rows per task on a worker: featurised once, scored each refresh
SCORE_TIMEOUT_S = 300.0  # a refresh that gets no answer from the cluster in this long gives up
POLL_S = 0.25  # how often a wait on the cluster checks whether the session is stopping


class ClusterBusy(Exception):
    """The cluster has not answered yet and the session can't wait for it (the UI's queue is
    empty): this refresh scores the local pool."""


# -- run on the workers ----------------------------------------------------------------------
def features_of(model: Any, texts: list[str], vectors: np.ndarray | None = None,
                cached: np.ndarray | None = None) -> Any:
    """The features of ``texts``; for a cached model (``embed``) from ``vectors``, whose rows
    not ``cached`` are encoded here."""
    if CACHEABLE not in capabilities_of(model):
        return model.featurize(texts)
    if vectors is None or cached is None:  # none cached: encode them all
        return model.from_encoded(texts, np.asarray(model.encode(texts), dtype=np.float32))
    vectors = np.array(vectors, dtype=np.float32)
    todo = np.flatnonzero(~cached)
    if len(todo):
        vectors[todo] = np.asarray(model.encode([texts[i] for i in todo]), dtype=np.float32)
    return model.from_encoded(texts, vectors)


def chunk_best(model: Any, features: Any, score: PoolScore, *, binary: bool,
               keep: int, skipped: np.ndarray | None = None
               ) -> list[tuple[np.ndarray, np.ndarray]]:
    """Score one chunk: per group of candidates (one per label in the binary view, one in the
    choice view), the positions of its ``keep`` highest-scoring rows and their scores.
    ``skipped``: ``(position, group)`` pairs of candidates not to ask (answered, excluded),
    which are left out."""
    P = model.predict_proba(features)
    m = P.shape[0]
    rows = np.arange(m)
    out = []
    for j in range(P.shape[1]) if binary else [None]:
        labels = None if j is None else np.full(m, j)

        def to_candidates(Q: np.ndarray, labels: np.ndarray | None = labels) -> np.ndarray:
            return candidate_probs(Q, rows, labels, model.exclusive)

        context = QueryContext(model=model, pool_features=features, cand_rows=rows,
                               to_candidates=to_candidates, pool_probs=P, cand_labels=labels)
        scores = np.asarray(score(to_candidates(P), features, context), dtype=float)
        if skipped is not None and len(skipped):
            scores[skipped[skipped[:, 1] == (j or 0), 0]] = -np.inf
        best = _best(scores, keep)
        best = best[np.isfinite(scores[best])]
        out.append((best, scores[best]))
    return out


def _same(value: Any) -> Any:
    """A task whose result is ``value``: data a worker that dies can get back (a scattered
    object cannot), so the model and the featuriser survive a killed worker."""
    return value


def take_rows(features: Any, positions: np.ndarray) -> Any:
    """The rows of a chunk's features at ``positions``."""
    return features[positions]


def _best(scores: np.ndarray, keep: int) -> np.ndarray:
    """Positions of the ``keep`` highest scores (ties: lower position first), in order."""
    if keep < len(scores):
        cut = np.partition(-scores, keep - 1)[keep - 1]
        candidates = np.flatnonzero(-scores <= cut)
    else:
        candidates = np.arange(len(scores))
    order = np.lexsort((candidates, -scores[candidates]))
    return candidates[order][:keep]


# -- the altool process ----------------------------------------------------------------------
@dataclass
class _Chunk:
    start: int  # position of its first row in the pool
    size: int
    features: Any  # the future of its features, kept on a worker


class ClusterPool:
    """A large pool featurised on a cluster and kept there; :meth:`narrow` returns its rows
    that hold a strategy's picks, with their features."""

    def __init__(self, client: Any, featuriser: Any) -> None:
        self.client = client
        self.kind = pool_kind(featuriser)
        self._featuriser = client.submit(_same, featuriser, pure=False)
        self._chunks: list[_Chunk] = []
        self._ids: list[int] = []
        self._hashes: list[int] = []

    def __len__(self) -> int:
        return len(self._ids)

    def positions_of(self, input_hashes: set[int]) -> list[tuple[int, int]]:
        """``(pool position, input hash)`` of the pool's rows whose input hash is in
        ``input_hashes``."""
        return [(i, h) for i, h in enumerate(self._hashes) if h in input_hashes]

    def add(self, rows: Sequence[SourceRow], vectors: np.ndarray | None = None,
            cached: np.ndarray | None = None) -> None:
        """Send a chunk of the pool's rows (and their cached vectors) to be featurised."""
        if not rows:
            return
        future = self.client.submit(features_of, self._featuriser, [r.text for r in rows],
                                    vectors, cached, pure=False)
        self._chunks.append(_Chunk(len(self._ids), len(rows), future))
        self._ids += [r.id for r in rows]
        self._hashes += [r.input_hash for r in rows]

    def wait(self, stopping: threading.Event | None = None,
             timeout: float | None = None) -> None:
        """Wait until every chunk is featurised (:class:`ClusterLost` if the cluster fails)."""
        self._results([c.features for c in self._chunks], stopping, timeout, values=False)

    def narrow(self, model: Any, score: PoolScore, *, binary: bool, keep: int,
               stopping: threading.Event | None = None, timeout: float = SCORE_TIMEOUT_S,
               skipped: np.ndarray | None = None, extra: int = 0,
               give_up: Callable[[], bool] | None = None) -> tuple[list[SourceRow], Any]:
        """The pool rows whose candidates are among the ``keep`` highest by ``score`` (per
        label in the binary view, ``keep // labels`` each), in pool order, and their features.
        ``model`` is sent to the cluster once; each chunk is scored where it lives.
        ``skipped``: ``(pool position, group)`` pairs of candidates not to ask, left out on
        the workers; ``extra``: more rows per group, for candidates not to ask whose pool
        position is unknown (each can hide one of a group's best). :class:`ClusterBusy` when
        ``give_up()`` says the session can't wait any longer."""
        groups = len(model.labels) if binary else 1
        per_group = max(1, keep // groups) + extra
        if skipped is None:
            skipped = np.empty((0, 2), dtype=int)
        try:
            shared = self.client.submit(_same, model, pure=False)
            scored = []
            for c in self._chunks:
                mine = skipped[(skipped[:, 0] >= c.start) & (skipped[:, 0] < c.start + c.size)]
                scored.append(self.client.submit(
                    chunk_best, shared, c.features, score, binary=binary, keep=per_group,
                    skipped=mine - [c.start, 0] if len(mine) else None, pure=False))
        except (Exception, *cluster_errors()) as err:  # e.g. a model that does not pickle
            raise ClusterLost.failed(err) from None
        parts = self._results(scored, stopping, timeout, give_up=give_up)
        del shared, scored  # released on the workers
        chosen = merge_best(parts, [c.start for c in self._chunks], per_group)
        bounds = np.searchsorted(chosen, [c.start + c.size for c in self._chunks])
        fetch, starts = [], 0
        for c, end in zip(self._chunks, bounds, strict=True):
            if end > starts:
                try:
                    fetch.append(self.client.submit(take_rows, c.features,
                                                    chosen[starts:end] - c.start, pure=False))
                except (Exception, *cluster_errors()) as err:  # the local pool serves
                    raise ClusterLost.failed(err) from None
            starts = end
        got = self._results(fetch, stopping, timeout, give_up=give_up)
        if not got or (stopping is not None and stopping.is_set()):
            return [], None  # stopping (or nothing chosen)
        rows = [SourceRow(self._ids[i], self._hashes[i], "") for i in chosen]
        return rows, stack_rows(got)

    def _results(self, futures: list[Any], stopping: threading.Event | None,
                 timeout: float | None, values: bool = True,
                 give_up: Callable[[], bool] | None = None) -> list[Any]:
        """The futures' results in order; :class:`ClusterLost` when the cluster fails or
        does not answer in ``timeout`` seconds, :class:`ClusterBusy` when ``give_up()`` while
        waiting. Stops waiting (returns []) when ``stopping`` is set."""
        deadline = None if timeout is None else time.monotonic() + timeout
        try:
            while not all(f.done() for f in futures):
                if stopping is not None and stopping.is_set():
                    return []
                if self.client.status in ("closing", "closed"):
                    raise ClusterLost("the connection to the cluster was closed")
                if deadline is not None and time.monotonic() > deadline:
                    raise ClusterLost(f"the cluster did not answer in {timeout:.0f} s")
                if give_up is not None and give_up():
                    raise ClusterBusy
                time.sleep(POLL_S)
            if values:
                return self.client.gather(futures)
            for f in futures:  # only whether they are done: the data stays on the workers
                if f.status != "finished":
                    f.result()  # raises the task's (or the cluster's) error
            return []
        except (ClusterLost, ClusterBusy):
            raise
        except (Exception, *cluster_errors()) as err:  # a task's own error on a worker too
            raise ClusterLost.failed(err) from None

    def close(self) -> None:
        """Release the pool's data on the workers."""
        self._chunks.clear()
        self._featuriser = None


def merge_best(parts: list[list[tuple[np.ndarray, np.ndarray]]], starts: Sequence[int],
               keep: int) -> np.ndarray:
    """The pool positions of the ``keep`` best candidates of each group over all chunks
    (``parts``: per chunk, per group, chunk positions and scores), united, in pool order."""
    if not parts:
        return np.empty(0, dtype=int)
    chosen = []
    for g in range(len(parts[0])):
        pos = np.concatenate([p[g][0] + s for p, s in zip(parts, starts, strict=True)])
        scores = np.concatenate([p[g][1] for p in parts])
        chosen.append(pos[_best_keyed(scores, pos, keep)])
    return np.unique(np.concatenate(chosen)).astype(int)


def _best_keyed(scores: np.ndarray, pos: np.ndarray, keep: int) -> np.ndarray:
    """Indices of the ``keep`` highest ``scores`` (ties: lower ``pos`` first)."""
    return np.lexsort((pos, -scores))[:keep]


def cluster_errors() -> tuple[type[BaseException], ...]:
    """What a cluster raises when it goes away or loses a task: connection errors,
    timeouts, cancelled futures and tasks whose workers kept dying."""
    from asyncio import CancelledError
    from concurrent.futures import CancelledError as FutureCancelled

    from distributed import KilledWorker

    return (OSError, TimeoutError, CancelledError, FutureCancelled, KilledWorker)


def pool_kind(model: Any) -> str:
    """What a pool's features depend on: the model's kind (and cached vectors' key)."""
    return f"{getattr(model, 'kind', type(model).__name__)}:{getattr(model, 'cache_key', '')}"


def fill_pool(pool: ClusterPool, store: Store, chunks: Iterable[list[SourceRow]],
              featuriser: Any, progress: Callable[[int], None] | None = None) -> None:
    """Send ``chunks`` of source rows to ``pool``, with the vectors ``store`` has cached for
    a cached model (``featuriser``: ``embed``), so the workers encode only the rest."""
    key = getattr(featuriser, "cache_key", None)
    cacheable = CACHEABLE in capabilities_of(featuriser) and key is not None
    for rows in chunks:
        vectors = cached = None
        if cacheable:
            from ..io.hashing import hash_text

            found = store.get_embeddings(key, [hash_text(r.text) for r in rows])
            if found:
                dim = len(next(iter(found.values())))
                vectors = np.zeros((len(rows), dim), dtype=np.float32)
                cached = np.zeros(len(rows), dtype=bool)
                for i, r in enumerate(rows):
                    v = found.get(hash_text(r.text))
                    if v is not None:
                        vectors[i], cached[i] = v, True
        pool.add(rows, vectors, cached)
        if progress is not None:
            progress(len(pool))


def pool_chunks(store: Store, source: str, size: int, *, seed: int | None,
                chunk: int = CLUSTER_CHUNK) -> Iterable[list[SourceRow]]:
    """The large pool's rows in chunks: the whole source if it holds at most ``size`` rows,
    else a random sample of ``size`` (as the local path draws its pool)."""
    if store.count_source(source) <= size:
        yield from store.iter_source(source, chunk)
        return
    rows = store.sample_source(source, size, seed=seed)
    for start in range(0, len(rows), chunk):
        yield rows[start : start + chunk]


class PoolBuilder(threading.Thread):
    """Connects to the cluster and fills a :class:`ClusterPool` in the background (the
    session keeps scoring its local pool meanwhile): ``ready`` once every chunk is
    featurised on the workers, ``error`` (an :class:`~altool.errors.AltoolError`) if it
    could not be."""

    def __init__(self, address: str, db_path: Any, source: str, size: int, featuriser: Any,
                 *, seed: int | None = None, chunk: int = CLUSTER_CHUNK,
                 on_progress: Callable[[str], None] | None = None) -> None:
        super().__init__(name="altool-cluster-pool", daemon=True)
        self.address, self.db_path, self.source = address, db_path, source
        self.size, self.featuriser, self.seed, self.chunk = size, featuriser, seed, chunk
        self.on_progress = on_progress
        self.kind = pool_kind(featuriser)
        self.pool: ClusterPool | None = None
        self.client: Any = None
        self.error: Exception | None = None
        self.ready = threading.Event()
        self.done = threading.Event()
        self.stopping = threading.Event()

    def run(self) -> None:
        from ..errors import AltoolError

        try:
            self.client = connect(self.address)
            self.pool = ClusterPool(self.client, self.featuriser)
            with Store(self.db_path) as store:
                chunks = pool_chunks(store, self.source, self.size, seed=self.seed,
                                     chunk=self.chunk)
                fill_pool(self.pool, store,
                          takewhile(lambda _: not self.stopping.is_set(), chunks),
                          self.featuriser, lambda n: self._say(f"cluster pool {n:,} sent"))
            self._say(f"cluster pool {len(self.pool):,} featurising")
            self.pool.wait(self.stopping)
            if not self.stopping.is_set():
                self.ready.set()
                self._say(f"cluster pool {len(self.pool):,} ready")
        except AltoolError as err:
            self.error = err
        except (Exception, *cluster_errors()) as err:  # a featuriser that does not pickle, a
            # task that fails on the workers: said in the warning (no traceback from here)
            self.error = ClusterLost.failed(err)
        finally:
            if self.stopping.is_set():  # the session ended meanwhile: close() may have come
                self.close()  # before the client existed
            self.done.set()

    def _say(self, text: str) -> None:
        if self.on_progress is not None:
            self.on_progress(text)

    def close(self) -> None:
        """Stop building and disconnect (the pool's data is released)."""
        self.stopping.set()
        if self.pool is not None:
            self.pool.close()
        if self.client is not None:
            try:
                self.client.close(timeout=5)
            except cluster_errors():
                pass
