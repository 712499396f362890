"""Features computed once per text: a slow model's features (sentence embeddings) cached by
text hash in a store, so a pool is encoded once and later sessions and runs reuse it.

A model says its features may be cached with the ``cacheable`` capability
(:data:`~altool.models.base.CACHEABLE`) and names their key with ``cache_key``. The loop and
``altool simulate`` get their featurizer here and never need to know which model they have.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import AltoolError
from ..io.hashing import hash_text
from ..paths import altool_home
from .base import CACHEABLE, capabilities_of

if TYPE_CHECKING:
    from ..store import Store

CACHE_CHUNK = 500  # texts encoded (and cached) between progress reports

Progress = Callable[[int, int], None]  # (texts encoded so far, texts to encode)


class CachedFeaturizer:
    """``model.featurize`` through the store's embedding cache: the model's slow part
    (``encode``) is cached, the rest added by ``from_encoded``.

    Vectors are looked up by text hash (:func:`~altool.io.hashing.hash_text`, the input hash of
    a plain-text example); only missing texts are encoded, in chunks of ``chunk`` texts, each
    chunk written back in one transaction. ``progress(done, total)`` is called after each
    chunk, counting only the texts that needed encoding."""

    def __init__(self, model: Any, store: Store, *, chunk: int = CACHE_CHUNK) -> None:
        self.model = model
        self.store = store
        self.key = model.cache_key
        self.chunk = max(1, chunk)
        self.encoded = 0  # texts encoded by this featurizer (the rest came from the cache)

    def __call__(self, texts: Sequence[str], progress: Progress | None = None) -> np.ndarray:
        texts = list(texts)
        hashes = [hash_text(t) for t in texts]
        found = self.store.get_embeddings(self.key, hashes)
        todo: dict[int, str] = {}
        for h, t in zip(hashes, texts, strict=True):
            if h not in found and h not in todo:
                todo[h] = t
        pending = list(todo.items())
        if pending and progress is not None:
            progress(0, len(pending))
        for start in range(0, len(pending), self.chunk):
            part = pending[start : start + self.chunk]
            vectors = np.asarray(self.model.encode([t for _, t in part]), dtype=np.float32)
            part_hashes = [h for h, _ in part]
            self.store.add_embeddings(self.key, part_hashes, vectors)
            found.update(zip(part_hashes, vectors, strict=True))
            self.encoded += len(part)
            if progress is not None:
                progress(start + len(part), len(pending))
        if not texts:
            return self.model.from_encoded([], np.asarray(self.model.encode([]),
                                                          dtype=np.float32))
        vectors = np.vstack([found[h] for h in hashes]).astype(np.float32, copy=False)
        return self.model.from_encoded(texts, vectors)


def featurizer_for(model: Any, store: Store | None) -> Callable[..., Any]:
    """``featurize(texts, progress=None)``: the model's features, through the store's cache
    when the model allows it (``cacheable``)."""
    if store is not None and CACHEABLE in capabilities_of(model):
        return CachedFeaturizer(model, store)

    def featurize(texts: Sequence[str], progress: Progress | None = None) -> Any:
        return model.featurize(texts)

    return featurize


def embedding_cache_path() -> Path:
    """The cache ``altool simulate`` keeps embeddings in (runs on files, not a database)."""
    return altool_home() / "cache" / "embeddings.db"


@contextmanager
def feature_cache(model: Any, path: Path | None = None) -> Iterator[Callable[..., Any]]:
    """``featurize(texts, progress=None)`` for ``model``, cached in a store of its own
    (default: ``ALTOOL_HOME/cache/embeddings.db``) when the model is cacheable. If the cache
    can't be opened, features are computed without it."""
    from ..store import Store

    store = None
    if CACHEABLE in capabilities_of(model):
        try:
            store = Store(path or embedding_cache_path())
        except (AltoolError, OSError):
            store = None
    try:
        yield featurizer_for(model, store)
    finally:
        if store is not None:
            store.close()
