"""The pool encoded in the background, so the model in the loop never waits for the encoder.

A sentence encoder takes minutes for a pool of 20,000 texts on a laptop. Meanwhile the worker
serves questions with the n-gram model (ready in a second); :class:`BackgroundEncoding`
encodes the pool (the seeded sample the encoder model will score) and the answered texts into
the store's vector cache, in a thread and a database connection of its own, and says how far
it is. When it is done, the worker switches to the encoder model, whose features now all come
from the cache.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..models.cache import CACHE_CHUNK, CachedFeaturizer
from ..store import Store

Texts = Callable[[Store], list[str]]  # what to encode, read from the store when it starts
# Once the first list is encoded, what to encode is read again and anything new encoded (the
# answers given meanwhile), up to this many times: the switch to the encoder model fits it on
# every answer, and encoding the ones given during a long encoding then (2,000 at 10 answers
# a second) kept a fast annotator waiting for 19 s.
CATCH_UP_ROUNDS = 5


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
