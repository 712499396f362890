"""The pool encoded in the background, so the model in the loop never waits for the encoder.

A sentence encoder takes minutes for a pool of 20,000 texts on a laptop. Meanwhile the worker
serves questions with the n-gram model (ready in a second); :class:`BackgroundEncoding`
encodes the pool (the seeded sample the encoder model will score) and the answered texts into
the store's vector cache, in a thread and a database connection of its own, and says how far
it is. When it is done, the worker switches to the encoder model, whose features now all come
from the cache.

``altool encode SOURCE`` (:func:`encode_source`) fills the same cache for a whole source
ahead of time, chunk by chunk and resumable, so that no session waits for the encoder.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import AltoolError
from ..io.hashing import hash_text
from ..models.base import CACHEABLE, capabilities_of
from ..models.cache import CACHE_CHUNK, CachedFeaturizer
from ..store import Store

Texts = Callable[[Store], list[str]]  # what to encode, read from the store when it starts
# Once the first list is encoded, what to encode is read again and anything new encoded (the
# answers given meanwhile), up to this many times: the switch to the encoder model fits it on
# every answer, and encoding the ones given during a long encoding then (2,000 at 10 answers
# a second) kept a fast annotator waiting for 19 s.
CATCH_UP_ROUNDS = 5
ENCODE_CHUNK = 1_000  # source rows per chunk of ``altool encode``: committed at once


class BackgroundEncoding(threading.Thread):
    """Encode ``texts(store)`` with ``model`` into the store's cache, chunk by chunk."""

    def __init__(self, db_path: Path, model: Any, texts: Texts, *,
                 chunk: int = CACHE_CHUNK, on_progress: Callable[[], None] | None = None
                 ) -> None:
        super().__init__(name="altool-encode", daemon=True)
        self.db_path = db_path
        self.model = model
        self.texts = texts
        self.chunk = chunk
        self.on_progress = on_progress
        self.done = threading.Event()
        self.cancel = threading.Event()
        self.encoded = 0  # texts looked at so far (cached or encoded now)
        self.total: int | None = None
        self.loading = False  # loading the encoder (building its graph the first time)
        self.error: BaseException | None = None

    @property
    def progress(self) -> str:
        if self.total is None:
            return "encoding: reading the pool"
        if self.loading:
            return "encoding: loading the encoder"
        return f"encoding {self.encoded:,}/{self.total:,}"

    def run(self) -> None:
        try:
            with Store(self.db_path) as store:
                texts = list(dict.fromkeys(self.texts(store)))  # each text once
                self.total = len(texts)
                key = self.model.cache_key
                if len(store.cached_hashes(key, [hash_text(t) for t in texts])) == len(texts):
                    self.encoded = len(texts)  # all cached (altool encode): no encoder to load
                    return
                if texts:  # the first text loads the encoder: say so, it can take seconds
                    self.loading = True
                    if self.on_progress is not None:
                        self.on_progress()
                    self.model.encode(texts[:1])
                    self.loading = False
                featurize = CachedFeaturizer(self.model, store, chunk=self.chunk)
                seen = set(texts)
                for _ in range(1 + CATCH_UP_ROUNDS):
                    if not self._encode(featurize, texts):
                        return
                    texts = [t for t in dict.fromkeys(self.texts(store)) if t not in seen]
                    if not texts:
                        break
                    seen.update(texts)
                    self.total = (self.total or 0) + len(texts)
        except BaseException as err:  # handed to the worker, which stays on n-grams
            self.error = err
        finally:
            self.done.set()

    def _encode(self, featurize: CachedFeaturizer, texts: list[str]) -> bool:
        """Encode ``texts`` chunk by chunk into the cache; False if cancelled meanwhile."""
        done = self.encoded
        for start in range(0, len(texts), self.chunk):
            if self.cancel.is_set():
                return False
            featurize(texts[start : start + self.chunk])
            self.encoded = done + min(start + self.chunk, len(texts))
            if self.on_progress is not None:
                self.on_progress()
        return True

# -- altool encode: a whole source, chunk by chunk, resumable ---------------------------------
@dataclass
class Chunk:
    """``rows`` consecutive source rows; ``hashes`` and ``texts``: those not cached yet."""

    rows: int
    hashes: list[int] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)


# encodes chunks (here, or on a cluster), yielding each with its vectors (None: nothing to
# encode) as it is done; the caller writes them, so only one process writes the store
ChunkEncoder = Callable[[Iterator[Chunk]], Iterator[tuple[Chunk, "np.ndarray | None"]]]


