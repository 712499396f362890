"""``--model blend``: the n-gram model and the sentence-encoder model side by side, their
probabilities averaged.

Each half learns from the same answers on its own features (hashed n-grams; sentence
embeddings) exactly as ``sklearn`` and ``embed`` do; ``predict_proba`` is their weighted mean.
N-grams catch the exact words a label hangs on (spam's "FREE", a question's "Who"), the
encoder the meaning around them. The query strategies see the sentence embeddings (dense
vectors, so distances and clusters mean something); the encoder's vectors are cached as
``embed``'s are.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .base import CACHEABLE, REFIT, SEMANTIC, VECTORS
from .encoder import EmbedModel, encode, encoder_named, require_embed
from .ngram import SklearnModel
from .saving import save_model

EMBED_WEIGHT = 0.5  # share of the encoder half in the blend


class BlendFeatures:
    """N-gram rows and embedding rows of the same texts. To the query strategies it is the
    embedding matrix (indexing, ``shape``, ``@``, NumPy conversion); the models take their own
    half."""

    def __init__(self, ngrams: Any, vectors: np.ndarray) -> None:
        self.ngrams = ngrams
        self.vectors = vectors

    @property
    def shape(self) -> tuple[int, int]:
        return self.vectors.shape

    def __len__(self) -> int:
        return self.vectors.shape[0]

    def __getitem__(self, rows: Any) -> BlendFeatures:
        if isinstance(rows, (int, np.integer)):
            rows = [int(rows)]
        return BlendFeatures(self.ngrams[rows], self.vectors[rows])

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        return self.vectors if dtype is None else self.vectors.astype(dtype)

    def astype(self, dtype: Any, copy: bool = True) -> np.ndarray:
        return self.vectors.astype(dtype, copy=copy)

    @property
    def T(self) -> np.ndarray:  # noqa: N802 (the matrix name)
        return self.vectors.T

    def __matmul__(self, other: Any) -> Any:
        return self.vectors @ (other.vectors if isinstance(other, BlendFeatures) else other)

    @classmethod
    def stack_rows(cls, parts: Sequence[BlendFeatures]) -> BlendFeatures:
        import scipy.sparse as sp

        return cls(sp.vstack([p.ngrams for p in parts], format="csr"),
                   np.vstack([p.vectors for p in parts]))


class BlendModel:
    """The ``sklearn`` and ``embed`` models on the same answers, probabilities averaged."""

    kind = "blend"
    capabilities = frozenset({VECTORS, REFIT, CACHEABLE, SEMANTIC})

    def __init__(self, labels: Sequence[str], exclusive: bool = True, *,
                 base: str | None = None, embed_weight: float = EMBED_WEIGHT,
                 threads: int | None = None) -> None:
        self.base = encoder_named(base).name  # which encoder (--model blend:BASE)
        require_embed(self.base)
        self.ngram = SklearnModel(labels, exclusive)
        self.embed = EmbedModel(labels, exclusive, base=self.base, threads=threads)
        self.labels = list(self.ngram.labels)
        self.exclusive = self.ngram.exclusive
        self.embed_weight = embed_weight
        self.threads = threads
        self.version = 0

    def __setstate__(self, state: dict[str, Any]) -> None:
        state.setdefault("base", "fp32")  # saved before encoders had names: see EmbedModel
        self.__dict__.update(state)

    @property
    def cache_key(self) -> str:
        """The encoder's vectors: shared with ``embed`` on the same encoder."""
        return encoder_named(self.base).cache_key

    @property
    def ready(self) -> bool:
        return self.ngram.ready and self.embed.ready

    @property
    def n_examples(self) -> int:
        return self.embed.n_examples

    # -- the cacheable-model contract (altool.models.cache) ------------------------------------
    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """The slow, cacheable part: the sentence embeddings."""
        return encode(texts, self.base, self.threads)

    def from_encoded(self, texts: Sequence[str], vectors: np.ndarray) -> BlendFeatures:
        return BlendFeatures(self.ngram.featurize(texts), vectors)

    def featurize(self, texts: Sequence[str]) -> BlendFeatures:
        texts = list(texts)
        return self.from_encoded(texts, self.encode(texts))

    # -- learning ----------------------------------------------------------------------------
    def fit(self, features: BlendFeatures, targets: np.ndarray) -> None:
        self.ngram.fit(features.ngrams, targets)
        self.embed.fit(features.vectors, targets)
        self.version += 1

    def predict_proba(self, features: BlendFeatures) -> np.ndarray:
        if not self.ngram.ready or not self.embed.ready:
            return (self.embed if self.embed.ready else self.ngram).predict_proba(
                features.vectors if self.embed.ready else features.ngrams)
        w = self.embed_weight
        return (1.0 - w) * self.ngram.predict_proba(features.ngrams) + \
            w * self.embed.predict_proba(features.vectors)

    def __copy__(self) -> BlendModel:
        """A shallow copy that refits on its own (the ``refit`` capability: committees)."""
        import copy

        twin = object.__new__(BlendModel)
        twin.__dict__.update(self.__dict__)
        twin.ngram, twin.embed = copy.copy(self.ngram), copy.copy(self.embed)
        return twin

    def save(self, path: Any) -> None:
        save_model(self, path)