@dataclass
class EncodeResult:
    """What ``encode_source`` did so far: source rows looked at, texts found in the cache,
    texts encoded (and cached) now."""

    total: int
    rows: int = 0
    cached: int = 0
    encoded: int = 0


class EncodingInterrupted(KeyboardInterrupt):
    """Ctrl-C during ``encode_source``; the finished chunks are kept (``result`` says how
    far it got)."""

    def __init__(self, result: EncodeResult) -> None:
        super().__init__()
        self.result = result


def encoder_model(name: str) -> Any:
    """The model ``altool encode --model NAME`` precomputes the features of: one whose
    features are cached (``embed``, ``embed:fp32``...), or a clear error."""
    from ..models.encoder import INSTALL_HINT
    from ..models.registry import AUTO, MODELS, make_model, models_with, split_model_name

    if name == AUTO:
        name = "embed"
    if split_model_name(name)[0] not in MODELS:
        raise AltoolError(f"unknown model {name!r} for altool encode; choose one of: "
                          f"{', '.join(models_with(frozenset({CACHEABLE})))} (e.g. embed, "
                          f"embed:fp32; the embed extra: {INSTALL_HINT})")
    model = make_model(name, ["_"])
    if CACHEABLE not in capabilities_of(model):
        raise AltoolError(f"--model {name} computes its features as it goes: there is "
                          "nothing to precompute. altool encode is for the models whose "
                          f"features are cached: {', '.join(models_with(frozenset({CACHEABLE})))}")
    return model


def missing_chunks(store: Store, source: str, key: str, chunk: int) -> Iterator[Chunk]:
    """The source in chunks of ``chunk`` rows (id order), each with its texts that have no
    vector under ``key`` yet (each text once); a finished chunk costs a key lookup."""
    for rows in store.iter_source(source, max(1, chunk)):
        todo: dict[int, str] = {}
        for row in rows:
            todo.setdefault(hash_text(row.text), row.text)
        have = store.cached_hashes(key, list(todo))
        part = Chunk(len(rows))
        for h, text in todo.items():
            if h not in have:
                part.hashes.append(h)
                part.texts.append(text)
        yield part


def local_chunks(model: Any) -> ChunkEncoder:
    """Encode each chunk in this process."""

    def run(chunks: Iterator[Chunk]) -> Iterator[tuple[Chunk, np.ndarray | None]]:
        for part in chunks:
            vectors = np.asarray(model.encode(part.texts), dtype=np.float32) if part.texts \
                else None
            yield part, vectors

    return run


def encode_source(store: Store, source: str, model: Any, *, chunk: int = ENCODE_CHUNK,
                  progress: Callable[[EncodeResult], None] | None = None,
                  run: ChunkEncoder | None = None) -> EncodeResult:
    """Encode every text of ``source`` that has no cached vector yet into the store's vector
    cache (``altool.db-vectors``), one transaction per chunk of ``chunk`` rows, so a run
    stopped any way (Ctrl-C, ``kill -9``, a crash) keeps its finished chunks and the next run
    goes on from there. ``run`` encodes the chunks (default: here; see ``ChunkEncoder``);
    ``progress(result)`` is called after each chunk. Ctrl-C raises
    :class:`EncodingInterrupted`."""
    key = model.cache_key
    result = EncodeResult(total=store.count_source(source))
    if progress is not None:
        progress(result)
    try:
        for part, vectors in (run or local_chunks(model))(
                missing_chunks(store, source, key, chunk)):
            if part.texts:
                got = 0 if vectors is None else len(vectors)
                if got != len(part.texts):
                    raise AltoolError(f"the encoder returned {got} vectors for "
                                      f"{len(part.texts)} texts")
                if store.add_embeddings(key, part.hashes, vectors) != len(part.hashes):
                    raise AltoolError(f"{store.vectors_path}: the vector cache can't be "
                                      "written (damaged, read-only or a full disk?); delete it "
                                      "or free space, then run altool encode again")
            result.rows += part.rows
            result.encoded += len(part.texts)
            result.cached = result.rows - result.encoded
            if progress is not None:
                progress(result)
    except KeyboardInterrupt:
        raise EncodingInterrupted(result) from None
    except AltoolError as err:  # say what is kept
        raise AltoolError(f"{err}. {result.rows:,} of {result.total:,} texts are done and "
                          f"kept: run altool encode {source} again to go on") from None
    return result
